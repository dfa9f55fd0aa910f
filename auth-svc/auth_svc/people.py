"""Who may log in, and as what: the spec's AUTH_USERNAME (always an admin), the lines of
AUTH_USERS_FILE (uploaders) and the `users` table (any role).

- Precedence: AUTH_USERNAME, then the file, then the table. A row of the table with the
  name of one of the first two is never used: the database can neither lock out the
  environment's admin nor change a file user.
- Names are compared after NFC (as stored); a role change, a disable or a deletion is
  seen at the next verification (the web apps cache one at most 2 s).
- Passwords: the environment's compared as HMACs in constant time; the file's by
  werkzeug's hash check; the table's are Argon2id (argon2-cffi). An unknown name costs one
  Argon2id verification too, so timing tells nothing of which names exist.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import secrets
import unicodedata
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from werkzeug.security import check_password_hash

from vs_common.auth_client import ROLES as ROLES
from vs_common.db import Database
from vs_common.settings import Settings

from . import tables
from .users import read_users_file

log = logging.getLogger(__name__)

MAX_PASSWORD = 1024
HASHER = PasswordHasher()  # Argon2id, RFC 9106's low-memory parameters (argon2-cffi's default)


@dataclass(frozen=True)
class Person:
    """Someone who may log in: where they come from (`env`, `file`, `database`), their
    role, whether they are disabled, and their quotas (None: no limit)."""

    username: str
    role: str
    source: str
    disabled: bool = False
    quota_bytes: int | None = None
    quota_videos: int | None = None
    totp_enabled: bool = False


def database_person(row: dict) -> Person:
    """The person of a `users` row (the caller knows no env or file user has the name)."""
    return Person(
        row["username"],
        row["role"],
        "database",
        disabled=bool(row["disabled"]),
        quota_bytes=row["quota_bytes"],
        quota_videos=row["quota_videos"],
        totp_enabled=bool(row["totp_enabled"]),
    )


def normalise(username: str) -> str:
    return unicodedata.normalize("NFC", username or "")


def _is_text(name: str) -> bool:
    """False for a name holding a lone surrogate (JSON's "\\ud800"): nobody's name, and
    no database can store it."""
    return not any("\ud800" <= c <= "\udfff" for c in name)


def _utf8(password: str) -> bytes:
    """The password's bytes; a lone surrogate (JSON's "\\ud800") kept as its bytes rather
    than failing the request: it simply never matches a password made of characters."""
    return password.encode("utf-8", "surrogatepass")


def hash_password(password: str) -> str:
    """An Argon2id hash of a new password."""
    return HASHER.hash(_utf8(password))


@functools.cache
def _dummy_argon2() -> str:
    return HASHER.hash(secrets.token_hex(16))


def _argon2_ok(pw_hash: str | None, password: str) -> bool:
    """One Argon2id verification, whether or not there is a hash to check."""
    try:
        return HASHER.verify(pw_hash or _dummy_argon2(), _utf8(password)) and pw_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


class Directory:
    """The people who may log in, from the environment, the file and the database."""

    def __init__(self, settings: Settings, db: Database):
        self.settings = settings
        self.db = db
        self._key = secrets.token_bytes(32)
        self.env_name = normalise(settings.auth_username) if settings.auth_password else ""
        self._env_mac = self._mac(settings.auth_password)
        _dummy_argon2()  # made now, so the first unknown name is not slower than the others

    def _mac(self, text: str) -> bytes:
        return hmac.new(self._key, text.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()

    def _file_users(self) -> dict[str, str]:
        if not self.settings.auth_users_file:
            return {}
        try:
            return {normalise(k): v for k, v in read_users_file(self.settings.auth_users_file).items()}
        except (OSError, UnicodeDecodeError) as exc:
            log.error(
                "AUTH_USERS_FILE %s cannot be read (its users cannot log in): %s", self.settings.auth_users_file, exc
            )
            return {}

    def file_names(self) -> set[str]:
        """The names of AUTH_USERS_FILE (read now)."""
        return set(self._file_users())

    def default_quotas(self) -> tuple[int | None, int | None]:
        """(bytes, videos) of DEFAULT_QUOTA_GB and DEFAULT_QUOTA_VIDEOS (None: no limit)."""
        gb = self.settings.default_quota_gb
        return (None if gb is None else int(gb * 1024**3)), self.settings.default_quota_videos

    def person(self, username: str) -> Person | None:
        """Who `username` is now (None: nobody of that name)."""
        name = normalise(username)
        if not name or not _is_text(name):
            return None
        quota_bytes, quota_videos = self.default_quotas()
        if self.env_name and hmac.compare_digest(self._mac(name), self._mac(self.env_name)):
            return Person(name, "admin", "env", quota_bytes=quota_bytes, quota_videos=quota_videos)
        if name in self._file_users():
            return Person(name, "uploader", "file", quota_bytes=quota_bytes, quota_videos=quota_videos)
        row = tables.user(self.db, name)
        return None if row is None else database_person(row)

    def check(self, username: str, password: str) -> Person | None:
        """The person, when the password is theirs (disabled ones included: the caller
        says why it refuses them); else None. One slow hash check whoever asks."""
        name = normalise(username)
        if not name or not _is_text(name) or not 0 < len(password) <= MAX_PASSWORD:
            return None
        if self.env_name and hmac.compare_digest(self._mac(name), self._mac(self.env_name)):
            ok = hmac.compare_digest(self._mac(password), self._env_mac)
            _argon2_ok(None, password)  # the same cost as a database user's check
            return self.person(name) if ok else None
        file_hash = self._file_users().get(name)
        if file_hash is not None:
            try:
                ok = check_password_hash(file_hash, password)
            except (ValueError, TypeError):
                log.warning("AUTH_USERS_FILE hash for %r is malformed", name)
                ok = False
            return self.person(name) if ok else None
        row = tables.user(self.db, name)
        if not _argon2_ok(row["password_hash"] if row else None, password):
            return None
        return self.person(name)
