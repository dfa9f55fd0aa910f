"""The packaging queue (the `packaging_jobs` table): one row per stage of a video's
packaging, claimed with a lease.

Stages, claimed lowest priority number first:
- `first` (0): probe, the first playable rendition, the poster, the master, `ready`;
- `thumbs` (5): the library's hover thumbnails;
- `rendition` (10): one per other rendition, `height` its nominal height (the short
  side; 0 for the stages of the whole video).
The first stage enqueues the others when the video is `ready`, so background work
exists only for playable videos, and a new video's first stage is always ahead of it.

A claim is an optimistic `UPDATE ... WHERE` on the row (portable: no SKIP LOCKED, no
RETURNING); the claimer renews its lease while it works, and every catalogue update of
a job is made in a transaction that first checks the job is still its own (`owned`).
A job whose lease ran out is claimed again; a failed attempt waits a short back-off
(status `running`, no owner, the lease as the back-off's end).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..db import Cursor, Database, utcnow
from . import videos

FIRST, THUMBS, RENDITION = "first", "thumbs", "rendition"
PRIORITY = {FIRST: 0, THUMBS: 5, RENDITION: 10}
_CLAIMABLE = "(status = 'queued' OR (status = 'running' AND lease_until < ?))"


class LeaseLost(RuntimeError):
    """Another packager owns the job now, or its video was deleted (the job with it)."""


@dataclass
class Job:
    """A claimed job: `token` proves ownership in every update; `height` names the
    rendition of a RENDITION job (0 for the other stages)."""

    id: int
    video_id: str
    stage: str
    height: int
    attempts: int
    token: str
    payload: dict = field(default_factory=dict)

    def describe(self) -> str:
        return f"{self.stage}{f' {self.height}p' if self.stage == RENDITION else ''} of {self.video_id}"


def enqueue(
    cur: Cursor, video_id: str, stage: str, height: int = 0, payload: dict | None = None, now: datetime | None = None
) -> None:
    """(Re)queue one stage of a video, attempts reset. A payload of None keeps the old one."""
    now = now or utcnow()
    sets = (
        "status = 'queued', attempts = 0, claimed_by = NULL, lease_until = NULL, last_error = NULL, "
        "priority = ?, created_at = ?, started_at = NULL, finished_at = NULL, updated_at = ?"
    )
    params: list = [PRIORITY[stage], now, now]
    if payload is not None:
        sets += ", payload = ?"
        params.append(json.dumps(payload))
    # Found by a plain read, then updated by its primary key: an UPDATE by (video, stage,
    # height) that finds nothing locks the index gap it searched on MariaDB, and two new
    # videos' transactions inserting into that gap deadlock. A job of a video is only
    # queued under that video's row lock (or with its new row), so the read is not raced.
    found = cur.execute(
        "SELECT id FROM packaging_jobs WHERE video_id = ? AND stage = ? AND height = ?", (video_id, stage, height)
    ).fetchone()
    if found is not None:
        cur.execute(f"UPDATE packaging_jobs SET {sets} WHERE id = ?", [*params, found["id"]])
    else:
        cur.execute(
            "INSERT INTO packaging_jobs (video_id, stage, height, priority, status, attempts, payload, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, 'queued', 0, ?, ?, ?)",
            (video_id, stage, height, PRIORITY[stage], json.dumps(payload or {}), now, now),
        )


def claim(db: Database, worker: str, lease_seconds: int, stages: tuple[str, ...] | None = None) -> Job | None:
    """Take the most urgent claimable job (of `stages`, if given), or None."""
    now = utcnow()
    where, params = _CLAIMABLE, [now]
    if stages:
        where += f" AND stage IN ({', '.join('?' for _ in stages)})"
        params += list(stages)
    rows = db.query(f"SELECT id FROM packaging_jobs WHERE {where} ORDER BY priority, created_at, id LIMIT 5", params)
    for row in rows:
        token = f"{worker}-{uuid.uuid4().hex[:8]}"
        started = utcnow()
        with db.transaction() as cur:
            changed = cur.execute(
                "UPDATE packaging_jobs SET status = 'running', claimed_by = ?, lease_until = ?, "
                f"attempts = attempts + 1, started_at = ?, updated_at = ? WHERE id = ? AND {_CLAIMABLE}",
                (token, started + timedelta(seconds=lease_seconds), started, started, row["id"], now),
            ).rowcount
            if changed != 1:
                continue  # another packager was quicker
            got = cur.execute(
                "SELECT id, video_id, stage, height, attempts, payload FROM packaging_jobs WHERE id = ?",
                (row["id"],),
            ).fetchone()
        return Job(
            got["id"],
            got["video_id"],
            got["stage"],
            int(got["height"]),
            int(got["attempts"]),
            token,
            json.loads(got["payload"] or "{}"),
        )
    return None


def _extend(cur: Cursor, job: Job, lease_seconds: int) -> None:
    now = utcnow()
    changed = cur.execute(
        "UPDATE packaging_jobs SET lease_until = ?, updated_at = ? WHERE id = ? AND claimed_by = ? "
        "AND status = 'running'",
        (now + timedelta(seconds=lease_seconds), now, job.id, job.token),
    ).rowcount
    if changed != 1:
        raise LeaseLost(f"the {job.describe()} is no longer ours")


def renew(db: Database, job: Job, lease_seconds: int) -> None:
    """Extend the lease; raise LeaseLost if the job is no longer ours (or was deleted)."""
    with db.transaction() as cur:
        _extend(cur, job, lease_seconds)


@contextmanager
def owned(db: Database, job: Job, lease_seconds: int) -> Iterator[Cursor]:
    """A transaction that first locks the video's row, then checks (and extends) our lease:
    updates made in it are never made by a packager that lost the job, nor for a deleted
    video. Every writer of a video's rows locks its `videos` row first (here, in retries,
    deletes and the master's writer), so that they queue instead of deadlocking."""
    with db.transaction() as cur:
        if videos.lock(cur, job.video_id) is None:
            raise LeaseLost(f"the video of the {job.describe()} was deleted")
        _extend(cur, job, lease_seconds)
        yield cur


