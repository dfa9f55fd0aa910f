"""The `share_attempts` table: what the share links' throttle counts, per client
address: wrong passwords of a link (`share_id` the link's) and tokens that name no link
(`share_id` ''). Rows older than twice the throttle's window go as new ones are added."""

from __future__ import annotations

from datetime import datetime

from ..db import Database


def recent(db: Database, client: str, share_id: str, since: datetime, limit: int) -> list:
    """When `client` failed (of this link, or '' for unknown tokens) since `since`,
    newest first, at most `limit` of them."""
    return [
        r["attempted_at"]
        for r in db.query(
            "SELECT attempted_at FROM share_attempts WHERE client = ? AND share_id = ? AND attempted_at > ? "
            "ORDER BY attempted_at DESC LIMIT ?",
            (client, share_id, since, limit),
        )
    ]


def add(db: Database, client: str, share_id: str, now: datetime, purge_before: datetime) -> None:
    """A failed attempt; attempts older than `purge_before` go in the same transaction."""
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO share_attempts (client, share_id, attempted_at) VALUES (?, ?, ?)", (client, share_id, now)
        )
        cur.execute("DELETE FROM share_attempts WHERE attempted_at < ?", (purge_before,))
