"""Cookie flags, the login page's answers, AUTH_USERS_FILE with `python -m
auth_svc.hashpw`, and the security headers of every HTML page of the three
browser-facing services."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from authkit import assert_html_security_headers, login_json, lone_auth, set_cookie

from harness import TEST_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
BOB_PASSWORD = "bob's long passphrase: with a colon"


def _hashpw(name: str, password: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "auth_svc.hashpw", name],
        input=password + "\n",
        text=True,
        capture_output=True,
        cwd=ROOT / "auth-svc",
        env={**os.environ, "PYTHONPATH": str(ROOT / "common")},  # this tree's vs_common, as the services get
        timeout=60,
    )


def make_hash_line(name: str, password: str) -> str:
    out = _hashpw(name, password)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.fixture(scope="module")
def configured(tmp_path_factory):
    """A lone auth-svc (embedded SQLite) with COOKIE_SECURE, COOKIE_DOMAIN, a short
    TOKEN_TTL_SECONDS and an AUTH_USERS_FILE made with the hashpw command."""
    base = tmp_path_factory.mktemp("auth-configured")
    users = base / "users.txt"
    users.write_text(f"# made by python -m auth_svc.hashpw\n{make_hash_line('bob', BOB_PASSWORD)}\n\nbroken line\n")
    st = lone_auth(
        base,
        {
            "COOKIE_SECURE": "true",
            "COOKIE_DOMAIN": "reelhouse.test",
            "TOKEN_TTL_SECONDS": "600",
            "AUTH_USERS_FILE": str(users),
        },
    )
    yield st
    st.stop()


def test_hashpw_command_makes_a_users_file_line():
    line = make_hash_line("carol", "a fine password")
    name, _, pw_hash = line.partition(":")
    assert name == "carol" and pw_hash.startswith(("scrypt:", "pbkdf2:"))
    from werkzeug.security import check_password_hash

    assert check_password_hash(pw_hash, "a fine password")
    bad = _hashpw("a:b", "a fine password")
    assert bad.returncode == 2 and bad.stdout == ""


def test_default_cookie_flags(stack):
    resp = requests.post(
        stack.url("auth") + "/api/login",
        data={"username": "alice", "password": TEST_PASSWORD},
        allow_redirects=False,
        timeout=10,
    )
    assert resp.status_code == 303
    value, attrs = set_cookie(resp)
    assert len(value) >= 40
    assert "httponly" in attrs and attrs["samesite"] == "Lax" and attrs["path"] == "/"
    assert attrs["max-age"] == str(8 * 3600)
    assert "secure" not in attrs and "domain" not in attrs


def test_secure_domain_and_lifetime_from_settings(configured):
    url = configured.url("auth")
    for username, password in (("alice", TEST_PASSWORD), ("bob", BOB_PASSWORD)):  # env user and users file
        resp = login_json(url, username, password)
        assert resp.status_code == 200, resp.text
        value, attrs = set_cookie(resp)
        assert value == resp.json()["token"] and resp.json()["user"] == username
        assert "secure" in attrs and "httponly" in attrs and attrs["samesite"] == "Lax" and attrs["path"] == "/"
        assert attrs["domain"].lstrip(".") == "reelhouse.test" and attrs["max-age"] == "600"
        expires = datetime.strptime(resp.json()["expires_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        assert timedelta(seconds=590) < expires - datetime.now(UTC) <= timedelta(seconds=600)
    out = requests.post(
        url + "/api/logout",
        headers={"Authorization": f"Bearer {resp.json()['token']}"},
        allow_redirects=False,
        timeout=10,
    )
    value, attrs = set_cookie(out)
    assert attrs["max-age"] == "0" and "secure" in attrs and attrs["domain"].lstrip(".") == "reelhouse.test"


def test_failed_login_page_keeps_the_username_not_the_password(configured):
    url = configured.url("auth")
    target = configured.url("upload") + "/?from=test"
    posted = requests.post(
        url + "/api/login",
        allow_redirects=False,
        timeout=10,
        data={"username": "bob <b>", "password": "Wrong-Secret-123", "redirect": target},
    )
    assert posted.status_code == 303 and posted.headers["Location"] == "/login"  # post, redirect, get
    flash = posted.headers["Set-Cookie"]
    assert "Secure" in flash and "HttpOnly" in flash and "Path=/login" in flash  # as the session cookie's settings
    # The browser sends it back over HTTPS; requests would keep a Secure cookie from http://.
    resp = requests.get(url + "/login", cookies={"login_flash": flash.split(";")[0].split("=", 1)[1]}, timeout=10)
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/html")
    page = resp.text
    assert 'role="alert"' in page and "Wrong username or password." in page
    assert 'value="bob &lt;b&gt;"' in page  # kept, escaped
    assert "Wrong-Secret-123" not in page
    password_input = re.search(r'<input type="password"[^>]*>', page).group(0)
    assert "value=" not in password_input and "autofocus" in password_input  # focus goes to the password
    assert "Reelhouse" in page and '<label for="username">' in page and '<label for="password">' in page
    assert f'value="{target}"' in page.replace("&amp;", "&").replace("&#x3D;", "=")
    assert "auth_token" not in posted.headers["Set-Cookie"] + resp.headers.get("Set-Cookie", "")  # no session
    assert resp.headers["Set-Cookie"].startswith("login_flash=;")  # the error is shown once: cleared
    resp = login_json(url, "bob", "Wrong-Secret-123")
    assert resp.status_code == 401 and resp.json() == {
        "error": "invalid_credentials",
        "message": "Wrong username or password.",
    }
    assert login_json(url, "nobody", BOB_PASSWORD).status_code == 401
    assert login_json(url, "broken line", "").status_code == 401
    assert login_json(url, "bob", BOB_PASSWORD + "x" * 2000).status_code == 401


def test_security_headers_on_every_html_page(stack, token, clips, configured):
    cookies = {"auth_token": token}
    pages = [
        requests.get(stack.url("auth") + "/login", timeout=10),
        requests.get(stack.url("auth") + "/login?redirect=" + stack.url("streaming") + "/", timeout=10),
        requests.post(configured.url("auth") + "/api/login", data={"username": "x", "password": "y"}, timeout=10),
        requests.get(stack.url("upload") + "/", cookies=cookies, timeout=10),
        requests.get(stack.url("streaming") + "/", cookies=cookies, timeout=10),
        requests.get(stack.url("streaming") + "/videos/nosuchvideo123", cookies=cookies, timeout=10),
    ]
    assert [p.status_code for p in pages] == [200, 200, 200, 200, 200, 404]
    assert [r.status_code for r in pages[2].history] == [303]  # the refused login: the form again at /login
    for resp in [*pages, *pages[2].history]:
        assert_html_security_headers(resp)
    for resp in pages[3:5]:  # both apps show the user and a logout button (a same-origin form)
        assert 'data-testid="current-user">alice<' in resp.text
        assert '<form method="post" action="/logout" id="logout-form">' in resp.text
    # The player page may be framed by the two apps' own origins, nothing else.
    created = stack.upload(token, clips["h264"], name="headers check")
    assert created.status_code == 201, created.text
    player = requests.get(f"{stack.url('streaming')}/videos/{created.json()['id']}", cookies=cookies, timeout=10)
    assert player.status_code == 200
    assert_html_security_headers(player, " ".join(sorted([stack.url("upload"), stack.url("streaming")])))


def test_redirects_to_login_carry_the_page_asked_for(stack):
    for app, path in (("upload", "/"), ("streaming", "/?q=cats"), ("streaming", "/videos/abcdefghijkl")):
        resp = requests.get(stack.url(app) + path, allow_redirects=False, timeout=10)
        assert resp.status_code == 303
        login = requests.get(resp.headers["Location"], timeout=10)
        assert f'value="{stack.url(app)}{path}"' in login.text.replace("&#x3D;", "=").replace("&amp;", "&")
