"""One-time links where a person chooses their password: made when an admin creates a
user (purpose `invite`) or resets one (`reset`).

- A link is `AUTH_PUBLIC_URL/invite/<token>`, the token 256 random bits; only
  HMAC-SHA256(SECRET_KEY, token) is stored (as sessions are: sessions.py says why), so
  the table alone opens nothing. It works once, until INVITE_TTL_HOURS after it was made;
  a newer link of the same person ends the older ones.
- Looking a token up is one query by its keyed hash: how long it takes says nothing of
  how close a guess was. Accepting costs the same whatever the token (unknown, used,
  expired or good): the password is judged and hashed in every case, so that timing does
  not tell a live link from a dead one. Unknown tokens are counted per client address
  (throttle.py); past the limit every link answers 429 to that address.
- Used and expired links are kept a month (then purged as new ones are made), so that a
  late visitor is told why the link no longer works.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from vs_common.db import Cursor, Database, as_datetime, utcnow
from vs_common.settings import Settings

from . import passwords, tables
from .people import hash_password
from .sessions import hash_token

KEEP_DEAD_LINKS = timedelta(days=30)
TOKEN_MAX = 200  # longer is no token of ours: not even hashed


@dataclass(frozen=True)
class Link:
    """A link as a visitor finds it: its person, and whether it still works."""

    username: str
    purpose: str
    state: str  # "valid", "used" or "expired"


def link_url(settings: Settings, token: str) -> str:
    return f"{settings.auth_public_url.rstrip('/')}/invite/{token}"


def new_link(settings: Settings, username: str, purpose: str, now: datetime) -> tuple[str, dict]:
    """(token, row) of a new link for `username`; the caller stores the row (add_link or
    tables.add_user) in its own transaction."""
    token = secrets.token_urlsafe(32)
    row = {
        "token_hash": hash_token(token, settings.secret_key),
        "username": username,
        "purpose": purpose,
        "created_at": now,
        "expires_at": now + timedelta(hours=settings.invite_ttl_hours),
    }
    return token, row


def add_link(cur: Cursor, row: dict, now: datetime) -> None:
    """Store a new link; the person's older unused links end now."""
    tables.end_invitations(cur, row["username"], now)
    tables.add_invitation(cur, row, purge_before=now - KEEP_DEAD_LINKS)


def find(db: Database, key: str, token: str) -> Link | None:
    """The link of `token`, or None for a token that names none."""
    if not token or len(token) > TOKEN_MAX:
        return None
    row = tables.invitation(db, hash_token(token, key))
    if row is None:
        return None
    expires = as_datetime(row["expires_at"])
    state = "used" if row["used_at"] is not None else "expired" if expires <= utcnow() else "valid"
    return Link(row["username"], row["purpose"], state)


@dataclass(frozen=True)
class Outcome:
    """What accepting a link did: `ok`, or why not (`unknown`, `used`, `expired`, `weak`
    with `reason`)."""

    result: str
    username: str = ""
    reason: str = ""


def accept(db: Database, key: str, token: str, password: object) -> Outcome:
    """Set the person's password from `token`'s link (module docstring: the same work
    whatever the token). Every session and API token the person had ends (after a reset,
    whoever knew the old password is out)."""
    link = find(db, key, token)
    reason = passwords.weakness(password, link.username if link else "")
    pw_hash = hash_password(password) if reason is None else None
    if link is None:
        return Outcome("unknown")
    if link.state != "valid":
        return Outcome(link.state, link.username)
    if reason is not None:
        return Outcome("weak", link.username, reason)
    now = utcnow()
    with db.transaction() as cur:
        if not tables.use_invitation(cur, hash_token(token, key), now):
            return Outcome("used", link.username)  # used (or expired) a moment ago
        tables.update_user(cur, link.username, {"password_hash": pw_hash, "password_changed_at": now}, now)
        tables.revoke_sessions_and_tokens(cur, link.username, now)
    return Outcome("ok", link.username)
