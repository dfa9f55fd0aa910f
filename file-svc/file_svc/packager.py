"""The packager: claims packaging jobs from the database, packages to HLS with ffmpeg in
a temp folder, publishes to storage, updates the catalogue.

Its own process (`python -m file_svc.packager`: compose service `packager`, a fifth
process under `make run`), any number of replicas on one database. Each job is one
stage of one video (vs_common.jobs): the first playable rung, the thumbnails, or one
other rung. Two lanes of threads:
- PACKAGING_FIRST_WORKERS threads take first stages only: capacity that background work
  can never occupy, so a new video never waits for another one's renditions;
- PACKAGING_WORKERS threads take any stage, most urgent first.
Background ffmpeg runs at nice PACKAGING_BACKGROUND_NICE, so that it yields the CPU to
first stages. `/healthz` on PACKAGER_PORT names the jobs at work.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask, jsonify
from prometheus_client.core import GaugeMetricFamily
from werkzeug.serving import make_server

from vs_common import jobs, layout, videos
from vs_common.db import Database, DatabaseUnavailable, utcnow
from vs_common.health import run_checks
from vs_common.jobs import Job, LeaseLost
from vs_common.logs import setup_logging
from vs_common.observe import PACKAGING_JOB_DURATION, QUEUE_DEPTH, UPLOAD_TO_READY, install_observability
from vs_common.schema import migrate
from vs_common.settings import Settings

from . import caption_tracks, config, ingest
from .master import publish_master
from .media import encoding, planning, playlists, runner
from .media.budget import Budget
from .media.errors import Cancelled, NotAVideo, OverBudget, PackagingError, ProbeFailed
from .media.probe import Probe, list_subtitle_streams, probe_file
from .storage import ObjectNotFound, StorageUnavailable, make_storage

log = logging.getLogger("file_svc.packager")
POLL_SECONDS = 0.25
ORPHAN_AGE = 3600  # temp files and work folders older than this, that nothing will use, are removed
TOMBSTONE_AGE = 60  # a deleted video's objects are removed again by the sweep after this


@dataclass(frozen=True)
class FirstPlan:
    """What a first stage will make: from the source and its probe."""

    video_id: str
    src: Path
    probe: Probe
    renditions: list[planning.Rendition]
    first: planning.Rendition  # the one made before `ready`
    subtitles: list
    uploaded: frozenset[str]
    out: Path
    allowed: int


@dataclass(frozen=True)
class FirstMade:
    """What a first stage made, before anything is published."""

    keyframes: list | None
    poster: Path
    embedded: list
    stats: dict


class QueueDepth:
    """The `reelhouse_packaging_queue_depth` gauge, read from the queue at each scrape (the
    same figure from every packager replica: aggregate with max, not sum)."""

    def __init__(self, db: Database):
        self.db = db

    def collect(self):
        family = GaugeMetricFamily(
            QUEUE_DEPTH, "Unfinished packaging jobs by stage and state (waiting, running).", labels=["stage", "state"]
        )
        try:
            counts = jobs.depth(self.db)
        except DatabaseUnavailable:
            return  # no figure rather than a wrong one; /healthz says why
        for stage in (jobs.FIRST, jobs.THUMBS, jobs.RENDITION):
            for state in ("waiting", "running"):
                family.add_metric([stage, state], counts.get((stage, state), 0))
        yield family


def _as_datetime(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


class Packager:
    """Claims and runs packaging jobs; serves /healthz."""

    def __init__(self, settings: Settings):
        self.s = settings
        self.budget = Budget.from_settings(settings)
        self.db = Database(settings)
        self.storage = make_storage(settings)
        self.worker_id = f"{socket.gethostname()[:30]}-{os.getpid()}"
        self.stop = threading.Event()
        self.work_root = layout.work_root(settings.temp_dir)
        self.work_root.mkdir(parents=True, exist_ok=True)
        self.current: dict[str, dict] = {}  # lane thread -> the job it works on (for /healthz)
        self._cancels: dict[int, threading.Event] = {}

    # -- one job ---------------------------------------------------------------------
    def process(self, job: Job) -> None:
        """Run one claimed job; a failure is a failed attempt, retried or given up."""
        row = videos.video_row(self.db, job.video_id)
        if row is None:
            return  # deleted meanwhile (its jobs went with it)
        if job.attempts > self.s.job_max_attempts:
            # Crashed or lost the lease on every attempt: give up with the last reason.
            reason = jobs.last_error(self.db, job) or "packaging was interrupted on every attempt"
            self._give_up(job, f"gave up after {self.s.job_max_attempts} attempts: {reason}")
            return
        work = layout.work_folder(self.s.temp_dir, job.video_id, job.stage, job.height, job.token[-8:])
        for stale in self.work_root.glob(f"{layout.work_tag(job.video_id, job.stage, job.height)}*"):
            if stale != work:  # an earlier attempt at this job that died: we hold it now
                shutil.rmtree(stale, ignore_errors=True)
        cancel = threading.Event()
        self._cancels[job.id] = cancel
        renewer = threading.Thread(target=self._keep_lease, args=(job, cancel), daemon=True)
        renewer.start()
        stage = {jobs.FIRST: self._first, jobs.RENDITION: self._rendition, jobs.THUMBS: self._thumbs}[job.stage]
        started, outcome = time.monotonic(), "failed_attempt"
        try:
            work.mkdir(parents=True, exist_ok=True)
            stage(job, row, work, cancel)
            outcome = "done"
        except OverBudget as exc:
            outcome = "gave_up"
            self._give_up(job, str(exc))  # the same on every attempt: no retry
        except (LeaseLost, Cancelled) as exc:
            if self.stop.is_set() and isinstance(exc, Cancelled):
                outcome = "handed_back"
                log.info("%s handed back: the packager is stopping", job.describe())
                jobs.release(self.db, job)
            else:
                outcome = "abandoned"
                log.warning("%s: %s; abandoning", job.describe(), exc)
                self._cleanup_if_deleted(job.video_id)
        except (NotAVideo, PackagingError, StorageUnavailable, ObjectNotFound, OSError) as exc:
            self._failed_attempt(job, str(exc) or exc.__class__.__name__)
        except DatabaseUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - counted as a failed attempt, logged in full
            log.exception("%s: unexpected packaging error", job.describe())
            self._failed_attempt(job, f"internal error: {exc.__class__.__name__}: {exc}")
        finally:
            PACKAGING_JOB_DURATION.labels(job.stage, outcome).observe(time.monotonic() - started)
            cancel.set()
            self._cancels.pop(job.id, None)
            renewer.join(timeout=5)
            shutil.rmtree(work, ignore_errors=True)

    def _keep_lease(self, job: Job, cancel: threading.Event) -> None:
        interval = max(1.0, self.s.job_lease_seconds / 3)
        while not cancel.wait(interval):
            try:
                jobs.renew(self.db, job, self.s.job_lease_seconds)
            except LeaseLost:
                cancel.set()  # stops this job's ffmpeg: the work is someone else's now
                return
            except Exception as exc:  # noqa: BLE001 - database blip: try again next tick
                log.warning("lease renewal of %s failed: %s", job.describe(), exc)

    def _owned(self, job: Job):
        return jobs.owned(self.db, job, self.s.job_lease_seconds)

    # -- the stages --------------------------------------------------------------------
    def _first(self, job: Job, row: dict, work: Path, cancel: threading.Event) -> None:
        """Probe, the first playable rung with the poster, the master, `ready`; then queue
        the thumbnails and the other rungs, in the transaction that marks it ready."""
        if row["status"] == "ready":
            # A re-run after a crash that followed `ready`: its background jobs were queued
            # in the same transaction.
            self._done(job)
            return
        started = time.monotonic()
        plan = self._plan_first(job, row, work)
        made = self._make_first(plan, row, work, cancel)
        self._publish_first(job, plan, made)
        self._ready(job, plan, made.keyframes)
        UPLOAD_TO_READY.observe(max(0.0, (utcnow() - _as_datetime(row["created_at"])).total_seconds()))
        log.info(
            "video %s ready in %.2fs (%s %s; %d more rendition(s) queued)",
            job.video_id,
            time.monotonic() - started,
            plan.first.folder,
            "copied" if plan.first.copy else "transcoded",
            len(plan.renditions) - 1,
        )

    def _plan_first(self, job: Job, row: dict, work: Path) -> FirstPlan:
        """A fresh attempt: what an interrupted one published goes; the source, its probe,
        the ladder planned in the catalogue."""
        vid = job.video_id
        self._unpublish(vid)
        caption_tracks.forget_embedded(self.db, self.storage, vid)  # made again below
        src = self._source(row, work)
        probe = self._probe(row, src)
        renditions = planning.plan_renditions(probe, self.s.hls_ladder)
        dw, dh = probe.display_size
        with self._owned(job) as cur:
            videos.set_media(cur, vid, probe.duration_s, dw, dh)
            videos.plan_renditions(cur, vid, [(r.height, r.frame_width, r.frame_height, r.copy) for r in renditions])
        return FirstPlan(
            video_id=vid,
            src=src,
            probe=probe,
            renditions=renditions,
            first=planning.first_rendition(renditions),
            subtitles=self._subtitles(probe, src),
            uploaded=videos.uploaded_caption_languages(self.db, vid),
            out=work / "hls",
            allowed=self.budget.output_bytes(int(row["size_bytes"] or 0)),
        )

    def _make_first(self, plan: FirstPlan, row: dict, work: Path, cancel: threading.Event) -> FirstMade:
        """The first rung, with the poster (and the tracks of any subtitle streams) made
        while it is: all are in place before `ready`, the master names the tracks from the
        start."""
        src, probe, first = plan.src, plan.probe, plan.first
        log_path = work / "ffmpeg.log"
        with ThreadPoolExecutor(2, thread_name_prefix=f"poster-{plan.video_id[:6]}") as pool:
            poster = pool.submit(
                encoding.make_poster, src, work / "images", probe, self.budget, work / "images.log", cancel
            )
            tracks = pool.submit(self._embedded_tracks, src, plan.subtitles, work, cancel, plan.uploaded)
            try:
                if first.copy:
                    encoding.remux_rendition(
                        src, plan.out / first.folder, probe, self.budget, log_path, cancel, limit=plan.allowed
                    )
                    keyframes = playlists.segment_boundaries(plan.out / first.folder / layout.MEDIA_PLAYLIST)
                else:
                    encoding.transcode_renditions(
                        src, [first], plan.out, probe, self.budget, log_path, cancel=cancel, limit=plan.allowed
                    )
                    keyframes = None
            except BaseException:
                cancel.set()  # stop the poster's ffmpeg too; this attempt is over
                raise
            poster_path, embedded = poster.result(), tracks.result()
        stats = encoding.rendition_stats(
            plan.out / first.folder,
            probe.has_audio,
            planning.output_fps(probe.frame_rate),
            self.budget,
            probe if first.copy else None,
        )
        return FirstMade(keyframes=keyframes, poster=poster_path, embedded=embedded, stats=stats)

    def _publish_first(self, job: Job, plan: FirstPlan, made: FirstMade) -> None:
        """Everything was made before anything is published; the master goes last."""
        vid = plan.video_id
        self._reserve(job, plan.first, plan.out, plan.allowed)
        self._publish_rendition(job, plan.out, plan.first)
        self.storage.put_file(layout.poster(vid), str(made.poster))
        caption_tracks.publish_embedded(self.storage, vid, made.embedded, plan.probe.duration_s)
        with self._owned(job) as cur:
            videos.rendition_ready(cur, vid, plan.first.height, made.stats)
            unused = caption_tracks.record_embedded(cur, vid, made.embedded)
        for key in unused:  # an upload of that language came meanwhile: it stands
            self.storage.delete(key)
        publish_master(self.db, self.storage, vid)

    def _ready(self, job: Job, plan: FirstPlan, keyframes) -> None:
        """`ready`, with the thumbnails and the other rungs queued in the same transaction."""
        with self._owned(job) as cur:
            videos.mark_ready(cur, plan.video_id)
            jobs.enqueue(cur, plan.video_id, jobs.THUMBS)
            for rendition in plan.renditions:
                if rendition is not plan.first:
                    payload = {"keyframes": keyframes}
                    jobs.enqueue(cur, plan.video_id, jobs.RENDITION, rendition.height, payload=payload)
            jobs.finish(cur, job)

    def _rendition(self, job: Job, row: dict, work: Path, cancel: threading.Event) -> None:
        """One more rendition, encoded alone (so any packager can take it, and a crash loses
        only it), published, then named in the master."""
        vid = job.video_id
        planned = videos.rendition_row(self.db, vid, job.height)
        if row["status"] != "ready" or planned is None or planned["status"] == "ready":
            self._done(job)  # nothing (left) to do
            return
        src = self._source(row, work)
        probe = self._probe(row, src)
        rendition = planning.Rendition(job.height, planned["frame_width"], planned["frame_height"], copy=False)
        out = work / "hls"
        started = time.monotonic()
        allowed = self.budget.output_bytes(int(row["size_bytes"] or 0))
        with self.db.transaction() as cur:
            left = allowed - videos.output_used(cur, vid, rendition.height)
        encoding.transcode_renditions(
            src,
            [rendition],
            out,
            probe,
            self.budget,
            work / "ffmpeg.log",
            keyframes=job.payload.get("keyframes"),
            cancel=cancel,
            nice=self.s.packaging_background_nice,
            limit=max(0, left),
        )
        fps = planning.output_fps(probe.frame_rate)
        stats = encoding.rendition_stats(out / rendition.folder, probe.has_audio, fps, self.budget)
        self._reserve(job, rendition, out, allowed)
        self._publish_rendition(job, out, rendition)
        with self._owned(job) as cur:
            videos.rendition_ready(cur, vid, rendition.height, stats)
        publish_master(self.db, self.storage, vid)
        self._done(job)
        log.info("video %s: %s ready in %.2fs", vid, rendition.folder, time.monotonic() - started)

    def _thumbs(self, job: Job, row: dict, work: Path, cancel: threading.Event) -> None:
        """Five thumbnails for the library's hover preview."""
        src = self._source(row, work)
        probe = self._probe(row, src)
        shots = encoding.make_thumbnails(
            src, work / "images", probe, self.budget, work / "images.log", cancel, nice=self.s.packaging_background_nice
        )
        jobs.renew(self.db, job, self.s.job_lease_seconds)  # the video still exists: publish
        for thumb in shots:
            self.storage.put_file(layout.thumb(job.video_id, thumb.name), str(thumb))
        self._done(job)

    # -- publishing and finishing ------------------------------------------------------
    def _reserve(self, job: Job, rendition: planning.Rendition, out: Path, allowed: int) -> None:
        """Count the rendition's bytes against the video's output budget before publishing it."""
        made = runner.folder_bytes(out / rendition.folder)
        with self._owned(job) as cur:
            if not videos.reserve_output(cur, job.video_id, rendition.height, made, allowed):
                raise OverBudget(allowed, self.budget)

    def _publish_rendition(self, job: Job, out: Path, rendition: planning.Rendition) -> None:
        """Segments, then the media playlist that names them, once the job is still ours."""
        jobs.renew(self.db, job, self.s.job_lease_seconds)
        for path in playlists.rendition_files(out / rendition.folder):
            self.storage.put_file(layout.rendition_file(job.video_id, rendition.height, path.name), str(path))

    def _done(self, job: Job) -> None:
        """The job is done; the video's temp source goes once none of its jobs needs it.
        A delete that raced what we published is caught here (LeaseLost, then cleanup)."""
        with self._owned(job) as cur:
            remaining = jobs.finish(cur, job)
        if remaining == 0:
            self._drop_source(job.video_id)

    def _failed_attempt(self, job: Job, reason: str) -> None:
        if job.attempts >= self.s.job_max_attempts:
            self._give_up(job, reason)
            return
        log.warning("%s, attempt %d failed (will retry): %s", job.describe(), job.attempts, reason)
        jobs.retry_later(self.db, job, reason, 2 * job.attempts)

    def _give_up(self, job: Job, reason: str) -> None:
        """The last attempt failed. A first stage fails the video (nothing of it stays
        published); a rung fails only its rendition, the video stays playable."""
        log.error("%s failed after %d attempt(s): %s", job.describe(), job.attempts, reason)
        vid = job.video_id
        if job.stage == jobs.FIRST:
            self._unpublish(vid)
        try:
            with self._owned(job) as cur:
                if job.stage == jobs.FIRST:
                    videos.mark_failed(cur, vid, reason)
                elif job.stage == jobs.RENDITION:
                    videos.rendition_failed(cur, vid, job.height, reason)
                remaining = jobs.fail(cur, job, reason)
        except LeaseLost:
            self._cleanup_if_deleted(vid)
            return
        if remaining == 0:
            self._drop_source(vid)

    def _unpublish(self, video_id: str) -> None:
        """Remove what packaging published (HLS, poster, thumbnails); the original stays,
        and so do the caption tracks (an owner's uploads are kept whatever packaging does;
        those made from the upload's streams go with `forget_embedded`)."""
        hls_root = layout.hls_prefix(video_id)
        try:
            folders = {key[len(hls_root) :].split("/")[0] for key in self.storage.list_keys(hls_root)}
            for folder in sorted(folders - {"captions", layout.MASTER_PLAYLIST}):
                self.storage.delete_prefix(layout.hls(video_id, f"{folder}/"))
            self.storage.delete(layout.master(video_id))
            # A segment's write cut short (S3's multipart uploads; nothing on a local store).
            self.storage.abort_uploads(
                hls_root, older_than=None, keep=lambda key: key.startswith(layout.captions_prefix(video_id))
            )
            self.storage.delete_prefix(layout.thumbs_prefix(video_id))
            self.storage.delete(layout.poster(video_id))
        except (StorageUnavailable, OSError) as exc:
            log.warning("could not remove the partial output of %s: %s", video_id, exc)

    def _cleanup_if_deleted(self, video_id: str) -> None:
        """If the video was deleted while we worked, remove what we may have published."""
        if videos.video_exists(self.db, video_id):
            return
        self._drop_source(video_id)
        try:
            self.storage.delete_prefix(layout.prefix(video_id))
        except StorageUnavailable as exc:
            log.warning("could not remove objects of deleted video %s (the sweep will): %s", video_id, exc)

    def _drop_source(self, video_id: str) -> None:
        src = ingest.received_source(self.s.temp_dir, video_id)
        if src is not None:
            src.unlink(missing_ok=True)

    def _source(self, row: dict, work: Path) -> Path:
        """The upload: still in the temp folder, or downloaded from the store."""
        local = ingest.received_source(self.s.temp_dir, row["id"])
        if local is not None:
            return local
        dest = work / f"source{os.path.splitext(row['original_key'])[1]}"
        self.storage.download(row["original_key"], str(dest))
        return dest

    def _embedded_tracks(self, src: Path, subtitles: list[dict], work: Path, cancel, uploaded) -> list:
        """The upload's subtitle streams as caption tracks; whatever goes wrong with them
        is logged, never a failure of the video (but a cancelled job stays cancelled)."""
        try:
            return caption_tracks.embedded_tracks(
                src, subtitles, work, budget=self.budget, cancel=cancel, skip=uploaded
            )
        except Cancelled:
            raise
        except Exception:  # noqa: BLE001 - captions are extra: the video goes on without them
            log.exception("the subtitle streams of %s could not be made into caption tracks", src.name)
            return []

    def _subtitles(self, probe: Probe, src: Path) -> list[dict]:
        """The source's subtitle streams: from the probe made at upload, else (a probe kept
        before it listed them) from ffprobe; none if that fails (never a failure of the video)."""
        if probe.subtitles is not None:
            return probe.subtitles
        try:
            return list_subtitle_streams(str(src), self.budget)
        except (ProbeFailed, OSError, ValueError, subprocess.TimeoutExpired) as exc:
            log.warning("the subtitle streams of %s could not be listed: %s", src.name, exc)
            return []

    def _probe(self, row: dict, src: Path) -> Probe:
        """file-svc's probe at upload, kept in the row; probed again only for older rows."""
        if row.get("probe"):
            return Probe.from_summary(json.loads(row["probe"]))
        return probe_file(str(src), self.budget)

    # -- housekeeping ---------------------------------------------------------------
    def sweep(self) -> None:
        """Abort stale multipart uploads; remove what deletes and crashes left behind."""
        try:
            aborted = self.storage.sweep(keep=lambda key: ingest.source_in_temp(self.s.temp_dir, key))
            if aborted:
                log.info("sweep: aborted %d incomplete multipart uploads", aborted)
        except StorageUnavailable as exc:
            log.warning("sweep skipped: %s", exc)
        self._sweep_deleted()
        self._sweep_uploads()
        cutoff = time.time() - ORPHAN_AGE
        for path in ingest.sources_dir(self.s.temp_dir).iterdir():
            try:
                if path.stat().st_mtime > cutoff:
                    continue
                video_id = layout.video_id_of_source(path)
                if layout.is_part(path) or not videos.video_exists(self.db, video_id):
                    log.info("sweep: removing orphaned temp file %s", path.name)
                    path.unlink(missing_ok=True)
                    if not layout.is_part(path):
                        self.storage.delete_prefix(layout.prefix(video_id))
                else:
                    with self.db.transaction() as cur:
                        left = jobs.unfinished(cur, video_id)
                    if left == 0:  # a packager died between finishing and removing it
                        path.unlink(missing_ok=True)
            except FileNotFoundError:
                continue
            except (OSError, DatabaseUnavailable, StorageUnavailable) as exc:
                log.warning("sweep of %s skipped: %s", path.name, exc)
        for path in self.work_root.iterdir():
            try:
                if path.stat().st_mtime < cutoff:
                    shutil.rmtree(path, ignore_errors=True)
            except FileNotFoundError:
                continue

    def _sweep_uploads(self) -> None:
        """Resumable uploads past their expiry (UPLOAD_EXPIRY_HOURS after their last bytes):
        their bytes and rows; folders no row names, once they are old. Unexpired ones, in
        `TEMP_DIR/uploads/`, are left alone however old they are."""
        root = layout.uploads_root(self.s.temp_dir)
        now = utcnow()
        try:
            gone = self.db.query(
                "SELECT id FROM uploads WHERE expires_at < ? AND (lock_until IS NULL OR lock_until < ?)", (now, now)
            )
            for r in gone:
                shutil.rmtree(layout.upload_folder(self.s.temp_dir, r["id"]), ignore_errors=True)
                self.db.execute("DELETE FROM uploads WHERE id = ? AND expires_at < ?", (r["id"], now))
                log.info("sweep: removed the expired upload %s", r["id"])
            if root.is_dir():
                known = {r["id"] for r in self.db.query("SELECT id FROM uploads")}
                cutoff = time.time() - ORPHAN_AGE
                for path in root.iterdir():
                    if path.name not in known and path.stat().st_mtime < cutoff:
                        shutil.rmtree(path, ignore_errors=True)
        except (DatabaseUnavailable, OSError) as exc:
            log.warning("sweep of uploads skipped: %s", exc)

    def _sweep_deleted(self) -> None:
        """Objects a racing packager wrote after a delete had removed the others."""
        before = utcnow() - timedelta(seconds=TOMBSTONE_AGE)
        try:
            gone = videos.deleted_before(self.db, before)
        except DatabaseUnavailable as exc:
            log.warning("sweep of deleted videos skipped: %s", exc)
            return
        for video_id in gone:
            try:
                self.storage.delete_prefix(layout.prefix(video_id))
                videos.forget_deleted(self.db, video_id)
            except (StorageUnavailable, DatabaseUnavailable) as exc:
                log.warning("sweep of deleted video %s skipped: %s", video_id, exc)

    # -- health ----------------------------------------------------------------------
    def health_app(self) -> Flask:
        """`GET /healthz`: the database and the store, and the jobs at work."""
        app = Flask("packager")
        install_observability(app, "packager", self.s.metrics_token, lambda: [QueueDepth(self.db)])

        @app.get("/healthz")
        def healthz():
            ok, checks = run_checks({"database": self.db.ping, "storage": self.storage.check})
            body = {
                "status": "ok" if ok else "unavailable",
                "checks": checks,
                "worker": self.worker_id,
                "jobs": sorted(self.current.values(), key=lambda j: j["since"]),
            }
            return jsonify(body), (200 if ok else 503)

        return app

    # -- loops -----------------------------------------------------------------------
    def worker_loop(self, lane: str, stages: tuple[str, ...] | None) -> None:
        while not self.stop.is_set():
            try:
                job = jobs.claim(self.db, f"{self.worker_id}-{lane}", self.s.job_lease_seconds, stages)
            except DatabaseUnavailable as exc:
                log.warning("%s: database unavailable: %s", lane, exc)
                self.stop.wait(2)
                continue
            if job is None:
                self.stop.wait(POLL_SECONDS)
                continue
            log.info("%s: %s (attempt %d)", lane, job.describe(), job.attempts)
            self.current[lane] = {
                "video_id": job.video_id,
                "stage": job.stage,
                "label": job.height or None,  # the JSON keeps its name
                "attempt": job.attempts,
                "lane": lane,
                "since": utcnow().isoformat(timespec="milliseconds") + "Z",
            }
            try:
                self.process(job)
            except DatabaseUnavailable as exc:
                log.warning("%s: database lost during %s: %s (the lease will expire)", lane, job.describe(), exc)
                self.stop.wait(2)
            finally:
                self.current.pop(lane, None)

    def run(self) -> None:
        host = os.environ.get("BIND_HOST", "0.0.0.0")
        server = make_server(host, self.s.packager_port, self.health_app(), threaded=True)
        threading.Thread(target=server.serve_forever, name="health", daemon=True).start()
        log.info("packager %s: /healthz on %s:%d", self.worker_id, host, self.s.packager_port)
        while not self.stop.is_set():
            try:
                migrate(self.db)
                break
            except Exception as exc:  # noqa: BLE001 - wait for the database
                log.warning("waiting for the database: %s", exc)
                self.stop.wait(2)
        try:
            self.storage.ensure_bucket()
        except Exception as exc:  # noqa: BLE001
            log.warning("could not check the bucket: %s", exc)
        lanes = [(f"first{i}", (jobs.FIRST,)) for i in range(self.s.packaging_first_workers)]
        lanes += [(f"any{i}", None) for i in range(self.s.packaging_workers)]
        threads = [threading.Thread(target=self.worker_loop, args=lane, name=lane[0], daemon=True) for lane in lanes]
        for t in threads:
            t.start()
        log.info(
            "packager started: %d first-stage and %d general worker(s), background at nice %d",
            self.s.packaging_first_workers,
            self.s.packaging_workers,
            self.s.packaging_background_nice,
        )
        last_sweep = 0.0
        while not self.stop.wait(1):
            if time.monotonic() - last_sweep > self.s.sweep_interval_seconds:
                last_sweep = time.monotonic()
                try:
                    self.sweep()
                except Exception:  # noqa: BLE001 - housekeeping never stops the workers
                    log.exception("sweep failed")
        for cancel in list(self._cancels.values()):
            cancel.set()  # stop the ffmpeg runs; their jobs are handed back
        for t in threads:
            t.join(timeout=10)
        server.shutdown()


def main() -> None:
    settings = config.load()
    setup_logging("packager", settings.log_level, settings.log_format)
    packager = Packager(settings)

    def _stop(signum, frame):
        packager.stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    packager.run()


if __name__ == "__main__":
    main()
