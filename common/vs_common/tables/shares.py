"""The `shares` table: a video's share links. A link is known here only by its token's
HMAC (`token_hash`: HMAC-SHA256(SECRET_KEY, token), vs_common.sharing) and its
password's Argon2id hash (NULL: none); a revoked link keeps its row (`revoked_at`) and
is never found by its token again. The rows go with their video (deletes)."""

from __future__ import annotations

from datetime import datetime

from ..db import Cursor, Database


def insert(db: Database, row: dict) -> None:
    """A new link's row (`row`: its columns)."""
    db.execute(f"INSERT INTO shares ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})", list(row.values()))


def by_token_hash(db: Database, token_hash: str) -> dict | None:
    """The link (revoked ones included: the caller tells them apart) whose token has
    this HMAC, or None; None too while its video is in the trash (a trashed video is
    gone for its links' holders, and back with its links when restored)."""
    return db.query_one(
        "SELECT s.* FROM shares s JOIN videos v ON v.id = s.video_id WHERE s.token_hash = ? AND v.deleted_at IS NULL",
        (token_hash,),
    )


def of_video(db: Database, video_id: str) -> list[dict]:
    """A video's links that were not revoked, newest first."""
    return db.query(
        "SELECT * FROM shares WHERE video_id = ? AND revoked_at IS NULL ORDER BY created_at DESC, id DESC", (video_id,)
    )


def revoke(db: Database, video_id: str, share_id: str, now: datetime) -> bool:
    """Revoke one of the video's links; False when it has no such link (or it was revoked)."""
    return bool(
        db.execute(
            "UPDATE shares SET revoked_at = ? WHERE id = ? AND video_id = ? AND revoked_at IS NULL",
            (now, share_id, video_id),
        )
    )


def delete_all(cur: Cursor, video_id: str) -> None:
    """Every link of a video (it is being deleted)."""
    cur.execute("DELETE FROM shares WHERE video_id = ?", (video_id,))
