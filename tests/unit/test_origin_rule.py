"""The Origin rule (common/vs_common/web_security.py) of the three browser-facing apps, on
Flask's test client: a write whose Origin (or, without one, Referer) is not one of the
public origins is refused with 403 and does nothing; scripts (neither header) and Bearer
requests without the session cookie pass; reads are not concerned. Every unsafe route of
the live services: tests/auth/test_auth_origin.py."""

from __future__ import annotations

import pytest

from harness import TEST_PASSWORD

from .in_process import PUBLIC, auth_app, web_app

pytestmark = pytest.mark.fast

REFUSED = [
    {"Origin": "https://evil.example"},
    {"Origin": "null"},
    {"Origin": "NULL"},
    {"Origin": ""},
    {"Origin": "https://app.test:3000"},  # the right host, another scheme
    {"Origin": "http://app.test:1"},  # another port
    {"Origin": "http://app.test:3000.evil.example"},  # no port at all: unparsable
    {"Origin": "http://app.test.evil.example:3000"},
    {"Origin": "app.test:3000"},  # no scheme
    {"Referer": "https://evil.example/page"},  # no Origin: the Referer decides
    {"Referer": "about:blank"},
    {"Origin": "https://evil.example", "Referer": "http://app.test:3000/"},  # Origin wins
]
ALLOWED = [
    {"Origin": PUBLIC["upload_public_url"]},
    {"Origin": PUBLIC["streaming_public_url"]},
    {"Origin": PUBLIC["auth_public_url"]},
    {"Origin": "HTTP://APP.TEST:3000"},  # origins compare case-insensitively
    {"Origin": "http://app.test:3000/"},
    {"Referer": "http://app.test:3100/videos/x"},
    {},  # a script: neither header
]


@pytest.fixture(scope="module")
def login(tmp_path_factory):
    """auth-svc's app of its own, and how many sessions it has made."""
    app = auth_app(tmp_path_factory.mktemp("auth-origin"))

    def sessions() -> int:
        return int(app.extensions["db"].query_one("SELECT COUNT(*) AS n FROM auth_sessions")["n"])

    return app.test_client(), sessions


def _login(client, headers: dict):
    return client.post(
        "/api/login",
        data={"username": "alice", "password": TEST_PASSWORD},
        headers={"Accept": "application/json", **headers},
    )


@pytest.mark.parametrize(("headers", "allowed"), [(h, False) for h in REFUSED] + [(h, True) for h in ALLOWED], ids=str)
def test_a_login_from_another_site_is_refused_and_makes_no_session(login, headers, allowed):
    """Login CSRF: a foreign page posting credentials gets no session (no cookie either);
    the apps' own pages and scripts log in."""
    client, sessions = login
    before = sessions()
    resp = _login(client, headers)
    if allowed:
        assert resp.status_code == 200 and resp.get_json()["user"] == "alice", resp.get_data(as_text=True)
        assert sessions() == before + 1
    else:
        assert resp.status_code == 403 and resp.get_json()["error"] == "cross_site_request", resp.get_data(as_text=True)
        assert "Set-Cookie" not in resp.headers
        assert sessions() == before


@pytest.fixture(scope="module")
def streaming(tmp_path_factory, auth_service):
    """streaming-svc's test client (each request sets or clears its cookie)."""
    tmp = tmp_path_factory.mktemp("streaming-origin")
    return web_app("streaming-webapp", "streaming_webapp", tmp, auth_service[1]).test_client()


def _rename(client, token: str, headers: dict, *, cookie: bool, bearer: bool):
    """A rename of a video that does not exist: 404 when the rule lets it through."""
    headers = dict(headers)
    if cookie:
        client.set_cookie("auth_token", token)
    else:
        client.delete_cookie("auth_token")
    if bearer:
        headers["Authorization"] = f"Bearer {token}"
    return client.patch("/api/videos/nosuchvideo0000000", json={"video_name": "x"}, headers=headers)


@pytest.mark.parametrize("headers", REFUSED, ids=str)
def test_a_cross_site_write_with_the_cookie_is_refused(streaming, tokens, headers):
    resp = _rename(streaming, tokens["alice"], headers, cookie=True, bearer=False)
    assert resp.status_code == 403 and resp.get_json()["error"] == "cross_site_request"
    # The cookie is what another site's page would borrow: with it, a Bearer header changes nothing.
    assert _rename(streaming, tokens["alice"], headers, cookie=True, bearer=True).status_code == 403


@pytest.mark.parametrize("headers", REFUSED, ids=str)
def test_a_bearer_request_without_the_cookie_passes_whatever_its_origin(streaming, tokens, headers):
    assert _rename(streaming, tokens["alice"], headers, cookie=False, bearer=True).status_code == 404


@pytest.mark.parametrize("headers", ALLOWED, ids=str)
def test_a_same_site_write_with_the_cookie_passes(streaming, tokens, headers):
    assert _rename(streaming, tokens["alice"], headers, cookie=True, bearer=False).status_code == 404


def test_reads_are_not_concerned(streaming, tokens):
    streaming.set_cookie("auth_token", tokens["alice"])
    resp = streaming.get("/api/videos", headers={"Origin": "https://evil.example"})
    assert resp.status_code == 200
