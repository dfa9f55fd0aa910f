"""The errors every store raises, and a window of a local file as a body for a multipart
part. What an object read answers (status, headers, body) is vs_common.objects: file-svc
and streaming-svc (its local delivery) answer the same way."""

from __future__ import annotations

import io

from vs_common.objects import ObjectStream as ObjectStream
from vs_common.objects import respond as respond


class StorageUnavailable(RuntimeError):
    """The store cannot be reached or failed; answered with 503."""


class CannotPresign(RuntimeError):
    """The store has no presigned URLs or CORS rules (a local folder): DELIVERY=presigned needs S3."""


class ObjectNotFound(KeyError):
    """No object under that key."""


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
