"""Who may log in: AUTH_USERNAME/AUTH_PASSWORD, plus lines `name:hash` in AUTH_USERS_FILE.

Every check costs one password-hash verification, whether the name exists or not, and
the final comparison is werkzeug's constant-time one: neither the password nor which
names exist can be learnt from timing. AUTH_PASSWORD is hashed once at start, so it is
checked exactly like a users-file entry.
"""

from __future__ import annotations

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
    """Checks a username and password against the configured users.

    The users file is read on each check, so an edit takes effect without a restart.
    AUTH_USERNAME wins over a line of the same name in the file.
    """

    def __init__(self, username: str, password: str, users_file: str = ""):
        self.env_user = (username, generate_password_hash(password)) if username and password else None
        self.users_file = users_file

    def _users(self) -> dict[str, str]:
        users: dict[str, str] = {}
        if self.users_file:
            try:
                users = read_users_file(self.users_file)
            except (OSError, UnicodeDecodeError) as exc:
                log.error("AUTH_USERS_FILE %s cannot be read (only AUTH_USERNAME can log in): %s", self.users_file, exc)
        if self.env_user is not None:
            users[self.env_user[0]] = self.env_user[1]
        return users

    def check(self, username: str, password: str) -> bool:
        """True when the pair is valid; the same work whether or not the name exists."""
        pw_hash = self._users().get(username)
        try:
            ok = check_password_hash(pw_hash or _DUMMY_HASH, password)
        except (ValueError, TypeError):
            log.warning("AUTH_USERS_FILE hash for %r is malformed", username)
            check_password_hash(_DUMMY_HASH, password)
            ok = False
        return ok and pw_hash is not None
