"""Who may use a share link: its password, the grant that remembers it, the throttle.

- A password, once given, is remembered by a grant: HMAC(SECRET_KEY, link id and an
  expiry), good for GRANT_SECONDS. The player carries it in the path of its HLS requests
  (`/s/<token>/hls/~<grant>/master.m3u8`: the relative URLs inside the playlists keep
  it), and the poster's and original's URLs in `?grant=`; a cookie scoped to the link's
  path keeps it for a reload where cookies are allowed. Nothing depends on the cookie, so
  an embed in a third-party frame that is denied storage plays all the same.
- The throttle (the `share_attempts` table, shared by every process): 50 tokens that
  name no link (unknown or malformed) per client address in 15 minutes, after
  which every link answers 429 to that address, a valid one too; 20 wrong passwords per
  link and address, after which that link's page answers 429 to it, the right password
  too. A refusal teaches nothing: a guesser cannot tell which of its tokens were real.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import time
from datetime import timedelta

from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from vs_common import tables
from vs_common.app import app_db, app_settings
from vs_common.db import as_datetime, utcnow
from vs_common.web_security import client_address

from .sharing import HASHER, PASSWORD_MAX, Link

GRANT_SECONDS = 6 * 3600  # a password once given plays a long film, paused and resumed
GRANT_PREFIX = "~"  # the HLS path segment that carries a grant (no stored name starts so)
GRANT_SHAPE = re.compile(r"[0-9a-f]{1,12}\.[0-9a-f]{32}")  # what grant() writes
MAX_UNKNOWN_TOKENS = 50
MAX_WRONG_PASSWORDS = 20
WINDOW = timedelta(minutes=15)
UNKNOWN = ""  # share_attempts.share_id of a token that names no link


def password_ok(link: Link, password) -> bool:
    """Whether `password` opens the link: one Argon2id verification, right or wrong."""
    if link.password_hash is None or not isinstance(password, str) or len(password) > PASSWORD_MAX:
        return False
    try:
        return HASHER.verify(link.password_hash, password.encode("utf-8", "replace"))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# -- grants ----------------------------------------------------------------------------


def _grant_mac(link_id: str, until: int) -> str:
    key = app_settings().secret_key.encode()
    return hmac.new(key, f"share grant\n{link_id}\n{until}".encode(), hashlib.sha256).hexdigest()[:32]


def grant(link: Link) -> str:
    """A grant of the link, good for GRANT_SECONDS: `<until, hex>.<MAC, 128 bits>`."""
    until = int(time.time()) + GRANT_SECONDS
    return f"{until:x}.{_grant_mac(link.id, until)}"


def granted(link: Link, value: str | None) -> bool:
    """Whether `value` is a live grant of this link (of no other: the MAC names it).
    Its shape is checked first: anything else (non-ASCII text included) is no grant."""
    if not value or not GRANT_SHAPE.fullmatch(value):
        return False
    until_hex, mac = value.split(".", 1)
    until = int(until_hex, 16)
    return until > time.time() and hmac.compare_digest(mac, _grant_mac(link.id, until))


# -- the throttle -------------------------------------------------------------------------


def _wait(client: str, share_id: str, limit: int) -> int:
    """Seconds `client` must wait (`limit` failures of this kind in WINDOW), or 0."""
    failures = tables.share_attempts.recent(app_db(), client, share_id, utcnow() - WINDOW, limit)
    if len(failures) < limit:
        return 0
    oldest = as_datetime(failures[-1])
    return max(1, math.ceil((oldest + WINDOW - utcnow()).total_seconds()))


def client() -> str:
    return client_address(app_settings().trusted_proxies)


def guessing_wait() -> int:
    """Seconds this address must wait after too many tokens that named no link, or 0."""
    return _wait(client(), UNKNOWN, MAX_UNKNOWN_TOKENS)


def password_wait(link: Link) -> int:
    """Seconds this address must wait after too many wrong passwords of the link, or 0."""
    return _wait(client(), link.id, MAX_WRONG_PASSWORDS)


def record_failure(share_id: str = UNKNOWN) -> None:
    """A token that named no link (`UNKNOWN`), or a wrong password of the link `share_id`."""
    now = utcnow()
    tables.share_attempts.add(app_db(), client(), share_id, now, purge_before=now - 2 * WINDOW)
