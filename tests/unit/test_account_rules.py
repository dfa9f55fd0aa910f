"""The account's rules in process (fast): the new-password rule, TOTP codes and the login
ticket, recovery codes, User-Agents in words, token expiry dates. The routes against the
real stack: tests/account/."""

from __future__ import annotations

import sys
import time
from datetime import timedelta

import pyotp
import pytest

from harness import ROOT, TEST_PASSWORD

from .in_process import SECRET_KEY

sys.path.insert(0, str(ROOT / "auth-svc"))
from auth_svc import account, totp  # noqa: E402
from auth_svc.passwords import weakness  # noqa: E402

pytestmark = pytest.mark.fast


@pytest.mark.parametrize(
    "password, username, refused_because",
    [
        ("short", "carol", "at least 10"),
        ("carolcarol1", "carol", "Repeats"),  # the name twice, and a digit
        ("password123", "carol", "common"),
        ("qwertyuiop", "carol", "common"),
        ("a" * 1025, "carol", "at most 1024"),
        ("longer\ud800than ten", "carol", "surrogate"),
    ],
)
def test_new_password_refused_with_the_reason(password, username, refused_because):
    reason = weakness(password, username)
    assert reason and refused_because.lower() in reason.lower(), reason


def test_the_username_counts_against_the_password():
    name = "quintessa-vandermolen"
    assert weakness("quintessa-vandermolen", "someone else") is None  # a rare phrase on its own
    assert weakness("quintessa-vandermolen", name) is not None  # but it is the name


@pytest.mark.parametrize("password", [TEST_PASSWORD, "violet tractor pebble sunrise", "x9$Kq!2mZpL#4"])
def test_strong_passwords_pass(password):
    assert weakness(password, "carol") is None


def test_totp_codes_of_the_window_only():
    secret = pyotp.random_base32()
    now = 1_800_000_015.0  # the middle of a step
    step = int(now // 30)
    gen = pyotp.TOTP(secret)
    assert totp.matching_step(secret, gen.at(now), now) == step
    assert totp.matching_step(secret, gen.at(now - 30), now) == step - 1
    assert totp.matching_step(secret, gen.at(now + 30), now) == step + 1
    for far in (-90, -60, 60, 90):
        code = gen.at(now + far)
        if code not in {gen.at(now + d) for d in (-30, 0, 30)}:
            assert totp.matching_step(secret, code, now) is None
    for bad in ("", "12345", "1234567", "abcdef", " 123456", "１２３４５６"):
        assert totp.matching_step(secret, bad, now) is None


def test_login_ticket_genuine_tampered_expired():
    now = time.time()
    ticket = totp.make_ticket(SECRET_KEY, "carol", now)
    assert totp.ticket_user(SECRET_KEY, ticket, now) == "carol"
    assert totp.ticket_user(SECRET_KEY, ticket, now + totp.TICKET_TTL - 1) == "carol"
    assert totp.ticket_user(SECRET_KEY, ticket, now + totp.TICKET_TTL + 1) is None
    assert totp.ticket_user("another key of this length!", ticket, now) is None
    payload, signature = ticket.split(".")
    forged = totp.make_ticket(SECRET_KEY, "alice", now).split(".")[0]
    for bad in (
        f"{forged}.{signature}",  # another name under carol's signature
        f"{payload}.{signature[:-1]}0" if signature[-1] != "0" else f"{payload}.{signature[:-1]}1",
        payload,
        f"{payload}.{signature}.x",
        f"{payload}é.{signature}",
        "",
        "." * 3000,
    ):
        assert totp.ticket_user(SECRET_KEY, bad, now) is None, bad
    # A session token's HMAC under the same key is no ticket's signature (labelled apart).
    from auth_svc.sessions import hash_token

    assert totp.ticket_user(SECRET_KEY, f"{payload}.{hash_token(payload, SECRET_KEY)}", now) is None


def test_recovery_codes_are_distinct_and_read_as_typed():
    codes = totp.new_recovery_codes()
    assert len(codes) == len(set(codes)) == totp.RECOVERY_CODES
    code = codes[0]
    assert totp.recovery_hash(SECRET_KEY, code) == totp.recovery_hash(SECRET_KEY, f" {code.upper()} ")
    assert totp.recovery_hash(SECRET_KEY, code) == totp.recovery_hash(SECRET_KEY, code.replace("-", ""))
    assert totp.recovery_hash(SECRET_KEY, code) != totp.recovery_hash("another key of this length!", code)


@pytest.mark.parametrize(
    "user_agent, words",
    [
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 "
            "Safari/537.36",
            "Chrome on Linux",
        ),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox on Windows"),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/18.1 Safari/605.1.15",
            "Safari on macOS",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/18.1 Mobile/15E148 Safari/604.1",
            "Safari on iOS",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 "
            "Mobile Safari/537.36",
            "Chrome on Android",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 "
            "Safari/537.36 Edg/131.0",
            "Edge on Windows",
        ),
        ("python-requests/2.32.3", "a Python script"),
        ("curl/8.5.0", "curl"),
        ("", "Unknown browser"),
        (None, "Unknown browser"),
        ("<script>alert(1)</script>", "Unknown browser"),
    ],
)
def test_user_agents_in_words(user_agent, words):
    assert account.browser_words(user_agent) == words


def test_token_expiry_dates():
    from vs_common.db import utcnow

    now = utcnow()
    tomorrow = (now + timedelta(days=1)).date()
    assert account._expiry(None) is None and account._expiry("") is None
    end_of_today = account._expiry(now.date().isoformat())
    assert end_of_today.date() == tomorrow and end_of_today.hour == 0  # a date: through that day
    assert account._expiry("2999-01-01T12:00:00+02:00").hour == 10  # to UTC
    assert account._expiry("2999-01-01T12:00:00Z").hour == 12
    assert account._expiry("2999-01-01T12:00:00").hour == 12  # no zone: UTC
    for bad in ("yesterday", "2001-01-01", "2001-01-01T00:00:00Z", "9999-12-31x", 5, ["2999-01-01"], "9" * 50):
        with pytest.raises(account.BadInput) as refused:
            account._expiry(bad)
        assert refused.value.code == "invalid_expiry"
    with pytest.raises(account.BadInput):
        account._expiry("9999-12-31")  # the day after it does not exist


def test_a_session_token_is_never_shaped_like_an_api_token(tmp_path, monkeypatch):
    """1 in 262,144 random tokens starts `rh_`: such a session would be read as a program's
    token (and refused) everywhere; create_session draws again."""
    from auth_svc import sessions
    from vs_common.db import Database
    from vs_common.schema import migrate
    from vs_common.settings import Settings

    db = Database(Settings(db_path=str(tmp_path / "s.sqlite3"), storage_dir=str(tmp_path)))
    migrate(db)
    draws = iter(["rh_" + "a" * 40, "rh_" + "b" * 40, "c" * 43])
    real = sessions.secrets.token_urlsafe
    monkeypatch.setattr(sessions.secrets, "token_urlsafe", lambda n=None: next(draws) if n == 32 else real(n))
    token, _ = sessions.create_session(db, SECRET_KEY, "alice", 60)
    assert token == "c" * 43
    assert sessions.session_user(db, SECRET_KEY, token) == "alice"
