"""auth-svc's own tables, and every statement on them (the catalogue's are in
vs_common.tables; the schema of both is vs_common.schema):

- `auth_sessions`: a session per login, stored as the HMAC of its token (sessions.py
  says why), with its user, expiry and revocation, and what the account page shows of it:
  a public id, the browser's User-Agent, the address and when it was last seen;
- `login_attempts`: failed logins by client address, for the throttle (throttle.py);
- `users`: the database's people (people.py reads them, management.py changes them),
  their password and second factor;
- `invitations`: one-time links to choose a password (invitations.py);
- `recovery_codes`: a second factor's one-time codes, as HMACs (totp.py);
- `api_tokens`: programs' tokens, as HMACs (api_tokens.py).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

import pymysql

from vs_common.db import Cursor, Database

DUPLICATE = (sqlite3.IntegrityError, pymysql.err.IntegrityError)  # a unique key already held

# -- auth_sessions ----------------------------------------------------------------------


def add_session(
    db: Database,
    token_hash: str,
    username: str,
    now: datetime,
    expires: datetime,
    purge_before: datetime,
    details: dict[str, str | None],
) -> None:
    """A new session, with its `details` (id, user_agent, address); sessions that expired
    before `purge_before` go next (Database.tidy), so the table never grows without
    bound."""
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO auth_sessions (token_hash, username, created_at, expires_at, last_seen_at, id, user_agent, "
            "address) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (token_hash, username, now, expires, now, details["id"], details["user_agent"], details["address"]),
        )
    db.tidy("DELETE FROM auth_sessions WHERE expires_at < ?", (purge_before,))


def session(db: Database, token_hash: str) -> dict | None:
    """The session's username, expires_at, revoked_at and last_seen_at, or None."""
    return db.query_one(
        "SELECT username, expires_at, revoked_at, last_seen_at FROM auth_sessions WHERE token_hash = ?", (token_hash,)
    )


def touch_session(db: Database, token_hash: str, now: datetime, unless_since: datetime) -> None:
    """Record that the session was seen, unless that was recorded since `unless_since`."""
    db.execute(
        "UPDATE auth_sessions SET last_seen_at = ? WHERE token_hash = ? AND (last_seen_at IS NULL OR last_seen_at < ?)",
        (now, token_hash, unless_since),
    )


def revoke_session(db: Database, token_hash: str, now: datetime) -> None:
    db.execute("UPDATE auth_sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL", (now, token_hash))


def live_sessions(db: Database, username: str, now: datetime) -> list[dict]:
    """The user's sessions neither revoked nor expired, last seen first (with their
    token_hash, to tell the caller's own)."""
    return db.query(
        "SELECT id, token_hash, created_at, last_seen_at, user_agent, address FROM auth_sessions "
        "WHERE username = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY last_seen_at DESC, created_at DESC",
        (username, now),
    )


def revoke_user_session(db: Database, username: str, session_id: str, now: datetime) -> bool:
    """Revoke one live session of `username` by its public id; False if there is none."""
    return bool(
        db.execute(
            "UPDATE auth_sessions SET revoked_at = ? WHERE id = ? AND username = ? AND revoked_at IS NULL "
            "AND expires_at > ?",
            (now, session_id, username, now),
        )
    )


def _revoke_others(cur: Cursor, username: str, keep_hash: str, now: datetime) -> None:
    cur.execute(
        "UPDATE auth_sessions SET revoked_at = ? WHERE username = ? AND token_hash <> ? AND revoked_at IS NULL",
        (now, username, keep_hash),
    )


def revoke_other_sessions(db: Database, username: str, keep_hash: str, now: datetime) -> None:
    """Revoke every session of `username` but the one stored under `keep_hash`."""
    with db.transaction() as cur:
        _revoke_others(cur, username, keep_hash, now)


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
    """A failed login; attempts older than `purge_before` go next (Database.tidy)."""
    db.execute("INSERT INTO login_attempts (client, username, attempted_at) VALUES (?, ?, ?)", (client, username, now))
    db.tidy("DELETE FROM login_attempts WHERE attempted_at < ?", (purge_before,))


# -- users ------------------------------------------------------------------------------


def user(db: Database, username: str) -> dict | None:
    """The database user of that (NFC) name, or None."""
    return db.query_one("SELECT * FROM users WHERE username = ?", (username,))


def set_password(db: Database, username: str, pw_hash: str, keep_session: str, now: datetime) -> None:
    """A new password hash for `username`, and every session of theirs but the one stored
    under `keep_session` revoked, in one transaction: no other session outlives the change."""
    with db.transaction() as cur:
        cur.execute(
            "UPDATE users SET password_hash = ?, password_changed_at = ?, updated_at = ? WHERE username = ?",
            (pw_hash, now, now, username),
        )
        _revoke_others(cur, username, keep_session, now)


