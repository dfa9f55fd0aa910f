"""Sessions: a random token per login, stored only as HMAC-SHA256(SECRET_KEY, token) with
user and expiry. Keyed, so that whoever can write to the database (a leaked backup being
restored, an injection elsewhere) still cannot mint a session: a row is only reachable
from a token if its hash was made with the key. Changing SECRET_KEY logs everyone out.

For the account page's list a session also has a public random id (never the token), the
browser's User-Agent and the client's address at login, and when it was last seen: a
verification records that at most once a minute (SEEN_EVERY), not one write per request."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from vs_common.auth_client import API_TOKEN_PREFIX
from vs_common.db import Database, as_datetime, utcnow

from . import tables

SEEN_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often per session
USER_AGENT_MAX = 255


def hash_token(token: str, key: str) -> str:
    return hmac.new(key.encode(), token.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def create_session(
    db: Database, key: str, username: str, ttl_seconds: int, *, user_agent: str = "", address: str | None = None
) -> tuple[str, datetime]:
    """A new session for `username` (with the browser's User-Agent and the client's
    address, for the account page); returns (token, expires_at)."""
    token = secrets.token_urlsafe(32)
    while token.startswith(API_TOKEN_PREFIX):  # 1 in 262,144 starts rh_: it would be read as a program's token
        token = secrets.token_urlsafe(32)
    now = utcnow()
    expires = now + timedelta(seconds=ttl_seconds)
    details = {"id": secrets.token_urlsafe(16), "user_agent": user_agent[:USER_AGENT_MAX] or None, "address": address}
    # Old sessions go as new ones come: the table never grows without bound.
    tables.add_session(
        db, hash_token(token, key), username, now, expires, purge_before=now - timedelta(days=1), details=details
    )
    return token, expires


def session_user(db: Database, key: str, token: str) -> str | None:
    """The user of a live session, or None (unknown, expired, revoked, malformed); the
    session is marked seen now when that was last recorded over SEEN_EVERY ago."""
    if not token or len(token) > 200:
        return None
    token_hash = hash_token(token, key)
    row = tables.session(db, token_hash)
    if row is None or row["revoked_at"] is not None:
        return None
    now = utcnow()
    if as_datetime(row["expires_at"]) <= now:
        return None
    seen = as_datetime(row["last_seen_at"])
    if seen is None or seen < now - SEEN_EVERY:
        tables.touch_session(db, token_hash, now, now - SEEN_EVERY)
    return row["username"]


def revoke_session(db: Database, key: str, token: str) -> None:
    if token and len(token) <= 200:
        tables.revoke_session(db, hash_token(token, key), utcnow())
