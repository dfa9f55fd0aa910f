"""Sessions against the real auth-svc and web apps (MariaDB stack): forged, tampered,
malformed, expired and replayed-after-logout tokens refused; logout holds at auth-svc at
once, at the web apps within their 2-second cache, across a restart of auth-svc and
across two auth-svc processes sharing the database."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import pytest
import requests
from authkit import extra_auth, login_json, set_cookie, sha256, status_of, token_for, until_status


def _protected(stack) -> list[str]:
    """An API of each web app (401 without a valid token)."""
    return [stack.url("upload") + "/api/uploads", stack.url("streaming") + "/api/videos"]


def _verify(url: str, token: str, bearer: bool = False) -> int:
    return status_of(url + "/api/verify", token, bearer=bearer)


def _assert_accepted(stack, token: str) -> None:
    assert _verify(stack.url("auth"), token) == 200
    for url in _protected(stack):
        assert status_of(url, token) == 200, url


def _assert_refused_everywhere(stack, token: str) -> None:
    """Refused by auth-svc at once; by both web apps once their 2 s cache has passed."""
    assert _verify(stack.url("auth"), token) == 401
    assert _verify(stack.url("auth"), token, bearer=True) == 401
    for url in _protected(stack):
        until_status(url, token, 401)
        assert status_of(url, token, bearer=True) == 401
    for page in (stack.url("upload") + "/", stack.url("streaming") + "/"):
        resp = requests.get(page, cookies={"auth_token": token}, allow_redirects=False, timeout=10)
        assert resp.status_code == 303 and resp.headers["Location"].startswith(stack.url("auth") + "/login?")


def test_login_gives_a_random_token_stored_only_as_its_hash(stack):
    resp = login_json(stack.url("auth"))
    assert resp.status_code == 200
    body = resp.json()
    assert body["user"] == "alice" and len(body["token"]) >= 40
    assert resp.headers["Cache-Control"] == "no-store"
    assert set_cookie(resp)[0] == body["token"]
    expires = datetime.strptime(body["expires_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert timedelta(hours=7, minutes=59) < expires - datetime.now(UTC) <= timedelta(hours=8)
    assert body["token"] != token_for(stack.url("auth"))
    rows = stack.mariadb.query(
        "SELECT token_hash, username FROM auth_sessions WHERE token_hash = %s", (sha256(body["token"]),)
    )
    assert rows == [{"token_hash": sha256(body["token"]), "username": "alice"}]
    leaked = stack.mariadb.query(
        "SELECT COUNT(*) AS n FROM auth_sessions WHERE token_hash = %s OR username = %s", (body["token"], body["token"])
    )
    assert leaked[0]["n"] == 0
    # Keyed: the bare SHA-256 of the token (what a database writer could compute) is no row.
    bare = hashlib.sha256(body["token"].encode()).hexdigest()
    assert stack.mariadb.query("SELECT COUNT(*) AS n FROM auth_sessions WHERE token_hash = %s", (bare,))[0]["n"] == 0


def _tampered(token: str) -> str:
    last = token[-1]
    return token[:-1] + ("A" if last != "A" else "B")


BAD_TOKENS = {
    "forged": lambda t: secrets.token_urlsafe(32),
    "tampered_last_char": _tampered,
    "tampered_first_char": lambda t: ("x" if t[0] != "x" else "y") + t[1:],
    "truncated": lambda t: t[:-4],
    "extended": lambda t: t + "AAAA",
    "hash_of_token": lambda t: sha256(t),  # what the database holds is no token
    "sql": lambda t: "' OR '1'='1",
    "huge": lambda t: "A" * 8000,
    "empty_bearer": lambda t: " ",
}


@pytest.mark.parametrize("kind", sorted(BAD_TOKENS))
def test_forged_and_tampered_tokens_refused(stack, token, kind):
    bad = BAD_TOKENS[kind](token)
    assert _verify(stack.url("auth"), bad, bearer=True) == 401
    for url in _protected(stack):
        assert status_of(url, bad, bearer=True) == 401, url
    if bad.strip() and ";" not in bad and "'" not in bad:
        assert _verify(stack.url("auth"), bad) == 401
        for url in _protected(stack):
            assert status_of(url, bad) == 401, url


def test_expired_session_refused(stack):
    """A real session whose expiry passes (moved into the past in the database)."""
    token = token_for(stack.url("auth"))
    _assert_accepted(stack, token)
    past = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=1)
    stack.mariadb.query("UPDATE auth_sessions SET expires_at = %s WHERE token_hash = %s", (past, sha256(token)))
    _assert_refused_everywhere(stack, token)


def test_expired_row_inserted_directly_is_refused(stack):
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC).replace(tzinfo=None)
    stack.mariadb.query(
        "INSERT INTO auth_sessions (token_hash, username, created_at, expires_at) VALUES (%s, 'alice', %s, %s)",
        (sha256(token), now - timedelta(hours=9), now - timedelta(hours=1)),
    )
    _assert_refused_everywhere(stack, token)


def test_logout_at_auth_svc_revokes_the_copied_cookie(stack):
    token = token_for(stack.url("auth"))
    _assert_accepted(stack, token)  # now in the web apps' cache
    resp = requests.post(
        stack.url("auth") + "/api/logout", cookies={"auth_token": token}, allow_redirects=False, timeout=10
    )
    assert resp.status_code == 303 and resp.headers["Location"] == stack.url("auth") + "/login"
    value, attrs = set_cookie(resp)
    assert value in ("", '""') and attrs.get("max-age") == "0" and attrs.get("path") == "/"
    _assert_refused_everywhere(stack, token)  # a copy of the cookie replayed after logout
    row = stack.mariadb.query("SELECT revoked_at FROM auth_sessions WHERE token_hash = %s", (sha256(token),))
    assert row[0]["revoked_at"] is not None


@pytest.mark.parametrize("app", ["upload", "streaming"])
def test_logout_button_of_each_web_app_revokes(stack, app):
    """The apps' logout (a same-origin form post to /logout) revokes at auth-svc."""
    token = token_for(stack.url("auth"))
    _assert_accepted(stack, token)
    resp = requests.post(
        stack.url(app) + "/logout",
        cookies={"auth_token": token},
        headers={"Origin": stack.url(app)},
        allow_redirects=False,
        timeout=10,
    )
    assert resp.status_code == 303 and resp.headers["Location"] == stack.url("auth") + "/login"
    value, attrs = set_cookie(resp)
    assert value in ("", '""') and attrs.get("max-age") == "0"
    assert _verify(stack.url("auth"), token) == 401  # at once
    assert status_of(stack.url(app) + ("/api/uploads" if app == "upload" else "/api/videos"), token) == 401
    _assert_refused_everywhere(stack, token)


def test_logout_holds_across_auth_svc_restart(stack):
    revoked, kept = token_for(stack.url("auth")), token_for(stack.url("auth"))
    requests.post(stack.url("auth") + "/api/logout", headers={"Authorization": f"Bearer {revoked}"}, timeout=10)
    stack["auth"].restart()
    _assert_refused_everywhere(stack, revoked)
    _assert_accepted(stack, kept)  # sessions live in the database, not in the process


def test_two_auth_svc_processes_share_sessions(stack, tmp_path):
    second = extra_auth(stack.env, tmp_path / "auth2")
    try:
        token = token_for(stack.url("auth"))
        assert _verify(second.url, token) == 200
        _assert_accepted(stack, token)
        resp = requests.post(
            second.url + "/api/logout", cookies={"auth_token": token}, allow_redirects=False, timeout=10
        )
        assert resp.status_code == 303
        assert _verify(second.url, token) == 401
        _assert_refused_everywhere(stack, token)  # the first process and the apps behind it
        other = token_for(second.url)
        _assert_accepted(stack, other)
    finally:
        second.stop()
