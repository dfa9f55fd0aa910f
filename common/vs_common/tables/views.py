"""The `views` table: a video's views per day (UTC) and per share link (`share_id`, ''
for signed-in viewers): what VIDEO's `views` adds up, and the last 30 days' chart. The
rows go with their video (deletes)."""

from __future__ import annotations

from ..db import Cursor


def totals(cur: Cursor, video_ids: list[str]) -> dict[str, int]:
    """Each video's views of all time (videos without any are absent)."""
    if not video_ids:
        return {}
    marks = ", ".join("?" for _ in video_ids)
    rows = cur.execute(
        f"SELECT video_id, SUM(count) AS n FROM views WHERE video_id IN ({marks}) GROUP BY video_id", video_ids
    ).fetchall()
    return {r["video_id"]: int(r["n"]) for r in rows}


def delete_all(cur: Cursor, video_id: str) -> None:
    """Every count of a video (it is being deleted)."""
    cur.execute("DELETE FROM views WHERE video_id = ?", (video_id,))
