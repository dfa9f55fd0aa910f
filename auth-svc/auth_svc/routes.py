"""auth-svc routes: GET /login, POST /api/login, POST /api/logout, GET /api/verify."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, make_response, redirect, render_template, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from vs_common import access
from vs_common.app import app_db, app_settings
from vs_common.auth_client import token_from_request
from vs_common.errors import error_response
from vs_common.settings import origin_of
from vs_common.wire import COOKIE_NAME

from . import api_tokens, sessions, throttle, totp
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


def _target(value: str | None) -> str:
    """Where the login sends the browser next (redirects.py: the web apps, and auth-svc's
    account and admin pages), else the upload page."""
    settings = app_settings()
    return safe_redirect(value, settings.webapp_origins, _home(), origin_of(settings.auth_public_url))


# A refused login in a browser is posted, redirected (303) and got again: the address bar
# ends on /login, never on /api/login (a reload would post again). What the form must show
# travels in this short-lived, signed cookie, read once and cleared by GET /login.
FLASH_COOKIE = "login_flash"
FLASH_SECONDS = 120
_FLASH_SALT = "login-flash"
# Messages by code: the cookie carries the code, never text to show.
_MESSAGES = {
    "invalid_credentials": "Wrong username or password.",
    "invalid_ticket": "This sign-in took too long or its form is not genuine; log in again.",
    "invalid_totp": "Wrong code, or one already used; enter the current code of your authenticator app.",
    "account_disabled": "This account is disabled; ask an administrator.",
    "too_many_attempts": "Too many failed logins from your address; try again in {wait} seconds.",
}
_NOTICES = {"logged_out": "You are logged out."}


def _flash_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(app_settings().secret_key, salt=_FLASH_SALT)


def _login_page(
    status: int,
    *,
    error: str | None = None,
    notice: str | None = None,
    username: str = "",
    redirect_to: str = "",
    ticket: str = "",
):
    """The login form; with a `ticket` (a right password was given), the second factor's."""
    html = render_template(
        "login.html", error=error, notice=notice, username=username, redirect_to=redirect_to, ticket=ticket
    )
    return html, status


def _again(code: str | None, *, username: str = "", target: str = "", ticket: str = "", wait: int = 0):
    """303 to GET /login with what the form shows next in the flash cookie: the refusal's
    code, the username (never the password), where to go after, the second factor's ticket."""
    flash = {"c": code, "u": username, "r": target, "t": ticket, "w": wait}
    response = make_response(redirect("/login", code=303))
    settings = app_settings()
    response.set_cookie(
        FLASH_COOKIE,
        _flash_signer().dumps(flash),
        max_age=FLASH_SECONDS,
        path="/login",
        httponly=True,
        samesite="Lax",
        secure=settings.cookie_secure,
    )
    return response


def _read_flash() -> dict | None:
    """The flash cookie's content if genuine and fresh, else None (shown as a bare form)."""
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        flash = _flash_signer().loads(raw, max_age=FLASH_SECONDS)
    except BadSignature:
        return None
    return flash if isinstance(flash, dict) else None


def _refusal(status: int, code: str, message: str | None, *, username: str, target: str, ticket: str = ""):
    """A refused login: JSON when asked for, else the form again at /login (post, redirect,
    get), the username kept, never the password; the ticket kept on the second factor's form."""
    if _wants_json():
        return error_response(status, code, message or "")
    return _again(code, username=username, target=target, ticket=ticket)


@bp.get("/")
@access.public
def index():
    return redirect("/login", code=303)


@bp.get("/login")
@access.public
def login_page():
    """The login form; `redirect` is kept (if safe) for after the login. After a refused
    login or a logout, what the flash cookie says, once: the cookie is cleared here."""
    flash = _read_flash()
    if flash is None:
        response = make_response(_login_page(200, redirect_to=_target(request.args.get("redirect")))[0])
    else:
        code = str(flash.get("c") or "")
        wait = int(flash.get("w") or 0)
        response = make_response(
            _login_page(
                200,
                error=_MESSAGES[code].format(wait=wait) if code in _MESSAGES else None,
                notice=_NOTICES.get(code),
                username=str(flash.get("u") or ""),
                redirect_to=_target(str(flash.get("r") or "") or request.args.get("redirect")),
                ticket=str(flash.get("t") or ""),
            )[0]
        )
    if FLASH_COOKIE in request.cookies:
        response.delete_cookie(FLASH_COOKIE, path="/login", httponly=True, samesite="Lax")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/api/login")
