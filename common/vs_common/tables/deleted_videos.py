"""The `deleted_videos` table: a tombstone per deleted video, so that objects a racing
packager wrote after the delete removed the others are removed too (by the delete's
second pass, else by the packager's sweep once the tombstone is old)."""

from __future__ import annotations

from datetime import datetime

from ..db import Cursor, Database, utcnow


def add(cur: Cursor, video_id: str) -> None:
    """The video's tombstone, dated now (an older one of the same id replaced)."""
    cur.execute("DELETE FROM deleted_videos WHERE video_id = ?", (video_id,))
    cur.execute("INSERT INTO deleted_videos (video_id, deleted_at) VALUES (?, ?)", (video_id, utcnow()))


def before(db: Database, when: datetime) -> list[str]:
    """Videos deleted before `when` (tombstones the sweep still clears objects of)."""
    return [r["video_id"] for r in db.query("SELECT video_id FROM deleted_videos WHERE deleted_at < ?", (when,))]


def forget(db: Database, video_id: str) -> None:
    """Every object of a deleted video is gone: drop its tombstone."""
    db.execute("DELETE FROM deleted_videos WHERE video_id = ?", (video_id,))
