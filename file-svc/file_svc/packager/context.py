"""What the packager's parts are given: `Services`, shared by every job of one packager
process, and a `StageContext`, one attempt at one job as its stage sees it. Both are
frozen values: a stage reads what it needs from its context, never from a shared object."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from vs_common import tables
from vs_common.db import Cursor, Database
from vs_common.settings import Settings
from vs_common.tables.jobs import Job

from ..media.budget import Budget
from ..storage import Storage


@dataclass(frozen=True)
class Services:
    """What every job of one packager process uses; `stop` is set when it is stopping."""

    settings: Settings
    db: Database
    storage: Storage
    budget: Budget
    stop: threading.Event

    @contextmanager
    def owned(self, job: Job) -> Iterator[Cursor]:
        """A transaction under the video's row lock, while the job is still ours (LeaseLost if not)."""
        with tables.jobs.owned(self.db, job, self.settings.job_lease_seconds) as cur:
            yield cur

    def renew(self, job: Job) -> None:
        """Extend the job's lease; LeaseLost if it is no longer ours."""
        tables.jobs.renew(self.db, job, self.settings.job_lease_seconds)


@dataclass(frozen=True)
class StageContext:
    """One attempt at one job: the video's row as claimed, the attempt's own folder
    (removed when it ends), and its cancel event (set when the lease is lost or the
    packager stops: every ffmpeg of the attempt is then killed)."""

    settings: Settings
    db: Database
    storage: Storage
    budget: Budget
    job: Job
    row: dict
    work: Path
    cancel: threading.Event

    @classmethod
    def of(cls, services: Services, job: Job, row: dict, work: Path, cancel: threading.Event) -> StageContext:
        return cls(services.settings, services.db, services.storage, services.budget, job, row, work, cancel)

    @property
    def video_id(self) -> str:
        return self.job.video_id

    @property
    def allowed(self) -> int:
        """The most the video may store (its output budget, from its original's size)."""
        return self.budget.output_bytes(int(self.row["size_bytes"] or 0))

    @property
    def background_nice(self) -> int:
        """The nice level of background work (everything but a first stage)."""
        return self.settings.packaging_background_nice

    @contextmanager
    def owned(self) -> Iterator[Cursor]:
        """A transaction under the video's row lock, while the job is still ours (LeaseLost if not)."""
        with tables.jobs.owned(self.db, self.job, self.settings.job_lease_seconds) as cur:
            yield cur

    def renew(self) -> None:
        """Extend the job's lease; LeaseLost if it is no longer ours (or the video is gone)."""
        tables.jobs.renew(self.db, self.job, self.settings.job_lease_seconds)
