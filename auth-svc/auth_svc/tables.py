"""auth-svc's own tables, and every statement on them (the catalogue's are in
vs_common.tables; the schema of both is vs_common.schema):

- `auth_sessions`: a session per login, stored as the HMAC of its token (sessions.py
  says why), with its user, expiry and revocation;
- `login_attempts`: failed logins by client address, for the throttle (throttle.py);
- `users`: the database's people (people.py reads them, management.py changes them);
- `invitations`: one-time links to choose a password (invitations.py);
- `api_tokens`, `recovery_codes`: what a person holds besides a password.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

import pymysql

from vs_common.db import Cursor, Database

DUPLICATE = (sqlite3.IntegrityError, pymysql.err.IntegrityError)  # a unique key already held

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


def users(db: Database) -> list[dict]:
    """Every database user, oldest first."""
    return db.query("SELECT * FROM users ORDER BY created_at, username")


def user_by_skeleton(db: Database, skeleton: str) -> dict | None:
    """The database user whose name looks like one of that skeleton (usernames.py), or None."""
    return db.query_one("SELECT * FROM users WHERE skeleton = ?", (skeleton,))


def add_user(db: Database, row: dict, invitation: dict, purge_before: datetime) -> bool:
    """A new user (`row`: its columns) with their first invitation, in one transaction;
    False, with nothing written, when the name or a look-alike (the unique skeleton) is
    already taken, however concurrent the other creation was."""
    try:
        with db.transaction() as cur:
            cur.execute(
                f"INSERT INTO users ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})", list(row.values())
            )
            add_invitation(cur, invitation, purge_before)
    except DUPLICATE:
        return False
    return True


def enabled_admins_for_update(cur: Cursor) -> list[str]:
    """The names of the enabled database admins, every user row locked until the
    transaction ends (on MariaDB; SQLite's BEGIN IMMEDIATE holds the whole database): two
    admins demoting each other at once are one after the other, and the second sees the
    first's change. Every change that may leave fewer admins takes this first."""
    rows = cur.execute(f"SELECT username, role, disabled FROM users ORDER BY username{cur.db.for_update}").fetchall()
    return [r["username"] for r in rows if r["role"] == "admin" and not r["disabled"]]


def locked_user(cur: Cursor, username: str) -> dict | None:
    """The user's row, read inside the caller's transaction (after enabled_admins_for_update)."""
    return cur.execute(f"SELECT * FROM users WHERE username = ?{cur.db.for_update}", (username,)).fetchone()


def update_user(cur: Cursor, username: str, changes: dict, now: datetime) -> None:
    """Set `changes` (column: value; role, disabled, quotas, password) and updated_at."""
    columns = {**changes, "updated_at": now}
    cur.execute(
        f"UPDATE users SET {', '.join(f'{k} = ?' for k in columns)} WHERE username = ?", [*columns.values(), username]
    )


def delete_user(cur: Cursor, username: str) -> None:
    """The user's row and everything they hold: sessions, API tokens, invitations,
    recovery codes."""
    for statement in (
        "DELETE FROM auth_sessions WHERE username = ?",
        "DELETE FROM api_tokens WHERE username = ?",
        "DELETE FROM invitations WHERE username = ?",
        "DELETE FROM recovery_codes WHERE username = ?",
        "DELETE FROM users WHERE username = ?",
    ):
        cur.execute(statement, (username,))


def revoke_sessions_and_tokens(cur: Cursor, username: str, now: datetime) -> None:
    """Every session and API token of the user stops working now."""
    cur.execute("UPDATE auth_sessions SET revoked_at = ? WHERE username = ? AND revoked_at IS NULL", (now, username))
    cur.execute("UPDATE api_tokens SET revoked_at = ? WHERE username = ? AND revoked_at IS NULL", (now, username))


# -- invitations ------------------------------------------------------------------------


def add_invitation(cur: Cursor, row: dict, purge_before: datetime) -> None:
    """A new link (`row`: token_hash, username, purpose, created_at, expires_at); links
    that expired or were used before `purge_before` go in the same transaction (kept until
    then, so that a late visitor is told "expired", not "unknown")."""
    cur.execute(
        f"INSERT INTO invitations ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})", list(row.values())
    )
    cur.execute("DELETE FROM invitations WHERE expires_at < ? OR used_at < ?", (purge_before, purge_before))


def invitation(db: Database, token_hash: str) -> dict | None:
    """The link stored under that hash (used and expired ones too), or None."""
    return db.query_one("SELECT * FROM invitations WHERE token_hash = ?", (token_hash,))


def end_invitations(cur: Cursor, username: str, now: datetime) -> None:
    """The user's unused links expire now (a new one replaces them)."""
    cur.execute(
        "UPDATE invitations SET expires_at = ? WHERE username = ? AND used_at IS NULL AND expires_at > ?",
        (now, username, now),
    )


def use_invitation(cur: Cursor, token_hash: str, now: datetime) -> bool:
    """Mark the link used, if it is still usable (unused, unexpired); False otherwise
    (two uses at once: one wins)."""
    return (
        cur.execute(
            "UPDATE invitations SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?",
            (now, token_hash, now),
        ).rowcount
        == 1
    )


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
