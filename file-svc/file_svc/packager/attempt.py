"""One attempt at one claimed job, and what it comes to. The outcomes (the `outcome`
label of reelhouse_packaging_job_duration_seconds):

- `done`: the stage ran to its end (it finished its job itself);
- `failed_attempt`: it raised an error of the media, the store or the file system (or an
  unexpected one, logged in full): retried after a back-off of 2 s per attempt so far,
  until JOB_MAX_ATTEMPTS; the last one gives up;
- `gave_up`: the output passed the video's budget (the same on every attempt: no retry),
  or a last attempt failed. A first stage fails the video (nothing of it stays
  published); any other stage fails only itself (a rendition its row), the video stays
  playable;
- `handed_back`: the packager is stopping: the job is released at once, this attempt
  not counted;
- `abandoned`: the lease was lost (another packager has the job) or the video was
  deleted; what a delete left is removed.
A job claimed more often than JOB_MAX_ATTEMPTS (its packagers crashed or lost the lease
every time) gives up before it starts, with the last reason recorded.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from pathlib import Path

from vs_common import catalogue, layout, tables
from vs_common.db import DatabaseUnavailable
from vs_common.observe import PACKAGING_JOB_DURATION
from vs_common.tables.jobs import Job, LeaseLost

from ..media.errors import Cancelled, NotAVideo, OverBudget, PackagingError
from ..storage import ObjectNotFound, StorageUnavailable
from . import publishing, source
from .context import Services, StageContext
from .stages import STAGES

log = logging.getLogger("file_svc.packager")
# Errors an attempt may meet that another attempt may not: retried.
RETRIED = (NotAVideo, PackagingError, StorageUnavailable, ObjectNotFound, OSError)


def run(services: Services, job: Job, cancel: threading.Event) -> None:
    """Run one claimed job's stage; `cancel` stops it (the packager sets it to stop).
    DatabaseUnavailable goes to the caller (the lease will expire)."""
    row = tables.videos.get(services.db, job.video_id)
    if row is None:
        return  # deleted meanwhile (its jobs went with it)
    if job.attempts > services.settings.job_max_attempts:
        # Crashed or lost the lease on every attempt: give up with the last reason.
        reason = tables.jobs.last_error(services.db, job) or "packaging was interrupted on every attempt"
        give_up(services, job, f"gave up after {services.settings.job_max_attempts} attempts: {reason}")
        return
    work = _work_folder(services.settings.temp_dir, job)
    renewer = threading.Thread(target=_keep_lease, args=(services, job, cancel), daemon=True)
    renewer.start()
    started, outcome = time.monotonic(), "failed_attempt"
    try:
        work.mkdir(parents=True, exist_ok=True)
        STAGES[job.stage](StageContext.of(services, job, row, work, cancel))
        outcome = "done"
    except DatabaseUnavailable:
        raise
    except Exception as exc:  # noqa: BLE001 - every other error is an outcome of its own
        outcome = settle(services, job, exc)
    finally:
        PACKAGING_JOB_DURATION.labels(job.stage, outcome).observe(time.monotonic() - started)
        cancel.set()
        renewer.join(timeout=5)
        shutil.rmtree(work, ignore_errors=True)


def _work_folder(temp_dir: str, job: Job) -> Path:
    """This attempt's folder; an earlier attempt's at the same job, that died, goes (we hold the job now)."""
    work = layout.work_folder(temp_dir, job.video_id, job.stage, job.height, job.token[-8:])
    for stale in layout.work_root(temp_dir).glob(f"{layout.work_tag(job.video_id, job.stage, job.height)}*"):
        if stale != work:
            shutil.rmtree(stale, ignore_errors=True)
    return work


def _keep_lease(services: Services, job: Job, cancel: threading.Event) -> None:
    """Renew the lease every third of it until the attempt ends; a lost lease cancels it."""
    interval = max(1.0, services.settings.job_lease_seconds / 3)
    while not cancel.wait(interval):
        try:
            services.renew(job)
        except LeaseLost:
            cancel.set()  # stops this job's ffmpeg: the work is someone else's now
            return
        except Exception as exc:  # noqa: BLE001 - database blip: try again next tick
            log.warning("lease renewal of %s failed: %s", job.describe(), exc)


def settle(services: Services, job: Job, exc: Exception) -> str:
    """What an attempt that raised `exc` comes to (the module's list), told to the queue
    and the catalogue; its outcome. Called while `exc` is being handled."""
    if isinstance(exc, OverBudget):
        give_up(services, job, str(exc))  # the same on every attempt: no retry
        return "gave_up"
    if isinstance(exc, Cancelled) and services.stop.is_set():
        log.info("%s handed back: the packager is stopping", job.describe())
        tables.jobs.release(services.db, job)
        return "handed_back"
    if isinstance(exc, (LeaseLost, Cancelled)):
        log.warning("%s: %s; abandoning", job.describe(), exc)
        publishing.remove_if_deleted(services.db, services.storage, services.settings.temp_dir, job.video_id)
        return "abandoned"
    if isinstance(exc, RETRIED):
        failed_attempt(services, job, str(exc) or exc.__class__.__name__)
    else:
        log.exception("%s: unexpected packaging error", job.describe())
        failed_attempt(services, job, f"internal error: {exc.__class__.__name__}: {exc}")
    return "failed_attempt"


def failed_attempt(services: Services, job: Job, reason: str) -> None:
    """Retry after a back-off, or give up if that was the last attempt."""
    if job.attempts >= services.settings.job_max_attempts:
        give_up(services, job, reason)
        return
    log.warning("%s, attempt %d failed (will retry): %s", job.describe(), job.attempts, reason)
    tables.jobs.retry_later(services.db, job, reason, 2 * job.attempts)


def give_up(services: Services, job: Job, reason: str) -> None:
    """The last attempt failed. A first stage fails the video (nothing of it stays
    published); a rendition fails only its row, the video stays playable."""
    log.error("%s failed after %d attempt(s): %s", job.describe(), job.attempts, reason)
    vid, temp_dir = job.video_id, services.settings.temp_dir
    if job.stage == tables.jobs.FIRST:
        publishing.unpublish(services.storage, vid)
    try:
        with services.owned(job) as cur:
            if job.stage == tables.jobs.FIRST:
                catalogue.fail_video(cur, vid, reason)
            elif job.stage == tables.jobs.RENDITION:
                tables.renditions.mark_failed(cur, vid, job.height, reason)
            remaining = tables.jobs.fail(cur, job, reason)
    except LeaseLost:
        publishing.remove_if_deleted(services.db, services.storage, temp_dir, vid)
        return
    if remaining == 0:
        source.drop(temp_dir, vid)
