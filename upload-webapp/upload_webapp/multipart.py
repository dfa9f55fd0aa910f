"""A streaming multipart/form-data reader: the file part is passed on as it arrives,
never held in memory or spooled to disk here."""

from __future__ import annotations

from collections.abc import Iterator

from werkzeug.sansio.multipart import (
    Data,
    Epilogue,
    Field,
    File,
    MultipartDecoder,
    NeedData,
)

from vs_common.names import InvalidName, decode_utf8

READ_CHUNK = 1024 * 1024
FIELD_LIMIT = 64 * 1024


class ClientGone(RuntimeError):
    """The browser stopped sending before the body was complete."""


class FileTooLarge(ValueError):
    """The file part grew past the limit."""


class BadForm(ValueError):
    """The body is not well-formed multipart/form-data."""


class OverQuota(ValueError):
    """The file part grew past what its owner's quota has room for (`file_bytes` so far)."""

    def __init__(self, file_bytes: int):
        super().__init__(f"the file passed the quota's room at {file_bytes} bytes")
        self.file_bytes = file_bytes


class MultipartStream:
    """Iterates over the parts of a request body read from `stream`."""

    def __init__(
        self,
        stream,
        boundary: bytes,
        max_file_bytes: int,
        max_body_bytes: int | None = None,
        expected_bytes: int | None = None,
        room: int | None = None,
    ):
        self.stream = stream
        self.expected_bytes = expected_bytes  # the Content-Length, if any
        self.decoder = MultipartDecoder(boundary)  # its buffer is bounded by READ_CHUNK
        self.max_file_bytes = max_file_bytes
        self.max_body_bytes = max_body_bytes  # the whole body: file, other parts, epilogue
        self.room = room  # what the owner's quota has room for (None: no quota)
        self.file_bytes = 0
        self.body_bytes = 0
        self.failure: Exception | None = None  # what stopped a file part mid-way
        self._events = self._all_events()

    def _read(self) -> bytes:
        try:
            chunk = self.stream.read(READ_CHUNK)
        except Exception as exc:
            raise ClientGone(f"the upload was interrupted ({exc.__class__.__name__})") from exc
        if not chunk and self.expected_bytes is not None and self.body_bytes < self.expected_bytes:
            # The server hands us EOF, not an error, when the connection closes early.
            raise ClientGone(f"the body ended after {self.body_bytes} of {self.expected_bytes} bytes")
        self.body_bytes += len(chunk)
        if self.max_body_bytes is not None and self.body_bytes > self.max_body_bytes:
            raise FileTooLarge(f"The upload is larger than the limit of {self.max_file_bytes} bytes.")
        return chunk

    def _all_events(self):
        ended = False
        while True:
            try:
                event = self.decoder.next_event()
            except UnicodeDecodeError:
                # werkzeug reads a part's headers as UTF-8: a file name in other bytes.
                raise InvalidName("The file name is not valid UTF-8 text.") from None
            except ValueError as exc:
                raise BadForm(f"The request body is not valid multipart/form-data ({exc}).") from exc
            if isinstance(event, NeedData):
                if ended:
                    raise BadForm("The request body ended before the multipart form was complete.")
                chunk = self._read()
                if not chunk:
                    ended = True
                    self.decoder.receive_data(None)
                else:
                    self.decoder.receive_data(chunk)
                continue
            if isinstance(event, Epilogue):
                # Read what is left (the epilogue) so the connection stays usable.
                while self._read():
                    pass
                return
            yield event

    def parts(self) -> Iterator[Field | File]:
        """Each part's header event; read its content with `field_value` or `file_chunks`."""
        for event in self._events:
            if isinstance(event, Field | File):
                yield event

    def field_value(self) -> str:
        """A text field's value; InvalidName if it is not UTF-8 (a name that cannot be kept)."""
        return decode_utf8(bytes(self.field_bytes()))

    def field_bytes(self) -> bytearray:
        buf = bytearray()
        for event in self._events:
            if not isinstance(event, Data):
                raise BadForm("Unexpected part structure.")
            buf += event.data
            if len(buf) > FIELD_LIMIT:
                raise BadForm("A form field is too large.")
            if not event.more_data:
                break
        return buf

    def skip_file(self) -> None:
        """Read past a file part we do not keep (it still counts against the body limit)."""
        for _ in self.file_chunks(limit=False):
            pass

    def file_chunks(self, limit: bool = True) -> Iterator[bytes]:
        """The file part's bytes as they arrive; raises FileTooLarge past the limit, and
        OverQuota past the quota's room (checked before the chunk is passed on)."""
        try:
            for event in self._events:
                if not isinstance(event, Data):
                    raise BadForm("Unexpected part structure.")
                if event.data:
                    self.file_bytes += len(event.data)
                    if limit and self.file_bytes > self.max_file_bytes:
                        raise FileTooLarge(f"The file is larger than the limit of {self.max_file_bytes} bytes.")
                    if limit and self.room is not None and self.file_bytes > self.room:
                        raise OverQuota(self.file_bytes)
                    yield bytes(event.data)
                if not event.more_data:
                    return
        except (ClientGone, FileTooLarge, OverQuota, BadForm) as exc:
            self.failure = exc
            raise
