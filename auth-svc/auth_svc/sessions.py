"""Sessions: a random token per login, stored only as HMAC-SHA256(SECRET_KEY, token) with
user and expiry. Keyed, so that whoever can write to the database (a leaked backup being
restored, an injection elsewhere) still cannot mint a session: a row is only reachable
from a token if its hash was made with the key. Changing SECRET_KEY logs everyone out."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from vs_common.db import Database, as_datetime, utcnow

from . import tables


def hash_token(token: str, key: str) -> str:
    return hmac.new(key.encode(), token.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def create_session(db: Database, key: str, username: str, ttl_seconds: int) -> tuple[str, datetime]:
    """A new session for `username`; returns (token, expires_at)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    expires = now + timedelta(seconds=ttl_seconds)
    # Old sessions go as new ones come: the table never grows without bound.
    tables.add_session(db, hash_token(token, key), username, now, expires, purge_before=now - timedelta(days=1))
    return token, expires


def session_user(db: Database, key: str, token: str) -> str | None:
    """The user of a live session, or None (unknown, expired, revoked, malformed)."""
    if not token or len(token) > 200:
        return None
    row = tables.session(db, hash_token(token, key))
    if row is None or row["revoked_at"] is not None:
        return None
    if as_datetime(row["expires_at"]) <= utcnow():
        return None
    return row["username"]


def revoke_session(db: Database, key: str, token: str) -> None:
    if token and len(token) <= 200:
        tables.revoke_session(db, hash_token(token, key), utcnow())
