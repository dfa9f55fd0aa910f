"""Who may log in: AUTH_USERNAME/AUTH_PASSWORD, plus lines `name:hash` in AUTH_USERS_FILE.

Every comparison takes the same time whether the user exists or not.
"""

from __future__ import annotations

import hmac
import logging
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

log = logging.getLogger(__name__)

# Checked when the user is unknown, so that an unknown name costs as much as a known one.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def read_users_file(path: str) -> dict[str, str]:
    """`name:hash` lines (split at the first colon); blank lines and # comments skipped."""
    users: dict[str, str] = {}
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, pw_hash = line.partition(":")
        if not sep or not name.strip() or not pw_hash.strip():
            log.warning("AUTH_USERS_FILE line %d is not name:hash; ignored", number)
            continue
        users[name.strip()] = pw_hash.strip()
    return users


class UserDirectory:
    """Checks a username and password against the configured users."""

    def __init__(self, username: str, password: str, users_file: str = ""):
        self.env_user = (username, password) if username and password else None
        self.users_file = users_file

    def check(self, username: str, password: str) -> bool:
        """True when the pair is valid; constant time with respect to the secrets."""
        ok = False
        matched_env = False
        if self.env_user is not None:
            name_ok = hmac.compare_digest(username.encode(), self.env_user[0].encode())
            pass_ok = hmac.compare_digest(password.encode(), self.env_user[1].encode())
            matched_env = name_ok
            ok = name_ok and pass_ok
        file_users = read_users_file(self.users_file) if self.users_file else {}
        pw_hash = file_users.get(username)
        if pw_hash is not None and not matched_env:
            try:
                ok = check_password_hash(pw_hash, password)
            except (ValueError, TypeError):
                log.warning("AUTH_USERS_FILE hash for %r is malformed", username)
                ok = False
        elif not matched_env:
            check_password_hash(_DUMMY_HASH, password)
        return ok
