"""A person's own account: the page `GET /account` and its API under `/api/me`.

The password (database users only: the environment's admin and the users file's people
have theirs where the operator keeps them, 409 `managed_elsewhere`), the sessions (list,
revoke one, revoke all others), the second factor (enrol, confirm, turn off), API tokens
(create, list, revoke) and quota usage. Every route takes a browser session only, never
an API token (current.person_required): a program's token cannot make more tokens, turn
off a second factor or change the password. JSON bodies only; every bad one is a 400
saying what is wrong.

Proofs that are wrong (the current password, a code) answer 403, not 401: the session is
fine, the proof is not. The wrong current password and a wrong code when turning the
second factor off count as failed logins in the throttle (throttle.py), so a stolen
session cannot be used to guess them.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, date, datetime, time, timedelta

from flask import Blueprint, current_app, g, jsonify, render_template, request

from vs_common.app import app_db, app_settings
from vs_common.auth_client import SCOPES
from vs_common.db import as_datetime, utcnow
from vs_common.errors import error_response
from vs_common.names import InvalidName, clean_name
from vs_common.tables import videos

from . import api_tokens, management, tables, throttle, totp
from .current import person_required
from .passwords import weakness
from .people import Person, hash_password
from .sessions import hash_token

bp = Blueprint("account", __name__)

TOKEN_NAME_MAX = 100
TOKENS_MAX = 50  # live tokens per person: a guard against a runaway script
DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
MANAGED_ELSEWHERE = {
    "env": "Your account is the administrator of the server's configuration (AUTH_USERNAME and "
    "AUTH_PASSWORD): its password is changed there, by whoever runs the server.",
    "file": "Your account is a line of the server's users file (AUTH_USERS_FILE): its password is "
    "changed there, by whoever runs the server.",
}
SECOND_FACTOR_ELSEWHERE = (
    "A second factor is kept with accounts of the database; yours is in the server's configuration, "
    "so whoever runs the server guards it."
)


class BadInput(ValueError):
    """A request body that says something wrong: a code, and a message for the person."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


# -- what the page and the API show ----------------------------------------------------------


def iso(value) -> str | None:
    """A stored time as ISO 8601 UTC with milliseconds (as VIDEO's times are)."""
    if value is None:
        return None
    return as_datetime(value).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _when(value) -> str:
    """A stored time for people: `2025-06-01 14:03 UTC`."""
    if value is None:
        return "never"
    return as_datetime(value).strftime("%Y-%m-%d %H:%M UTC")


def amount(nbytes: int) -> str:
    """Bytes for people: `1.4 GB` (powers of 1024, as quotas are given in GB)."""
    value = float(nbytes)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{int(value)} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


_BROWSERS = (  # the first that matches names the browser (Edge and Opera also say Chrome)
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
    ("reelhouse", "the reelhouse CLI"),
    ("curl/", "curl"),
    ("python-requests/", "a Python script"),
)
_SYSTEMS = (  # Android and ChromeOS before Linux, iOS before macOS: their strings say both
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
)


