"""The local store: objects as files under STORAGE_DIR (make run, tests)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from vs_common.objects import local_path, read_local

from .objects import CannotPresign, ObjectNotFound, ObjectStream, StorageUnavailable


class LocalStorage:
    """Objects as files under STORAGE_DIR; writes are atomic (temp file + rename)."""

    def __init__(self, root: str):
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        path = local_path(self.root, key)
        if path is None:
            raise ObjectNotFound(key)
        return path

    def ensure_bucket(self) -> None:
        """Nothing to make: the folder exists since the store was built."""

    def check(self) -> None:
        if not os.access(self.root, os.W_OK):
            raise StorageUnavailable(f"{self.root} is not writable")

    def presigned_url(self, key: str, until: float | None = None) -> str:
        raise CannotPresign("a local folder has no presigned URLs: DELIVERY=presigned needs STORAGE_BACKEND=s3")

    def cors_rules(self) -> list[dict]:
        return []

    def put_cors_rules(self, rules: list[dict]) -> None:
        raise CannotPresign("a local folder has no CORS rules: DELIVERY=presigned needs STORAGE_BACKEND=s3")

    def put_file(self, key: str, src: str) -> None:
        dest = self._path(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.tmp")
        try:
            try:
                os.link(src, tmp)  # same file system: no copy at all
            except OSError:
                shutil.copyfile(src, tmp)
            os.replace(tmp, dest)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StorageUnavailable(f"cannot write {key}: {exc.strerror}") from exc

    def put_bytes(self, key: str, data: bytes) -> None:
        """A small object (a playlist), replaced atomically: a reader sees the old or the new."""
        dest = self._path(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.tmp")
        try:
            tmp.write_bytes(data)
            os.replace(tmp, dest)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StorageUnavailable(f"cannot write {key}: {exc.strerror}") from exc

    def delete(self, key: str) -> None:
        """Remove one object (nothing if it is not there)."""
        self._path(key).unlink(missing_ok=True)

    def open_object(self, key: str, range_header: str | None = None, if_none_match: str | None = None) -> ObjectStream:
        stream = read_local(self.root, key, range_header, if_none_match)
        if stream is None:
            raise ObjectNotFound(key)
        return stream

    def delete_prefix(self, prefix: str) -> int:
        """Remove a folder of objects; safe against another delete of it at the same time
        (what the other one removed first is simply not counted)."""
        path = self._path(prefix.rstrip("/"))
        count = sum(len(files) for _dir, _subdirs, files in os.walk(path))  # os.walk skips what vanishes
        shutil.rmtree(path, ignore_errors=True)
        return count

    def list_keys(self, prefix: str) -> list[str]:
        base = self._path(prefix.rstrip("/")) if prefix else self.root
        if not base.exists():
            return []
        return sorted(str(p.relative_to(self.root)) for p in base.rglob("*") if p.is_file())

    def download(self, key: str, dest: str) -> None:
        shutil.copyfile(self._path(key), dest)

    def abort_uploads(
        self,
        prefix: str = "videos/",
        older_than: timedelta | None = timedelta(hours=1),
        keep: Callable[[str], bool] | None = None,
    ) -> int:
        """Nothing to abort: a local write is one file, renamed into place whole (what an
        interrupted one left is a temp file, which `sweep` removes)."""
        return 0

    def sweep(self, older_than: timedelta = timedelta(hours=1), keep: Callable[[str], bool] | None = None) -> int:
        """Remove temp files an interrupted write left (the local twin of the S3 sweep;
        a write at work renames its temp file within seconds, so `keep` is not needed)."""
        cutoff = datetime.now().timestamp() - older_than.total_seconds()
        removed = 0
        for tmp in self.root.rglob(".*.tmp"):
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink(missing_ok=True)
                removed += 1
        return removed
