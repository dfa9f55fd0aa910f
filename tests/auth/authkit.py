"""Helpers for the authentication tests: lone auth-svc processes, cookies, pages."""

from __future__ import annotations

import hashlib
import hmac
import re
from http.cookies import SimpleCookie
from pathlib import Path

import requests

from harness import TEST_PASSWORD, Service, Stack, free_port, wait_until

ORIGIN_REFUSED = "cross_site_request"


def sha256(token: str, key: str = "test-secret-key-0123456789") -> str:
    """What auth-svc stores of a token: HMAC-SHA256 keyed with the stack's SECRET_KEY."""
    return hmac.new(key.encode(), token.encode(), hashlib.sha256).hexdigest()


def lone_auth(base: Path, env: dict[str, str]) -> Stack:
    """A Stack object of which only auth-svc runs (the other ports are just names)."""
    st = Stack(base, env)
    st["auth"].start()
    return st


def extra_auth(env: dict[str, str], logdir: Path) -> Service:
    """Another auth-svc process with the same settings (same database), on its own port."""
    logdir.mkdir(parents=True, exist_ok=True)
    svc = Service("auth", free_port(), env, logdir)
    svc.start()
    return svc


def login_json(
    auth_url: str, username: str = "alice", password: str = TEST_PASSWORD, headers: dict | None = None, **data
) -> requests.Response:
    return requests.post(
        auth_url + "/api/login",
        data={"username": username, "password": password, **data},
        headers={"Accept": "application/json", **(headers or {})},
        allow_redirects=False,
        timeout=15,
    )


def token_for(auth_url: str) -> str:
    resp = login_json(auth_url)
    assert resp.status_code == 200, resp.text
    return resp.json()["token"]


def set_cookie(resp: requests.Response, name: str = "auth_token") -> tuple[str, dict[str, str]]:
    """(value, attributes lower-cased) of the Set-Cookie for `name`; flags map to ''."""
    headers = [v for k, v in resp.raw.headers.items() if k.lower() == "set-cookie"]
    for header in headers:
        if header.split("=", 1)[0].strip() != name:
            continue
        parts = [p.strip() for p in header.split(";")]
        value = parts[0].split("=", 1)[1]
        attrs = {}
        for p in parts[1:]:
            k, _, v = p.partition("=")
            attrs[k.lower()] = v
        SimpleCookie(header)  # parses as a valid cookie
        return value, attrs
    raise AssertionError(f"no Set-Cookie for {name}: {headers}")


def status_of(url: str, token: str | None = None, *, bearer: bool = False, method: str = "GET", **kw) -> int:
    headers = kw.pop("headers", {})
    cookies = {}
    if token is not None:
        if bearer:
            headers["Authorization"] = f"Bearer {token}"
        else:
            cookies["auth_token"] = token
    return requests.request(
        method, url, headers=headers, cookies=cookies, allow_redirects=False, timeout=15, **kw
    ).status_code


def until_status(url: str, token: str | None, expected: int, timeout: float = 10, **kw) -> int:
    """Poll until `url` answers `expected` (used for the web apps' 2-second cache)."""
    return wait_until(
        lambda: status_of(url, token, **kw) == expected and expected, timeout, f"{url} answering {expected}"
    )


def assert_html_security_headers(resp: requests.Response, frame_ancestors: str = "'none'") -> None:
    assert resp.headers["Content-Type"].startswith("text/html"), resp.url
    csp = {d.strip().split(" ", 1)[0]: d.strip() for d in resp.headers["Content-Security-Policy"].split(";")}
    assert csp["script-src"] == "script-src 'self'", csp  # no inline script, no eval
    assert "'unsafe-inline'" not in resp.headers["Content-Security-Policy"]
    assert "blob:" in csp["media-src"] and "blob:" in csp["worker-src"]
    assert csp["object-src"] == "object-src 'none'" and csp["base-uri"] == "base-uri 'none'"
    assert csp["frame-ancestors"] == f"frame-ancestors {frame_ancestors}"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    if frame_ancestors == "'none'":
        assert resp.headers["X-Frame-Options"] == "DENY"
    else:
        assert "X-Frame-Options" not in resp.headers
    body = resp.text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body), "inline script"
    assert not re.search(r"\son[a-z]+\s*=", body), "inline event handler"
