"""The stored API token of `reelhouse login`: ~/.config/reelhouse/token (or
$XDG_CONFIG_HOME/reelhouse/token), JSON with the token, its id and user, and the three
URLs it was made for: it is sent to those origins and nowhere else.

Only its owner may read it: written as mode 0600 in a folder of mode 0700 (a temporary
file renamed over it, so a run killed meanwhile leaves the old one or the new one), and
refused when read if it is a symbolic link, belongs to someone else, or others may read
or write it (what `chmod` or a careless copy could have done): a token others can read
is as good as theirs.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from dataclasses import asdict, dataclass
from pathlib import Path

from .report import Failed

VERSION = 1


@dataclass(frozen=True)
class StoredToken:
    token: str
    token_id: str
    username: str
    auth_url: str
    upload_url: str
    streaming_url: str


def path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "reelhouse" / "token"


def _refusal(where: Path, info: os.stat_result) -> str | None:
    """Why a token file with this stat must not be used (None: it may)."""
    if info.st_uid != os.getuid():
        return f"{where} belongs to another user (uid {info.st_uid})"
    if info.st_mode & 0o077:
        mode = stat.S_IMODE(info.st_mode)
        return f"{where} may be read or written by others (mode {mode:04o}): run `chmod 600 {where}`"
    return None


def read(*, exposed_ok: bool = False) -> StoredToken | None:
    """The stored token, or None when there is none. Failed when it cannot be trusted (a
    symbolic link, another owner, readable or writable by others: unless `exposed_ok`,
    for `reelhouse logout`, which revokes it all the same) or is not what login writes."""
    where = path()
    try:
        fd = os.open(where, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise Failed(f"cannot read the token file {where}: {exc.strerror} (a symbolic link is refused)") from None
    with os.fdopen(fd, "r", encoding="utf-8") as fh:
        refusal = _refusal(where, os.fstat(fd))
        if refusal and not exposed_ok:
            raise Failed(f"the token file is not used: {refusal}, or run reelhouse login again")
        try:
            data = json.loads(fh.read(64 * 1024))
            if data.get("version") != VERSION:
                raise ValueError("another version")
            fields = {name: data[name] for name in StoredToken.__dataclass_fields__}
        except (ValueError, KeyError, TypeError, AttributeError):
            raise Failed(f"the token file {where} is damaged: run reelhouse login again") from None
    if not all(isinstance(v, str) and v for v in fields.values()):
        raise Failed(f"the token file {where} is damaged: run reelhouse login again")
    return StoredToken(**fields)


def write(stored: StoredToken) -> Path:
    """Keep the token for later runs: readable by its owner alone."""
    where = path()
    folder = where.parent
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    tmp = folder / f".token.{os.getpid()}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            os.fchmod(fh.fileno(), 0o600)  # whatever the umask
            json.dump({"version": VERSION, **asdict(stored)}, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, where)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise Failed(f"cannot write the token file {where}: {exc.strerror}") from None
    return where


def remove() -> None:
    with contextlib.suppress(FileNotFoundError):
        path().unlink()
