"""`GET /healthz`: 200 when every check passes, else 503 naming the failing one.

/healthz is public (probes, load balancers, the Ingress): an answer names each check and
says "ok" or "unavailable", never why. The reason (an exception's text: a host, a port,
a bucket URL) goes to the log, once when a check starts failing, once when it passes
again, and while it keeps failing only when the reason changes, at most once a minute:
anyone can call /healthz as often as they like."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from flask import Blueprint, jsonify

from .access import public

log = logging.getLogger(__name__)

UNAVAILABLE = "unavailable"
REPEAT_SECONDS = 60.0  # a failing check whose reason changes is logged again after this


class _Memory:
    """What the log was last told of each check of this process: {name: (reason or None
    when passing, monotonic time of that line)}."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._said: dict[str, tuple[str | None, float]] = {}

    def passing(self, name: str) -> None:
        with self._lock:
            reason, _ = self._said.get(name, (None, 0.0))
            if reason is None:
                return
            self._said[name] = (None, time.monotonic())
        log.info("health check %s passing again", name)

    def failing(self, name: str, reason: str) -> None:
        now = time.monotonic()
        with self._lock:
            said, when = self._said.get(name, (None, 0.0))
            if said is not None and (said == reason or now - when < REPEAT_SECONDS):
                return
            self._said[name] = (reason, now)
        log.warning("health check %s failing: %s", name, reason)


_MEMORY = _Memory()


def run_checks(checks: dict[str, Callable[[], None]]) -> tuple[bool, dict[str, str]]:
    """Run each named check (raising = failing): (all passed, {name: "ok" or
    "unavailable"}). A failure's reason is logged (see the module), never returned."""
    results: dict[str, str] = {}
    ok = True
    for name, check in checks.items():
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure is reported, not raised
            ok = False
            results[name] = UNAVAILABLE
            _MEMORY.failing(name, f"{type(exc).__name__}: {exc}"[:500])
        else:
            results[name] = "ok"
            _MEMORY.passing(name)
    return ok, results


def health_blueprint(checks: dict[str, Callable[[], None]]) -> Blueprint:
    """A blueprint answering /healthz by running each named check."""
    bp = Blueprint("health", __name__)

    @bp.get("/healthz")
    @public
    def healthz():
        ok, results = run_checks(checks)
        return jsonify({"status": "ok" if ok else UNAVAILABLE, "checks": results}), (200 if ok else 503)

    return bp
