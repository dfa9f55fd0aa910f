"""The `uploads` table: a resumable (tus) upload's state, upload-webapp's (its rules and
its bytes are upload_webapp/uploads.py's): the acknowledged offset (`received`), the
writer's lock (`lock_token`, a lease until `lock_until`), the expiry, and `video_id`
once it is a video. The packager's sweep removes expired ones.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime

from ..db import Cursor, Database, DatabaseUnavailable

OWNER_LOCK_SECONDS = 10  # a creation waits this long for the owner's others to end


@contextmanager
def one_creation_at_a_time(db: Database, owner: str) -> Iterator[Cursor]:
    """A transaction that no other creation for `owner` runs alongside, so that counting
    the owner's uploads and adding one are a single step. SQLite's BEGIN IMMEDIATE already
    serialises writers; MariaDB's transactions each count alone and all insert, so a named
    lock (GET_LOCK, keyed by database and owner: names are server-wide, at most 64
    characters) is taken first thing in the transaction, before any read of a table sets
    its snapshot, and released once it has committed."""
    if db.dialect != "mariadb":
        with db.transaction() as cur:
            yield cur
        return
    key = "reelhouse-uploads-" + hashlib.sha256(f"{db.settings.db_name}\n{owner}".encode()).hexdigest()[:40]
    try:
        with db.transaction() as cur:
            got = cur.execute("SELECT GET_LOCK(?, ?) AS got", (key, OWNER_LOCK_SECONDS)).fetchone()["got"]
            if got != 1:
                raise DatabaseUnavailable(f"the uploads of one user stayed locked for {OWNER_LOCK_SECONDS} s")
            yield cur
    finally:
        with suppress(DatabaseUnavailable):  # a connection lost took its lock with it
            db.execute("DO RELEASE_LOCK(?)", (key,))


def unfinished(cur: Cursor, owner: str, now: datetime) -> tuple[int, int]:
    """How many unexpired unfinished uploads `owner` has, and their bytes in all. One
    whose video row exists already (being finished: `video_id` is set a moment later) is
    a video, not an upload: counted once, as the video, by the quotas."""
    busy = cur.execute(
        "SELECT COUNT(*) AS n, COALESCE(SUM(size_bytes), 0) AS total FROM uploads "
        f"WHERE owner = ? AND owner{cur.db.exact} = ? AND video_id IS NULL AND expires_at > ? "
        "AND NOT EXISTS (SELECT 1 FROM videos WHERE videos.id = uploads.id)",
        (owner, owner, now),
    ).fetchone()
    return int(busy["n"]), int(busy["total"])


def insert(cur: Cursor, row: dict) -> None:
    """A new upload's row (`row`: its columns)."""
    cur.execute(f"INSERT INTO uploads ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})", list(row.values()))


def get(db: Database, upload_id: str) -> dict | None:
    return db.query_one("SELECT * FROM uploads WHERE id = ?", (upload_id,))


def take_lock(db: Database, upload_id: str, token: str, until: datetime, now: datetime) -> bool:
    """The upload's lock for `token` until `until`, if no one holds it (or their lease ran out)."""
    changed = db.execute(
        "UPDATE uploads SET lock_token = ?, lock_until = ? WHERE id = ? AND (lock_token IS NULL OR lock_until < ?)",
        (token, until, upload_id, now),
    )
    return changed == 1


def release_lock(db: Database, upload_id: str, token: str) -> None:
    db.execute(
        "UPDATE uploads SET lock_token = NULL, lock_until = NULL WHERE id = ? AND lock_token = ?", (upload_id, token)
    )


def acknowledge(
    db: Database, upload_id: str, token: str, *, received: int, lock_until: datetime, expires: datetime, now: datetime
) -> bool:
    """The bytes up to `received` are on disk: the offset moved, the lock and the expiry
    renewed; False if `token` no longer holds the lock (nothing changed)."""
    changed = db.execute(
        "UPDATE uploads SET received = ?, lock_until = ?, expires_at = ?, updated_at = ? WHERE id = ? "
        "AND lock_token = ?",
        (received, lock_until, expires, now, upload_id, token),
    )
    return changed == 1


def expire_owner(cur: Cursor, owner: str, now: datetime) -> None:
    """`owner`'s (exactly that name's) unfinished uploads expire now (their user is
    deleted): upload-webapp refuses them from now on, and the packager's sweep removes
    their bytes and rows."""
    cur.execute(
        f"UPDATE uploads SET expires_at = ? WHERE owner = ? AND owner{cur.db.exact} = ? AND video_id IS NULL",
        (now, owner, owner),
    )


def set_video(db: Database, upload_id: str) -> None:
    """The upload is a video now (of the same id)."""
    db.execute("UPDATE uploads SET video_id = ? WHERE id = ?", (upload_id, upload_id))


def delete(db: Database, upload_id: str) -> None:
    db.execute("DELETE FROM uploads WHERE id = ?", (upload_id,))


# -- the packager's sweep -------------------------------------------------------------


def expired_ids(db: Database, now: datetime) -> list[str]:
    """Uploads past their expiry that no writer holds (no lock, or a lapsed one)."""
    rows = db.query(
        "SELECT id FROM uploads WHERE expires_at < ? AND (lock_until IS NULL OR lock_until < ?)", (now, now)
    )
    return [r["id"] for r in rows]


def delete_expired(db: Database, upload_id: str, now: datetime) -> None:
    """Remove the row of an upload, if it is still past its expiry (bytes that came
    meanwhile moved it)."""
    db.execute("DELETE FROM uploads WHERE id = ? AND expires_at < ?", (upload_id, now))


def known_ids(db: Database) -> set[str]:
    """Every upload with a row (their folders are theirs, however old)."""
    return {r["id"] for r in db.query("SELECT id FROM uploads")}
