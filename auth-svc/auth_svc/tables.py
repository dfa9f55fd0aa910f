"""auth-svc's own tables, and every statement on them (the catalogue's are in
vs_common.tables; the schema of both is vs_common.schema):

- `auth_sessions`: a session per login, stored as the HMAC of its token (sessions.py
  says why), with its user, expiry and revocation;
- `login_attempts`: failed logins by client address, for the throttle (throttle.py).
"""

from __future__ import annotations

from datetime import datetime

from vs_common.db import Database

# -- auth_sessions ----------------------------------------------------------------------


def add_session(
    db: Database, token_hash: str, username: str, now: datetime, expires: datetime, purge_before: datetime
) -> None:
    """A new session; sessions that expired before `purge_before` go in the same
    transaction, so the table never grows without bound."""
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO auth_sessions (token_hash, username, created_at, expires_at) VALUES (?, ?, ?, ?)",
            (token_hash, username, now, expires),
        )
        cur.execute("DELETE FROM auth_sessions WHERE expires_at < ?", (purge_before,))


def session(db: Database, token_hash: str) -> dict | None:
    """The session's username, expires_at and revoked_at, or None."""
    return db.query_one(
        "SELECT username, expires_at, revoked_at FROM auth_sessions WHERE token_hash = ?", (token_hash,)
    )


def revoke_session(db: Database, token_hash: str, now: datetime) -> None:
    db.execute("UPDATE auth_sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL", (now, token_hash))


# -- login_attempts ---------------------------------------------------------------------


def recent_failures(db: Database, client: str, since: datetime, limit: int) -> list[datetime | str]:
    """When `client` failed since `since`, newest first, at most `limit` of them."""
    rows = db.query(
        "SELECT attempted_at FROM login_attempts WHERE client = ? AND attempted_at > ? "
        "ORDER BY attempted_at DESC LIMIT ?",
        (client, since, limit),
    )
    return [r["attempted_at"] for r in rows]


def add_failure(db: Database, client: str, username: str, now: datetime, purge_before: datetime) -> None:
    """A failed login; attempts older than `purge_before` go in the same transaction."""
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO login_attempts (client, username, attempted_at) VALUES (?, ?, ?)", (client, username, now)
        )
        cur.execute("DELETE FROM login_attempts WHERE attempted_at < ?", (purge_before,))


# -- users ------------------------------------------------------------------------------


def user(db: Database, username: str) -> dict | None:
    """The database user of that (NFC) name, or None."""
    return db.query_one("SELECT * FROM users WHERE username = ?", (username,))


# -- api_tokens -------------------------------------------------------------------------


def api_token(db: Database, token_hash: str) -> dict | None:
    """The API token stored under that hash (revoked and expired ones too), or None."""
    return db.query_one("SELECT * FROM api_tokens WHERE token_hash = ?", (token_hash,))


def touch_api_token(db: Database, token_id: str, now: datetime, unless_since: datetime) -> None:
    """Record a use of the token, unless one was recorded since `unless_since` (a write a
    minute at most, not one per request)."""
    db.execute(
        "UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
        (now, token_id, unless_since),
    )
