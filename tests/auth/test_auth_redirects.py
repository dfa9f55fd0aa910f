"""`redirect` after login: only absolute URLs on the two web apps' public origins.

The same table runs against `safe_redirect` itself and through the live auth-svc
(POST /api/login's Location header, GET /login's hidden field). `{U}` and `{S}` stand for
the upload and streaming apps' host:port, `{A}` for auth-svc's, `{H}` for the host alone
and `{P}` for the upload app's port.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import requests
from authkit import hidden_redirect

from harness import TEST_PASSWORD

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "auth-svc"))
from auth_svc.redirects import safe_redirect  # noqa: E402

HOSTILE = [
    "https://evil.example/",  # another host
    "http://evil.example:{P}/",  # another host on the app's port
    "//evil.example/",  # scheme-relative
    "///evil.example/",
    "/\\evil.example/",  # backslash read as a slash by browsers
    "\\\\evil.example/",
    "http:\\\\evil.example\\",
    "http://{U}\\@evil.example/",
    "javascript:alert(document.domain)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "http://{U}@evil.example/",  # userinfo: the host is evil.example
    "http://evil.example@{U}/",  # userinfo on the right host: still refused
    "http://user:pass@{U}/",
    "http://{U}%40evil.example/",  # encoded @
    "http%3A%2F%2Fevil.example%2F",  # encoded whole URL
    "HTTP://EVIL.EXAMPLE/",  # mixed case
    "http://{H}.evil.example:{P}/",  # look-alike host
    "http://{H}:{P}.evil.example/",
    "http://ｅｖｉｌ.example/",  # full-width letters
    "http://{H}%2eevil.example:{P}/",
    "http://[::1]:{P}/",  # same machine, other origin
    "http://0x7f.0.0.1:{P}/",
    "https://{U}/",  # right host, wrong scheme
    "ftp://{U}/",
    "http://{A}/login",  # auth-svc itself is not a web app
    "http:evil.example",
    "https:/evil.example",
    " http://{U}/",  # whitespace and control characters
    "http://{U}/\r\nSet-Cookie: x=y",
    "\x00http://evil.example/",
    "/\t/evil.example/",
    "http://{U}/\u2028",
    "/videos/abc",  # relative: design.md sends these home too
    "",
]
ALLOWED = ["http://{U}/", "http://{U}/?x=1", "http://{S}/", "http://{S}/videos/abcdefghijkl?t=3#here"]

UNIT = {"U": "app.test:3000", "S": "app.test:3100", "A": "app.test:8000", "H": "app.test", "P": "3000"}
UNIT_ORIGINS = frozenset({"http://app.test:3000", "http://app.test:3100"})
HOME = "http://app.test:3000/"


def fill(template: str, names: dict[str, str]) -> str:
    for key, value in names.items():
        template = template.replace("{" + key + "}", value)
    return template


def live_names(stack) -> dict[str, str]:
    authority = {k: stack.url(k).split("://", 1)[1] for k in ("upload", "streaming", "auth")}
    host, port = authority["upload"].split(":")
    return {"U": authority["upload"], "S": authority["streaming"], "A": authority["auth"], "H": host, "P": port}


def test_table_has_at_least_twenty_hostile_values():
    assert len(set(HOSTILE)) == len(HOSTILE) >= 20


@pytest.mark.parametrize("template", HOSTILE)
def test_safe_redirect_refuses(template):
    assert safe_redirect(fill(template, UNIT), UNIT_ORIGINS, HOME) == HOME


@pytest.mark.parametrize("template", ALLOWED)
def test_safe_redirect_allows(template):
    target = fill(template, UNIT)
    assert safe_redirect(target, UNIT_ORIGINS, HOME) == target


def test_safe_redirect_refuses_missing_and_huge():
    assert safe_redirect(None, UNIT_ORIGINS, HOME) == HOME
    assert safe_redirect("http://app.test:3000/" + "a" * 5000, UNIT_ORIGINS, HOME) == HOME


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
