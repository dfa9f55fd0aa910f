"""A video in the catalogue, across its tables: made with its first packaging job, read
with its renditions, caption tracks and phase, deleted with a tombstone, retried, failed.
The SQL is each table's own (vs_common.tables); this module only puts the calls
together, each group in one transaction. The changes webhooks report (a video made,
ready, failed, deleted) write their event in that same transaction (vs_common.events).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from . import events, layout, tables, video_json
from .db import Cursor, Database, as_datetime, utcnow
from .settings import Settings


def insert_video(
    db: Database,
    settings: Settings,
    *,
    video_id: str,
    name: str,
    owner: str,
    size_bytes: int,
    original_key: str,
    probe: dict | None = None,
    visibility: str | None = None,
    within: Callable[[Cursor], None] | None = None,
) -> dict:
    """Insert the row and its first packaging job in one transaction; return the row.
    `probe` is file-svc's probe of the upload, kept so that packaging need not probe again.
    `visibility`: the upload's choice (checked by vs_common.access.parse_visibility), else
    DEFAULT_VISIBILITY.
    `within(cur)`, if given, runs first in that transaction, under the owner's creation
    lock (tables.uploads.one_creation_at_a_time): a quota's last check, which raises to
    write nothing."""
    now = utcnow()
    row = {
        "id": video_id,
        "video_name": name,
        "video_path": layout.video_path(settings, video_id),
        "owner": owner,
        "visibility": visibility or settings.default_visibility,
        "status": "processing",
        "error": None,
        "duration_s": None,
        "width": None,
        "height": None,
        "size_bytes": size_bytes,
        "original_key": original_key,
        "probe": json.dumps(probe) if probe is not None else None,
        "created_at": now,
        "updated_at": now,
    }
    locked = tables.uploads.one_creation_at_a_time(db, owner) if within is not None else db.transaction()
    with locked as cur:
        if within is not None:
            within(cur)
        tables.videos.insert(cur, row)
        tables.jobs.enqueue(cur, video_id, tables.jobs.FIRST, now=now)
        emit(cur, events.UPLOAD_COMPLETED, video_id)
    return row


def _attach(db: Database, rows: list[dict]) -> list[dict]:
    """Each row with its renditions (smallest first), its caption tracks, its views and,
    while processing, its phase."""
    if not rows:
        return rows
    with db.transaction() as cur:
        return _attach_in(cur, rows)


def _attach_in(cur: Cursor, rows: list[dict]) -> list[dict]:
    """_attach in the caller's transaction."""
    ids = [r["id"] for r in rows]
    renditions = tables.renditions.of_videos(cur, ids)
    tracks = tables.captions.of_videos(cur, ids)
    phase = tables.jobs.phases(cur, [r["id"] for r in rows if r["status"] == "processing"])
    thumbed = tables.jobs.thumbnails_made(cur, [r["id"] for r in rows if r["status"] == "ready"])
    views = tables.views.totals(cur, ids)
    for row in rows:
        row["views"] = views.get(row["id"], 0)
        row["renditions"] = renditions.get(row["id"], [])
        row["captions"] = tracks.get(row["id"], [])
        row["phase"] = phase.get(row["id"])
        row["thumbnails"] = row["id"] in thumbed
    return rows


def get_video(db: Database, video_id: str, *, trashed: bool = False) -> dict | None:
    """The row of a video, with its renditions, caption tracks and phase, or None. A
    video in the trash is None unless `trashed` (its restore, its owner's trash list):
    to everyone else it is gone."""
    row = tables.videos.get(db, video_id)
    if row is None or (row["deleted_at"] is not None and not trashed):
        return None
    return _attach(db, [row])[0]


def list_trash(db: Database, owner: str | None) -> list[dict]:
    """The videos in the trash (`owner`'s, or everyone's), with what get_video attaches."""
    return _attach(db, tables.videos.trashed(db, owner))


def trash_video(db: Database, video_id: str) -> bool:
    """Put a video in its owner's trash: from now on it is gone for every reader but
    its restore and the trash list; rows and objects are kept (and counted in the
    quota) until the sweep purges it, TRASH_HOURS later. False if it was gone or in the
    trash already. No webhook: `video.deleted` is sent when it is purged, so that a
    restored video never was "deleted" for a subscriber."""
    with db.transaction() as cur:
        if tables.videos.lock(cur, video_id) is None:
            return False
        return tables.videos.trash(cur, video_id, utcnow())


def restore_video(db: Database, video_id: str) -> bool:
    """Take a video out of the trash; False if it is not in it (or gone: purged)."""
    with db.transaction() as cur:
        if tables.videos.lock(cur, video_id) is None:
            return False
        return tables.videos.restore(cur, video_id)


