"""The account API against the real stack (MariaDB, S3, the four services): who you are
and your usage, your sessions (listed with browser, address and last seen; revoked one by
one or all others), your password (the current one asked, weak ones refused with the
reason, every other session ended within the web apps' 2-second cache), a disabled
account's sessions and tokens ended, and API tokens (shown once, stored as an HMAC,
revocable, expiring, never accepted by the account's own routes)."""

from __future__ import annotations

import hashlib
import hmac

import pytest
import requests

from harness import TEST_PASSWORD, bearer

from .accountkit import JSON, add_user, login, me, session, status_of, until_status, verify

KEY = "test-secret-key-0123456789"
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
NEW_PASSWORD = "violet tractor pebble sunrise"


def _hmac(token: str) -> str:
    return hmac.new(KEY.encode(), token.encode(), hashlib.sha256).hexdigest()


def _web_apis(st) -> list[str]:
    """An API of each web app: 200 for a valid session or read token, 401 otherwise."""
    return [st.url("upload") + "/api/uploads", st.url("streaming") + "/api/videos"]


def _refused_everywhere(st, token: str, web_status: int = 401) -> None:
    """auth-svc refuses it at once; both web apps once their 2-second cache has passed
    (401; a disabled person's credentials: 403 `account_disabled`)."""
    assert verify(st, token) == 401
    for url in _web_apis(st):
        until_status(url, token, web_status)


def _accepted_everywhere(st, token: str) -> None:
    assert verify(st, token) == 200
    for url in _web_apis(st):
        assert status_of(url, token) == 200, url


def test_me_is_the_user_with_usage_and_source(acct, clips):
    add_user(acct, "carol", quota_bytes=10**9, quota_videos=5)
    body = me(acct, "GET", "", session(acct, "carol")).json()
    assert body == {
        "username": "carol",
        "role": "uploader",
        "disabled": False,
        "source": "database",
        "created_at": body["created_at"],
        "quota_bytes": 10**9,
        "quota_videos": 5,
        "bytes_used": 0,
        "videos_used": 0,
        "invited": False,
        "totp": False,
    }
    assert body["created_at"].endswith("Z")
    token = session(acct, "carol")
    assert acct.upload(token, clips["h264"], name="usage").status_code == 201
    after = me(acct, "GET", "", token).json()
    assert after["videos_used"] == 1 and after["bytes_used"] >= clips["h264"].stat().st_size
    alice = me(acct, "GET", "", session(acct, "alice")).json()
    assert (alice["source"], alice["role"], alice["created_at"], alice["totp"]) == ("env", "admin", None, False)
    bob = me(acct, "GET", "", session(acct, "bob")).json()
    assert (bob["source"], bob["role"]) == ("file", "uploader")
    assert me(acct, "GET", "", "not-a-session").status_code == 401


def test_sessions_listed_and_revoked_one_or_all_others(acct):
    add_user(acct, "dora")
    mine = session(acct, "dora", headers={"User-Agent": CHROME})
    other = session(acct, "dora", headers={"User-Agent": FIREFOX})
    third = session(acct, "dora")
    listed = me(acct, "GET", "/sessions", mine).json()["sessions"]
    assert len(listed) == 3 and len({s["id"] for s in listed}) == 3
    assert all(s["address"] == "127.0.0.1" and s["last_seen_at"] and s["created_at"] for s in listed)
    assert all(s["id"] not in (mine, other, third) and len(s["id"]) >= 20 for s in listed)
    current = [s for s in listed if s["current"]]
    assert len(current) == 1 and current[0]["user_agent"] == CHROME
    by_agent = {s["user_agent"]: s["id"] for s in listed}
    page = requests.get(acct.url("auth") + "/account", cookies={"auth_token": mine}, timeout=15).text
    assert "Chrome on Linux" in page and "Firefox on Windows" in page and "(this session)" in page

    # Someone else's session id is nobody's to revoke.
    add_user(acct, "dora2")
    foreign = session(acct, "dora2")
    foreign_id = me(acct, "GET", "/sessions", foreign).json()["sessions"][0]["id"]
    assert me(acct, "DELETE", f"/sessions/{foreign_id}", mine).status_code == 404
    assert me(acct, "DELETE", "/sessions/no-such-session", mine).status_code == 404
    assert verify(acct, foreign) == 200

    for url in _web_apis(acct):  # the web apps have it cached as valid
        assert status_of(url, other) == 200
    assert me(acct, "DELETE", f"/sessions/{by_agent[FIREFOX]}", mine).status_code == 204
    _refused_everywhere(acct, other)
    assert me(acct, "DELETE", f"/sessions/{by_agent[FIREFOX]}", mine).status_code == 404  # already ended
    assert len(me(acct, "GET", "/sessions", mine).json()["sessions"]) == 2

    assert me(acct, "DELETE", "/sessions", mine).status_code == 204  # all but this one
    _refused_everywhere(acct, third)
    _accepted_everywhere(acct, mine)
    assert [s["current"] for s in me(acct, "GET", "/sessions", mine).json()["sessions"]] == [True]


