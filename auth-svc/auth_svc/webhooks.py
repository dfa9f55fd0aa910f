"""Webhook endpoints, managed by admins (design.md "People"): `GET /api/webhooks`, `POST
/api/webhooks` `{"url", "events"}` (201 with the signing secret, shown this once), `DELETE
/api/webhooks/<id>`, `GET /api/webhooks/<id>/deliveries` (the delivery log), and the page
`GET /admin/webhooks`. A browser session of an admin only (current.person_required):
never an API token.

A URL is checked at registration as at every delivery (vs_common.outbound): http or
https, and none of its host's addresses link-local, nor (unless WEBHOOK_ALLOW_PRIVATE)
loopback or private; a refusal is 400 `bad_url` with the reason. The secret is
`whsec_` and the base64 of 24 random bytes (the Standard Webhooks form); the packagers
sign with it (file_svc.packager.webhooks), so it is kept as it is in the database.
"""

from __future__ import annotations

import base64
import logging
import secrets

from flask import Blueprint, Response, g, jsonify, render_template, request

from vs_common import events, outbound, tables
from vs_common.app import app_db, app_settings
from vs_common.db import as_datetime, utcnow
from vs_common.errors import error_response

from .current import person_required

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__)
MOST_ENDPOINTS = 20  # every event is written once per subscribed endpoint: a bound on that
LOG_ROWS = 200  # the delivery log answers the newest attempts, this many


def _iso(value) -> str | None:
    at = as_datetime(value)
    return None if at is None else at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _endpoint_json(row: dict) -> dict:
    return {
        "id": row["id"],
        "url": row["url"],
        "events": row["events"],
        "created_by": row["created_by"],
        "created_at": _iso(row["created_at"]),
    }


def new_secret() -> str:
    """A signing secret: `whsec_` and the base64 of 24 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode("ascii")


def _events_of(raw) -> list[str] | None:
    """The events asked for (known ones, each once, in the order given), or None."""
    if not isinstance(raw, list) or not raw or not all(isinstance(e, str) for e in raw):
        return None
    if any(e not in events.TYPES for e in raw):
        return None
    return list(dict.fromkeys(raw))


@bp.get("/api/webhooks")
@person_required(admin=True)
def list_endpoints():
    """Every endpoint (never its secret)."""
    return jsonify(webhooks=[_endpoint_json(w) for w in tables.webhooks.endpoints(app_db())])


@bp.post("/api/webhooks")
@person_required(admin=True)
def register():
    """A new endpoint; 201 with its secret (the only time it is shown)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error_response(400, "bad_request", 'Send JSON: {"url": "https://...", "events": ["video.ready"]}.')
    wanted = _events_of(body.get("events"))
    if wanted is None:
        return error_response(
            400, "invalid_events", "events must be a non-empty list of: " + ", ".join(events.TYPES) + "."
        )
    url = body.get("url").strip() if isinstance(body.get("url"), str) else None
    try:
        outbound.check_endpoint(url, app_settings().webhook_allow_private)
    except outbound.Refused as exc:
        return error_response(400, "bad_url", f"This URL cannot receive webhooks: {exc}.")
    row = {
        "id": "wh_" + secrets.token_urlsafe(12),
        "url": url,
        "events": wanted,
        "secret": new_secret(),
        "created_by": g.person.username,
        "created_at": utcnow(),
    }
    if not tables.webhooks.create(app_db(), row, MOST_ENDPOINTS):
        return error_response(
            409, "too_many_webhooks", f"{MOST_ENDPOINTS} endpoints are registered already: delete one first."
        )
    log.info("webhook endpoint %s registered by %s for %s", row["id"], g.person.username, " ".join(wanted))
    answer = jsonify({**_endpoint_json(row), "secret": row["secret"]})
    answer.status_code = 201
    return answer


@bp.delete("/api/webhooks/<webhook_id>")
@person_required(admin=True)
def delete(webhook_id: str):
    """Remove an endpoint: nothing more is sent to it; its log goes with it."""
    if not tables.webhooks.delete(app_db(), webhook_id):
        return error_response(404, "not_found", "No such webhook endpoint.")
    log.info("webhook endpoint %s deleted by %s", webhook_id, g.person.username)
    return Response(status=204)


@bp.get("/api/webhooks/<webhook_id>/deliveries")
@person_required(admin=True)
def deliveries(webhook_id: str):
    """The endpoint's delivery log, newest attempt first: `status` is the HTTP status
    answered (null when none was), `state` the delivery's own (pending, delivered, failed)."""
    db = app_db()
    if tables.webhooks.endpoint(db, webhook_id) is None:
        return error_response(404, "not_found", "No such webhook endpoint.")
    rows = tables.webhooks.attempts_of(db, webhook_id, LOG_ROWS)
    return jsonify(
        deliveries=[
            {
                "event": r["type"],
                "message_id": r["message_id"],
                "attempt": int(r["attempt"]),
                "status": None if r["status_code"] is None else int(r["status_code"]),
                "outcome": r["outcome"],
                "at": _iso(r["at"]),
                "error": r["error"],
                "state": r["delivery"],
            }
            for r in rows
        ]
    )


@bp.get("/admin/webhooks")
@person_required(admin=True, page=True)
def page():
    """The admins' page: register an endpoint, the list, delete, each one's delivery log."""
    settings = app_settings()
    return render_template(
        "admin_webhooks.html",
        user=g.person.username,
        logout_url="/api/logout",
        event_types=events.TYPES,
        nav_upload_url=settings.upload_public_url + "/",
        nav_links=[
            ("Upload", settings.upload_public_url + "/", False),
            ("Library", settings.streaming_public_url + "/", False),
            ("Webhooks", "/admin/webhooks", True),
        ],
    )
