"""The `videos` table: one row per video (name, owner, visibility, status, the storage URL
of its master, the probe made at upload, the displayed size), and its row lock; what each owner
stores (their quota's usage).

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


def row(cur: Cursor, video_id: str) -> dict | None:
    """The row of a video, read in the caller's transaction, or None."""
    return cur.execute("SELECT * FROM videos WHERE id = ?", (video_id,)).fetchone()


def audience(db: Database, video_id: str) -> dict | None:
    """Who may watch a video: its `owner` and `visibility` (the HLS routes' check, read
    without the rest of the row), or None for no such video or one in the trash."""
    return db.query_one("SELECT owner, visibility FROM videos WHERE id = ? AND deleted_at IS NULL", (video_id,))


def exists(db: Database, video_id: str) -> bool:
    return db.query_one("SELECT id FROM videos WHERE id = ?", (video_id,)) is not None


# The library's orders (GET /api/videos?sort=): each ends on the id, so that a page
# boundary never repeats or skips a row of equal keys. A video not yet probed has no
# duration: last among the longest.
ORDERS = {
    "newest": "created_at DESC, id DESC",
    "oldest": "created_at ASC, id ASC",
    "name": "LOWER(video_name) ASC, id ASC",
    "longest": "COALESCE(duration_s, -1) DESC, id DESC",
}


def page(
    db: Database,
    *,
    q: str,
    owner: str | None,
    limit: int,
    offset: int,
    watcher: str | None = None,
    sort: str = "newest",
) -> tuple[list[dict], int]:
    """Rows in the order `sort` names (ORDERS; newest first by default; none in the trash),
    and how many match in all; `q` matches names
    case-insensitively as a literal substring, `owner` (if given) the owner. `watcher`
    (if given): only the videos that person may watch, internal ones and their own
    (exactly that name); an admin's list, which holds every video, gives none."""
    where, params = ["deleted_at IS NULL"], []
    if watcher is not None:
        where.append(f"(visibility = 'internal' OR (owner = ? AND owner{db.exact} = ?))")
        params += [watcher, watcher]
    if q:
        escaped = q.lower().replace("!", "!!").replace("%", "!%").replace("_", "!_")
        where.append("LOWER(video_name) LIKE ? ESCAPE '!'")
        params.append(f"%{escaped}%")
    if owner is not None:
        where.append("owner = ?")
        params.append(owner)
    clause = f"WHERE {' AND '.join(where)}"
    with db.transaction() as cur:
        total = cur.execute(f"SELECT COUNT(*) AS n FROM videos {clause}", params).fetchone()["n"]
        rows = cur.execute(
            f"SELECT * FROM videos {clause} ORDER BY {ORDERS[sort]} LIMIT ? OFFSET ?",
            [*params, limit, offset],
        ).fetchall()
    return rows, int(total)


def _usage_rows(source: Database | Cursor, owner: str | None) -> list[dict]:
    """Per owner (or of `owner` alone): the videos, and the bytes of their originals plus
    their renditions'. Owners are told apart exactly (Database.exact)."""
    exact = source.db.exact if isinstance(source, Cursor) else source.exact
    where, params = ("", ()) if owner is None else (f"WHERE v.owner = ? AND v.owner{exact} = ?", (owner, owner))
    sql = (
        "SELECT v.owner AS owner, COUNT(*) AS videos, COALESCE(SUM(COALESCE(v.size_bytes, 0) + COALESCE(("
        "SELECT SUM(r.bytes) FROM renditions r WHERE r.video_id = v.id), 0)), 0) AS bytes "
        f"FROM videos v {where} GROUP BY v.owner{exact}"
    )
    if isinstance(source, Cursor):
        return source.execute(sql, params).fetchall()
    return source.query(sql, params)


