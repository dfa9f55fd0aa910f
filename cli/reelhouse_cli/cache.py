"""The resume cache: each unfinished upload's URL, kept between runs so that running the
same command again resumes it (`resume.json` in ~/.cache/reelhouse, or $XDG_CACHE_HOME).

An entry's key names the file and where it goes: the file's absolute path, size and
modification time (ns), the upload server's origin and the user. tuspy's fingerprint
(the size and the first 64 KiB) took another file of the same size and beginning for the
one an earlier run had started, and resumed it: that file's video then held bytes of
both. With this key another file, the same file changed in place, another server or
another user is a fresh upload; and the server's HEAD is checked before resuming too
(`__init__._resume`).

The cache is a convenience: a cache that cannot be read is empty, one that cannot be
written says so once and the uploads go on (they just cannot be resumed).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from pathlib import Path

from .report import shown

VERSION = 1


def cache_key(path: Path, server_origin: str, user: str) -> str:
    """The key of `path` uploaded to `server_origin` by `user` (a SHA-256, so the file
    keeps no names)."""
    stat = path.stat()
    ident = [str(path.resolve()), stat.st_size, stat.st_mtime_ns, server_origin, user]
    return hashlib.sha256(json.dumps(ident).encode()).hexdigest()


class ResumeCache:
    """`key -> upload URL`, in a JSON file. Every change re-reads the file first, so that
    two runs at once (other files) keep each other's entries."""

    def __init__(self, folder: Path):
        self.path = folder / "resume.json"
        self._warned = False

    def get(self, key: str) -> str | None:
        return self._load().get(key)

    def put(self, key: str, url: str) -> None:
        entries = self._load()
        entries[key] = url
        self._save(entries)

    def drop(self, key: str) -> None:
        entries = self._load()
        if entries.pop(key, None) is not None:
            self._save(entries)

    def _load(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}  # none yet, or unreadable: nothing to resume
        uploads = data.get("uploads") if isinstance(data, dict) and data.get("version") == VERSION else None
        if not isinstance(uploads, dict):
            return {}
        return {k: v for k, v in uploads.items() if isinstance(k, str) and isinstance(v, str)}

    def _save(self, entries: dict[str, str]) -> None:
        """Written to a temporary file then renamed: a run killed meanwhile leaves the old
        cache or the new one, never half of one. Readable by the user alone."""
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"version": VERSION, "uploads": entries}, fh)
            os.replace(tmp, self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            if not self._warned:
                self._warned = True
                print(
                    shown(
                        f"reelhouse: cannot write {self.path} ({exc.strerror}): an interrupted upload will start again"
                    ),
                    file=sys.stderr,
                )