def _end(cur: Cursor, job: Job, status: str, reason: str | None) -> int:
    now = utcnow()
    cur.execute(
        "UPDATE packaging_jobs SET status = ?, last_error = COALESCE(?, last_error), lease_until = NULL, "
        "finished_at = ?, updated_at = ? WHERE id = ? AND claimed_by = ?",
        (status, reason[:1000] if reason else None, now, now, job.id, job.token),
    )
    return unfinished(cur, job.video_id)


def finish(cur: Cursor, job: Job) -> int:
    """Mark the job done; return how many jobs of its video are still unfinished."""
    return _end(cur, job, "done", None)


def fail(cur: Cursor, job: Job, reason: str) -> int:
    """Mark the job failed for good; return how many jobs of its video are unfinished."""
    return _end(cur, job, "failed", reason)


def retry_later(db: Database, job: Job, reason: str, backoff_seconds: float) -> None:
    """Give the job back after a failed attempt: claimable again once the back-off ends."""
    now = utcnow()
    db.execute(
        "UPDATE packaging_jobs SET claimed_by = NULL, lease_until = ?, last_error = ?, updated_at = ? "
        "WHERE id = ? AND claimed_by = ?",
        (now + timedelta(seconds=backoff_seconds), reason[:1000], now, job.id, job.token),
    )


def release(db: Database, job: Job) -> None:
    """Give a job back at once, this attempt not counted (the packager is stopping)."""
    now = utcnow()
    db.execute(
        "UPDATE packaging_jobs SET claimed_by = NULL, lease_until = ?, attempts = attempts - 1, updated_at = ? "
        "WHERE id = ? AND claimed_by = ?",
        (now, now, job.id, job.token),
    )


def last_error(db: Database, job: Job) -> str | None:
    row = db.query_one("SELECT last_error FROM packaging_jobs WHERE id = ?", (job.id,))
    return row["last_error"] if row else None


def unfinished(cur: Cursor, video_id: str) -> int:
    return int(
        cur.execute(
            "SELECT COUNT(*) AS n FROM packaging_jobs WHERE video_id = ? AND status NOT IN ('done', 'failed')",
            (video_id,),
        ).fetchone()["n"]
    )


def failed_thumbnails(cur: Cursor, video_id: str) -> bool:
    """Whether the video's `thumbs` job failed for good."""
    row = cur.execute(
        "SELECT id FROM packaging_jobs WHERE video_id = ? AND stage = ? AND status = 'failed'", (video_id, THUMBS)
    ).fetchone()
    return row is not None


def delete_all(cur: Cursor, video_id: str) -> None:
    cur.execute("DELETE FROM packaging_jobs WHERE video_id = ?", (video_id,))


def thumbnails_made(cur: Cursor, video_ids: list[str]) -> set[str]:
    """The videos whose library thumbnails are published (their `thumbs` job is done)."""
    if not video_ids:
        return set()
    marks = ", ".join("?" for _ in video_ids)
    rows = cur.execute(
        f"SELECT video_id FROM packaging_jobs WHERE stage = 'thumbs' AND status = 'done' AND video_id IN ({marks})",
        video_ids,
    ).fetchall()
    return {r["video_id"] for r in rows}


def phases(cur: Cursor, video_ids: list[str]) -> dict[str, str]:
    """For videos being processed: `waiting` (first stage queued) or `packaging`."""
    if not video_ids:
        return {}
    marks = ", ".join("?" for _ in video_ids)
    rows = cur.execute(
        f"SELECT video_id, status, claimed_by FROM packaging_jobs WHERE stage = 'first' AND video_id IN ({marks})",
        video_ids,
    ).fetchall()
    # Queued, or between attempts (no owner): waiting; claimed: packaging.
    return {
        r["video_id"]: ("waiting" if r["status"] == "queued" or r["claimed_by"] is None else "packaging") for r in rows
    }


def depth(db: Database) -> dict[tuple[str, str], int]:
    """Unfinished jobs by (stage, state): `running` (a live lease) or `waiting`."""
    rows = db.query(
        "SELECT stage, CASE WHEN status = 'running' AND claimed_by IS NOT NULL AND lease_until >= ? "
        "THEN 'running' ELSE 'waiting' END AS state, COUNT(*) AS n FROM packaging_jobs "
        "WHERE status IN ('queued', 'running') GROUP BY stage, state",
        (utcnow(),),
    )
    return {(r["stage"], r["state"]): int(r["n"]) for r in rows}
