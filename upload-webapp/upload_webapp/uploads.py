"""Where a resumable upload's bytes go, and its state: a folder of its own in the temp
volume (`TEMP_DIR/uploads/<id>/data`, vs_common.layout) and a row in `uploads`
(vs_common.tables.uploads), so that any replica of upload-webapp, and any restart,
carries it on.

- The acknowledged offset is the row's `received`, moved only after the bytes are on
  disk (fsync; without it bench.ingest measured no gain on this machine, the disk's
  writeback being the limit either way); a writer that died after writing more leaves
  bytes past it, which the next writer cuts off before appending. Should the file ever be
  shorter than acknowledged (a disk that lied), the offset answered is what is on disk,
  so the client sends the rest again instead of the upload being cut.
- One writer at a time: a lock in the row with a lease, renewed while bytes arrive. A
  connection that went half-open gives the lock up when its socket read times out
  (UPLOAD_READ_TIMEOUT_SECONDS); a process that died, when the lease runs out. The
  client's Upload-Offset is compared with the acknowledged one under that lock: of
  writers racing at one offset, the first acknowledged moves it, and the others, finding
  it moved, write nothing (a comparison before the lock let a late one cut the file back).
- A folder gone from under an upload (the temp volume wiped): made again while nothing
  was acknowledged; once bytes were, they are lost, and so is the upload (`Lost`).
- One owner's creations run one at a time (a named lock on MariaDB, the write lock on
  SQLite), so that the per-user limits hold however many arrive at once: the unfinished
  uploads' count and bytes, and the person's quotas (vs_common.quotas), which count an
  upload's Upload-Length from its creation.
- An upload's id is its video's id once it is finished.
"""

from __future__ import annotations

import errno
import os
import shutil
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from vs_common import layout, quotas, tables
from vs_common.db import Database, as_datetime, utcnow
from vs_common.settings import MiB, Settings
from vs_common.signatures import plainly_not_a_video
from vs_common.wire import new_video_id, valid_video_id

CHUNK = 1024 * 1024
LOCK_SECONDS = 30  # a writer renews every few seconds; a dead one's lock is free after this
RENEW_SECONDS = 5
SNIFF_BYTES = 4096  # enough of the start to tell a video container from HTML, ZIP or noise
FILENAME_MAX = 255  # characters of the file name kept (the column's size)
# How long finishing waits for the upload's lock: a PATCH that read the offset before the
# last bytes were acknowledged holds it only to find it moved.
FINISH_WAIT_SECONDS = 2.0


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


class OffsetMismatch(ValueError):
    """Upload-Offset is not the acknowledged offset (`received`, read under the lock)."""

    def __init__(self, offset: int, received: int):
        super().__init__(f"Upload-Offset is {offset}, but the upload has {received} bytes; resume from there.")
        self.received = received


class Finished(RuntimeError):
    """The upload is a video already (`upload` holds its row)."""

    def __init__(self, upload: dict):
        super().__init__(f"upload {upload['id']} is finished")
        self.upload = upload


class Gone(LookupError):
    """The upload's row went meanwhile (terminated, or swept)."""


class Lost(RuntimeError):
    """Bytes were acknowledged but their folder is gone; the upload was removed."""


def _expiry(settings: Settings) -> datetime:
    return utcnow() + timedelta(hours=settings.upload_expiry_hours)