def list_videos(
    db: Database,
    *,
    q: str = "",
    owner: str | None = None,
    watcher: str | None = None,
    limit: int = 24,
    offset: int = 0,
    sort: str = "newest",
) -> tuple[list[dict], int]:
    """In the order `sort` names (tables.videos.ORDERS: newest, oldest, name, longest),
    with what get_video attaches; `q` matches names case-insensitively
    as a literal substring; `watcher` (if given): only what that person may watch (their
    own videos and internal ones). Also how many match in all."""
    rows, total = tables.videos.page(db, q=q, owner=owner, watcher=watcher, limit=limit, offset=offset, sort=sort)
    return _attach(db, rows), total


def emit(cur: Cursor, event_type: str, video_id: str) -> None:
    """The webhook event `event_type` about a video, its VIDEO as it is now in the
    caller's transaction (read only when an endpoint subscribes)."""

    def video() -> dict:
        row = tables.videos.row(cur, video_id)
        return video_json.to_json(_attach_in(cur, [row])[0], cur.db.settings.streaming_public_url)

    events.emit(cur, event_type, video)


def delete_video(db: Database, video_id: str, *, trashed_before: datetime | None = None) -> bool:
    """Remove the row (its jobs, renditions, captions, share links and views go with it)
    and leave a tombstone, so that
    objects a racing packager wrote after the caller's first removal are removed too
    (by the caller's second pass, else by the packager's sweep). False if it was gone.
    The `video.deleted` event carries the VIDEO as it was just before.
    `trashed_before` (the trash's sweep): only if the video is still in the trash since
    before that time, read under the row lock (a restore made meanwhile keeps it)."""
    with db.transaction() as cur:
        if tables.videos.lock(cur, video_id) is None:
            return False
        if trashed_before is not None:
            deleted_at = as_datetime(tables.videos.row(cur, video_id)["deleted_at"])
            if deleted_at is None or deleted_at >= trashed_before:
                return False
        emit(cur, events.VIDEO_DELETED, video_id)  # read now, written with the delete
        tables.jobs.delete_all(cur, video_id)
        tables.renditions.delete_all(cur, video_id)
        tables.captions.delete_all(cur, video_id)
        tables.shares.delete_all(cur, video_id)
        tables.views.delete_all(cur, video_id)
        gone = tables.videos.delete(cur, video_id)
        if gone:
            tables.deleted_videos.add(cur, video_id)
    return gone


def retry_video(db: Database, video_id: str) -> bool:
    """Re-queue what failed: a failed video's whole packaging, or a ready video's failed
    renditions (and thumbnails) alone. False if nothing of it has failed (any more)."""
    now = utcnow()
    with db.transaction() as cur:
        status = tables.videos.lock(cur, video_id)
        if status == "failed":
            tables.videos.mark_processing(cur, video_id, now)
            tables.jobs.delete_all(cur, video_id)
            tables.renditions.delete_all(cur, video_id)
            tables.jobs.enqueue(cur, video_id, tables.jobs.FIRST, now=now)
            return True
        if status != "ready":
            return False
        return _retry_failed_parts(cur, video_id, now)


def _retry_failed_parts(cur: Cursor, video_id: str, now) -> bool:
    """A ready video's failed renditions and thumbnails queued again; False if none failed."""
    failed = tables.renditions.failed_heights(cur, video_id)
    thumbs = tables.jobs.failed_thumbnails(cur, video_id)
    if not failed and not thumbs:
        return False
    for height in failed:
        tables.renditions.mark_pending(cur, video_id, height, now)
        tables.jobs.enqueue(cur, video_id, tables.jobs.RENDITION, height, now=now)
    if thumbs:
        tables.jobs.enqueue(cur, video_id, tables.jobs.THUMBS, now=now)
    tables.videos.touch(cur, video_id, now)
    return True


def fail_video(cur: Cursor, video_id: str, reason: str) -> None:
    """A video whose packaging failed for good: `failed` with the reason, no renditions
    (none was published); the `video.failed` event if it was processing."""
    failed = tables.videos.mark_failed(cur, video_id, reason)
    tables.renditions.delete_all(cur, video_id)
    if failed:
        emit(cur, events.VIDEO_FAILED, video_id)


def mark_ready(cur: Cursor, video_id: str) -> None:
    """A video whose first stage is over: `ready`, and the `video.ready` event."""
    tables.videos.mark_ready(cur, video_id)
    emit(cur, events.VIDEO_READY, video_id)
