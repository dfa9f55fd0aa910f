"""The second factor: TOTP (RFC 6238, pyotp: 6 digits, 30-second steps), one-time recovery
codes, and the login ticket that carries a right password to the code's form.

- A code is accepted for the step before, the current one and the next (a phone's clock
  a little off), and works once: the user's `totp_last_step` is raised to the step spent,
  and a code of that step or an earlier one is refused afterwards (tables.use_totp_step:
  of two concurrent uses of one code, one wins).
- Recovery codes: RECOVERY_CODES of them, made at confirmation and shown once; stored as
  HMAC-SHA256(SECRET_KEY, code) like sessions (sessions.py says why); each works once.
- The secret itself is stored as it is: a code generator needs it. A reader of the
  database could make codes, but still needs the password (Argon2id).
- The ticket: after a right password, the HTML login asks for the code on a page of its
  own without putting the password in a hidden field; it carries
  `base64url(json [username, expiry]).hmac` instead, signed with SECRET_KEY (under a
  label of its own, so no other HMAC of this key can pass for one), valid TICKET_TTL.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import json
import re
import secrets
import time

import pyotp
import segno

from vs_common.db import Database, utcnow

from . import tables
from .sessions import hash_token

ISSUER = "Reelhouse"
WINDOW = 1  # steps accepted on either side of the current one
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
RECOVERY_LENGTH = 10  # ~49 bits each; guesses are throttled with the passwords
TICKET_TTL = 300
TICKET_LABEL = "reelhouse login ticket\n"
CODE = re.compile(r"[0-9]{6}")  # ASCII digits only: \d would take every script's digits


def new_secret() -> str:
    """A new TOTP secret: 160 random bits in base32 (RFC 4226's recommended length)."""
    return pyotp.random_base32()


def provisioning(username: str, secret: str) -> tuple[str, str]:
    """(otpauth URL, the QR code of it as an SVG document) for an authenticator app."""
    url = pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)
    out = io.BytesIO()
    segno.make(url, error="m").save(
        out, kind="svg", xmldecl=False, svgns=True, nl=False, scale=5, dark="#000", light="#fff",
        title="QR code of your authenticator app's setup", svgclass=None, lineclass=None,
    )  # fmt: skip
    return url, out.getvalue().decode("ascii")


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step within WINDOW whose code is `code`, or None. Every candidate is
    compared in constant time."""
    if not CODE.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret)
    now = time.time() if now is None else now
    current = int(now // totp.interval)
    found = None
    for step in range(current - WINDOW, current + WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code) and found is None:
            found = step
    return found


def _normal_recovery(code: str) -> str:
    """A recovery code as typed (any case, spaces and dashes) in its stored form."""
    return re.sub(r"[\s-]", "", code).lower()[:64]


def new_recovery_codes() -> list[str]:
    """RECOVERY_CODES fresh codes, shown as `xxxxx-xxxxx`."""
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def recovery_hash(key: str, code: str) -> str:
    return hash_token(_normal_recovery(code), key)


def spend(db: Database, key: str, username: str, code: str) -> bool:
    """Accept `code` (a current TOTP code, or an unused recovery code) for `username`,
    spending it; False for anything else, a code already used included."""
    code = (code or "").strip()
    if not code or len(code) > 64:
        return False
    if CODE.fullmatch(code):
        row = tables.user(db, username)
        if row is None or not row["totp_enabled"] or not row["totp_secret"]:
            return False
        step = matching_step(row["totp_secret"], code)
        return step is not None and tables.use_totp_step(db, username, step)
    return tables.use_recovery_code(db, username, recovery_hash(key, code), utcnow())


# -- the login ticket -------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _sign(key: str, payload: str) -> str:
    return hmac.new(key.encode(), (TICKET_LABEL + payload).encode(), hashlib.sha256).hexdigest()


def make_ticket(key: str, username: str, now: float | None = None) -> str:
    """A ticket saying `username` gave the right password, valid TICKET_TTL seconds."""
    expires = int((time.time() if now is None else now) + TICKET_TTL)
    payload = _b64(json.dumps([username, expires], ensure_ascii=True).encode())
    return f"{payload}.{_sign(key, payload)}"


def ticket_user(key: str, ticket: str, now: float | None = None) -> str | None:
    """The username of a genuine, unexpired ticket; None for anything else."""
    if not ticket or len(ticket) > 2000 or not ticket.isascii() or ticket.count(".") != 1:
        return None
    payload, signature = ticket.split(".")
    if not hmac.compare_digest(_sign(key, payload), signature):
        return None
    try:
        username, expires = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, TypeError, binascii.Error):
        return None
    if not isinstance(username, str) or not isinstance(expires, int):
        return None
    return username if expires > (time.time() if now is None else now) else None
