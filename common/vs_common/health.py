"""`GET /healthz`: 200 when every check passes, else 503 naming the failing one."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, jsonify


def health_blueprint(checks: dict[str, Callable[[], None]]) -> Blueprint:
    """A blueprint answering /healthz by running each named check (raise = failing)."""
    bp = Blueprint("health", __name__)

    @bp.get("/healthz")
    def healthz():
        results: dict[str, str] = {}
        ok = True
        for name, check in checks.items():
            try:
                check()
                results[name] = "ok"
            except Exception as exc:  # noqa: BLE001 - any failure is reported, not raised
                ok = False
                results[name] = f"unavailable: {exc}"[:300]
        body = {"status": "ok" if ok else "unavailable", "checks": results}
        return jsonify(body), (200 if ok else 503)

    return bp