@access.public
def login():
    """Check credentials (and the second factor when the person has one); on success a new
    session, the cookie and 303 to `redirect` (or JSON when asked for).

    Either `username` and `password` (and `totp` for a person with a second factor), or
    the `ticket` of the second factor's form and `totp`: a right password without a code
    answers that form (HTML) or 401 `totp_required` (JSON)."""
    settings = app_settings()
    db = app_db()
    form = request.get_json(silent=True) if request.is_json else request.form
    form = form if isinstance(form, dict) or hasattr(form, "get") else {}
    username = str(form.get("username") or "")[:190]
    password = str(form.get("password") or "")
    ticket = str(form.get("ticket") or "")[:2000]
    code = str(form.get("totp") or "")[:64]
    asked = str(form.get("redirect") or request.args.get("redirect") or "")
    target = _target(asked)
    client = throttle.client_address(settings.trusted_proxies)
    wait = throttle.retry_after_seconds(db, client)
    if wait:
        log.warning("login throttled for %s (user %r)", client, username)
        message = f"Too many failed logins from your address; try again in {wait} seconds."
        if _wants_json():
            return error_response(429, "too_many_attempts", message, {"Retry-After": str(wait)})
        response = _again("too_many_attempts", username=username, target=target, wait=wait)
        response.headers["Retry-After"] = str(wait)
        return response
    person, refusal = _first_factor(client, username, password, ticket, target)
    if refusal is None:
        refusal = _second_factor(client, person, ticket, code, target)
    if refusal is not None:
        return refusal
    if person.disabled:
        log.info("login of disabled %r from %s refused", person.username, client)
        message = _MESSAGES["account_disabled"]
        return _refusal(403, "account_disabled", message, username=person.username, target=target)
    return _logged_in(settings, db, person.username, client, target)


def _first_factor(client: str, username: str, password: str, ticket: str, target: str):
    """(the person, None) when the password is right, or the ticket of a right password
    genuine and unexpired; else (None, the refusal), counted by the throttle."""
    settings, db = app_settings(), app_db()
    people = current_app.extensions["people"]
    if ticket:
        username = totp.ticket_user(settings.secret_key, ticket) or ""
        person = people.person(username) if username else None
        if person is None or not person.totp_enabled:
            throttle.record_failure(db, client, username)
            message = _MESSAGES["invalid_ticket"]
            return None, _refusal(401, "invalid_ticket", message, username=username, target=target)
        return person, None
    person = people.check(username, password) if username else None
    if person is None:
        throttle.record_failure(db, client, username)
        log.info("failed login for %r from %s", username, client)
        message = _MESSAGES["invalid_credentials"]
        return None, _refusal(401, "invalid_credentials", message, username=username, target=target)
    return person, None


def _second_factor(client: str, person, ticket: str, code: str, target: str):
    """None when the person has no second factor or `code` is a right, unused one; else
    the refusal: the code's form (HTML, carrying a ticket instead of the password) or 401
    `totp_required` when there is no code, 401 `invalid_totp` (throttled) when it is wrong."""
    if not person.totp_enabled:
        return None
    settings, db, username = app_settings(), app_db(), person.username
    ticket = ticket or totp.make_ticket(settings.secret_key, username)
    if not code:
        if _wants_json():
            return error_response(401, "totp_required", "This account has a second factor: send `totp` too.")
        return _again(None, username=username, target=target, ticket=ticket)
    if not totp.spend(db, settings.secret_key, username, code):
        throttle.record_failure(db, client, username)
        log.info("wrong second factor for %r from %s", username, client)
        message = _MESSAGES["invalid_totp"]
        return _refusal(401, "invalid_totp", message, username=username, target=target, ticket=ticket)
    return None


def _logged_in(settings, db, username: str, client: str, target: str):
    """A new session: the cookie, and JSON or 303 to `target`."""
    token, expires = sessions.create_session(
        db,
        settings.secret_key,
        username,
        settings.token_ttl_seconds,
        user_agent=request.headers.get("User-Agent", ""),
        address=client,
    )
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
    """Revoke the session, clear the cookie, 303 to the login page, which says "You are
    logged out" (the flash cookie). An API token sent as Bearer is revoked instead: its
    holder (`reelhouse logout`) ends it without a password."""
    settings = app_settings()
    token = token_from_request()
    if api_tokens.is_api_token(token):
        api_tokens.revoke(app_db(), settings.secret_key, token)
    elif token:
        sessions.revoke_session(app_db(), settings.secret_key, token)
    response = _again("logged_out")
    response.headers["Location"] = settings.auth_public_url + "/login"
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
