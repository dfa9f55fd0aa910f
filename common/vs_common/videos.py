"""The `videos` catalogue and its packaging jobs: the queries every service shares."""

from __future__ import annotations

import json
import secrets
from datetime import datetime

from .db import Cursor, Database, as_datetime, utcnow
from .settings import Settings

NAME_MAX = 200
STATUSES = ("processing", "ready", "failed")


class InvalidName(ValueError):
    """A video name that is empty or longer than 200 characters after trimming."""


def new_video_id() -> str:
    """A random URL-safe id (16 characters, 96 bits), never sequential."""
    return secrets.token_urlsafe(12)


def clean_name(raw: str | None) -> str:
    """Trim a name and check its length (1 to 200 characters, any Unicode)."""
    name = (raw or "").strip()
    if not name:
        raise InvalidName("The video name is empty.")
    if len(name) > NAME_MAX:
        raise InvalidName(f"The video name is {len(name)} characters long; the limit is {NAME_MAX}.")
    if any(ord(c) < 32 and c not in "\t" for c in name):
        raise InvalidName("The video name contains control characters.")
    return name


def video_path_for(settings: Settings, video_id: str) -> str:
    """The storage URL of the master playlist, as the spec's `video_path` column."""
    key = f"videos/{video_id}/hls/master.m3u8"
    if settings.storage_backend == "s3":
        return f"s3://{settings.s3_bucket}/{key}"
    return f"local://{key}"


def _iso(value) -> str | None:
    dt = as_datetime(value)
    return None if dt is None else dt.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def to_json(row: dict, streaming_public_url: str) -> dict:
    """A row as the VIDEO object of design.md."""
    base = streaming_public_url.rstrip("/")
    renditions = row.get("renditions") or "[]"
    if isinstance(renditions, str):
        renditions = json.loads(renditions)
    return {
        "id": row["id"],
        "video_name": row["video_name"],
        "video_path": row["video_path"],
        "owner": row["owner"],
        "status": row["status"],
        "error": row["error"] if row["status"] == "failed" else None,
        "duration_s": row["duration_s"],
        "width": row["width"],
        "height": row["height"],
        "size_bytes": row["size_bytes"],
        "renditions": renditions,
        "created_at": _iso(row["created_at"]),
        "updated_at": _iso(row["updated_at"]),
        "poster_url": f"{base}/videos/{row['id']}/poster.jpg",
        "watch_url": f"{base}/videos/{row['id']}",
    }


def insert_video(
    db: Database, settings: Settings, *, video_id: str, name: str, owner: str, size_bytes: int, original_key: str
) -> dict:
    """Insert the row and its packaging job in one transaction; return the row."""
    now = utcnow()
    row = {
        "id": video_id,
        "video_name": name,
        "video_path": video_path_for(settings, video_id),
        "owner": owner,
        "status": "processing",
        "error": None,
        "duration_s": None,
        "width": None,
        "height": None,
        "size_bytes": size_bytes,
        "renditions": "[]",
        "original_key": original_key,
        "created_at": now,
        "updated_at": now,
    }
    with db.transaction() as cur:
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        cur.execute(f"INSERT INTO videos ({cols}) VALUES ({marks})", list(row.values()))
        enqueue_job(cur, video_id, now)
    return row


def enqueue_job(cur: Cursor, video_id: str, now: datetime | None = None) -> None:
    """(Re)queue the packaging job of a video, attempts reset."""
    now = now or utcnow()
    cur.execute("DELETE FROM packaging_jobs WHERE video_id = ?", (video_id,))
    cur.execute(
        "INSERT INTO packaging_jobs (video_id, status, attempts, created_at, updated_at) VALUES (?, 'queued', 0, ?, ?)",
        (video_id, now, now),
    )


def get_video(db: Database, video_id: str) -> dict | None:
    return db.query_one("SELECT * FROM videos WHERE id = ?", (video_id,))


def list_videos(
    db: Database, *, q: str = "", owner: str | None = None, limit: int = 24, offset: int = 0
) -> tuple[list[dict], int]:
    """Newest first; `q` matches names case-insensitively as a literal substring."""
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


def rename_video(db: Database, video_id: str, name: str) -> None:
    db.execute("UPDATE videos SET video_name = ?, updated_at = ? WHERE id = ?", (name, utcnow(), video_id))


def delete_video_row(db: Database, video_id: str) -> None:
    with db.transaction() as cur:
        cur.execute("DELETE FROM packaging_jobs WHERE video_id = ?", (video_id,))
        cur.execute("DELETE FROM videos WHERE id = ?", (video_id,))


def retry_video(db: Database, video_id: str) -> bool:
    """Re-queue a failed video's job; False if it is not failed (any more)."""
    now = utcnow()
    with db.transaction() as cur:
        changed = cur.execute(
            "UPDATE videos SET status = 'processing', error = NULL, updated_at = ? WHERE id = ? AND status = 'failed'",
            (now, video_id),
        ).rowcount
        if changed != 1:
            return False
        enqueue_job(cur, video_id, now)
    return True
