"""`redirect` after login through the live auth-svc (POST /api/login's Location header,
GET /login's hidden field): the table of tests/unit/test_login_redirects.py, which also
runs it against `safe_redirect` and auth-svc's app in process, with the stack's names.
"""

from __future__ import annotations

import requests
from unit.test_login_redirects import ALLOWED, HOSTILE, fill

from harness import TEST_PASSWORD, hidden_redirect


def live_names(stack) -> dict[str, str]:
    authority = {k: stack.url(k).split("://", 1)[1] for k in ("upload", "streaming", "auth")}
    host, port = authority["upload"].split(":")
    return {"U": authority["upload"], "S": authority["streaming"], "A": authority["auth"], "H": host, "P": port}


def _login_location(stack, target: str) -> str:
    resp = requests.post(
        stack.url("auth") + "/api/login",
        allow_redirects=False,
        timeout=15,
        data={"username": "alice", "password": TEST_PASSWORD, "redirect": target},
    )
    assert resp.status_code == 303, resp.text
    return resp.headers["Location"]


def _login_page_target(stack, target: str) -> str:
    resp = requests.get(stack.url("auth") + "/login", params={"redirect": target}, timeout=15)
    assert resp.status_code == 200
    return hidden_redirect(resp.text)


def test_live_login_refuses_every_hostile_redirect(stack):
    """Through the real auth-svc: the Location after login and the form's hidden field."""
    names = live_names(stack)
    home = stack.url("upload") + "/"
    for template in HOSTILE:
        target = fill(template, names)
        assert _login_location(stack, target) == home, repr(target)
        assert _login_page_target(stack, target) == home, repr(target)


def test_live_login_follows_allowed_redirects(stack):
    names = live_names(stack)
    for template in ALLOWED:
        target = fill(template, names)
        assert _login_location(stack, target) == target
        assert _login_page_target(stack, target) == target
    # Without a redirect the login lands on the upload app's home page.
    assert _login_location(stack, "") == stack.url("upload") + "/"


def test_live_redirect_in_query_string_is_checked_too(stack):
    resp = requests.post(
        stack.url("auth") + "/api/login?redirect=https://evil.example/",
        allow_redirects=False,
        data={"username": "alice", "password": TEST_PASSWORD},
        timeout=15,
    )
    assert resp.status_code == 303 and resp.headers["Location"] == stack.url("upload") + "/"