def browser_words(user_agent: str | None) -> str:
    """A User-Agent in words, e.g. "Chrome on Linux"; "Unknown browser" when it says
    nothing we know."""
    ua = user_agent or ""
    browser = next((name for mark, name in _BROWSERS if mark in ua), None)
    system = next((name for mark, name in _SYSTEMS if mark in ua), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or (f"A browser on {system}" if system else "Unknown browser")


def user_json(person: Person) -> dict:
    """USER (design.md) for `person`, with their usage now: the admin's shape
    (management.user_json), one for both pages."""
    db = app_db()
    row = tables.user(db, person.username) if person.source == "database" else None
    return management.user_json(person, row, videos.usage(db, person.username))


def _sessions() -> list[dict]:
    mine = hash_token(g.session_token, app_settings().secret_key)
    rows = tables.live_sessions(app_db(), g.person.username, utcnow())
    return [
        {
            "id": row["id"],
            "created_at": iso(row["created_at"]),
            "last_seen_at": iso(row["last_seen_at"]),
            "user_agent": row["user_agent"],
            "address": row["address"],
            "current": row["token_hash"] == mine,
        }
        for row in rows
    ]


def _token_json(row: dict) -> dict:
    return {
        "id": row["id"],
        "name": row["name"],
        "scopes": [s for s in str(row["scopes"]).split() if s in SCOPES],
        "created_at": iso(row["created_at"]),
        "expires_at": iso(row["expires_at"]),
        "last_used_at": iso(row["last_used_at"]),
    }


# -- the page ------------------------------------------------------------------------------


@bp.get("/account")
@person_required(page=True)
def account_page():
    """The account page: quota, password, sessions, second factor, API tokens."""
    settings = app_settings()
    person: Person = g.person
    me = user_json(person)
    now = utcnow()
    sessions = [
        {**s, "browser": browser_words(s["user_agent"]), "seen": _when(s["last_seen_at"] or s["created_at"])}
        for s in _sessions()
    ]
    tokens = [
        {
            **_token_json(row),
            "created": _when(row["created_at"]),
            "expires": _when(row["expires_at"]) if row["expires_at"] else "never",
            "expired": row["expires_at"] is not None and as_datetime(row["expires_at"]) <= now,
            "used": _when(row["last_used_at"]),
        }
        for row in tables.user_api_tokens(app_db(), person.username)
    ]
    return render_template(
        "account.html",
        user=person.username,
        logout_url="/api/logout",
        nav_upload_url=settings.upload_public_url + "/",
        nav_links=[
            ("Upload", settings.upload_public_url + "/", False),
            ("Library", settings.streaming_public_url + "/", False),
            ("Account", settings.auth_public_url.rstrip("/") + "/account", True),
        ],
        me=me,
        usage={"bytes": amount(me["bytes_used"]), "quota": amount(me["quota_bytes"] or 0)},
        managed=MANAGED_ELSEWHERE.get(person.source),
        second_factor_elsewhere=SECOND_FACTOR_ELSEWHERE if person.source != "database" else None,
        totp_on=person.totp_enabled,
        recovery_left=tables.recovery_codes_left(app_db(), person.username) if person.totp_enabled else 0,
        sessions=sessions,
        tokens=tokens,
        scopes=SCOPES,
        today=now.date().isoformat(),
    )


# -- the API -------------------------------------------------------------------------------


def _body() -> dict:
    """The JSON object the request carries; BadInput otherwise."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadInput("bad_request", "Send a JSON object (Content-Type: application/json).")
    return body


def _text(body: dict, field: str) -> str:
    value = body.get(field)
    if not isinstance(value, str) or not value:
        raise BadInput("bad_request", f"Send `{field}` as a non-empty string.")
    return value


@bp.errorhandler(BadInput)
def _bad_input(exc: BadInput):
    return error_response(400, exc.code, str(exc))


def _managed_elsewhere():
    """409 for a person whose password the database does not keep (or None)."""
    message = MANAGED_ELSEWHERE.get(g.person.source)
    return error_response(409, "managed_elsewhere", message) if message else None


def _throttled():
    """429 while the client's failed attempts are over the throttle's limit (or None)."""
    wait = throttle.retry_after_seconds(app_db(), _client())
    if not wait:
        return None
    message = f"Too many failed attempts from your address; try again in {wait} seconds."
    return error_response(429, "too_many_attempts", message, {"Retry-After": str(wait)})


def _client() -> str:
    return throttle.client_address(app_settings().trusted_proxies)


@bp.get("/api/me")
@person_required()
def me():
    """USER plus whether a second factor is on."""
    return jsonify({**user_json(g.person), "totp": g.person.totp_enabled})


@bp.post("/api/me/password")
@person_required()
def change_password():
    """A new password (the current one asked); every other session of the person ends."""
    refusal = _managed_elsewhere()
    if refusal is not None:
        return refusal
    body = _body()
    current, new = _text(body, "current_password"), _text(body, "new_password")
    refusal = _throttled()
    if refusal is not None:
        return refusal
    person: Person = g.person
    if current_app.extensions["people"].check(person.username, current) is None:
        throttle.record_failure(app_db(), _client(), person.username)
        return error_response(403, "wrong_password", "The current password is wrong.")
    reason = weakness(new, person.username)
    if reason is not None:
        return error_response(400, "weak_password", reason)
    settings = app_settings()
    keep = hash_token(g.session_token, settings.secret_key)
    tables.set_password(app_db(), person.username, hash_password(new), keep, utcnow())
    return "", 204


@bp.get("/api/me/sessions")
@person_required()
def list_sessions():
    return jsonify(sessions=_sessions())


@bp.delete("/api/me/sessions/<session_id>")
@person_required()
def revoke_session(session_id: str):
    """End one of the person's sessions (this one too, if asked: a logout)."""
    if len(session_id) > 64 or not tables.revoke_user_session(app_db(), g.person.username, session_id, utcnow()):
        return error_response(404, "not_found", "You have no live session with this id.")
    return "", 204


@bp.delete("/api/me/sessions")
@person_required()
def revoke_other_sessions():
    """End every session of the person but this one."""
    keep = hash_token(g.session_token, app_settings().secret_key)
    tables.revoke_other_sessions(app_db(), g.person.username, keep, utcnow())
    return "", 204


def _second_factor_elsewhere():
    if g.person.source == "database":
        return None
    return error_response(409, "managed_elsewhere", SECOND_FACTOR_ELSEWHERE)


@bp.post("/api/me/totp")
@person_required()
def start_totp():
    """A new TOTP secret to enrol (confirmed by a code before it is asked at login)."""
    refusal = _second_factor_elsewhere()
    if refusal is not None:
        return refusal
    secret = totp.new_secret()
    if not tables.start_totp(app_db(), g.person.username, secret, utcnow()):
        return error_response(409, "totp_enabled", "Your second factor is already on; turn it off first.")
    url, svg = totp.provisioning(g.person.username, secret)
    return jsonify(otpauth_url=url, secret=secret, qr_svg=svg)


@bp.post("/api/me/totp/confirm")
@person_required()
def confirm_totp():
    """Turn the second factor on with a code of the new secret; the recovery codes, once."""
    refusal = _second_factor_elsewhere()
    if refusal is not None:
        return refusal
    code = _text(_body(), "code").strip()
    db, username = app_db(), g.person.username
    row = tables.user(db, username)
    if row is None or row["totp_enabled"]:
        return error_response(409, "totp_enabled", "Your second factor is already on.")
    secret = row["totp_secret"]
    if not secret:
        return error_response(409, "no_enrolment", "Start setting up a second factor first (POST /api/me/totp).")
    step = totp.matching_step(secret, code)
    if step is None:
        return error_response(
            403, "invalid_totp", "This code is not the app's current one: check the phone's clock and try again."
        )
    codes = totp.new_recovery_codes()
    key = app_settings().secret_key
    if not tables.enable_totp(db, username, secret, step, [totp.recovery_hash(key, c) for c in codes], utcnow()):
        return error_response(409, "no_enrolment", "The setup changed meanwhile (another tab?); start it again.")
    return jsonify(recovery_codes=codes)


@bp.delete("/api/me/totp")
@person_required()
def disable_totp():
    """Turn the second factor off; a current code (or a recovery code) is asked."""
    refusal = _second_factor_elsewhere()
    if refusal is not None:
        return refusal
    code = _text(_body(), "code")
    if not g.person.totp_enabled:
        return error_response(409, "totp_not_enabled", "Your second factor is not on.")
    refusal = _throttled()
    if refusal is not None:
        return refusal
    db, username = app_db(), g.person.username
    if not totp.spend(db, app_settings().secret_key, username, code):
        throttle.record_failure(db, _client(), username)
        return error_response(403, "invalid_totp", "Wrong code, or one already used.")
    tables.disable_totp(db, username, utcnow())
    return "", 204


@bp.get("/api/me/tokens")
@person_required()
def list_tokens():
    return jsonify(tokens=[_token_json(row) for row in tables.user_api_tokens(app_db(), g.person.username)])


def _token_name(raw) -> str:
    if not isinstance(raw, str):
        raise BadInput("invalid_name", "Send `name` as a string.")
    try:
        name = clean_name(raw, "The token's name")
    except InvalidName as exc:
        raise BadInput("invalid_name", str(exc)) from None
    if len(name) > TOKEN_NAME_MAX:
        raise BadInput(
            "invalid_name", f"The token's name is {len(name)} characters long; the limit is {TOKEN_NAME_MAX}."
        )
    return name


def _scopes(raw) -> list[str]:
    if not isinstance(raw, list) or not raw or not all(isinstance(s, str) for s in raw):
        raise BadInput("invalid_scopes", f"Send `scopes` as a non-empty list of: {', '.join(SCOPES)}.")
    unknown = sorted(set(raw) - set(SCOPES))
    if unknown:
        raise BadInput("invalid_scopes", f"Unknown scope {unknown[0][:40]!r}; the scopes are {', '.join(SCOPES)}.")
    return [s for s in SCOPES if s in raw]


def _expiry(raw) -> datetime | None:
    """`expires_at` as naive UTC: None for none; a date alone means the end of that day
    (UTC); a time without a zone is UTC. It must be in the future."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or len(raw) > 40:
        raise BadInput(
            "invalid_expiry", "Send `expires_at` as an ISO 8601 date or time, e.g. 2030-01-31 or 2030-01-31T12:00:00Z."
        )
    try:
        if DATE_ONLY.fullmatch(raw):
            value = datetime.combine(date.fromisoformat(raw), time.min) + timedelta(days=1)
        else:
            value = datetime.fromisoformat(raw)
            if value.tzinfo is not None:
                value = value.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):
        raise BadInput("invalid_expiry", f"`expires_at` is not an ISO 8601 date or time: {raw!r}.") from None
    if value <= utcnow():
        raise BadInput("invalid_expiry", "`expires_at` is in the past; give a time in the future (or none).")
    return value


@bp.post("/api/me/tokens")
@person_required()
def create_token():
    """A new API token: its secret is in this answer only (stored as an HMAC)."""
    body = _body()
    name, scopes, expires = _token_name(body.get("name")), _scopes(body.get("scopes")), _expiry(body.get("expires_at"))
    token, now = api_tokens.new_token(), utcnow()
    row = {
        "id": secrets.token_urlsafe(16),
        "username": g.person.username,
        "name": name,
        "token_hash": hash_token(token, app_settings().secret_key),
        "scopes": " ".join(scopes),
        "created_at": now,
        "expires_at": expires,
        "last_used_at": None,
    }
    if not tables.add_api_token(app_db(), row, TOKENS_MAX):
        return error_response(409, "too_many_tokens", f"You have {TOKENS_MAX} tokens; revoke one you no longer use.")
    response = jsonify({**_token_json(row), "token": token})
    response.status_code = 201
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.delete("/api/me/tokens/<token_id>")
@person_required()
def revoke_token(token_id: str):
    if len(token_id) > 64 or not tables.revoke_api_token(app_db(), g.person.username, token_id, utcnow()):
        return error_response(404, "not_found", "You have no live token with this id.")
    return "", 204
