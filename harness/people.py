"""People and API tokens written straight into a stack's database, for the tests of
roles, scopes and quotas: viewers, uploaders and admins of the `users` table (Argon2id
passwords, as auth-svc's people.py checks them) and API tokens (stored as auth-svc
stores them: HMAC-SHA256(SECRET_KEY, token)).

auth-svc's own API makes them too (issue 22's admin and account routes); these helpers
write the rows directly so that the web apps' checks can be tested on their own. The
skeleton is the NFKC-casefolded name here (the tests only need it unique; auth-svc
computes the confusable skeleton when it makes a user).
"""

from __future__ import annotations

import secrets
import sys
import unicodedata
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .processes import ROOT

if TYPE_CHECKING:
    from .stack import Stack


def _auth_svc():
    """auth-svc's modules (hash_password, hash_token), importable from this checkout."""
    folder = str(ROOT / "auth-svc")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    from auth_svc import people, sessions

    return people, sessions


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def add_user(
    st: Stack,
    name: str,
    role: str,
    password: str,
    disabled: bool = False,
    quota_bytes: int | None = None,
    quota_videos: int | None = None,
) -> None:
    """A `users` row: `name` of `role` with `password` (Argon2id), its quotas (None: none)."""
    people, _ = _auth_svc()
    now = _now()
    st.query(
        "INSERT INTO users (username, skeleton, role, password_hash, disabled, quota_bytes, quota_videos, "
        "created_at, updated_at, password_changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            name,
            unicodedata.normalize("NFKC", name).casefold(),
            role,
            people.hash_password(password),
            int(disabled),
            quota_bytes,
            quota_videos,
            now,
            now,
            now,
        ),
    )


def set_user(st: Stack, name: str, **columns) -> None:
    """Change a user's row (role, disabled, quota_bytes, quota_videos...) as an admin would."""
    assignments = ", ".join(f"{column} = ?" for column in columns)
    st.query(f"UPDATE users SET {assignments}, updated_at = ? WHERE username = ?", (*columns.values(), _now(), name))


def add_token(
    st: Stack,
    owner: str,
    scopes,
    expires_at: datetime | None = None,
    revoked_at: datetime | None = None,
    name: str = "test token",
) -> str:
    """An API token of `owner`'s with `scopes` (a list, or a space-separated string);
    the token itself (`rh_...`), which only its HMAC is stored of."""
    _, sessions = _auth_svc()
    token = "rh_" + secrets.token_urlsafe(32)
    scopes = scopes if isinstance(scopes, str) else " ".join(scopes)
    st.query(
        "INSERT INTO api_tokens (id, username, name, token_hash, scopes, created_at, expires_at, revoked_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            secrets.token_hex(8),
            owner,
            name,
            sessions.hash_token(token, st.env["SECRET_KEY"]),
            scopes,
            _now(),
            expires_at,
            revoked_at,
        ),
    )
    return token