def usage(source: Database | Cursor, owner: str) -> tuple[int, int]:
    """(bytes, videos) `owner` stores: the count of their rows (processing and failed
    ones too) and the bytes of their originals plus every rendition's stored bytes
    (captions, posters and thumbnails are not counted: small, and not known in bytes).
    Unfinished resumable uploads are not videos yet: uploads.unfinished counts them.
    `source`: a Database, or a Cursor to count inside the caller's transaction (under
    the owner's upload lock). The one read of renditions outside their module: the
    quota is a property of the owner's videos, and one statement keeps it consistent."""
    rows = _usage_rows(source, owner)
    return (int(rows[0]["bytes"]), int(rows[0]["videos"])) if rows else (0, 0)


def usage_by_owner(db: Database) -> dict[str, tuple[int, int]]:
    """usage() of every owner that has a video, in one statement (the admin's list)."""
    return {r["owner"]: (int(r["bytes"]), int(r["videos"])) for r in _usage_rows(db, None)}


def ids_of_owner(db: Database, owner: str) -> list[str]:
    """Every video `owner` (exactly that name) has."""
    return [r["id"] for r in db.query(f"SELECT id FROM videos WHERE owner = ? AND owner{db.exact} = ?", (owner, owner))]


def give_away(cur: Cursor, owner: str, new_owner: str, now: datetime) -> int:
    """Every video of `owner` (exactly that name) becomes `new_owner`'s (a deleted
    user's, kept); how many."""
    return cur.execute(
        f"UPDATE videos SET owner = ?, updated_at = ? WHERE owner = ? AND owner{cur.db.exact} = ?",
        (new_owner, now, owner, owner),
    ).rowcount


def change(
    db: Database,
    video_id: str,
    *,
    name: str | None = None,
    visibility: str | None = None,
    description: str | None = None,
) -> None:
    """The owner's changes (a new name, a visibility, a description; None: kept), in one
    statement."""
    fields = (("video_name", name), ("visibility", visibility), ("description", description))
    changes = {k: v for k, v in fields if v is not None}
    assignments = "".join(f"{column} = ?, " for column in changes)
    db.execute(f"UPDATE videos SET {assignments}updated_at = ? WHERE id = ?", (*changes.values(), utcnow(), video_id))


def touch(cur: Cursor, video_id: str, now: datetime | None = None) -> None:
    """Something of the video changed (a rendition, a caption track): its `updated_at`."""
    cur.execute("UPDATE videos SET updated_at = ? WHERE id = ?", (now or utcnow(), video_id))


def trash(cur: Cursor, video_id: str, now: datetime) -> bool:
    """Put the video in its owner's trash (`deleted_at`); False if it was there already."""
    return bool(
        cur.execute(
            "UPDATE videos SET deleted_at = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL",
            (now, now, video_id),
        ).rowcount
    )


def restore(cur: Cursor, video_id: str) -> bool:
    """Take the video out of the trash; False if it was not in it."""
    return bool(
        cur.execute(
            "UPDATE videos SET deleted_at = NULL, updated_at = ? WHERE id = ? AND deleted_at IS NOT NULL",
            (utcnow(), video_id),
        ).rowcount
    )


def trashed(db: Database, owner: str | None) -> list[dict]:
    """The videos in the trash, last trashed first: `owner`'s (exactly that name), or
    everyone's (None)."""
    if owner is None:
        return db.query("SELECT * FROM videos WHERE deleted_at IS NOT NULL ORDER BY deleted_at DESC, id DESC")
    return db.query(
        f"SELECT * FROM videos WHERE deleted_at IS NOT NULL AND owner = ? AND owner{db.exact} = ? "
        "ORDER BY deleted_at DESC, id DESC",
        (owner, owner),
    )


def trashed_before(db: Database, before: datetime) -> list[str]:
    """The videos trashed before `before` (the sweep purges them)."""
    return [r["id"] for r in db.query("SELECT id FROM videos WHERE deleted_at < ?", (before,))]


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


def mark_failed(cur: Cursor, video_id: str, reason: str) -> bool:
    """A video whose packaging failed for good: `failed` with the reason. False if it was
    not processing (nothing changed)."""
    return (
        cur.execute(
            "UPDATE videos SET status = 'failed', error = ?, updated_at = ? WHERE id = ? AND status = 'processing'",
            (reason[:1000], utcnow(), video_id),
        ).rowcount
        == 1
    )
