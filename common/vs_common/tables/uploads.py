"""Queries of the `uploads` table (resumable uploads, upload-webapp's) that another
service runs: the packager's sweep of expired uploads. upload-webapp's own queries are in
upload_webapp/uploads.py."""

from __future__ import annotations

from datetime import datetime

from ..db import Database


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
