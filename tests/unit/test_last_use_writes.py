"""A session's last_seen_at and an API token's last_used_at are written at most once a
minute: the statements auth-svc sends to the database while verifying one token many
times hold one UPDATE in all (counted with SQLite's trace of every statement run), and
another once the recorded time is over a minute old."""

from __future__ import annotations

import sys
from datetime import timedelta

import pytest

from harness import ROOT

sys.path.insert(0, str(ROOT / "auth-svc"))
from auth_svc import api_tokens, sessions  # noqa: E402

pytestmark = pytest.mark.fast

KEY = "test-secret-key-0123456789"


@pytest.fixture
def db(tmp_path):
    from vs_common.db import Database
    from vs_common.schema import migrate
    from vs_common.settings import Settings

    database = Database(Settings(db_path=str(tmp_path / "auth.sqlite3"), storage_dir=str(tmp_path)))
    migrate(database)
    return database


def _updates(db, table: str, verify, times: int = 20) -> int:
    """UPDATE statements on `table` while `verify()` runs `times` times."""
    seen: list[str] = []
    db._conn().set_trace_callback(seen.append)
    try:
        for _ in range(times):
            assert verify()
    finally:
        db._conn().set_trace_callback(None)
    return sum(1 for sql in seen if sql.lstrip().upper().startswith(f"UPDATE {table.upper()}"))


def test_a_session_is_marked_seen_once_a_minute(db):
    from vs_common.db import utcnow

    token, _ = sessions.create_session(db, KEY, "carol", 3600, user_agent="x", address="127.0.0.1")
    assert _updates(db, "auth_sessions", lambda: sessions.session_user(db, KEY, token)) == 0  # seen at login
    db.execute("UPDATE auth_sessions SET last_seen_at = ?", (utcnow() - timedelta(seconds=61),))
    assert _updates(db, "auth_sessions", lambda: sessions.session_user(db, KEY, token)) == 1


def test_a_token_is_marked_used_once_a_minute(db):
    from vs_common.db import utcnow

    token = api_tokens.new_token()
    now = utcnow()
    db.execute(
        "INSERT INTO api_tokens (id, username, name, token_hash, scopes, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        ("t1", "carol", "ci", sessions.hash_token(token, KEY), "read", now),
    )
    assert _updates(db, "api_tokens", lambda: api_tokens.token_owner(db, KEY, token)) == 1  # its first use
    db.execute("UPDATE api_tokens SET last_used_at = ?", (utcnow() - timedelta(seconds=61),))
    assert _updates(db, "api_tokens", lambda: api_tokens.token_owner(db, KEY, token)) == 1
