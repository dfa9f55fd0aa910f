"""`GET /healthz`: 200 when every check passes, else 503 naming the failing one."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, jsonify


def run_checks(checks: dict[str, Callable[[], None]]) -> tuple[bool, dict[str, str]]:
    """Run each named check (raising = failing): (all passed, {name: "ok" or the reason})."""
    results: dict[str, str] = {}
    ok = True
    for name, check in checks.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure is reported, not raised
            ok = False
            results[name] = f"unavailable: {exc}"[:300]
    return ok, results


def health_blueprint(checks: dict[str, Callable[[], None]]) -> Blueprint:
    """A blueprint answering /healthz by running each named check."""
    bp = Blueprint("health", __name__)

    @bp.get("/healthz")
    def healthz():
        ok, results = run_checks(checks)
        return jsonify({"status": "ok" if ok else "unavailable", "checks": results}), (200 if ok else 503)

    return bp
