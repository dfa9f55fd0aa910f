"""auth-svc routes: GET /login, POST /api/login, POST /api/logout, GET /api/verify."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, make_response, redirect, render_template, request

from vs_common import access
from vs_common.app import app_db, app_settings
from vs_common.auth_client import token_from_request
from vs_common.errors import error_response
from vs_common.wire import COOKIE_NAME

from . import api_tokens, sessions, throttle
from .openapi import OPENAPI
from .redirects import safe_redirect

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes["application/json"] >= request.accept_mimetypes["text/html"]
    )


def _home() -> str:
    return app_settings().upload_public_url + "/"


def _login_page(status: int, *, error: str | None = None, username: str = "", redirect_to: str = ""):
    html = render_template("login.html", error=error, username=username, redirect_to=redirect_to)
    return html, status


@bp.get("/")
@access.public
def index():
    return redirect("/login", code=303)


@bp.get("/login")
@access.public
def login_page():
    """The login form; `redirect` is kept (if safe) for after the login."""
    settings = app_settings()
    target = safe_redirect(request.args.get("redirect"), settings.webapp_origins, _home())
    return _login_page(200, redirect_to=target)


@bp.post("/api/login")
@access.public
def login():
    """Check credentials; on success a new session, the cookie and 303 to `redirect`."""
    settings = app_settings()
    db = app_db()
    form = request.get_json(silent=True) if request.is_json else request.form
    form = form if isinstance(form, dict) or hasattr(form, "get") else {}
    username = str(form.get("username") or "")[:190]
    password = str(form.get("password") or "")
    target = safe_redirect(form.get("redirect") or request.args.get("redirect"), settings.webapp_origins, _home())
    client = throttle.client_address(settings.trusted_proxies)
    wait = throttle.retry_after_seconds(db, client)
    if wait:
        log.warning("login throttled for %s (user %r)", client, username)
        message = f"Too many failed logins from your address; try again in {wait} seconds."
        if _wants_json():
            return error_response(429, "too_many_attempts", message, {"Retry-After": str(wait)})
        body, _ = _login_page(429, error=message, username=username, redirect_to=target)
        return body, 429, {"Retry-After": str(wait)}
    person = current_app.extensions["people"].check(username, password) if username else None
    if person is None:
        throttle.record_failure(db, client, username)
        log.info("failed login for %r from %s", username, client)
        message = "Wrong username or password."
        if _wants_json():
            return error_response(401, "invalid_credentials", message)
        return _login_page(401, error=message, username=username, redirect_to=target)
    if person.disabled:
        log.info("login of disabled %r from %s refused", username, client)
        message = "This account is disabled; ask an administrator."
        if _wants_json():
            return error_response(403, "account_disabled", message)
        return _login_page(403, error=message, username=username, redirect_to=target)
    username = person.username
    token, expires = sessions.create_session(db, settings.secret_key, username, settings.token_ttl_seconds)
    log.info("login of %r from %s", username, client)
    if _wants_json():
        response = jsonify(token=token, user=username, expires_at=expires.strftime("%Y-%m-%dT%H:%M:%SZ"))
        response.headers["Cache-Control"] = "no-store"
    else:
        response = redirect(target, code=303)
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=settings.token_ttl_seconds,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=settings.cookie_secure,
        domain=settings.cookie_domain or None,
    )
    return response


@bp.post("/api/logout")
@access.public
def logout():
    """Revoke the session, clear the cookie, 303 to the login page."""
    settings = app_settings()
    token = token_from_request()
    if token:
        sessions.revoke_session(app_db(), settings.secret_key, token)
    response = make_response(redirect(settings.auth_public_url + "/login", code=303))
    response.delete_cookie(
        COOKIE_NAME,
        path="/",
        domain=settings.cookie_domain or None,
        secure=settings.cookie_secure,
        httponly=True,
        samesite="Lax",
    )
    return response


@bp.get("/api/verify")
@access.public
def verify():
    """200 {"user", "role", "scopes", "quota_bytes", "quota_videos"} for a live session
    token (cookie or Bearer; scopes null: all the role allows) or API token (scopes: its
    list); the quotas are the person's (null: no limit), so that the web apps need not
    read auth-svc's tables. Else 401 (`account_disabled` when the person is disabled)."""
    token = token_from_request()
    key, db = app_settings().secret_key, app_db()
    user, scopes = None, None
    if api_tokens.is_api_token(token):
        owner = api_tokens.token_owner(db, key, token)
        if owner is not None:
            user, scopes = owner
    elif token:
        user = sessions.session_user(db, key, token)
    person = current_app.extensions["people"].person(user) if user else None
    if person is None:
        return error_response(401, "unauthorized", "No valid session or API token.")
    if person.disabled:
        return error_response(401, "account_disabled", "This account is disabled.")
    response = jsonify(
        user=person.username,
        role=person.role,
        scopes=scopes,
        quota_bytes=person.quota_bytes,
        quota_videos=person.quota_videos,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/openapi.json")
@access.public
def openapi():
    return jsonify(OPENAPI)
