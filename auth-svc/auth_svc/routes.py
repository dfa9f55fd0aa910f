"""auth-svc routes: GET /login, POST /api/login, POST /api/logout, GET /api/verify."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, make_response, redirect, render_template, request

from vs_common.app import app_db, app_settings
from vs_common.auth_client import token_from_request
from vs_common.errors import error_response
from vs_common.wire import COOKIE_NAME

from . import sessions, throttle
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
def index():
    return redirect("/login", code=303)


@bp.get("/login")
def login_page():
    """The login form; `redirect` is kept (if safe) for after the login."""
    settings = app_settings()
    target = safe_redirect(request.args.get("redirect"), settings.webapp_origins, _home())
    return _login_page(200, redirect_to=target)


@bp.post("/api/login")
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
    valid = bool(username) and 0 < len(password) <= 1024 and current_app.extensions["users"].check(username, password)
    if not valid:
        throttle.record_failure(db, client, username)
        log.info("failed login for %r from %s", username, client)
        message = "Wrong username or password."
        if _wants_json():
            return error_response(401, "invalid_credentials", message)
        return _login_page(401, error=message, username=username, redirect_to=target)
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
def verify():
    """200 {"user"} for a live session token (cookie or Bearer), else 401."""
    token = token_from_request()
    user = sessions.session_user(app_db(), app_settings().secret_key, token) if token else None
    if user is None:
        return error_response(401, "unauthorized", "No valid session token.")
    response = jsonify(user=user)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/openapi.json")
def openapi():
    return jsonify(OPENAPI)
