"""Housekeeping, every SWEEP_INTERVAL_SECONDS in each packager: what deletes, crashes and
abandoned uploads left behind. Each part skips (and logs) what it cannot reach now; the
next sweep tries again.

- the store's incomplete writes (S3 multipart uploads an outage left), but those of a
  video whose source is still in the temp folder (an upload or a job at work on it);
- videos in their owner's trash for more than TRASH_HOURS: purged as a delete did before
  the trash (objects, then rows, tracks, shares and views, with the `video.deleted`
  webhook; the tombstone's second pass follows);
- objects a racing packager wrote after a delete had removed the others (tombstones);
- resumable uploads past their expiry (UPLOAD_EXPIRY_HOURS after their last bytes), and
  upload folders no row names once they are old;
- temp sources: `.part` files and sources of deleted videos once old (and their
  objects), and a source whose jobs are all over (a packager died in between);
- attempt folders nothing will use again, once old;
- webhook events whose deliveries are all over (delivered or failed), once
  webhooks.KEEP_DAYS old, with their deliveries and log.
"""

from __future__ import annotations

import logging
import shutil
import time
from datetime import timedelta
from pathlib import Path

from vs_common import catalogue, layout, tables
from vs_common.db import DatabaseUnavailable, utcnow

from .. import ingest
from ..storage import StorageUnavailable
from . import webhooks
from .context import Services

log = logging.getLogger("file_svc.packager")
ORPHAN_AGE = 3600  # temp files and work folders older than this, that nothing will use, are removed
TOMBSTONE_AGE = 60  # a deleted video's objects are removed again by the sweep after this


def sweep(services: Services) -> None:
    """Every part of the sweep, in turn."""
    _abort_stale_writes(services)
    _sweep_trash(services)
    _sweep_deleted(services)
    _sweep_uploads(services)
    _sweep_sources(services)
    _sweep_work_folders(services.settings.temp_dir)
    _sweep_webhook_events(services)


def _abort_stale_writes(services: Services) -> None:
    temp_dir = services.settings.temp_dir
    try:
        aborted = services.storage.sweep(keep=lambda key: ingest.source_in_temp(temp_dir, key))
        if aborted:
            log.info("sweep: aborted %d incomplete multipart uploads", aborted)
    except StorageUnavailable as exc:
        log.warning("sweep skipped: %s", exc)


def _sweep_trash(services: Services) -> None:
    """Videos trashed more than TRASH_HOURS ago: their rows first, only if still in the
    trash under the row lock (a restore racing the sweep wins or loses whole), with a
    tombstone; then their objects. A store it cannot reach now leaves the tombstone,
    whose pass (_sweep_deleted) removes the objects later."""
    before = utcnow() - timedelta(hours=services.settings.trash_hours)
    try:
        due = tables.videos.trashed_before(services.db, before)
    except DatabaseUnavailable as exc:
        log.warning("sweep of the trash skipped: %s", exc)
        return
    for video_id in due:
        try:
            if not catalogue.delete_video(services.db, video_id, trashed_before=before):
                continue  # restored, or purged by another packager, meanwhile
            log.info("sweep: purged %s from the trash", video_id)
            services.storage.delete_prefix(layout.prefix(video_id))
            tables.deleted_videos.forget(services.db, video_id)
        except (StorageUnavailable, DatabaseUnavailable) as exc:
            log.warning("sweep of trashed video %s skipped: %s", video_id, exc)


def _sweep_deleted(services: Services) -> None:
    """Objects a racing packager wrote after a delete had removed the others."""
    before = utcnow() - timedelta(seconds=TOMBSTONE_AGE)
    try:
        gone = tables.deleted_videos.before(services.db, before)
    except DatabaseUnavailable as exc:
        log.warning("sweep of deleted videos skipped: %s", exc)
        return
    for video_id in gone:
        try:
            services.storage.delete_prefix(layout.prefix(video_id))
            tables.deleted_videos.forget(services.db, video_id)
        except (StorageUnavailable, DatabaseUnavailable) as exc:
            log.warning("sweep of deleted video %s skipped: %s", video_id, exc)


def _sweep_uploads(services: Services) -> None:
    """Resumable uploads past their expiry (UPLOAD_EXPIRY_HOURS after their last bytes):
    their bytes and rows; folders no row names, once they are old. Unexpired ones, in
    `TEMP_DIR/uploads/`, are left alone however old they are."""
    db, temp_dir = services.db, services.settings.temp_dir
    root = layout.uploads_root(temp_dir)
    now = utcnow()
    try:
        for upload_id in tables.uploads.expired_ids(db, now):
            shutil.rmtree(layout.upload_folder(temp_dir, upload_id), ignore_errors=True)
            tables.uploads.delete_expired(db, upload_id, now)
            log.info("sweep: removed the expired upload %s", upload_id)
        if root.is_dir():
            known = tables.uploads.known_ids(db)
            cutoff = time.time() - ORPHAN_AGE
            for path in root.iterdir():
                if path.name not in known and path.stat().st_mtime < cutoff:
                    shutil.rmtree(path, ignore_errors=True)
    except (DatabaseUnavailable, OSError) as exc:
        log.warning("sweep of uploads skipped: %s", exc)


def _sweep_sources(services: Services) -> None:
    """Old temp sources that nothing will use: `.part` files of uploads that died, sources
    of deleted videos (with their objects), sources whose jobs are all over."""
    cutoff = time.time() - ORPHAN_AGE
    for path in ingest.sources_dir(services.settings.temp_dir).iterdir():
        try:
            if path.stat().st_mtime <= cutoff:
                _sweep_source(services, path)
        except FileNotFoundError:
            continue
        except (OSError, DatabaseUnavailable, StorageUnavailable) as exc:
            log.warning("sweep of %s skipped: %s", path.name, exc)


def _sweep_source(services: Services, path: Path) -> None:
    video_id = layout.video_id_of_source(path)
    if layout.is_part(path) or not tables.videos.exists(services.db, video_id):
        log.info("sweep: removing orphaned temp file %s", path.name)
        path.unlink(missing_ok=True)
        if not layout.is_part(path):
            services.storage.delete_prefix(layout.prefix(video_id))
        return
    with services.db.transaction() as cur:
        left = tables.jobs.unfinished(cur, video_id)
    if left == 0:  # a packager died between finishing and removing it
        path.unlink(missing_ok=True)


def _sweep_webhook_events(services: Services) -> None:
    """Events sent (or given up) more than KEEP_DAYS ago: the outbox and its log stay bounded."""
    try:
        gone = tables.webhooks.prune(services.db, utcnow() - timedelta(days=webhooks.KEEP_DAYS))
        if gone:
            log.info("sweep: pruned %d old webhook events", gone)
    except DatabaseUnavailable as exc:
        log.warning("sweep of webhook events skipped: %s", exc)


def _sweep_work_folders(temp_dir: str) -> None:
    cutoff = time.time() - ORPHAN_AGE
    for path in layout.work_root(temp_dir).iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                shutil.rmtree(path, ignore_errors=True)
        except FileNotFoundError:
            continue
