"""Brute-force throttle: 10 failed logins in 15 minutes from one address, counted in the
database (so every auth-svc process shares it), then 429 until the window passes."""

from __future__ import annotations

import math
from datetime import timedelta

from flask import request

from vs_common.db import Database, as_datetime, utcnow

from . import tables

MAX_FAILURES = 10
WINDOW = timedelta(minutes=15)


def client_address(trusted_proxies: int) -> str:
    """The client's address, believing X-Forwarded-For only for `trusted_proxies` hops."""
    remote = request.remote_addr or "unknown"
    if trusted_proxies <= 0:
        return remote
    hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
    if len(hops) >= trusted_proxies:
        return hops[-trusted_proxies][:64]
    return remote


def retry_after_seconds(db: Database, client: str) -> int:
    """Seconds this client must wait, or 0 when it may try."""
    failures = tables.recent_failures(db, client, utcnow() - WINDOW, MAX_FAILURES)
    if len(failures) < MAX_FAILURES:
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
