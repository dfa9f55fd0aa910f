"""Where a resumable upload's bytes go, and its state: a folder of its own in the temp
volume (`TEMP_DIR/uploads/<id>/data`) and a row in `uploads`, so that any replica of
upload-webapp, and any restart, carries it on.

- The acknowledged offset is the row's `received`, moved only after the bytes are on
  disk (fsync; without it bench.ingest measured no gain on this machine, the disk's
  writeback being the limit either way); a writer that died after writing more leaves
  bytes past it, which the next writer cuts off before appending. Should the file ever be
  shorter than acknowledged (a disk that lied), the offset answered is what is on disk,
  so the client sends the rest again instead of the upload being cut.
- One writer at a time: a lock in the row with a lease, renewed while bytes arrive. A
  connection that went half-open gives the lock up when its socket read times out
  (UPLOAD_READ_TIMEOUT_SECONDS); a process that died, when the lease runs out.
- An upload's id is its video's id once it is finished.
"""

from __future__ import annotations

import errno
import os
import shutil
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from vs_common.db import Database, utcnow
from vs_common.settings import MiB, Settings
from vs_common.signatures import plainly_not_a_video
from vs_common.videos import new_video_id

CHUNK = 1024 * 1024
LOCK_SECONDS = 30  # a writer renews every few seconds; a dead one's lock is free after this
RENEW_SECONDS = 5
SNIFF_BYTES = 4096  # enough of the start to tell a video container from HTML, ZIP or noise


class TooMany(RuntimeError):
    """The owner's unfinished uploads reached the limit."""


class TempFull(OSError):
    """The temp volume is full."""


class Locked(RuntimeError):
    """Another request holds the upload's lock."""


class PastLength(ValueError):
    """The bytes go past Upload-Length."""


class NotAVideoSignature(ValueError):
    """The first bytes say plainly that this is not a video."""


class Interrupted(RuntimeError):
    """The client stopped sending mid-PATCH (what arrived is kept)."""


def aware(value) -> datetime:
    """A naive UTC time from the database as an aware one."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)


def folder(settings: Settings, upload_id: str) -> Path:
    return Path(settings.temp_dir) / "uploads" / upload_id


def data_path(settings: Settings, upload_id: str) -> Path:
    return folder(settings, upload_id) / "data"


def _expiry(settings: Settings) -> datetime:
    return utcnow() + timedelta(hours=settings.upload_expiry_hours)


def create(db: Database, settings: Settings, *, owner: str, length: int, filename: str, name: str | None) -> dict:
    """A new upload of `length` bytes for `owner`, within the per-user limits."""
    free = shutil.disk_usage(Path(settings.temp_dir)).free
    if free < length:
        raise TempFull(
            f"The server's temporary storage has {free // MiB} MiB free, less than this file needs; try again later."
        )
    upload_id = new_video_id()
    now = utcnow()
    row = {
        "id": upload_id,
        "owner": owner,
        "size_bytes": length,
        "received": 0,
        "filename": filename[:255],
        "name": name,
        "video_id": None,
        "created_at": now,
        "updated_at": now,
        "expires_at": _expiry(settings),
    }
    with db.transaction() as cur:
        busy = cur.execute(
            "SELECT COUNT(*) AS n, COALESCE(SUM(size_bytes), 0) AS total FROM uploads "
            "WHERE owner = ? AND video_id IS NULL AND expires_at > ?",
            (owner, now),
        ).fetchone()
        if int(busy["n"]) >= settings.upload_max_unfinished:
            raise TooMany(
                f"You have {busy['n']} unfinished uploads, the most allowed at once; finish or cancel one first."
            )
        if int(busy["total"]) + length > settings.upload_max_unfinished_bytes:
            raise TooMany(
                f"Your unfinished uploads would hold more than {settings.upload_max_unfinished_bytes // MiB} MiB; "
                "finish or cancel one first."
            )
        cols = ", ".join(row)
        cur.execute(f"INSERT INTO uploads ({cols}) VALUES ({', '.join('?' for _ in row)})", list(row.values()))
    path = data_path(settings, upload_id)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    except OSError:
        db.execute("DELETE FROM uploads WHERE id = ?", (upload_id,))
        raise
    return row


def get(db: Database, upload_id: str, settings: Settings | None = None) -> dict | None:
    """The upload's row; with `settings`, its offset no further than the bytes on disk."""
    if not (12 <= len(upload_id) <= 32) or not all(c.isalnum() or c in "-_" for c in upload_id):
        return None
    row = db.query_one("SELECT * FROM uploads WHERE id = ?", (upload_id,))
    if row is not None:
        row["received"], row["size_bytes"] = int(row["received"]), int(row["size_bytes"])
        if settings is not None and row["video_id"] is None:
            try:
                row["received"] = min(row["received"], data_path(settings, upload_id).stat().st_size)
            except FileNotFoundError:
                row["received"] = 0
    return row


