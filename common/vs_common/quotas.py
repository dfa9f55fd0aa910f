"""Per-user quotas: stored bytes and video count, checked before an upload's bytes are
stored.

- The limits come from the person, through auth-svc's verify answer (Identity's
  `quota_bytes`, `quota_videos`; None: no limit): the `users` row's for database users,
  DEFAULT_QUOTA_GB and DEFAULT_QUOTA_VIDEOS for the environment's admin and the file's
  users.
- Usage: every video's original plus the bytes each of its renditions stores
  (tables.videos.usage), plus the sizes of the owner's unfinished resumable uploads
  (their bytes are promised: they count from creation). Videos: every row (processing
  and failed ones too), plus the unfinished uploads, each a video to be.
- What is made from an upload later (renditions, thumbnails) may take its owner past
  the byte limit: the next upload is refused then, never a video already accepted.
- Checked in the transaction that holds the owner's creation lock
  (tables.uploads.one_creation_at_a_time), so that creations arriving together cannot
  all pass a limit that only one of them fits under.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import g

from . import tables
from .db import Cursor, Database


class QuotaExceeded(RuntimeError):
    """An upload would pass its owner's quota; the message gives the usage and the limit."""


@dataclass(frozen=True)
class Limits:
    """A person's quotas (None: no limit)."""

    bytes: int | None
    videos: int | None

    @property
    def unlimited(self) -> bool:
        return self.bytes is None and self.videos is None


@dataclass(frozen=True)
class Usage:
    """What a person holds: stored and promised bytes, videos and videos to be."""

    bytes: int
    videos: int


def usage(db: Database | Cursor, owner: str, now: datetime) -> Usage:
    """`owner`'s usage as the quotas count it (module docstring). With a cursor, read in
    its transaction (the one holding the creation lock)."""
    stored, videos = tables.videos.usage(db, owner)
    if isinstance(db, Cursor):
        pending, promised = tables.uploads.unfinished(db, owner, now)
    else:
        with db.transaction() as cur:
            pending, promised = tables.uploads.unfinished(cur, owner, now)
    return Usage(stored + promised, videos + pending)


def size(n: int) -> str:
    """A byte count as a person reads it: 1.5 GiB, 300 KiB, 12 bytes."""
    if n < 1024:
        return f"{n} bytes"
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        n /= 1024
        if n < 1024 or unit == "TiB":
            return f"{n:.1f} {unit}".replace(".0 ", " ")
    raise AssertionError("unreachable")


def refusal(limits: Limits, used: Usage, adding: int, *, slack: int = 0, more: bool = False) -> str | None:
    """Why one more video of `adding` bytes does not fit, or None. `slack`: bytes of
    `adding` that may not be the file's (a form's fields around it); `more`: the file
    was cut at `adding` bytes, so it needs more than that."""
    if limits.videos is not None and used.videos + 1 > limits.videos:
        return (
            f"You have {used.videos} of your {limits.videos} videos (unfinished uploads included); "
            "delete one, or ask an administrator for more."
        )
    if limits.bytes is not None and used.bytes + adding - slack > limits.bytes:
        needs = f"more than {size(adding)}" if more else size(adding)
        return (
            f"You use {size(used.bytes)} of your {size(limits.bytes)}; this file needs {needs}. "
            "Delete videos, or ask an administrator for more."
        )
    return None


def check(limits: Limits, used: Usage, adding: int) -> None:
    """QuotaExceeded unless one more video of `adding` bytes fits."""
    why = refusal(limits, used, adding)
    if why is not None:
        raise QuotaExceeded(why)


def of_caller() -> Limits:
    """The quotas of the person behind the current request (auth-svc's verify answer,
    kept by vs_common.auth_client as `g.identity`)."""
    who = g.identity
    return Limits(who.quota_bytes, who.quota_videos)


def room(limits: Limits, used: Usage) -> int | None:
    """How many more bytes fit (None: no limit): where an upload of unknown size is cut."""
    return None if limits.bytes is None else max(0, limits.bytes - used.bytes)
