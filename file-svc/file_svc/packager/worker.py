"""The packager process: lanes of worker threads that claim jobs and run attempts at them,
the webhook delivery worker (its own threads), the health server, and the sweep every
SWEEP_INTERVAL_SECONDS; SIGTERM stops it (the jobs at work are handed back)."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time

from werkzeug.serving import make_server

from vs_common import layout, tables
from vs_common.db import Database, DatabaseUnavailable, utcnow
from vs_common.logs import setup_logging
from vs_common.schema import migrate
from vs_common.settings import Settings
from vs_common.tables.jobs import Job

from .. import config
from ..media.budget import Budget
from ..storage import make_storage
from . import attempt, health, sweeps, webhooks
from .context import Services

log = logging.getLogger("file_svc.packager")
POLL_SECONDS = 0.25


class Packager:
    """Claims and runs packaging jobs; serves /healthz."""

    def __init__(self, settings: Settings):
        self.services = Services(
            settings=settings,
            db=Database(settings),
            storage=make_storage(settings),
            budget=Budget.from_settings(settings),
            stop=threading.Event(),
        )
        self.worker_id = f"{socket.gethostname()[:30]}-{os.getpid()}"
        layout.work_root(settings.temp_dir).mkdir(parents=True, exist_ok=True)
        self.current: dict[str, dict] = {}  # lane thread -> the job it works on (for /healthz)
        self._cancels: dict[int, threading.Event] = {}

    @property
    def stop(self) -> threading.Event:
        return self.services.stop

    def health_app(self):
        return health.health_app(self.services, self.worker_id, self.current)

    def sweep(self) -> None:
        sweeps.sweep(self.services)

    def worker_loop(self, lane: str, stages: tuple[str, ...] | None) -> None:
        """Claim the most urgent job (of `stages`) and work on it, until the packager stops."""
        settings = self.services.settings
        while not self.stop.is_set():
            try:
                job = tables.jobs.claim(
                    self.services.db, f"{self.worker_id}-{lane}", settings.job_lease_seconds, stages
                )
            except DatabaseUnavailable as exc:
                log.warning("%s: database unavailable: %s", lane, exc)
                self.stop.wait(2)
                continue
            if job is None:
                self.stop.wait(POLL_SECONDS)
                continue
            self._work_on(lane, job)

    def _work_on(self, lane: str, job: Job) -> None:
        log.info("%s: %s (attempt %d)", lane, job.describe(), job.attempts)
        self.current[lane] = {
            "video_id": job.video_id,
            "stage": job.stage,
            "height": job.height or None,  # a rendition's; None for the stages of the whole video
            "attempt": job.attempts,
            "lane": lane,
            "since": utcnow().isoformat(timespec="milliseconds") + "Z",
        }
        cancel = self._cancels[job.id] = threading.Event()
        try:
            attempt.run(self.services, job, cancel)
        except DatabaseUnavailable as exc:
            log.warning("%s: database lost during %s: %s (the lease will expire)", lane, job.describe(), exc)
            self.stop.wait(2)
        finally:
            self._cancels.pop(job.id, None)
            self.current.pop(lane, None)

    def run(self) -> None:
        settings = self.services.settings
        server = self._serve_health()
        self._prepare()
        threads = self._start_lanes()
        threads.append(webhooks.start(self.services, self.worker_id))
        log.info(
            "packager started: %d first-stage and %d general worker(s), background at nice %d",
            settings.packaging_first_workers,
            settings.packaging_workers,
            settings.packaging_background_nice,
        )
        self._sweep_until_stopped()
        for cancel in list(self._cancels.values()):
            cancel.set()  # stop the ffmpeg runs; their jobs are handed back
        for t in threads:
            t.join(timeout=10)
        server.shutdown()

    def _serve_health(self):
        host = os.environ.get("BIND_HOST", "0.0.0.0")
        port = self.services.settings.packager_port
        server = make_server(host, port, self.health_app(), threaded=True)
        threading.Thread(target=server.serve_forever, name="health", daemon=True).start()
        log.info("packager %s: /healthz on %s:%d", self.worker_id, host, port)
        return server

    def _prepare(self) -> None:
        """The schema migrated (waiting for the database), the bucket made if missing."""
        while not self.stop.is_set():
            try:
                migrate(self.services.db)
                break
            except Exception as exc:  # noqa: BLE001 - wait for the database
                log.warning("waiting for the database: %s", exc)
                self.stop.wait(2)
        try:
            self.services.storage.ensure_bucket()
        except Exception as exc:  # noqa: BLE001
            log.warning("could not check the bucket: %s", exc)

    def _start_lanes(self) -> list[threading.Thread]:
        """PACKAGING_FIRST_WORKERS lanes for first stages only (capacity background work
        never occupies), PACKAGING_WORKERS for any stage, most urgent first."""
        settings = self.services.settings
        lanes = [(f"first{i}", (tables.jobs.FIRST,)) for i in range(settings.packaging_first_workers)]
        lanes += [(f"any{i}", None) for i in range(settings.packaging_workers)]
        threads = [threading.Thread(target=self.worker_loop, args=lane, name=lane[0], daemon=True) for lane in lanes]
        for t in threads:
            t.start()
        return threads

    def _sweep_until_stopped(self) -> None:
        last_sweep = 0.0
        while not self.stop.wait(1):
            if time.monotonic() - last_sweep > self.services.settings.sweep_interval_seconds:
                last_sweep = time.monotonic()
                try:
                    self.sweep()
                except Exception:  # noqa: BLE001 - housekeeping never stops the workers
                    log.exception("sweep failed")


def main() -> None:
    settings = config.load(secrets=())
    setup_logging("packager", settings.log_level, settings.log_format)
    packager = Packager(settings)

    def _stop(signum, frame):
        packager.stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    packager.run()