def expired(upload: dict) -> bool:
    return aware(upload["expires_at"]) < datetime.now(UTC)


def lock(db: Database, upload_id: str) -> str:
    """Take the upload's lock (LOCK_SECONDS, renewed by `checkpoint`); Locked if held."""
    token = uuid.uuid4().hex
    now = utcnow()
    changed = db.execute(
        "UPDATE uploads SET lock_token = ?, lock_until = ? WHERE id = ? AND (lock_token IS NULL OR lock_until < ?)",
        (token, now + timedelta(seconds=LOCK_SECONDS), upload_id, now),
    )
    if changed != 1:
        raise Locked(upload_id)
    return token


def unlock(db: Database, upload_id: str, token: str) -> None:
    db.execute(
        "UPDATE uploads SET lock_token = NULL, lock_until = NULL WHERE id = ? AND lock_token = ?", (upload_id, token)
    )


def checkpoint(db: Database, settings: Settings, upload_id: str, token: str, received: int) -> datetime:
    """The bytes up to `received` are on disk: acknowledge them, renew the lock and the
    expiry. Locked if the lock was lost (then nothing more may be written)."""
    now = utcnow()
    expires = _expiry(settings)
    changed = db.execute(
        "UPDATE uploads SET received = ?, lock_until = ?, expires_at = ?, updated_at = ? WHERE id = ? "
        "AND lock_token = ?",
        (received, now + timedelta(seconds=LOCK_SECONDS), expires, now, upload_id, token),
    )
    if changed != 1:
        raise Locked(upload_id)
    return expires


def append(db: Database, settings: Settings, upload: dict, stream) -> dict:
    """Write what `stream` holds at the upload's offset; returns the upload as it is now.

    Nothing is written past Upload-Length: a body that goes past it is refused whole
    (PastLength, the upload as before). The first bytes are checked to be a video's."""
    upload_id = upload["id"]
    token = lock(db, upload_id)
    start = upload["received"]
    room = upload["size_bytes"] - start
    got = 0
    try:
        with open(data_path(settings, upload_id), "r+b", buffering=0) as fh:
            fh.truncate(start)  # what a writer that died wrote past its last acknowledgement
            fh.seek(start)
            head, sniffed = b"", False
            last = time.monotonic()
            while True:
                try:
                    chunk = stream.read(min(CHUNK, room - got + 1))
                except OSError as exc:  # the socket timed out or broke
                    raise Interrupted(f"the upload was interrupted ({exc.__class__.__name__})") from exc
                if not chunk:
                    break
                if got + len(chunk) > room:
                    fh.truncate(start)
                    got = 0
                    raise PastLength(
                        f"The bytes sent go past the upload's length of {upload['size_bytes']}; nothing was kept "
                        "of this request."
                    )
                if start + got < SNIFF_BYTES:
                    head += chunk[: SNIFF_BYTES - start - got]
                _write_all(fh, chunk)
                got += len(chunk)
                if not sniffed and start == 0 and (len(head) >= SNIFF_BYTES or got == room):
                    sniffed = True
                    refusal = plainly_not_a_video(head)
                    if refusal:
                        raise NotAVideoSignature(refusal)
                if time.monotonic() - last > RENEW_SECONDS:
                    os.fsync(fh.fileno())
                    checkpoint(db, settings, upload_id, token, start + got)
                    last = time.monotonic()
            os.fsync(fh.fileno())
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            _truncate(settings, upload_id, start)
            raise TempFull("The server's temporary storage is full; try again later.") from exc
        raise
    finally:
        try:
            if got:
                _fsync(settings, upload_id)  # what arrived before the client went away is kept too
                upload["expires_at"] = checkpoint(db, settings, upload_id, token, start + got)
                upload["received"] = start + got
        finally:
            unlock(db, upload_id, token)
    return upload


def _write_all(fh, data: bytes) -> None:
    view = memoryview(data)
    while view:  # an unbuffered write may write less than asked
        view = view[fh.write(view) :]


def _fsync(settings: Settings, upload_id: str) -> None:
    try:
        fd = os.open(data_path(settings, upload_id), os.O_RDONLY)
    except FileNotFoundError:
        return  # terminated meanwhile
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _truncate(settings: Settings, upload_id: str, size: int) -> None:
    try:
        with open(data_path(settings, upload_id), "r+b") as fh:
            fh.truncate(size)
    except OSError:
        pass


def remove(db: Database, settings: Settings, upload_id: str) -> None:
    """The upload's bytes and row (a writer still at work stops at its next checkpoint)."""
    db.execute("DELETE FROM uploads WHERE id = ?", (upload_id,))
    shutil.rmtree(folder(settings, upload_id), ignore_errors=True)