def test_last_seen_is_written_at_most_once_a_minute(acct):
    add_user(acct, "erin")
    token = session(acct, "erin")
    where = ("SELECT last_seen_at FROM auth_sessions WHERE token_hash = ?", (_hmac(token),))
    acct.query(
        "UPDATE auth_sessions SET last_seen_at = UTC_TIMESTAMP(6) - INTERVAL 2 MINUTE WHERE token_hash = ?",
        (_hmac(token),),
    )
    stale = acct.query(*where)[0]["last_seen_at"]
    assert verify(acct, token) == 200
    seen = acct.query(*where)[0]["last_seen_at"]
    assert seen > stale
    for _ in range(5):
        assert verify(acct, token) == 200
    assert acct.query(*where)[0]["last_seen_at"] == seen  # within the minute: no write


def test_password_change_ends_every_other_session(acct):
    add_user(acct, "frank")
    mine, other = session(acct, "frank"), session(acct, "frank")
    for url in _web_apis(acct):
        assert status_of(url, other) == 200  # cached as valid by the web apps
    before = acct.query("SELECT COUNT(*) AS n FROM login_attempts")[0]["n"]
    wrong = me(acct, "POST", "/password", mine, json={"current_password": "not it", "new_password": NEW_PASSWORD})
    assert wrong.status_code == 403 and wrong.json()["error"] == "wrong_password"
    assert acct.query("SELECT COUNT(*) AS n FROM login_attempts")[0]["n"] == before + 1  # throttled like a login
    weak = me(acct, "POST", "/password", mine, json={"current_password": TEST_PASSWORD, "new_password": "frankfrank1"})
    assert weak.status_code == 400 and weak.json()["error"] == "weak_password" and len(weak.json()["message"]) > 20
    for body in ({}, {"current_password": TEST_PASSWORD}, {"current_password": TEST_PASSWORD, "new_password": 5}):
        assert me(acct, "POST", "/password", mine, json=body).status_code == 400
    assert me(acct, "POST", "/password", mine, data="not json").status_code == 400
    assert (
        acct.query("SELECT password_changed_at FROM users WHERE username = 'frank'")[0]["password_changed_at"] is None
    )
    assert verify(acct, other) == 200  # nothing changed so far

    done = me(acct, "POST", "/password", mine, json={"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD})
    assert done.status_code == 204
    _refused_everywhere(acct, other)
    _accepted_everywhere(acct, mine)
    row = acct.query("SELECT password_hash, password_changed_at FROM users WHERE username = 'frank'")[0]
    assert row["password_hash"].startswith("$argon2id$") and row["password_changed_at"] is not None
    assert login(acct, "frank").status_code == 401
    assert login(acct, "frank", NEW_PASSWORD).status_code == 200


@pytest.mark.parametrize("user, where", [("alice", "AUTH_PASSWORD"), ("bob", "AUTH_USERS_FILE")])
def test_password_of_env_and_file_users_is_managed_elsewhere(acct, user, where):
    token = session(acct, user)
    resp = me(acct, "POST", "/password", token, json={"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD})
    assert resp.status_code == 409 and resp.json()["error"] == "managed_elsewhere"
    assert where in resp.json()["message"]
    page = requests.get(acct.url("auth") + "/account", cookies={"auth_token": token}, timeout=15).text
    assert where in page and 'id="password-form"' not in page
    assert login(acct, user).status_code == 200  # unchanged


def test_disabling_ends_sessions_and_tokens(acct):
    add_user(acct, "gina")
    token = session(acct, "gina")
    program = me(acct, "POST", "/tokens", token, json={"name": "bot", "scopes": ["read"]}).json()["token"]
    _accepted_everywhere(acct, token)
    _accepted_everywhere(acct, program)
    acct.query("UPDATE users SET disabled = 1 WHERE username = 'gina'")
    _refused_everywhere(acct, token, 403)
    _refused_everywhere(acct, program, 403)
    resp = requests.get(acct.url("auth") + "/api/verify", headers=bearer(program), timeout=10)
    assert resp.json()["error"] == "account_disabled"
    assert login(acct, "gina").status_code == 403


def test_token_shown_once_stored_as_an_hmac(acct):
    add_user(acct, "hana")
    owner = session(acct, "hana")
    made = me(
        acct, "POST", "/tokens", owner, json={"name": "ci", "scopes": ["upload", "read"], "expires_at": "2999-01-01"}
    )
    assert made.status_code == 201 and made.headers["Cache-Control"] == "no-store"
    body = made.json()
    token = body.pop("token")
    assert token.startswith("rh_") and len(token) == 46
    assert body == {
        "id": body["id"],
        "name": "ci",
        "scopes": ["read", "upload"],
        "created_at": body["created_at"],
        "expires_at": "2999-01-02T00:00:00.000Z",  # a date: through that day
        "last_used_at": None,
    }
    row = acct.query("SELECT * FROM api_tokens WHERE id = ?", (body["id"],))[0]
    assert row["token_hash"] == _hmac(token) and row["username"] == "hana"
    assert not [k for k, v in row.items() if v is not None and token in str(v)]
    assert hashlib.sha256(token.encode()).hexdigest() != row["token_hash"]  # keyed, not a bare hash
    listed = me(acct, "GET", "/tokens", owner).json()["tokens"]
    assert listed == [body] and token not in str(listed)

    resp = requests.get(acct.url("auth") + "/api/verify", headers=bearer(token), timeout=10)
    assert resp.json() == {
        "user": "hana",
        "role": "uploader",
        "scopes": ["read", "upload"],
        "quota_bytes": None,
        "quota_videos": None,
    }
    assert status_of(acct.url("streaming") + "/api/videos", token) == 200
    used = me(acct, "GET", "/tokens", owner).json()["tokens"][0]["last_used_at"]
    assert used is not None


def test_a_token_never_works_on_the_account_routes(acct):
    add_user(acct, "ines")
    owner = session(acct, "ines")
    token = me(acct, "POST", "/tokens", owner, json={"name": "all", "scopes": ["read", "upload", "manage"]}).json()
    secret = token["token"]
    calls = [
        ("GET", ""),
        ("POST", "/password"),
        ("GET", "/sessions"),
        ("DELETE", "/sessions"),
        ("DELETE", "/sessions/x"),
        ("POST", "/totp"),
        ("POST", "/totp/confirm"),
        ("DELETE", "/totp"),
        ("GET", "/tokens"),
        ("POST", "/tokens"),
        ("DELETE", f"/tokens/{token['id']}"),
    ]
    for method, path in calls:
        resp = me(acct, method, path, secret, json={"name": "more", "scopes": ["read"], "code": "123456"})
        assert resp.status_code == 401, (method, path, resp.text)
        assert "log in" in resp.json()["message"]
    for cookie in (False, True):
        kwargs = {"cookies": {"auth_token": secret}} if cookie else {"headers": bearer(secret)}
        page = requests.get(acct.url("auth") + "/account", allow_redirects=False, timeout=15, **kwargs)
        assert page.status_code in (401, 303) and "Your account" not in page.text
    assert [t["name"] for t in me(acct, "GET", "/tokens", owner).json()["tokens"]] == ["all"]  # nothing made
    assert verify(acct, secret) == 200  # nor revoked


def test_revoked_and_expired_tokens_are_refused(acct):
    add_user(acct, "jack")
    owner = session(acct, "jack")
    revoked = me(acct, "POST", "/tokens", owner, json={"name": "a", "scopes": ["read"]}).json()
    expiring = me(acct, "POST", "/tokens", owner, json={"name": "b", "scopes": ["read"], "expires_at": "2999-01-01"})
    expiring = expiring.json()
    for t in (revoked, expiring):
        _accepted_everywhere(acct, t["token"])

    assert me(acct, "DELETE", f"/tokens/{revoked['id']}", owner).status_code == 204
    _refused_everywhere(acct, revoked["token"])
    assert me(acct, "DELETE", f"/tokens/{revoked['id']}", owner).status_code == 404
    add_user(acct, "jack2")
    stranger = session(acct, "jack2")
    assert me(acct, "DELETE", f"/tokens/{expiring['id']}", stranger).status_code == 404  # not theirs
    assert verify(acct, expiring["token"]) == 200

    acct.query(
        "UPDATE api_tokens SET expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE id = ?", (expiring["id"],)
    )
    _refused_everywhere(acct, expiring["token"])
    assert [t["id"] for t in me(acct, "GET", "/tokens", owner).json()["tokens"]] == [expiring["id"]]  # listed, expired


def test_logout_with_an_api_token_revokes_it(acct):
    add_user(acct, "kate")
    token = me(acct, "POST", "/tokens", session(acct, "kate"), json={"name": "cli", "scopes": ["read"]}).json()["token"]
    resp = requests.post(acct.url("auth") + "/api/logout", headers=bearer(token), allow_redirects=False, timeout=10)
    assert resp.status_code == 303
    _refused_everywhere(acct, token)


BAD_TOKENS = [
    ({}, "invalid_name"),
    ({"name": "", "scopes": ["read"]}, "invalid_name"),
    ({"name": "   ", "scopes": ["read"]}, "invalid_name"),
    ({"name": "x" * 101, "scopes": ["read"]}, "invalid_name"),
    ({"name": "evil\u202egpj.exe", "scopes": ["read"]}, "invalid_name"),
    ({"name": "line\nbreak", "scopes": ["read"]}, "invalid_name"),
    ({"name": 5, "scopes": ["read"]}, "invalid_name"),
    ({"name": "ok"}, "invalid_scopes"),
    ({"name": "ok", "scopes": []}, "invalid_scopes"),
    ({"name": "ok", "scopes": "read"}, "invalid_scopes"),
    ({"name": "ok", "scopes": ["admin"]}, "invalid_scopes"),
    ({"name": "ok", "scopes": [1]}, "invalid_scopes"),
    ({"name": "ok", "scopes": ["read"], "expires_at": "tomorrow"}, "invalid_expiry"),
    ({"name": "ok", "scopes": ["read"], "expires_at": "2001-01-01"}, "invalid_expiry"),
    ({"name": "ok", "scopes": ["read"], "expires_at": "2001-01-01T00:00:00Z"}, "invalid_expiry"),
    ({"name": "ok", "scopes": ["read"], "expires_at": 1893456000}, "invalid_expiry"),
    ({"name": "ok", "scopes": ["read"], "expires_at": "9999-12-31"}, "invalid_expiry"),
]


def test_bad_token_requests_say_why_and_store_nothing(acct):
    add_user(acct, "liam")
    owner = session(acct, "liam")
    for body, code in BAD_TOKENS:
        resp = me(acct, "POST", "/tokens", owner, json=body)
        assert resp.status_code == 400 and resp.json()["error"] == code, (body, resp.text)
        assert resp.json()["message"]
    for raw in ("not json", "[1, 2]", '"text"'):
        resp = me(acct, "POST", "/tokens", owner, data=raw, headers={**JSON, "Content-Type": "application/json"})
        assert resp.status_code == 400 and resp.json()["error"] == "bad_request"
    assert acct.query("SELECT COUNT(*) AS n FROM api_tokens WHERE username = 'liam'")[0]["n"] == 0


def test_fifty_live_tokens_at_most(acct):
    add_user(acct, "mona")
    owner = session(acct, "mona")
    made = [me(acct, "POST", "/tokens", owner, json={"name": f"t{i}", "scopes": ["read"]}) for i in range(50)]
    assert {r.status_code for r in made} == {201}
    extra = me(acct, "POST", "/tokens", owner, json={"name": "one more", "scopes": ["read"]})
    assert extra.status_code == 409 and extra.json()["error"] == "too_many_tokens"
    assert me(acct, "DELETE", f"/tokens/{made[0].json()['id']}", owner).status_code == 204
    assert me(acct, "POST", "/tokens", owner, json={"name": "one more", "scopes": ["read"]}).status_code == 201


def test_the_account_page_asks_for_a_login_and_comes_back(acct):
    resp = requests.get(acct.url("auth") + "/account", allow_redirects=False, timeout=15)
    assert resp.status_code == 303
    login_page = requests.get(acct.url("auth") + resp.headers["Location"], timeout=15).text
    assert f'name="redirect" value="{acct.url("auth")}/account"' in login_page
    add_user(acct, "nina")
    done = requests.post(
        acct.url("auth") + "/api/login",
        data={"username": "nina", "password": TEST_PASSWORD, "redirect": acct.url("auth") + "/account"},
        allow_redirects=False,
        timeout=15,
    )
    assert done.status_code == 303 and done.headers["Location"] == acct.url("auth") + "/account"
    # Only that page: auth-svc's others (the login page itself) still go home.
    other = login(acct, "nina", redirect=acct.url("auth") + "/login", headers={"Accept": "text/html"})
    assert other.headers["Location"] == acct.url("upload") + "/"


def test_quota_bars_on_the_page(acct):
    add_user(acct, "olga", quota_bytes=2 * 1024**3, quota_videos=3)
    page = requests.get(acct.url("auth") + "/account", cookies={"auth_token": session(acct, "olga")}, timeout=15).text
    assert '<progress id="quota-bytes" max="2147483648" value="0">' in page
    assert '<progress id="quota-videos" max="3" value="0">' in page
    assert "0 bytes of 2.0 GB used" in page and "0 of 3 videos" in page
    page = requests.get(acct.url("auth") + "/account", cookies={"auth_token": session(acct, "bob")}, timeout=15).text
    assert "(no limit)" in page and "<progress" not in page


def test_both_web_apps_link_to_the_account_page(acct):
    token = session(acct, "bob")
    link = f'href="{acct.url("auth")}/account"'
    for app in ("upload", "streaming"):
        page = requests.get(acct.url(app) + "/", cookies={"auth_token": token}, timeout=15)
        assert page.status_code == 200 and link in page.text, app
