"""The `renditions` table: a video's renditions, planned by its first stage (all
`pending`), then each `ready` (with its master-playlist attributes and the bytes it
stores, counted against the video's output budget) or `failed` (with the reason).

A rendition is named by its nominal `height` (the short side: 360 for 640x360 and for
360x640); its pixels are `frame_width` x `frame_height`.
"""

from __future__ import annotations

from datetime import datetime

from ..db import Cursor, Database, utcnow
from . import videos


def of_videos(cur: Cursor, video_ids: list[str]) -> dict[str, list[dict]]:
    """The renditions of each video, smallest first."""
    if not video_ids:
        return {}
    marks = ", ".join("?" for _ in video_ids)
    by_video: dict[str, list[dict]] = {}
    for r in cur.execute(f"SELECT * FROM renditions WHERE video_id IN ({marks}) ORDER BY height", video_ids).fetchall():
        by_video.setdefault(r["video_id"], []).append(r)
    return by_video


def get(db: Database, video_id: str, height: int) -> dict | None:
    return db.query_one("SELECT * FROM renditions WHERE video_id = ? AND height = ?", (video_id, height))


def published(cur: Cursor, video_id: str) -> list[dict]:
    """The ready renditions of a video, best first (the master playlist's order)."""
    return cur.execute(
        "SELECT * FROM renditions WHERE video_id = ? AND status = 'ready' ORDER BY height DESC",
        (video_id,),
    ).fetchall()


def failed_heights(cur: Cursor, video_id: str) -> list[int]:
    rows = cur.execute("SELECT height FROM renditions WHERE video_id = ? AND status = 'failed'", (video_id,))
    return [r["height"] for r in rows.fetchall()]


def plan(cur: Cursor, video_id: str, renditions: list[tuple[int, int, int, bool]]) -> None:
    """The renditions a video will have, all pending: (height, frame_width, frame_height, copied)."""
    now = utcnow()
    # Delete only when there is something to delete: on MariaDB a DELETE that finds no row
    # still locks the index gap it looked in, and two first stages doing that for two new
    # videos, then inserting into that gap, deadlock (seen with two packagers). A plain
    # read takes no lock; the video's row lock (jobs.owned) keeps its renditions ours.
    if cur.execute("SELECT 1 FROM renditions WHERE video_id = ? LIMIT 1", (video_id,)).fetchone() is not None:
        delete_all(cur, video_id)
    for height, frame_width, frame_height, copied in renditions:
        cur.execute(
            "INSERT INTO renditions (video_id, height, frame_width, frame_height, copied, status, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)",
            (video_id, height, frame_width, frame_height, int(copied), now, now),
        )


def set_playlist_attributes(cur: Cursor, video_id: str, r: dict) -> None:
    """A rendition's master-playlist attributes (`r`: its height, frame_width,
    frame_height, bandwidth, average_bandwidth, codecs and frame_rate)."""
    cur.execute(
        "UPDATE renditions SET frame_width = ?, frame_height = ?, bandwidth = ?, average_bandwidth = ?, codecs = ?, "
        "frame_rate = ? WHERE video_id = ? AND height = ?",
        (
            r["frame_width"],
            r["frame_height"],
            r["bandwidth"],
            r["average_bandwidth"],
            r["codecs"],
            r["frame_rate"],
            video_id,
            r["height"],
        ),
    )


def mark_ready(cur: Cursor, video_id: str, height: int, stats: dict) -> None:
    """A rendition is published: its playlist attributes (bandwidth, average_bandwidth,
    codecs, frame_rate) go with it, for the master playlist's writer."""
    cur.execute(
        "UPDATE renditions SET status = 'ready', error = NULL, bandwidth = ?, average_bandwidth = ?, codecs = ?, "
        "frame_rate = ?, updated_at = ? WHERE video_id = ? AND height = ?",
        (
            stats["bandwidth"],
            stats["average_bandwidth"],
            stats["codecs"],
            stats["frame_rate"],
            utcnow(),
            video_id,
            height,
        ),
    )
    videos.touch(cur, video_id)


def mark_failed(cur: Cursor, video_id: str, height: int, reason: str) -> None:
    cur.execute(
        "UPDATE renditions SET status = 'failed', error = ?, bytes = NULL, updated_at = ? "
        "WHERE video_id = ? AND height = ?",
        (reason[:1000], utcnow(), video_id, height),
    )
    videos.touch(cur, video_id)


def mark_pending(cur: Cursor, video_id: str, height: int, now: datetime) -> None:
    """A failed rendition queued again (a retry)."""
    cur.execute(
        "UPDATE renditions SET status = 'pending', error = NULL, updated_at = ? WHERE video_id = ? AND height = ?",
        (now, video_id, height),
    )


def reserve_output(cur: Cursor, video_id: str, height: int, nbytes: int, allowed: int) -> bool:
    """Count a rendition's `nbytes` against the video's output budget (`allowed` bytes in
    all); False, and nothing counted, if they do not fit. Run under the video's row lock,
    so that two renditions finishing at once cannot both take the last of it."""
    if output_used(cur, video_id, height) + nbytes > allowed:
        return False
    cur.execute("UPDATE renditions SET bytes = ? WHERE video_id = ? AND height = ?", (nbytes, video_id, height))
    return True


def output_used(cur: Cursor, video_id: str, height: int) -> int:
    """Bytes the video's other renditions store (or have reserved)."""
    row = cur.execute(
        "SELECT COALESCE(SUM(bytes), 0) AS n FROM renditions WHERE video_id = ? AND height <> ? AND bytes IS NOT NULL",
        (video_id, height),
    ).fetchone()
    return int(row["n"])


def delete_all(cur: Cursor, video_id: str) -> None:
    cur.execute("DELETE FROM renditions WHERE video_id = ?", (video_id,))
