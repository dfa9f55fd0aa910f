"""Where a login may send the browser (auth-svc/auth_svc/redirects.py): only absolute
URLs on the two web apps' public origins, and auth-svc's own account and admin pages. The table runs against `safe_redirect` itself,
and through auth-svc's app on Flask's test client (POST /api/login's Location header,
GET /login's hidden field); tests/auth/test_auth_redirects.py runs it through the live
auth-svc. `{U}` and `{S}` stand for the upload and streaming apps' host:port, `{A}` for
auth-svc's, `{H}` for the host alone and `{P}` for the upload app's port.
"""

from __future__ import annotations

import sys

import pytest

from harness import ROOT, TEST_PASSWORD, hidden_redirect

from .in_process import auth_app

sys.path.insert(0, str(ROOT / "auth-svc"))
from auth_svc.redirects import safe_redirect  # noqa: E402

pytestmark = pytest.mark.fast

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
    "http://{A}/login",  # auth-svc itself is not a web app: only its account and admin pages
    "http://{A}/",
    "http://{A}/api/logout",
    "http://{A}/admin/../api/logout",  # dot segments, which a browser resolves
    "http://{A}/admin/%2e%2e/api/users",
    "http://{A}/admin/users/..",
    "http://{A}/account/.",
    "http://{A}//admin/users",
    "http://{A}/administrator",
    "http://{A}/admin/users#x",
    "http://{A}/admin;/users",
    "http://{A}/invite/abc",
    "https://{A}/admin/users",  # right path, wrong scheme
    "http://{H}:1/admin/users",  # right path, another origin
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
ALLOWED = [
    "http://{U}/",
    "http://{U}/?x=1",
    "http://{S}/",
    "http://{S}/videos/abcdefghijkl?t=3#here",
    "http://{A}/admin/users",
    "http://{A}/account",
    "http://{A}/admin/users?tab=2",
]

# The in-process apps' public origins (in_process.PUBLIC).
UNIT = {"U": "app.test:3000", "S": "app.test:3100", "A": "app.test:8000", "H": "app.test", "P": "3000"}
UNIT_ORIGINS = frozenset({"http://app.test:3000", "http://app.test:3100"})
UNIT_AUTH = "http://app.test:8000"
HOME = "http://app.test:3000/"


def fill(template: str, names: dict[str, str]) -> str:
    for key, value in names.items():
        template = template.replace("{" + key + "}", value)
    return template


def test_table_has_at_least_twenty_hostile_values():
    assert len(set(HOSTILE)) == len(HOSTILE) >= 20


@pytest.mark.parametrize("template", HOSTILE)
def test_safe_redirect_refuses(template):
    assert safe_redirect(fill(template, UNIT), UNIT_ORIGINS, HOME, UNIT_AUTH) == HOME


@pytest.mark.parametrize("template", ALLOWED)
def test_safe_redirect_allows(template):
    target = fill(template, UNIT)
    assert safe_redirect(target, UNIT_ORIGINS, HOME, UNIT_AUTH) == target


def test_safe_redirect_refuses_missing_and_huge():
    assert safe_redirect(None, UNIT_ORIGINS, HOME, UNIT_AUTH) == HOME
    assert safe_redirect("http://app.test:3000/" + "a" * 5000, UNIT_ORIGINS, HOME, UNIT_AUTH) == HOME


def test_auth_svc_pages_only_when_its_origin_is_given():
    assert safe_redirect("http://app.test:8000/admin/users", UNIT_ORIGINS, HOME) == HOME


@pytest.fixture(scope="module")
def auth_client(tmp_path_factory):
    """auth-svc's app of its own (these logins must not share a throttle with others)."""
    return auth_app(tmp_path_factory.mktemp("auth-redirects")).test_client()


def _login_location(client, target: str) -> str:
    resp = client.post("/api/login", data={"username": "alice", "password": TEST_PASSWORD, "redirect": target})
    assert resp.status_code == 303, resp.get_data(as_text=True)
    return resp.headers["Location"]


def _login_page_target(client, target: str) -> str:
    resp = client.get("/login", query_string={"redirect": target})
    assert resp.status_code == 200
    return hidden_redirect(resp.get_data(as_text=True))


@pytest.mark.parametrize("template", HOSTILE)
def test_login_refuses_a_hostile_redirect(auth_client, template):
    """The Location after login and the form's hidden field both go home instead."""
    target = fill(template, UNIT)
    assert _login_location(auth_client, target) == HOME
    assert _login_page_target(auth_client, target) == HOME


@pytest.mark.parametrize("template", ALLOWED)
def test_login_follows_an_allowed_redirect(auth_client, template):
    target = fill(template, UNIT)
    assert _login_location(auth_client, target) == target
    assert _login_page_target(auth_client, target) == target


def test_login_without_a_redirect_goes_home_and_the_query_string_is_checked_too(auth_client):
    assert _login_location(auth_client, "") == HOME
    resp = auth_client.post(
        "/api/login?redirect=https://evil.example/", data={"username": "alice", "password": TEST_PASSWORD}
    )
    assert resp.status_code == 303 and resp.headers["Location"] == HOME
