"""Who may log in: AUTH_USERNAME/AUTH_PASSWORD, plus lines `name:hash` in AUTH_USERS_FILE.

Each check does the same work whether the name exists or not, and compares in constant
time, so neither a password nor which names exist can be learnt from timing:
- only AUTH_USERNAME/AUTH_PASSWORD: both are compared as HMACs under a per-process random
  key with `hmac.compare_digest` (cheap: the secret is in the environment anyway, and the
  throttle bounds online guessing);
- with AUTH_USERS_FILE: every check is one werkzeug password-hash verification (whose
  final comparison is constant-time); AUTH_PASSWORD is hashed once at start to match, and
  an unknown name is checked against a dummy hash.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import secrets
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

log = logging.getLogger(__name__)


@functools.cache
def _dummy_hash() -> str:
    """Checked when the user is unknown, so that an unknown name costs as much as a known one."""
    return generate_password_hash(secrets.token_hex(16))


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
        self._key = secrets.token_bytes(32)
        self.users_file = users_file
        self.env_user: tuple[str, bytes, str] | None = None
        if username and password:
            pw_hash = generate_password_hash(password) if users_file else ""
            if users_file:
                _dummy_hash()  # made now, so the first check of an unknown name is not slower
            self.env_user = (username, self._mac(password), pw_hash)

    def _mac(self, text: str) -> bytes:
        return hmac.new(self._key, text.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()

    def _file_users(self) -> dict[str, str]:
        try:
            return read_users_file(self.users_file)
        except (OSError, UnicodeDecodeError) as exc:
            log.error("AUTH_USERS_FILE %s cannot be read (only AUTH_USERNAME can log in): %s", self.users_file, exc)
            return {}

    def check(self, username: str, password: str) -> bool:
        """True when the pair is valid; the same work whether or not the name exists."""
        if not self.users_file:
            name, pw_mac, _ = self.env_user or ("", self._mac(secrets.token_hex(16)), "")
            name_ok = hmac.compare_digest(self._mac(username), self._mac(name))
            pass_ok = hmac.compare_digest(self._mac(password), pw_mac)
            return name_ok and pass_ok and self.env_user is not None
        users = self._file_users()
        if self.env_user is not None:
            users[self.env_user[0]] = self.env_user[2]
        pw_hash = users.get(username)
        try:
            ok = check_password_hash(pw_hash or _dummy_hash(), password)
        except (ValueError, TypeError):
            log.warning("AUTH_USERS_FILE hash for %r is malformed", username)
            check_password_hash(_dummy_hash(), password)
            ok = False
        return ok and pw_hash is not None
