"""The `views` table: a video's views per day (UTC) and per share link (`share_id`, ''
for signed-in viewers): what VIDEO's `views` adds up, and the last 30 days' chart. The
rows go with their video (deletes).

`view_nonces`: the view tickets already counted, by their nonce (the primary key: a
ticket posted twice, or eight times at once, counts once), kept until some time after
the ticket expires (an expired ticket is refused before its nonce is looked at)."""

from __future__ import annotations

from datetime import date, datetime

import pymysql

from ..db import Cursor, Database

_DEADLOCK_RETRIES = 3  # MariaDB may end one of two racing upserts of a day's row (1213)
_RETRIED = (1213, 1205)  # deadlock, lock wait timeout: the transaction was undone whole


def count(
    db: Database, nonce: str, expires_at: datetime, video_id: str, share_id: str, day: date, now: datetime
) -> bool:
    """Count one view of the ticket `nonce`, in one transaction: its nonce kept, +1 to
    the video's row of `day` for the link `share_id` ('' signed-in) and, for a link,
    its `views` and `last_viewed_at`. False (nothing written) when the nonce was
    counted already."""
    for attempt in range(_DEADLOCK_RETRIES):
        try:
            return _count_once(db, nonce, expires_at, video_id, share_id, day.isoformat(), now)
        except pymysql.err.OperationalError as exc:
            if attempt + 1 == _DEADLOCK_RETRIES or not exc.args or exc.args[0] not in _RETRIED:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _count_once(db: Database, nonce: str, expires_at, video_id: str, share_id: str, day: str, now) -> bool:
    mariadb = db.dialect == "mariadb"
    with db.transaction() as cur:
        ignore = "INSERT IGNORE" if mariadb else "INSERT OR IGNORE"
        cur.execute(f"{ignore} INTO view_nonces (nonce, expires_at) VALUES (?, ?)", (nonce, expires_at))
        if cur.rowcount != 1:  # counted before (or by a racing request that got there first)
            return False
        upsert = (
            "ON DUPLICATE KEY UPDATE count = count + 1"
            if mariadb
            else "ON CONFLICT (video_id, share_id, day) DO UPDATE SET count = count + 1"
        )
        cur.execute(
            f"INSERT INTO views (video_id, share_id, day, count) VALUES (?, ?, ?, 1) {upsert}",
            (video_id, share_id, day),
        )
        if share_id:
            cur.execute(
                "UPDATE shares SET views = views + 1, last_viewed_at = ? WHERE id = ? AND video_id = ?",
                (now, share_id, video_id),
            )
    return True


def purge_nonces(db: Database, before: datetime) -> None:
    """Forget the nonces of tickets that expired before `before` (they are refused as expired)."""
    db.execute("DELETE FROM view_nonces WHERE expires_at < ?", (before,))


def per_day(db: Database, video_id: str, since: date) -> dict[str, int]:
    """The video's views of each day (UTC, `YYYY-MM-DD`) from `since` on, links and
    signed-in viewers together; days without any are absent."""
    rows = db.query(
        "SELECT day, SUM(count) AS n FROM views WHERE video_id = ? AND day >= ? GROUP BY day",
        (video_id, since.isoformat()),
    )
    return {str(r["day"])[:10]: int(r["n"]) for r in rows}


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