def start_totp(db: Database, username: str, secret: str, now: datetime) -> bool:
    """Keep a new, not yet confirmed TOTP secret (an earlier unconfirmed one is replaced);
    False when a second factor is already on."""
    return bool(
        db.execute(
            "UPDATE users SET totp_secret = ?, totp_last_step = NULL, updated_at = ? "
            "WHERE username = ? AND totp_enabled = 0",
            (secret, now, username),
        )
    )


def enable_totp(db: Database, username: str, secret: str, step: int, code_hashes: list[str], now: datetime) -> bool:
    """Turn the second factor on with the secret the user confirmed (the step of the code
    they gave counts as used) and these recovery codes (replacing any older ones), in one
    transaction; False when the secret is no longer the pending one (a concurrent
    confirmation, a new enrolment)."""
    with db.transaction() as cur:
        changed = cur.execute(
            "UPDATE users SET totp_enabled = 1, totp_last_step = ?, updated_at = ? "
            "WHERE username = ? AND totp_enabled = 0 AND totp_secret = ?",
            (step, now, username, secret),
        ).rowcount
        if not changed:
            return False
        cur.execute("DELETE FROM recovery_codes WHERE username = ?", (username,))
        for code_hash in code_hashes:
            cur.execute(
                "INSERT INTO recovery_codes (username, code_hash, created_at) VALUES (?, ?, ?)",
                (username, code_hash, now),
            )
    return True


def disable_totp(db: Database, username: str, now: datetime) -> None:
    """The second factor off: the secret and the recovery codes gone."""
    with db.transaction() as cur:
        cur.execute(
            "UPDATE users SET totp_enabled = 0, totp_secret = NULL, totp_last_step = NULL, updated_at = ? "
            "WHERE username = ?",
            (now, username),
        )
        cur.execute("DELETE FROM recovery_codes WHERE username = ?", (username,))


def use_totp_step(db: Database, username: str, step: int) -> bool:
    """Spend the code of time step `step`: True only if no code of this step or a later
    one was spent before (of two concurrent uses of one code, one wins)."""
    return bool(
        db.execute(
            "UPDATE users SET totp_last_step = ? WHERE username = ? AND totp_enabled = 1 "
            "AND (totp_last_step IS NULL OR totp_last_step < ?)",
            (step, username, step),
        )
    )


def use_recovery_code(db: Database, username: str, code_hash: str, now: datetime) -> bool:
    """Spend a recovery code: True only the first time (of two concurrent uses, one wins)."""
    return bool(
        db.execute(
            "UPDATE recovery_codes SET used_at = ? WHERE username = ? AND code_hash = ? AND used_at IS NULL",
            (now, username, code_hash),
        )
    )


def recovery_codes_left(db: Database, username: str) -> int:
    row = db.query_one("SELECT COUNT(*) AS n FROM recovery_codes WHERE username = ? AND used_at IS NULL", (username,))
    return int(row["n"]) if row else 0


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


def revoke_sessions(cur: Cursor, username: str, now: datetime) -> None:
    """Every session of the user ends now."""
    cur.execute("UPDATE auth_sessions SET revoked_at = ? WHERE username = ? AND revoked_at IS NULL", (now, username))


def revoke_sessions_and_tokens(cur: Cursor, username: str, now: datetime) -> None:
    """Every session and API token of the user stops working now."""
    revoke_sessions(cur, username, now)
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


def add_api_token(db: Database, row: dict, limit: int) -> bool:
    """A new API token (`row`: its columns), unless its owner already has `limit` tokens
    that are not revoked (False). A guard against a runaway script, counted without a
    lock: two creations at the very same moment may both pass it."""
    with db.transaction() as cur:
        count = cur.execute(
            "SELECT COUNT(*) AS n FROM api_tokens WHERE username = ? AND revoked_at IS NULL", (row["username"],)
        ).fetchone()["n"]
        if int(count) >= limit:
            return False
        cur.execute(
            f"INSERT INTO api_tokens ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})", list(row.values())
        )
    return True


def user_api_tokens(db: Database, username: str) -> list[dict]:
    """The user's tokens that are not revoked (expired ones too), newest first."""
    return db.query(
        "SELECT id, name, scopes, created_at, expires_at, last_used_at FROM api_tokens "
        "WHERE username = ? AND revoked_at IS NULL ORDER BY created_at DESC, id",
        (username,),
    )


def revoke_api_token(db: Database, username: str, token_id: str, now: datetime) -> bool:
    """Revoke one of the user's tokens by its id; False if they have no such live token."""
    return bool(
        db.execute(
            "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND username = ? AND revoked_at IS NULL",
            (now, token_id, username),
        )
    )


def revoke_api_token_by_hash(db: Database, token_hash: str, now: datetime) -> None:
    """Revoke the token stored under that hash (its holder logs it out)."""
    db.execute("UPDATE api_tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL", (now, token_hash))
