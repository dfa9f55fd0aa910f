"""The invitation link's routes: `GET /invite/<token>` (the page: choose a password) and
`POST /api/invite/<token>` (set it). The page's form posts to the API route; a form post
is answered with a page (the reason inline, or the way to the login), JSON with JSON.

Unknown tokens are counted per client address (throttle.py): past the limit every link
answers 429 to it, a valid one too. What a link is, and why accepting costs the same
whatever the token: invitations.py.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, render_template, request

from vs_common import access
from vs_common.app import app_db, app_settings
from vs_common.errors import error_response

from . import invitations, throttle
from .pages import message_page, page_context

log = logging.getLogger(__name__)
bp = Blueprint("invite", __name__)

_GONE = {
    "used": (
        "invitation_used",
        "This link was used already: each link works once. Log in, or ask an administrator for a new link.",
    ),
    "expired": ("invitation_expired", "This link has expired. Ask an administrator for a new one."),
}
_UNKNOWN = "This link is not valid: check that it was copied whole, or ask an administrator for a new one."


def _guesser() -> str:
    return throttle.link_guesser(throttle.client_address(app_settings().trusted_proxies))


def _throttled(html: bool):
    """The 429 answer when this address guessed too many links, else None."""
    wait = throttle.retry_after_seconds(app_db(), _guesser(), throttle.MAX_LINK_GUESSES)
    if not wait:
        return None
    log.warning("invitation links throttled for %s", _guesser())
    message = f"Too many invalid links from your address; try again in {wait} seconds."
    headers = {"Retry-After": str(wait)}
    if html:
        return message_page(429, "Too many attempts", message, headers=headers)
    return error_response(429, "too_many_attempts", message, headers)


def _unknown(html: bool):
    throttle.record_failure(app_db(), _guesser(), "")
    if html:
        return message_page(404, "Link not valid", _UNKNOWN)
    return error_response(404, "not_found", _UNKNOWN)


def _gone(state: str, html: bool):
    code, message = _GONE[state]
    if html:
        return message_page(410, "Link no longer valid", message, link=("Log in", "/login"))
    return error_response(410, code, message)


def _form(username: str, token: str, status: int = 200, error: str | None = None):
    html = render_template("invite.html", username=username, token=token, error=error, **page_context(None))
    return html, status


@bp.get("/invite/<token>")
@access.public  # the link is the credential (throttled per address)
def invite_page(token: str):
    """The form to choose a password (404 unknown link, 410 used or expired)."""
    refused = _throttled(html=True)
    if refused is not None:
        return refused
    link = invitations.find(app_db(), app_settings().secret_key, token)
    if link is None:
        return _unknown(html=True)
    if link.state != "valid":
        return _gone(link.state, html=True)
    return _form(link.username, token)


@bp.post("/api/invite/<token>")
@access.public
def accept(token: str):
    """Set the password: 204 (JSON) or the page with the way to the login (a form)."""
    html = not request.is_json
    refused = _throttled(html)
    if refused is not None:
        return refused
    body = request.get_json(silent=True) if not html else request.form
    if not isinstance(body, dict) and not hasattr(body, "get"):
        return error_response(400, "bad_request", 'Send JSON {"password": "..."}.')
    password = body.get("password")
    if html and body.get("confirm") is not None and body.get("confirm") != password:
        link = invitations.find(app_db(), app_settings().secret_key, token)
        if link is not None and link.state == "valid":
            return _form(link.username, token, 400, "The two passwords differ; type the same one twice.")
    outcome = invitations.accept(app_db(), app_settings().secret_key, token, password)
    if outcome.result == "unknown":
        return _unknown(html)
    if outcome.result in _GONE:
        return _gone(outcome.result, html)
    if outcome.result == "weak":
        if html:
            return _form(outcome.username, token, 400, outcome.reason)
        return error_response(400, "weak_password", outcome.reason)
    log.info("%r chose a password through a link", outcome.username)
    if html:
        return message_page(
            200,
            "Password set",
            f"Your password is set, {outcome.username}. You can log in now.",
            link=("Log in", "/login"),
        )
    return Response(status=204)
