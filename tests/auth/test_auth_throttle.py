"""The brute-force throttle against real auth-svc processes on a database of their own
(never the shared stack's: 127.0.0.1 is locked out here on purpose).

Process `proxied` believes one X-Forwarded-For hop (TRUSTED_PROXIES=1), as behind a
reverse proxy; process `direct` believes none (TRUSTED_PROXIES=0). Both count failures in
the same database.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from authkit import assert_html_security_headers, extra_auth, login_json, lone_auth

from harness import TEST_PASSWORD


@pytest.fixture(scope="module")
def throttle_db(mariadb):
    return mariadb.env(mariadb.create_database("reelhouse_throttle", fresh=True))


@pytest.fixture(scope="module")
def proxied(tmp_path_factory, throttle_db):
    st = lone_auth(tmp_path_factory.mktemp("throttle"), {**throttle_db, "TRUSTED_PROXIES": "1"})
    yield st
    st.stop()


@pytest.fixture(scope="module")
def direct(tmp_path_factory, proxied):
    svc = extra_auth({**proxied.env, "TRUSTED_PROXIES": "0"}, tmp_path_factory.mktemp("throttle-direct"))
    yield svc
    svc.stop()


def _fail(url: str, xff: str | None = None, n: int = 1) -> None:
    for _ in range(n):
        resp = login_json(url, password="wrong password", headers={"X-Forwarded-For": xff} if xff else {})
        assert resp.status_code == 401, resp.text
        assert resp.json()["error"] == "invalid_credentials"


def _right(url: str, xff: str | None = None, html: bool = False) -> requests.Response:
    headers = {"X-Forwarded-For": xff} if xff else {}
    if html:
        return requests.post(
            url + "/api/login",
            data={"username": "alice", "password": TEST_PASSWORD},
            headers={"Accept": "text/html", **headers},
            allow_redirects=False,
            timeout=15,
        )
    return login_json(url, headers=headers)


def _retry_after(resp: requests.Response) -> int:
    value = int(resp.headers["Retry-After"])
    assert 0 < value <= 15 * 60
    return value


def test_ten_failures_then_429_even_for_the_right_password(proxied):
    url, client = proxied.url("auth"), "203.0.113.10"
    _fail(url, client, 9)
    assert _right(url, client).status_code == 200  # nine failures: still let in
    _fail(url, client)  # the tenth
    resp = _right(url, client)
    assert resp.status_code == 429
    assert resp.json()["error"] == "too_many_attempts"
    _retry_after(resp)
    wrong = login_json(url, password="wrong password", headers={"X-Forwarded-For": client})
    assert wrong.status_code == 429
    posted = _right(url, client, html=True)  # a browser is sent to the login page, which says why
    assert posted.status_code == 303 and posted.headers["Location"] == "/login"
    _retry_after(posted)
    page = requests.get(url + "/login", cookies=posted.cookies, timeout=15)
    assert_html_security_headers(page)
    assert "Too many failed logins" in page.text and 'value="alice"' in page.text
    assert TEST_PASSWORD not in page.text
    assert "auth_token" not in posted.headers["Set-Cookie"] + page.headers.get("Set-Cookie", "")  # no session
    assert "login throttled for 203.0.113.10" in proxied["auth"].log.read_text()


def test_another_address_is_not_blocked_and_spoofed_hops_do_not_help(proxied):
    url, blocked = proxied.url("auth"), "203.0.113.20"
    _fail(url, blocked, 10)
    assert _right(url, blocked).status_code == 429
    assert _right(url, "203.0.113.21").status_code == 200  # another client behind the proxy
    # Only the hop the trusted proxy added counts; whatever the client put before it is ignored.
    assert _right(url, f"203.0.113.21, {blocked}").status_code == 429
    assert _right(url, f"{blocked}, 203.0.113.22").status_code == 200


def test_forwarded_for_ignored_without_trusted_proxies_and_counts_are_shared(proxied, direct, mariadb):
    # TRUSTED_PROXIES=0: ten failures with ten different X-Forwarded-For are one client.
    for i in range(10):
        _fail(direct.url, f"198.51.100.{i}")
    resp = _right(direct.url, "198.51.100.99")
    assert resp.status_code == 429, resp.text
    _retry_after(resp)
    # The count lives in the database: the other process sees the same client blocked.
    assert _right(proxied.url("auth"), "127.0.0.1").status_code == 429
    assert _right(proxied.url("auth"), "198.51.100.99").status_code == 200
    # Once the window has passed (the attempts moved 15 minutes back), the client may try again.
    with mariadb.root() as conn, conn.cursor() as c:
        c.execute(
            "UPDATE reelhouse_throttle.login_attempts SET attempted_at = attempted_at - INTERVAL 901 SECOND "
            "WHERE client = '127.0.0.1'"
        )
    assert _right(direct.url).status_code == 200


def test_window_is_fifteen_minutes():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "auth-svc"))
    from auth_svc import throttle

    assert throttle.MAX_FAILURES == 10 and throttle.WINDOW == timedelta(minutes=15)
