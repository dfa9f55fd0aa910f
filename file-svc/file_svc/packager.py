"""Packaging workers: claim jobs from the database with a lease, package to HLS in a
temp folder, publish to storage, update the catalogue.

Run as its own process (`python -m file_svc.packager`), started by file-svc's
gunicorn master (gunicorn.conf.py) and dying with it. PACKAGING_WORKERS threads each
run one job at a time; ffmpeg does the heavy work in child processes.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from vs_common.db import Database, DatabaseUnavailable, as_datetime, utcnow
from vs_common.logs import setup_logging
from vs_common.schema import migrate
from vs_common.settings import Settings

from . import config, hls, ingest, keys
from .probe import NotAVideo, probe_file
from .storage import LocalStorage, ObjectNotFound, StorageUnavailable, make_storage

log = logging.getLogger("file_svc.packager")
POLL_SECONDS = 0.25
SWEEP_EVERY = 300


@dataclass
class Job:
    video_id: str
    token: str
    attempts: int


class LeaseLost(RuntimeError):
    """Another worker owns the job now, or the video was deleted."""


class Packager:
    """Claims and runs packaging jobs."""

    def __init__(self, settings: Settings):
        self.s = settings
        self.db = Database(settings)
        self.storage = make_storage(settings)
        self.worker_id = f"{socket.gethostname()[:30]}-{os.getpid()}"
        self.stop = threading.Event()
        self.work_root = Path(settings.temp_dir) / "work"
        self.work_root.mkdir(parents=True, exist_ok=True)

    # -- the queue -----------------------------------------------------------------
    def claim(self) -> Job | None:
        """Take one queued job, or one whose lease ran out. Portable: optimistic UPDATE."""
        now = utcnow()
        rows = self.db.query(
            "SELECT video_id, attempts FROM packaging_jobs WHERE status = 'queued' "
            "OR (status = 'running' AND lease_until < ?) ORDER BY created_at LIMIT 5",
            (now,),
        )
        for row in rows:
            token = f"{self.worker_id}-{uuid.uuid4().hex[:8]}"
            lease = utcnow() + timedelta(seconds=self.s.job_lease_seconds)
            changed = self.db.execute(
                "UPDATE packaging_jobs SET status = 'running', claimed_by = ?, lease_until = ?, "
                "attempts = attempts + 1, updated_at = ? WHERE video_id = ? AND (status = 'queued' "
                "OR (status = 'running' AND lease_until < ?))",
                (token, lease, utcnow(), row["video_id"], now),
            )
            if changed == 1:
                return Job(row["video_id"], token, int(row["attempts"]) + 1)
        return None

    def renew(self, job: Job) -> None:
        """Extend the lease; raise LeaseLost if the job is no longer ours."""
        lease = utcnow() + timedelta(seconds=self.s.job_lease_seconds)
        changed = self.db.execute(
            "UPDATE packaging_jobs SET lease_until = ?, updated_at = ? WHERE video_id = ? AND claimed_by = ? "
            "AND status = 'running'",
            (lease, utcnow(), job.video_id, job.token),
        )
        if changed != 1:
            raise LeaseLost(f"job {job.video_id} is no longer ours")

    def _update_video(self, job: Job, **fields) -> None:
        """Update the row only while we still hold the job (checked in the same transaction)."""
        lease = utcnow() + timedelta(seconds=self.s.job_lease_seconds)
        fields["updated_at"] = utcnow()
        sets = ", ".join(f"{k} = ?" for k in fields)
        with self.db.transaction() as cur:
            owned = cur.execute(
                "UPDATE packaging_jobs SET lease_until = ? WHERE video_id = ? AND claimed_by = ? AND status = 'running'",
                (lease, job.video_id, job.token),
            ).rowcount
            if owned != 1:
                raise LeaseLost(f"job {job.video_id} is no longer ours")
            cur.execute(f"UPDATE videos SET {sets} WHERE id = ?", [*fields.values(), job.video_id])

    def _finish(self, job: Job, status: str, error: str | None = None) -> None:
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE packaging_jobs SET status = ?, last_error = ?, lease_until = NULL, updated_at = ? "
                "WHERE video_id = ? AND claimed_by = ?",
                (status, error, utcnow(), job.video_id, job.token),
            )

    def _give_up_or_retry(self, job: Job, reason: str) -> None:
        row = self.db.query_one("SELECT status, renditions FROM videos WHERE id = ?", (job.video_id,))
        if row is not None and row["status"] != "ready":
            # Nothing of a video that is not playable stays published.
            self._unpublish(job.video_id)
        if job.attempts >= self.s.job_max_attempts:
            log.error("video %s failed after %d attempts: %s", job.video_id, job.attempts, reason)
            with self.db.transaction() as cur:
                cur.execute(
                    "UPDATE videos SET status = 'failed', error = ?, updated_at = ? WHERE id = ? AND status = 'processing'",
                    (reason[:1000], utcnow(), job.video_id),
                )
                if row is not None and row["status"] == "ready":
                    # Playable already: the renditions still pending will never come.
                    renditions = [
                        {**r, "status": "failed" if r.get("status") == "pending" else r.get("status")}
                        for r in json.loads(row["renditions"] or "[]")
                    ]
                    cur.execute(
                        "UPDATE videos SET renditions = ?, updated_at = ? WHERE id = ?",
                        (json.dumps(renditions), utcnow(), job.video_id),
                    )
                cur.execute(
                    "UPDATE packaging_jobs SET status = 'failed', last_error = ?, lease_until = NULL, updated_at = ? "
                    "WHERE video_id = ? AND claimed_by = ?",
                    (reason[:1000], utcnow(), job.video_id, job.token),
                )
            self._drop_source(job.video_id)
        else:
            backoff = utcnow() + timedelta(seconds=2 * job.attempts)
            log.warning("video %s attempt %d failed (will retry): %s", job.video_id, job.attempts, reason)
            # Left 'running' with a short lease and no owner: claimed again when it expires.
            self.db.execute(
                "UPDATE packaging_jobs SET claimed_by = NULL, lease_until = ?, last_error = ?, updated_at = ? "
                "WHERE video_id = ? AND claimed_by = ?",
                (backoff, reason[:1000], utcnow(), job.video_id, job.token),
            )

    def _unpublish(self, video_id: str) -> None:
        """Remove what packaging published (HLS, poster, thumbnails); the original stays."""
        try:
            self.storage.delete_prefix(f"videos/{video_id}/hls/")
            self.storage.delete_prefix(f"videos/{video_id}/thumbs/")
            if isinstance(self.storage, LocalStorage):
                # delete_prefix removes folders on local storage; the poster is one file.
                Path(self.storage.root, keys.poster(video_id)).unlink(missing_ok=True)
            else:
                self.storage.delete_prefix(keys.poster(video_id))
        except (StorageUnavailable, OSError) as exc:
            log.warning("could not remove the partial output of %s: %s", video_id, exc)

    def _drop_source(self, video_id: str) -> None:
        src = ingest.source_path(self.s.temp_dir, video_id)
        if src is not None:
            src.unlink(missing_ok=True)

    # -- one job ---------------------------------------------------------------------
    def process(self, job: Job) -> None:
        row = self.db.query_one("SELECT * FROM videos WHERE id = ?", (job.video_id,))
        if row is None:
            self._drop_source(job.video_id)
            return
        if job.attempts > self.s.job_max_attempts:
            # Crashed or lost the lease on every attempt: give up with the last reason.
            last = self.db.query_one("SELECT last_error FROM packaging_jobs WHERE video_id = ?", (job.video_id,))
            reason = (last or {}).get("last_error") or "packaging was interrupted on every attempt"
            job.attempts = self.s.job_max_attempts
            self._give_up_or_retry(job, f"gave up after {self.s.job_max_attempts} attempts: {reason}")
            return
        work = self.work_root / f"{job.video_id}-{job.token[-8:]}"
        for stale in self.work_root.glob(f"{job.video_id}-*"):
            # An earlier attempt at this job that died (killed, lease expired): we hold it now.
            if stale != work:
                shutil.rmtree(stale, ignore_errors=True)
        cancel = threading.Event()
        renewer = threading.Thread(target=self._keep_lease, args=(job, cancel), daemon=True)
        renewer.start()
        try:
            work.mkdir(parents=True, exist_ok=True)
            self._package(job, row, work, cancel)
            self._finish(job, "done")
            self._drop_source(job.video_id)
        except LeaseLost as exc:
            log.warning("%s; abandoning", exc)
            if self.db.query_one("SELECT id FROM videos WHERE id = ?", (job.video_id,)) is None:
                self._cleanup_deleted(job.video_id)
        except hls.Cancelled as exc:
            log.warning("video %s: %s", job.video_id, exc)
            if self.db.query_one("SELECT id FROM videos WHERE id = ?", (job.video_id,)) is None:
                self._cleanup_deleted(job.video_id)
        except (NotAVideo, hls.PackagingError, StorageUnavailable, ObjectNotFound, OSError) as exc:
            self._give_up_or_retry(job, str(exc) or exc.__class__.__name__)
        except DatabaseUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - counted as a failed attempt, logged in full
            log.exception("video %s: unexpected packaging error", job.video_id)
            self._give_up_or_retry(job, f"internal error: {exc.__class__.__name__}: {exc}")
        finally:
            cancel.set()
            renewer.join(timeout=5)
            shutil.rmtree(work, ignore_errors=True)

    def _cleanup_deleted(self, video_id: str) -> None:
        self._drop_source(video_id)
        try:
            self.storage.delete_prefix(keys.prefix(video_id))
        except StorageUnavailable as exc:
            log.warning("could not remove objects of deleted video %s: %s", video_id, exc)

    def _keep_lease(self, job: Job, cancel: threading.Event) -> None:
        interval = max(1.0, self.s.job_lease_seconds / 3)
        while not cancel.wait(interval):
            try:
                self.renew(job)
            except LeaseLost:
                cancel.set()
                return
            except Exception as exc:  # noqa: BLE001 - database blip: try again next tick
                log.warning("lease renewal of %s failed: %s", job.video_id, exc)

    def _source(self, row: dict, work: Path) -> Path:
        local = ingest.source_path(self.s.temp_dir, row["id"])
        if local is not None:
            return local
        ext = os.path.splitext(row["original_key"])[1]
        dest = work / f"source{ext}"
        self.storage.download(row["original_key"], str(dest))
        return dest

    def _publish_dir(self, job: Job, src_dir: Path, key_prefix: str, files: list[Path]) -> None:
        for path in files:
            self.storage.put_file(f"{key_prefix}{path.relative_to(src_dir)}", str(path))

    def _package(self, job: Job, row: dict, work: Path, cancel: threading.Event) -> None:
        vid = job.video_id
        src = self._source(row, work)
        probe = probe_file(str(src))
        rungs = hls.plan_rungs(probe, self.s.hls_ladder)
        dw, dh = probe.display_size
        out = work / "hls"
        log_path = work / "ffmpeg.log"
        status = {r.label: "pending" for r in rungs}
        first = rungs[-1] if rungs[-1].copy else rungs[0]
        rest = [r for r in rungs if r is not first]
        if row["status"] == "ready":
            status[first.label] = "ready"  # a re-run after a crash: the first rung stays published

        def renditions() -> str:
            return json.dumps([{"height": label, "status": st} for label, st in sorted(status.items())])

        if row["status"] != "ready":
            # A fresh attempt: drop whatever an interrupted one published.
            self._unpublish(vid)
        self._update_video(job, duration_s=probe.duration_s, width=dw, height=dh, renditions=renditions())
        started = time.monotonic()
        images = work / "images"
        # The poster is made while the first rung is: both are needed for `ready`. The
        # thumbnails (for the library's hover) follow, after `ready`.
        with ThreadPoolExecutor(1, thread_name_prefix=f"images-{vid[:6]}") as pool:
            pictures = pool.submit(hls.make_poster, src, images, probe, work / "images.log", cancel)
            try:
                if first.copy:
                    hls.remux_rung(src, out / first.name, probe, log_path, cancel)
                    keyframes = hls.segment_boundaries(out / first.name / "index.m3u8")
                else:
                    hls.transcode_rungs(src, [first], out, probe, log_path, None, cancel)
                    keyframes = None
            except BaseException:
                cancel.set()  # stop the pictures' ffmpeg too; this attempt is over
                raise
            pictures.result()
        stats = {
            first.label: hls.rung_stats(
                first, out / first.name, probe.has_audio, probe.frame_rate, probe if first.copy else None
            )
        }
        # Everything is made before anything is published; the master goes last.
        self._publish_dir(job, out, f"videos/{vid}/hls/", hls.rung_files(out / first.name))
        self.storage.put_file(keys.poster(vid), str(images / "poster.jpg"))
        self._publish_master(job, out, stats)
        status[first.label] = "ready"
        self._update_video(job, status="ready", error=None, renditions=renditions())
        log.info(
            "video %s ready in %.2fs (%s %s)",
            vid,
            time.monotonic() - started,
            first.name,
            "copied" if first.copy else "transcoded",
        )
        try:
            for thumb in hls.make_thumbnails(src, images, probe, work / "images.log", cancel):
                self.storage.put_file(keys.thumb(vid, thumb.name), str(thumb))
        except hls.PackagingError as exc:
            log.warning("video %s: no thumbnails (the library shows the poster instead): %s", vid, exc)
        if not rest:
            return
        try:
            hls.transcode_rungs(src, rest, out, probe, log_path, keyframes, cancel)
        except hls.PackagingError as exc:
            log.error("video %s: extra renditions failed: %s", vid, exc)
            for r in rest:
                status[r.label] = "failed"
            self._update_video(job, renditions=renditions())
            return
        for r in rest:
            stats[r.label] = hls.rung_stats(r, out / r.name, probe.has_audio, probe.frame_rate)
            self._publish_dir(job, out, f"videos/{vid}/hls/", hls.rung_files(out / r.name))
            status[r.label] = "ready"
        self._publish_master(job, out, stats)
        self._update_video(job, renditions=renditions())
        log.info("video %s: all %d renditions ready in %.2fs", vid, len(rungs), time.monotonic() - started)

    def _publish_master(self, job: Job, out: Path, stats: dict) -> None:
        self.renew(job)
        master = out / "master.m3u8"
        master.write_text(hls.master_playlist(list(stats.values())))
        self.storage.put_file(keys.hls(job.video_id, "master.m3u8"), str(master))

    # -- housekeeping ---------------------------------------------------------------
    def sweep(self) -> None:
        """Abort stale multipart uploads; remove temp files no upload or job will use."""
        try:
            aborted = self.storage.sweep()
            if aborted:
                log.info("sweep: aborted %d incomplete multipart uploads", aborted)
        except StorageUnavailable as exc:
            log.warning("sweep skipped: %s", exc)
        cutoff = time.time() - 3600
        for path in ingest.sources_dir(self.s.temp_dir).iterdir():
            try:
                if path.stat().st_mtime > cutoff:
                    continue
                video_id = path.name.split(".")[0]
                if (
                    path.name.endswith(".part")
                    or self.db.query_one("SELECT id FROM videos WHERE id = ?", (video_id,)) is None
                ):
                    log.info("sweep: removing orphaned temp file %s", path.name)
                    path.unlink(missing_ok=True)
                    if not path.name.endswith(".part"):
                        self.storage.delete_prefix(keys.prefix(video_id))
            except (OSError, DatabaseUnavailable, StorageUnavailable) as exc:
                log.warning("sweep of %s skipped: %s", path.name, exc)
        for path in self.work_root.iterdir():
            if path.stat().st_mtime < cutoff:
                shutil.rmtree(path, ignore_errors=True)

    # -- loops -----------------------------------------------------------------------
    def worker_loop(self, n: int) -> None:
        while not self.stop.is_set():
            try:
                job = self.claim()
            except DatabaseUnavailable as exc:
                log.warning("worker %d: database unavailable: %s", n, exc)
                self.stop.wait(2)
                continue
            if job is None:
                self.stop.wait(POLL_SECONDS)
                continue
            log.info("worker %d: packaging %s (attempt %d)", n, job.video_id, job.attempts)
            try:
                self.process(job)
            except DatabaseUnavailable as exc:
                log.warning("worker %d: database lost during %s: %s (lease will expire)", n, job.video_id, exc)
                self.stop.wait(2)

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                migrate(self.db)
                break
            except Exception as exc:  # noqa: BLE001 - wait for the database
                log.warning("waiting for the database: %s", exc)
                self.stop.wait(2)
        if self.s.storage_backend == "s3":
            try:
                self.storage.ensure_bucket()
            except Exception as exc:  # noqa: BLE001
                log.warning("could not check the bucket: %s", exc)
        threads = [
            threading.Thread(target=self.worker_loop, args=(i,), name=f"packager-{i}", daemon=True)
            for i in range(self.s.packaging_workers)
        ]
        for t in threads:
            t.start()
        log.info("packager started with %d worker(s)", len(threads))
        last_sweep = 0.0
        while not self.stop.wait(1):
            if time.monotonic() - last_sweep > SWEEP_EVERY:
                last_sweep = time.monotonic()
                try:
                    self.sweep()
                except Exception:  # noqa: BLE001 - housekeeping never stops the workers
                    log.exception("sweep failed")
        for t in threads:
            t.join(timeout=10)


def main() -> None:
    settings = config.load()
    setup_logging("file-svc.packager", settings.log_level)
    packager = Packager(settings)

    def _stop(signum, frame):
        packager.stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    packager.run()


if __name__ == "__main__":
    main()

__all__ = ["Packager", "main", "as_datetime"]
