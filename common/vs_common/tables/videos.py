"""The `videos` table: one row per video (name, owner, status, the storage URL of its
master, the probe made at upload, the displayed size), and its row lock.

The row lock serialises every writer of a video's rows (packaging jobs, retries,
deletes, caption changes, the master's writer): each takes it first thing in its
transaction, so that they queue instead of deadlocking, and finds a deleted video gone.
"""

from __future__ import annotations

from datetime import datetime

from ..db import Cursor, Database, utcnow


def lock(cur: Cursor, video_id: str) -> str | None:
    """Lock the video's row until the transaction ends (MariaDB `FOR UPDATE`; SQLite's
    BEGIN IMMEDIATE holds the write lock already); its status, or None if there is no
    such video."""
    row = cur.execute(f"SELECT status FROM videos WHERE id = ?{cur.db.for_update}", (video_id,)).fetchone()
    return None if row is None else row["status"]


def insert(cur: Cursor, row: dict) -> None:
    """A new video's row (`row`: its columns)."""
    cur.execute(f"INSERT INTO videos ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})", list(row.values()))


def get(db: Database, video_id: str) -> dict | None:
    """The row of a video, or None."""
    return db.query_one("SELECT * FROM videos WHERE id = ?", (video_id,))


def exists(db: Database, video_id: str) -> bool:
    return db.query_one("SELECT id FROM videos WHERE id = ?", (video_id,)) is not None


def page(db: Database, *, q: str, owner: str | None, limit: int, offset: int) -> tuple[list[dict], int]:
    """Rows newest first, and how many match in all; `q` matches names
    case-insensitively as a literal substring, `owner` (if given) the owner."""
    where, params = [], []
    if q:
        escaped = q.lower().replace("!", "!!").replace("%", "!%").replace("_", "!_")
        where.append("LOWER(video_name) LIKE ? ESCAPE '!'")
        params.append(f"%{escaped}%")
    if owner is not None:
        where.append("owner = ?")
        params.append(owner)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    with db.transaction() as cur:
        total = cur.execute(f"SELECT COUNT(*) AS n FROM videos {clause}", params).fetchone()["n"]
        rows = cur.execute(
            f"SELECT * FROM videos {clause} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
            [*params, limit, offset],
        ).fetchall()
    return rows, int(total)


def rename(db: Database, video_id: str, name: str) -> None:
    db.execute("UPDATE videos SET video_name = ?, updated_at = ? WHERE id = ?", (name, utcnow(), video_id))


def touch(cur: Cursor, video_id: str, now: datetime | None = None) -> None:
    """Something of the video changed (a rendition, a caption track): its `updated_at`."""
    cur.execute("UPDATE videos SET updated_at = ? WHERE id = ?", (now or utcnow(), video_id))


def delete(cur: Cursor, video_id: str) -> bool:
    """Remove the row; False if it was gone."""
    return bool(cur.execute("DELETE FROM videos WHERE id = ?", (video_id,)).rowcount)


def set_media(cur: Cursor, video_id: str, duration_s: float | None, width: int, height: int) -> None:
    """What the probe found: the duration and the displayed size."""
    cur.execute(
        "UPDATE videos SET duration_s = ?, width = ?, height = ?, updated_at = ? WHERE id = ?",
        (duration_s, width, height, utcnow(), video_id),
    )


def mark_processing(cur: Cursor, video_id: str, now: datetime) -> None:
    """Packaged again from the start (a retry of a failed video)."""
    cur.execute("UPDATE videos SET status = 'processing', error = NULL, updated_at = ? WHERE id = ?", (now, video_id))


def mark_ready(cur: Cursor, video_id: str) -> None:
    cur.execute("UPDATE videos SET status = 'ready', error = NULL, updated_at = ? WHERE id = ?", (utcnow(), video_id))


def mark_failed(cur: Cursor, video_id: str, reason: str) -> None:
    """A video whose packaging failed for good: `failed` with the reason."""
    cur.execute(
        "UPDATE videos SET status = 'failed', error = ?, updated_at = ? WHERE id = ? AND status = 'processing'",
        (reason[:1000], utcnow(), video_id),
    )


def usage(db: Database | Cursor, owner: str) -> tuple[int, int]:
    """What `owner`'s videos store, in bytes (each original, plus every rendition's
    stored bytes), and how many videos they have (every row: processing and failed ones
    too). `db` may be a cursor, so that a quota is read in the transaction that holds
    the owner's creation lock (a nested transaction would end it)."""
    sql = (
        "SELECT COUNT(*) AS n, COALESCE(SUM(v.size_bytes), 0) AS originals, "
        "COALESCE((SELECT SUM(r.bytes) FROM renditions r JOIN videos w ON w.id = r.video_id "
        "WHERE w.owner = ? AND r.bytes IS NOT NULL), 0) AS renditions "
        "FROM videos v WHERE v.owner = ?"
    )
    params = (owner, owner)
    row = db.execute(sql, params).fetchone() if isinstance(db, Cursor) else db.query_one(sql, params)
    return int(row["originals"]) + int(row["renditions"]), int(row["n"])
