"""Helpers of the people tests: the admin API and invitation links over HTTP, names that
never look like each other, a person made from scratch (created, link accepted, logged
in), an API token stored as the account page will store one."""

from __future__ import annotations

import hashlib
import hmac
import random
import secrets
import threading

import requests

from harness import Stack, bearer

STRONG = "blue-river-lamp-42"  # passes the password rules
DEFAULT_QUOTA_GB = 50
DEFAULT_QUOTA_VIDEOS = 3
USER_FIELDS = {
    "username",
    "role",
    "disabled",
    "source",
    "created_at",
    "quota_bytes",
    "quota_videos",
    "bytes_used",
    "videos_used",
    "invited",
}
SECRET_KEY = "test-secret-key-0123456789"  # harness.Stack's


def sha256(token: str) -> str:
    """What auth-svc stores of a token or link: HMAC-SHA256 keyed with SECRET_KEY."""
    return hmac.new(SECRET_KEY.encode(), token.encode(), hashlib.sha256).hexdigest()


# Letters with no look-alike among each other (no l/1/i, o/0, m/rn, u/v, s/5...).
_LETTERS = "bcdfghjkpqtwxyz"
_used: set[str] = set()


def name(prefix: str = "") -> str:
    """A new username, unlike every other this run made."""
    while True:
        candidate = prefix + "".join(random.choice(_LETTERS) for _ in range(8))
        if candidate not in _used:
            _used.add(candidate)
            return candidate


def call(st: Stack, method: str, path: str, token: str | None = None, **kw) -> requests.Response:
    """A request to auth-svc with a session token as Bearer (a script's way)."""
    headers = {**(bearer(token) if token else {}), **kw.pop("headers", {})}
    return requests.request(method, st.url("auth") + path, headers=headers, allow_redirects=False, timeout=30, **kw)


def users(st: Stack, admin: str) -> dict[str, dict]:
    resp = call(st, "GET", "/api/users", admin)
    assert resp.status_code == 200, resp.text
    return {u["username"]: u for u in resp.json()["users"]}


def link_token(url: str) -> str:
    return url.rsplit("/invite/", 1)[1]


def create(st: Stack, admin: str, username: str, role: str = "uploader", **extra) -> tuple[dict, str]:
    """(USER, link token) of a new user."""
    resp = call(st, "POST", "/api/users", admin, json={"username": username, "role": role, **extra})
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["invite_url"].startswith(st.url("auth") + "/invite/")
    return body["user"], link_token(body["invite_url"])


def accept(st: Stack, token: str, password: str = STRONG, **kw) -> requests.Response:
    return call(st, "POST", f"/api/invite/{token}", json={"password": password}, **kw)


def login(st: Stack, username: str, password: str = STRONG) -> requests.Response:
    """auth-svc's JSON login, from an address of its own (X-Forwarded-For, believed by the
    people stack): the failures these tests mean to cause never add up to the throttle's."""
    address = f"198.18.{random.randrange(256)}.{random.randrange(1, 255)}"
    return requests.post(
        st.url("auth") + "/api/login",
        data={"username": username, "password": password},
        headers={"Accept": "application/json", "X-Forwarded-For": address},
        timeout=15,
    )


def person(st: Stack, admin: str, role: str = "uploader", prefix: str = "") -> tuple[str, str]:
    """(name, session token) of a new person who accepted their link and logged in."""
    username = name(prefix)
    _, token = create(st, admin, username, role)
    assert accept(st, token).status_code == 204
    resp = login(st, username)
    assert resp.status_code == 200, resp.text
    return username, resp.json()["token"]


def api_token(st: Stack, username: str, scopes: str = "read upload manage") -> str:
    """A live API token of `username`, stored as the account page stores one (its HMAC)."""
    from vs_common.db import utcnow

    token = "rh_" + secrets.token_urlsafe(32)
    st.query(
        "INSERT INTO api_tokens (id, username, name, token_hash, scopes, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (secrets.token_hex(8), username, "test", sha256(token), scopes, utcnow()),
    )
    return token


def verify(st: Stack, token: str) -> requests.Response:
    return requests.get(st.url("auth") + "/api/verify", headers=bearer(token), timeout=10)


def together(call_one, arguments: list) -> dict:
    """`call_one(argument)` for each argument, in threads released at once: {argument: answer}."""
    answers: dict = {}
    barrier = threading.Barrier(len(arguments))

    def run(argument) -> None:
        barrier.wait()
        answers[argument] = call_one(argument)

    threads = [threading.Thread(target=run, args=(a,)) for a in arguments]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers
