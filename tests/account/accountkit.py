"""Helpers of the account tests: database users put in the stack's `users` table (as the
admin's invitation would leave them), logins, the account API, TOTP codes."""

from __future__ import annotations

import re
import time

import pyotp
import requests
from argon2 import PasswordHasher

from harness import TEST_PASSWORD, bearer, wait_until

JSON = {"Accept": "application/json"}
_HASHER = PasswordHasher()


def add_user(st, username: str, role: str = "uploader", password: str = TEST_PASSWORD, **columns) -> None:
    """A database user with an Argon2id password, written straight into the table."""
    now = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    row = {
        "username": username,
        "skeleton": username.casefold(),
        "role": role,
        "password_hash": _HASHER.hash(password),
        "created_at": now,
        "updated_at": now,
        **columns,
    }
    st.query(f"INSERT INTO users ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})", list(row.values()))


def login(st, username: str, password: str = TEST_PASSWORD, **fields) -> requests.Response:
    """auth-svc's JSON login as it answers (extra fields: totp, ticket)."""
    headers = {**JSON, **fields.pop("headers", {})}
    return requests.post(
        st.url("auth") + "/api/login",
        data={"username": username, "password": password, **fields},
        headers=headers,
        allow_redirects=False,
        timeout=15,
    )


def session(st, username: str, password: str = TEST_PASSWORD, **fields) -> str:
    """A session token (the login must succeed)."""
    resp = login(st, username, password, **fields)
    assert resp.status_code == 200, resp.text
    return resp.json()["token"]


def me(st, method: str, path: str, token: str, **kwargs) -> requests.Response:
    """A call of the account API (`path` after /api/me) with a token as Bearer."""
    return requests.request(
        method,
        st.url("auth") + "/api/me" + path,
        headers={**JSON, **bearer(token), **kwargs.pop("headers", {})},
        allow_redirects=False,
        timeout=15,
        **kwargs,
    )


def verify(st, token: str) -> int:
    return requests.get(st.url("auth") + "/api/verify", headers=bearer(token), timeout=10).status_code


def step_now() -> int:
    return int(time.time() // 30)


def code_after(secret: str, used_step: int) -> str:
    """A code of the secret that has not been spent: the current step's, or the next one's
    when the current step is already used (the next step is within the accepted window)."""
    step = max(step_now(), used_step + 1)
    return pyotp.TOTP(secret).generate_otp(step)


def wrong_code(secret: str) -> str:
    """A 6-digit code that is none of those near now (no clock skew makes it right)."""
    near = {pyotp.TOTP(secret).generate_otp(step_now() + d) for d in range(-2, 3)}
    return next(c for c in ("000000", "111111", "222222", "333333", "444444", "555555") if c not in near)


def enrol(st, token: str) -> tuple[str, list[str], int]:
    """Turn a second factor on for the session's user: (secret, recovery codes, the step
    the confirmation spent)."""
    start = me(st, "POST", "/totp", token)
    assert start.status_code == 200, start.text
    secret = start.json()["secret"]
    step = step_now()
    done = me(st, "POST", "/totp/confirm", token, json={"code": pyotp.TOTP(secret).generate_otp(step)})
    assert done.status_code == 200, done.text
    used = st.query("SELECT totp_last_step FROM users WHERE username = ?", (_user_of(st, token),))[0]["totp_last_step"]
    return secret, done.json()["recovery_codes"], int(used)


def _user_of(st, token: str) -> str:
    resp = requests.get(st.url("auth") + "/api/verify", headers=bearer(token), timeout=10)
    return resp.json()["user"]


def hidden(page: str, name: str) -> str:
    """A hidden field's value in an HTML page."""
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no hidden {name} in {page[:300]}"
    return match.group(1)


def status_of(url: str, token: str, *, cookie: bool = False) -> int:
    """The status of a GET with the token as Bearer (or as the session cookie)."""
    kwargs = {"cookies": {"auth_token": token}} if cookie else {"headers": bearer(token)}
    return requests.get(url, allow_redirects=False, timeout=15, **kwargs).status_code


def until_status(url: str, token: str, expected: int, timeout: float = 10) -> int:
    """Poll until `url` answers `expected` (the web apps cache a verification up to 2 s)."""
    return wait_until(lambda: status_of(url, token) == expected and expected, timeout, f"{url} answering {expected}")
