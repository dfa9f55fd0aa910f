"""Object storage, behind one interface whatever the store: a local folder
(`LocalStorage`) or S3 (`S3Storage`, any S3-protocol server). Callers use `Storage`'s
methods only; no caller needs to know which store it has.

- `objects`: the errors, and a read of an object as an HTTP answer (ETag, Range).
- `multipart`: the S3 store's writes of large files.
- `local`, `s3`: the two stores.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Protocol

from vs_common.settings import Settings

from .local import LocalStorage as LocalStorage
from .objects import CannotPresign as CannotPresign
from .objects import FileWindow as FileWindow
from .objects import ObjectNotFound as ObjectNotFound
from .objects import ObjectStream as ObjectStream
from .objects import StorageUnavailable as StorageUnavailable
from .s3 import S3Storage as S3Storage


class Storage(Protocol):
    """What both stores do."""

    def check(self) -> None: ...
    def ensure_bucket(self) -> None: ...
    def put_file(self, key: str, src: str) -> None: ...
    def put_bytes(self, key: str, data: bytes) -> None: ...
    def delete(self, key: str) -> None: ...
    def delete_prefix(self, prefix: str) -> int: ...
    def list_keys(self, prefix: str) -> list[str]: ...
    def download(self, key: str, dest: str) -> None: ...
    def open_object(
        self, key: str, range_header: str | None = None, if_none_match: str | None = None
    ) -> ObjectStream: ...
    def abort_uploads(
        self, prefix: str = ..., older_than: timedelta | None = ..., keep: Callable[[str], bool] | None = None
    ) -> int: ...
    def sweep(self, older_than: timedelta = ..., keep: Callable[[str], bool] | None = None) -> int: ...
    # Presigned delivery (file_svc.presigned): CannotPresign from a local folder.
    def presigned_url(self, key: str, until: float | None = None) -> str: ...
    def cors_rules(self) -> list[dict]: ...
    def put_cors_rules(self, rules: list[dict]) -> None: ...


def make_storage(settings: Settings) -> Storage:
    if settings.storage_backend == "s3":
        return S3Storage(settings)
    return LocalStorage(settings.storage_dir)
