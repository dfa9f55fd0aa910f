"""Share links: what a link is, how it is made and found. Who may use one (passwords,
grants, the throttle) is share_guard's.

- A link is `STREAMING_PUBLIC_URL/s/<token>`, the token `secrets.token_urlsafe(32)` (256
  bits), shown once (the 201 of its creation) and stored only as HMAC-SHA256(SECRET_KEY,
  token): one who reads the database cannot open a link. Its password, if it has one,
  is kept as an Argon2id hash.
- A request names its link by the token alone: `find` hashes it and reads the link
  through a cache of at most 2 s (shortcache), so that a viewer's segments cost no query
  each, and a revoked link stops a viewer within 2 s. No auth-svc call is made.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from flask import current_app

from vs_common import tables
from vs_common.app import app_db, app_settings
from vs_common.db import as_datetime

TOKEN_BYTES = 32  # secrets.token_urlsafe(32): 43 characters, 256 bits
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")
ID_SHAPE = re.compile(r"[0-9a-f]{16}")  # a link's public id: secrets.token_hex(8)
PASSWORD_MIN, PASSWORD_MAX = 4, 128  # characters
HASHER = PasswordHasher()  # Argon2id, argon2-cffi's default (RFC 9106's low-memory parameters)


class BadShare(ValueError):
    """A link's request that cannot be made as asked (the message says why)."""


@dataclass(frozen=True)
class Link:
    """A share link as its routes need it, read through the cache."""

    id: str
    video_id: str
    password_hash: str | None
    expires_at: datetime | None
    revoked: bool
    allow_download: bool

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


# -- tokens --------------------------------------------------------------------------


def token_hash(token: str) -> str:
    """What is stored of a token: HMAC-SHA256(SECRET_KEY, token), hex."""
    key = app_settings().secret_key.encode()
    return hmac.new(key, token.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def link_url(token: str) -> str:
    return f"{app_settings().streaming_public_url.rstrip('/')}/s/{token}"


def find(token: str, fresh: bool = False) -> Link | None:
    """The link of a token (revoked ones included: the caller answers them 404 too), or
    None; a token of another shape is never looked up. Read through the app's cache
    (at most 2 s old), or from the database now when `fresh` (a presigned playlist)."""
    if not TOKEN_SHAPE.fullmatch(token):
        return None
    digest = token_hash(token)

    def load() -> Link | None:
        row = tables.shares.by_token_hash(app_db(), digest)
        if row is None:
            return None
        return Link(
            id=row["id"],
            video_id=row["video_id"],
            password_hash=row["password_hash"],
            expires_at=as_datetime(row["expires_at"]),
            revoked=row["revoked_at"] is not None,
            allow_download=bool(row["allow_download"]),
        )

    return load() if fresh else current_app.extensions["links"].get(digest, load)


# -- making a link -------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """What a new link is asked to be (checked): its expiry, password, download flag."""

    expires_at: datetime | None
    password: str | None
    allow_download: bool


FIELDS = ("expires_at", "password", "allow_download")


def parse_request(body, now: datetime) -> Request:
    """The JSON of `POST /api/videos/<id>/shares`, checked: BadShare says what is wrong."""
    if not isinstance(body, dict):
        raise BadShare('Send a JSON object: {"expires_at"?, "password"?, "allow_download"?}.')
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise BadShare(
            f"Unknown fields: {', '.join(unknown)[:200]}; a link takes expires_at, password, allow_download."
        )
    allow = body.get("allow_download", False)
    if not isinstance(allow, bool):
        raise BadShare("'allow_download' must be true or false.")
    return Request(_expiry(body.get("expires_at"), now), _password(body.get("password")), allow)


def _expiry(raw, now: datetime) -> datetime | None:
    """ISO 8601 with a time zone, in the future (naive UTC as stored), or None."""
    if raw is None:
        return None
    if not isinstance(raw, str) or len(raw) > 40:
        raise BadShare("'expires_at' must be an ISO 8601 date and time, such as 2030-01-31T18:00:00Z.")
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        raise BadShare(
            f"'expires_at' is not an ISO 8601 date and time ({raw!r}); send one such as 2030-01-31T18:00:00Z."
        ) from None
    if when.tzinfo is None:
        raise BadShare("'expires_at' needs a time zone (Z or an offset such as +02:00), so that it means one instant.")
    when = when.astimezone(UTC).replace(tzinfo=None)
    if when <= now:
        raise BadShare("'expires_at' is in the past; a link must expire in the future.")
    return when


def _password(raw) -> str | None:
    """A password of PASSWORD_MIN to PASSWORD_MAX characters, without control
    characters; None or "" for none."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise BadShare("'password' must be text (or null for none).")
    if not PASSWORD_MIN <= len(raw) <= PASSWORD_MAX:
        raise BadShare(f"'password' must have {PASSWORD_MIN} to {PASSWORD_MAX} characters; it has {len(raw)}.")
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in raw):
        raise BadShare("'password' may not hold control characters or lone surrogates.")
    return raw


def create(video_id: str, asked: Request, by: str, now: datetime) -> tuple[dict, str]:
    """Store a new link of the video: (its row, its token; the token is never kept)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = {
        "id": secrets.token_hex(8),
        "video_id": video_id,
        "token_hash": token_hash(token),
        "password_hash": HASHER.hash(asked.password) if asked.password is not None else None,
        "expires_at": asked.expires_at,
        "allow_download": int(asked.allow_download),
        "created_by": by,
        "created_at": now,
        "views": 0,
        "last_viewed_at": None,
    }
    tables.shares.insert(app_db(), row)
    return row, token
