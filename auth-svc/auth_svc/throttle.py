"""Brute-force throttle: 10 failed logins in 15 minutes from one address, counted in the
database (so every auth-svc process shares it), then 429 until the window passes.

Guesses of invitation links are counted the same way, apart: 20 unknown links in 15
minutes from one address, then every link (a valid one too) answers 429 to it. They are
rows of `login_attempts` whose client is `invite <address>`, which the login's count
never matches."""

from __future__ import annotations

import math
from datetime import timedelta

from vs_common.db import Database, as_datetime, utcnow
from vs_common.web_security import client_address as client_address  # the one reading of the address

from . import tables

MAX_FAILURES = 10
MAX_LINK_GUESSES = 20
WINDOW = timedelta(minutes=15)


def link_guesser(client: str) -> str:
    """The throttle's client for guesses of links (invitations) from `client`."""
    return f"invite {client}"[:64]


def retry_after_seconds(db: Database, client: str, limit: int = MAX_FAILURES) -> int:
    """Seconds this client must wait, or 0 when it may try (`limit` failures in WINDOW)."""
    failures = tables.recent_failures(db, client, utcnow() - WINDOW, limit)
    if len(failures) < limit:
        return 0
    oldest = as_datetime(failures[-1])
    wait = (oldest + WINDOW - utcnow()).total_seconds()
    return max(1, math.ceil(wait))


def record_failure(db: Database, client: str, username: str) -> None:
    """A failed attempt of `client`; the name tried is kept for the logs (a lone surrogate
    escaped: the database stores text only)."""
    now = utcnow()
    name = username[:190].encode("utf-8", "backslashreplace").decode("utf-8")[:190]
    tables.add_failure(db, client, name, now, purge_before=now - 2 * WINDOW)
