"""Objects as HTTP answers: the errors every store raises, and a read of one object
(conditional on its ETag, or a byte range of it) as status, headers and body. The
request headers are parsed with werkzeug's own parsers."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from werkzeug.http import parse_etags, parse_range_header

from ..serving import content_type


class StorageUnavailable(RuntimeError):
    """The store cannot be reached or failed; answered with 503."""


class CannotPresign(RuntimeError):
    """The store has no presigned URLs or CORS rules (a local folder): DELIVERY=presigned needs S3."""


class ObjectNotFound(KeyError):
    """No object under that key."""


@dataclass
class ObjectStream:
    """An object (or a byte range of it) ready to stream."""

    status: int  # 200, 206 or 304
    headers: dict[str, str]
    body: Iterator[bytes] | None = None
    path: str | None = None  # local file (served with sendfile)
    offset: int = 0
    length: int = 0


def parse_range(header: str | None, size: int) -> tuple[int, int] | None | str:
    """(start, end inclusive) for a single `bytes=` range; None when there is none, it is
    malformed or asks for several (RFC 9110: ignored, the whole object is sent), 'invalid'
    when it is well formed but unsatisfiable (416)."""
    if not header:
        return None
    if header.replace(" ", "") == "bytes=-0":
        return "invalid"  # a suffix of no bytes: unsatisfiable (werkzeug calls it malformed)
    rng = parse_range_header(header.strip())
    if rng is None or rng.units != "bytes" or len(rng.ranges) != 1:
        return None
    bounds = rng.range_for_length(size)
    if bounds is None:
        return "invalid"
    return bounds[0], bounds[1] - 1


def respond(
    key: str,
    size: int,
    etag: str,
    range_header: str | None,
    if_none_match: str | None,
    *,
    path: str | None = None,
    opener: Callable[[int, int, bool], Iterator[bytes]] | None = None,
) -> ObjectStream:
    """The answer to a read of `key`: 304 when If-None-Match names its ETag (weak
    comparison, `*` included), 416 for an unsatisfiable range, else 200 or 206 with a
    local `path` (sendfile) or the body `opener(start, end, ranged)` makes."""
    headers = {
        "Content-Type": content_type(key),
        "ETag": etag,
        "Accept-Ranges": "bytes",
    }
    if if_none_match and parse_etags(if_none_match).contains_weak(etag.strip('"')):
        return ObjectStream(304, headers)
    rng = parse_range(range_header, size)
    if rng == "invalid":
        headers["Content-Range"] = f"bytes */{size}"
        return ObjectStream(416, headers)
    if rng is None:
        start, end, status = 0, size - 1, 200
    else:
        start, end = rng
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    length = max(0, end - start + 1)
    headers["Content-Length"] = str(length)
    stream = ObjectStream(status, headers, path=path, offset=start, length=length)
    if opener is not None:
        stream.body = opener(start, end, rng is not None)
    return stream


class FileWindow(io.RawIOBase):
    """`length` bytes of an open file from `offset`, as a seekable read-only stream."""

    def __init__(self, fh, offset: int, length: int):
        super().__init__()
        self.fh = fh
        self.offset = offset
        self.length = length
        self.pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def __len__(self) -> int:
        return self.length

    def tell(self) -> int:
        return self.pos

    def seek(self, pos: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.length}[whence]
        self.pos = min(max(0, base + pos), self.length)
        return self.pos

    def read(self, size: int = -1) -> bytes:
        left = self.length - self.pos
        size = left if size is None or size < 0 else min(size, left)
        if size <= 0:
            return b""
        self.fh.seek(self.offset + self.pos)
        data = self.fh.read(size)
        self.pos += len(data)
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
