"""The admin's routes: the page `GET /admin/users` and its API, `GET`/`POST /api/users`,
`PATCH`/`DELETE /api/users/<username>`, `POST /api/users/<username>/reset`.

Admins only, and with a browser session only (current.person_required: an API token is
401 here, whatever its scopes, so a program cannot manage people). What each operation
does and refuses: management.py.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, g, jsonify, render_template, request

from vs_common.app import app_db, app_settings
from vs_common.errors import error_response

from .current import person_required
from .management import Management, Refusal
from .pages import page_context

log = logging.getLogger(__name__)
bp = Blueprint("admin", __name__)


def _management() -> Management:
    return Management(app_settings(), app_db(), current_app.extensions["people"])


@bp.errorhandler(Refusal)
def _refused(refusal: Refusal):
    return error_response(refusal.status, refusal.code, refusal.message)


@bp.get("/admin/users")
@person_required(admin=True, page=True)
def users_page():
    """The people: who they are, their usage, and the admin's actions (admin.js)."""
    default_bytes, default_videos = current_app.extensions["people"].default_quotas()
    return render_template(
        "admin_users.html",
        me=g.person.username,
        default_quota_bytes=default_bytes,
        default_quota_videos=default_videos,
        invite_hours=app_settings().invite_ttl_hours,
        **page_context(g.person, "admin"),
    )


@bp.get("/api/users")
@person_required(admin=True)
def list_users():
    return jsonify(users=_management().list_users())


@bp.post("/api/users")
@person_required(admin=True)
def create_user():
    user, url = _management().create(request.get_json(silent=True), g.person.username)
    log.info("user %r (%s) created by %s", user["username"], user["role"], g.person.username)
    return jsonify(user=user, invite_url=url), 201


@bp.patch("/api/users/<username>")
@person_required(admin=True)
def change_user(username: str):
    body = request.get_json(silent=True)
    user = _management().change(username, body)
    log.info("user %r changed by %s: %s", user["username"], g.person.username, sorted(body))
    return jsonify(user)


@bp.post("/api/users/<username>/reset")
@person_required(admin=True)
def reset_user(username: str):
    url = _management().reset(username)
    log.info("password of %r reset by %s", username, g.person.username)
    return jsonify(invite_url=url)


@bp.delete("/api/users/<username>")
@person_required(admin=True)
def delete_user(username: str):
    videos = request.args.get("videos", "")
    _management().delete(username, videos)
    log.info("user %r deleted by %s (videos: %s)", username, g.person.username, videos)
    return Response(status=204)
