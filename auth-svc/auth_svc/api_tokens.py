"""API tokens: what programs hold instead of a person's password.

A token is `rh_` and 43 URL-safe characters (256 random bits), shown once when made and
stored only as HMAC-SHA256(SECRET_KEY, token) (as sessions are: sessions.py says why),
with its owner, name, scopes (`read`, `upload`, `manage`), optional expiry, last use and
revocation. The web apps accept one as `Authorization: Bearer` within its scopes; pages
and auth-svc's own account and admin routes never do.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from vs_common.auth_client import API_TOKEN_PREFIX, SCOPES
from vs_common.db import Database, as_datetime, utcnow

from . import tables
from .sessions import hash_token

PREFIX = API_TOKEN_PREFIX
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often per token


def is_api_token(token: str | None) -> bool:
    return bool(token) and token.startswith(PREFIX)


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def token_owner(db: Database, key: str, token: str) -> tuple[str, list[str]] | None:
    """(username, scopes) of a live token (not revoked, not expired), recording its use;
    None for anything else."""
    if not is_api_token(token) or len(token) > 200:
        return None
    row = tables.api_token(db, hash_token(token, key))
    if row is None or row["revoked_at"] is not None:
        return None
    now = utcnow()
    if row["expires_at"] is not None and as_datetime(row["expires_at"]) <= now:
        return None
    used = as_datetime(row["last_used_at"])
    if used is None or used < now - TOUCH_EVERY:  # else no statement at all, not even one changing nothing
        tables.touch_api_token(db, row["id"], now, now - TOUCH_EVERY)
    scopes = [s for s in str(row["scopes"]).split() if s in SCOPES]
    return row["username"], scopes


def revoke(db: Database, key: str, token: str) -> None:
    """Revoke the token itself (its holder logs it out); nothing for an unknown one."""
    if is_api_token(token) and len(token) <= 200:
        tables.revoke_api_token_by_hash(db, hash_token(token, key), utcnow())
