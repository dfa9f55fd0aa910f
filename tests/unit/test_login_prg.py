"""A refused login in a browser is post, redirect, get (issue 24): the form posts to
/api/login, a refusal answers 303 to /login, and GET /login shows the error once (a
short-lived signed cookie, cleared as it is read), so that the address bar never stays on
/api/login and a reload never posts the password again. A logout says so on the login page."""

from __future__ import annotations

import pytest

from harness import TEST_PASSWORD

from .in_process import auth_app

pytestmark = pytest.mark.fast


@pytest.fixture()
def client(tmp_path):
    """auth-svc's app of its own (its failed logins share no throttle with other tests)."""
    return auth_app(tmp_path).test_client()


def _post_form(client, **fields):
    return client.post("/api/login", data=fields, headers={"Accept": "text/html"})


def test_a_wrong_password_redirects_to_the_form_which_shows_the_error_once(client):
    target = "http://app.test:3000/library"
    resp = _post_form(client, username="bob <b>", password="Wrong-Secret-123", redirect=target)
    assert resp.status_code == 303 and resp.headers["Location"] == "/login"
    assert "Wrong-Secret-123" not in resp.headers.get("Set-Cookie", "")
    page = client.get("/login")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Wrong username or password." in html and 'role="alert"' in html
    assert 'value="bob &lt;b&gt;"' in html  # the username kept, escaped; never the password
    assert "Wrong-Secret-123" not in html
    assert f'name="redirect" value="{target}"' in html
    assert page.headers["Cache-Control"] == "no-store"
    again = client.get("/login").get_data(as_text=True)  # a reload: the error was shown once
    assert "Wrong username or password." not in again and 'value="bob' not in again


def test_json_callers_still_get_the_401(client):
    resp = client.post(
        "/api/login", data={"username": "alice", "password": "nope"}, headers={"Accept": "application/json"}
    )
    assert resp.status_code == 401 and resp.get_json()["error"] == "invalid_credentials"


def test_a_forged_flash_cookie_shows_a_bare_form(client):
    client.set_cookie("login_flash", "eyJjIjoiaW52YWxpZF9jcmVkZW50aWFscyJ9.forged", path="/login")
    html = client.get("/login").get_data(as_text=True)
    assert 'role="alert"' not in html and 'id="username"' in html


def test_throttled_login_redirects_with_the_wait(client):
    for _ in range(10):
        _post_form(client, username="alice", password="wrong")
    resp = _post_form(client, username="alice", password=TEST_PASSWORD)
    assert resp.status_code == 303 and resp.headers["Location"] == "/login"
    assert 0 < int(resp.headers["Retry-After"]) <= 15 * 60
    assert "Too many failed logins" in client.get("/login").get_data(as_text=True)


def test_logout_says_so_on_the_login_page(client):
    assert _post_form(client, username="alice", password=TEST_PASSWORD).status_code == 303
    out = client.post("/api/logout")
    assert out.status_code == 303 and out.headers["Location"].endswith("/login")
    html = client.get("/login").get_data(as_text=True)
    assert "You are logged out." in html and 'id="login-notice"' in html and 'role="alert"' not in html
    assert "You are logged out." not in client.get("/login").get_data(as_text=True)