def create(
    db: Database,
    settings: Settings,
    *,
    owner: str,
    length: int,
    filename: str,
    name: str | None,
    visibility: str | None = None,
    limits: quotas.Limits | None = None,
) -> dict:
    """A new upload of `length` bytes for `owner`, within the per-user limits and the
    person's quotas (`limits`; quotas.QuotaExceeded, and nothing made, past them);
    `visibility` its video's (None: DEFAULT_VISIBILITY when it becomes a video)."""
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
        "filename": filename[:FILENAME_MAX],
        "name": name,
        "visibility": visibility,
        "video_id": None,
        "created_at": now,
        "updated_at": now,
        "expires_at": _expiry(settings),
    }
    with tables.uploads.one_creation_at_a_time(db, owner) as cur:
        count, total = tables.uploads.unfinished(cur, owner, now)
        if count >= settings.upload_max_unfinished:
            raise TooMany(f"You have {count} unfinished uploads, the most allowed at once; finish or cancel one first.")
        if total + length > settings.upload_max_unfinished_bytes:
            raise TooMany(
                f"Your unfinished uploads would hold more than {settings.upload_max_unfinished_bytes // MiB} MiB; "
                "finish or cancel one first."
            )
        if limits is not None and not limits.unlimited:
            quotas.check(limits, quotas.usage(cur, owner, now), length)
        tables.uploads.insert(cur, row)
    path = layout.upload_data(settings.temp_dir, upload_id)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    except OSError:
        tables.uploads.delete(db, upload_id)
        raise
    return row


def get(db: Database, upload_id: str, settings: Settings | None = None) -> dict | None:
    """The upload's row; with `settings`, its offset no further than the bytes on disk,
    and `lost` true when acknowledged bytes have no file any more."""
    if not valid_video_id(upload_id):  # the column is ASCII: "é" is no id, not a database error
        return None
    row = tables.uploads.get(db, upload_id)
    if row is not None:
        row["received"], row["size_bytes"] = int(row["received"]), int(row["size_bytes"])
        row["lost"] = False
        if settings is not None and row["video_id"] is None:
            try:
                on_disk = layout.upload_data(settings.temp_dir, upload_id).stat().st_size
                row["received"] = min(row["received"], on_disk)
            except FileNotFoundError:
                row["lost"] = row["received"] > 0
                row["received"] = 0
    return row


def expired(upload: dict) -> bool:
    return as_datetime(upload["expires_at"]) < utcnow()


def lock(db: Database, upload_id: str, wait: float = 0.0) -> str:
    """Take the upload's lock (LOCK_SECONDS, renewed by `checkpoint`); Locked if it is
    still held after `wait` seconds."""
    deadline = time.monotonic() + wait
    while True:
        token = uuid.uuid4().hex
        now = utcnow()
        if tables.uploads.take_lock(db, upload_id, token, now + timedelta(seconds=LOCK_SECONDS), now):
            return token
        if time.monotonic() >= deadline:
            raise Locked(upload_id)
        time.sleep(0.05)


def unlock(db: Database, upload_id: str, token: str) -> None:
    tables.uploads.release_lock(db, upload_id, token)


def checkpoint(db: Database, settings: Settings, upload_id: str, token: str, received: int) -> datetime:
    """The bytes up to `received` are on disk: acknowledge them, renew the lock and the
    expiry. Locked if the lock was lost (then nothing more may be written)."""
    now = utcnow()
    expires = _expiry(settings)
    lease = now + timedelta(seconds=LOCK_SECONDS)
    if not tables.uploads.acknowledge(
        db, upload_id, token, received=received, lock_until=lease, expires=expires, now=now
    ):
        raise Locked(upload_id)
    return expires


def append(db: Database, settings: Settings, upload_id: str, offset: int, stream, length: int | None = None) -> dict:
    """Write what `stream` holds at `offset`; returns the upload as it is now.

    Everything is decided under the upload's lock, from its row read then: the offset must
    be the acknowledged one (OffsetMismatch), the upload unfinished (Finished), still there
    (Gone) and its bytes too (Lost). Nothing is written past Upload-Length: a body that goes
    past it (`length`, its Content-Length, or what arrives) is refused whole (PastLength,
    the upload as before). The first bytes are checked to be a video's (NotAVideoSignature)."""
    token = lock(db, upload_id)
    try:
        upload = _writable(db, settings, upload_id, offset, length)
        _write(db, settings, upload, token, stream)
    except Locked:
        if get(db, upload_id) is None:  # terminated while this request wrote: nothing stays
            shutil.rmtree(layout.upload_folder(settings.temp_dir, upload_id), ignore_errors=True)
        raise
    finally:
        unlock(db, upload_id, token)
    return upload


