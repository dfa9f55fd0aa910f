"""The `captions` table: a video's caption tracks, one per language (tags normalised by
vs_common.captions), uploaded by the owner (`source` 'upload') or made from the upload's
subtitle streams ('embedded'). `file_name` names the track's files in the store
(vs_common.layout.caption); NULL on a row that only notes streams that could not be kept.

Writers hold the video's row lock (tables.videos.lock): file-svc's caption routes and
the packager's first stage (file_svc.caption_tracks).
"""

from __future__ import annotations

from ..db import Cursor, Database, utcnow
from . import videos

_INSERT = (
    "INSERT INTO captions (video_id, language, label, is_default, source, file_name, note, created_at, "
    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def of_videos(cur: Cursor, video_ids: list[str]) -> dict[str, list[dict]]:
    """The published tracks (those with files) of each video, by language."""
    if not video_ids:
        return {}
    marks = ", ".join("?" for _ in video_ids)
    tracks: dict[str, list[dict]] = {}
    for c in cur.execute(
        f"SELECT * FROM captions WHERE video_id IN ({marks}) AND file_name IS NOT NULL ORDER BY language", video_ids
    ).fetchall():
        tracks.setdefault(c["video_id"], []).append(c)
    return tracks


def of(cur: Cursor, video_id: str, published_only: bool = True) -> list[dict]:
    """A video's caption rows by language; only those with files unless asked."""
    where = " AND file_name IS NOT NULL" if published_only else ""
    return cur.execute(f"SELECT * FROM captions WHERE video_id = ?{where} ORDER BY language", (video_id,)).fetchall()


def get(cur: Cursor, video_id: str, language: str) -> dict | None:
    return cur.execute("SELECT * FROM captions WHERE video_id = ? AND language = ?", (video_id, language)).fetchone()


def uploaded_languages(db: Database, video_id: str) -> frozenset[str]:
    """The languages the owner gave tracks for (they stand over embedded ones)."""
    rows = db.query("SELECT language FROM captions WHERE video_id = ? AND source = 'upload'", (video_id,))
    return frozenset(r["language"] for r in rows)


def put(
    cur: Cursor,
    video_id: str,
    language: str,
    *,
    label: str,
    is_default: bool,
    source: str,
    file_name: str | None,
    note: str | None = None,
) -> dict | None:
    """Add the track of `language`, or replace it; a default track makes the others not
    default. Run under the video's row lock. Returns the row it replaced, or None."""
    now = utcnow()
    old = get(cur, video_id, language)
    if is_default:
        cur.execute(
            "UPDATE captions SET is_default = 0, updated_at = ? WHERE video_id = ? AND language <> ? AND is_default = 1",
            (now, video_id, language),
        )
    if old is None:
        cur.execute(_INSERT, (video_id, language, label, int(is_default), source, file_name, note, now, now))
    else:
        cur.execute(
            "UPDATE captions SET label = ?, is_default = ?, source = ?, file_name = ?, note = ?, updated_at = ? "
            "WHERE video_id = ? AND language = ?",
            (label, int(is_default), source, file_name, note, now, video_id, language),
        )
    videos.touch(cur, video_id, now)
    return old


def delete(cur: Cursor, video_id: str, language: str) -> dict | None:
    """Remove the track of `language` (run under the video's row lock); the removed row, or None."""
    old = get(cur, video_id, language)
    if old is not None:
        cur.execute("DELETE FROM captions WHERE video_id = ? AND language = ?", (video_id, language))
        videos.touch(cur, video_id)
    return old


def restore(cur: Cursor, video_id: str, rows: list[dict]) -> None:
    """Put the caption rows of a video back as they were (`rows`: all of them, as
    of(published_only=False) read them), undoing a change whose master could not be
    published."""
    delete_all(cur, video_id)
    for r in rows:
        cur.execute(
            _INSERT,
            (
                video_id,
                r["language"],
                r["label"],
                r["is_default"],
                r["source"],
                r["file_name"],
                r["note"],
                r["created_at"],
                r["updated_at"],
            ),
        )


def delete_embedded(cur: Cursor, video_id: str) -> None:
    """Remove the tracks made from the upload's streams (a fresh first stage makes them again)."""
    found = "SELECT 1 FROM captions WHERE video_id = ? AND source = 'embedded' LIMIT 1"
    if cur.execute(found, (video_id,)).fetchone() is not None:  # no empty DELETE: see renditions.plan
        cur.execute("DELETE FROM captions WHERE video_id = ? AND source = 'embedded'", (video_id,))


def delete_all(cur: Cursor, video_id: str) -> None:
    cur.execute("DELETE FROM captions WHERE video_id = ?", (video_id,))