def _writable(db: Database, settings: Settings, upload_id: str, offset: int, length: int | None) -> dict:
    """The upload, read under its lock, if `length` bytes may be written at `offset`."""
    upload = get(db, upload_id, settings)
    if upload is None:
        raise Gone(upload_id)
    if upload["lost"]:
        remove(db, settings, upload_id)
        raise Lost(upload_id)
    check(upload, offset, length)
    return upload


def check(upload: dict, offset: int, length: int | None) -> None:
    """Finished, OffsetMismatch or PastLength unless `length` bytes may be written at
    `offset` of the upload as read. Settled only under the lock (`append` asks there);
    asked before, it refuses a PATCH that cannot be acknowledged without taking the lock
    (which a writer with the right offset, or the last byte's finishing, may want)."""
    if upload["video_id"] is not None:
        raise Finished(upload)
    if offset != upload["received"]:
        raise OffsetMismatch(offset, upload["received"])
    if length is not None and offset + length > upload["size_bytes"]:
        raise PastLength(f"These {length} bytes at {offset} go past the upload's length of {upload['size_bytes']}.")


def unless_lost(db: Database, settings: Settings, upload_id: str) -> dict | None:
    """The upload read under its lock (None if it went); Lost, and removed, when bytes
    were acknowledged and their file is gone. Locked while another request holds it."""
    token = lock(db, upload_id)
    try:
        upload = get(db, upload_id, settings)
        if upload is not None and upload["lost"]:
            remove(db, settings, upload_id)
            raise Lost(upload_id)
        return upload
    finally:
        unlock(db, upload_id, token)


def _open_data(settings: Settings, upload_id: str):
    """The upload's file for writing; its folder made again if it went while nothing was
    acknowledged (acknowledged bytes without a file are `lost`, refused before this)."""
    path = layout.upload_data(settings.temp_dir, upload_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    return os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT, 0o666), "r+b", buffering=0)


def _write(db: Database, settings: Settings, upload: dict, token: str, stream) -> None:
    """Append the stream at the upload's offset, acknowledging as it goes (`received`
    and `expires_at` of `upload` updated); the first SNIFF_BYTES are checked once they
    are all on disk, whichever PATCH brings the last of them."""
    upload_id = upload["id"]
    start = upload["received"]
    room = upload["size_bytes"] - start
    sniff_at = min(SNIFF_BYTES, upload["size_bytes"])  # the whole file when it is smaller
    sniffed = start >= sniff_at  # by the PATCH that brought the last of them
    got = 0
    try:
        with _open_data(settings, upload_id) as fh:
            fh.truncate(start)  # what a writer that died wrote past its last acknowledgement
            fh.seek(start)
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
                _write_all(fh, chunk)
                got += len(chunk)
                if not sniffed and start + got >= sniff_at:
                    sniffed = True
                    refusal = plainly_not_a_video(os.pread(fh.fileno(), sniff_at, 0))
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
        if got:
            _fsync(settings, upload_id)  # what arrived before the client went away is kept too
            upload["expires_at"] = checkpoint(db, settings, upload_id, token, start + got)
            upload["received"] = start + got


def _write_all(fh, data: bytes) -> None:
    view = memoryview(data)
    while view:  # an unbuffered write may write less than asked
        view = view[fh.write(view) :]


def _fsync(settings: Settings, upload_id: str) -> None:
    try:
        fd = os.open(layout.upload_data(settings.temp_dir, upload_id), os.O_RDONLY)
    except FileNotFoundError:
        return  # terminated meanwhile
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _truncate(settings: Settings, upload_id: str, size: int) -> None:
    try:
        with open(layout.upload_data(settings.temp_dir, upload_id), "r+b") as fh:
            fh.truncate(size)
    except OSError:
        pass


def remove(db: Database, settings: Settings, upload_id: str) -> None:
    """The upload's bytes and row (a writer still at work stops at its next checkpoint)."""
    tables.uploads.delete(db, upload_id)
    shutil.rmtree(layout.upload_folder(settings.temp_dir, upload_id), ignore_errors=True)
