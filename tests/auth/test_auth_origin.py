"""Cross-site writes: every POST, PATCH and DELETE of the three browser-facing services
refuses a foreign Origin (or, without one, Referer) with 403, `Origin: null` included
(but by a share link's password form, posted so by its own no-referrer page); scripts
(neither header) and Bearer requests pass. Against the live MariaDB stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from authkit import ORIGIN_REFUSED, token_for

from harness import TEST_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
NO_VIDEO = "abcdefghijklmnop"
NO_UPLOAD = "ponmlkjihgfedcba"
NO_SESSION = "no-such-session-id"
NO_TOKEN = "no-such-token-id"
OTHERS = "others"  # revokes every other session of the user when let through
NO_USER = "nobody-at-all"
NO_LINK = "x" * 43
NO_HOOK = "no-such-webhook"
NO_SHARE = "no-such-share"

# (service, method, path, request kwargs, revokes the session when let through: True, or
# OTHERS for a route that ends the user's other sessions, sent by a user of its own)
UNSAFE_ROUTES = [
    ("upload", "POST", "/api/upload", {"files": {"file": ("x.mp4", b"not a video")}}, False),
    ("upload", "POST", "/logout", {}, True),
    ("upload", "POST", "/api/tus/", {"data": b""}, False),
    ("upload", "PATCH", f"/api/tus/{NO_UPLOAD}", {"data": b"x"}, False),
    ("upload", "DELETE", f"/api/tus/{NO_UPLOAD}", {}, False),
    ("streaming", "PATCH", f"/api/videos/{NO_VIDEO}", {"json": {"video_name": "x"}}, False),
    ("streaming", "DELETE", f"/api/videos/{NO_VIDEO}", {}, False),
    ("streaming", "POST", f"/api/videos/{NO_VIDEO}/retry", {}, False),
    ("streaming", "POST", f"/api/videos/{NO_VIDEO}/restore", {}, False),
    (
        "streaming",
        "POST",
        f"/api/videos/{NO_VIDEO}/captions",
        {"files": {"file": ("x.vtt", b"WEBVTT\n")}, "data": {"language": "en", "label": "English"}},
        False,
    ),
    ("streaming", "DELETE", f"/api/videos/{NO_VIDEO}/captions/<language>", {}, False),
    ("streaming", "POST", "/logout", {}, True),
    ("streaming", "POST", f"/api/videos/{NO_VIDEO}/shares", {"json": {}}, False),
    ("streaming", "DELETE", f"/api/videos/{NO_VIDEO}/shares/{NO_SHARE}", {}, False),
    ("streaming", "POST", f"/api/videos/{NO_VIDEO}/views", {"json": {"ticket": "x"}}, False),
    ("auth", "POST", "/api/login", {"data": {"username": "alice", "password": TEST_PASSWORD}}, False),
    ("auth", "POST", "/api/logout", {}, True),
    ("auth", "POST", "/api/me/password", {"json": {"current_password": "x", "new_password": "y"}}, False),
    ("auth", "DELETE", "/api/me/sessions", {}, OTHERS),
    ("auth", "DELETE", f"/api/me/sessions/{NO_SESSION}", {}, False),
    ("auth", "POST", "/api/me/totp", {}, False),
    ("auth", "POST", "/api/me/totp/confirm", {"json": {"code": "123456"}}, False),
    ("auth", "DELETE", "/api/me/totp", {"json": {"code": "123456"}}, False),
    ("auth", "POST", "/api/me/tokens", {"json": {"name": "origin", "scopes": ["read"]}}, False),
    ("auth", "DELETE", f"/api/me/tokens/{NO_TOKEN}", {}, False),
    # The admin's routes (invalid or unknown: nothing is created, changed or deleted when
    # let through), and an invitation link with a body that is refused before the link is
    # looked up (no guess counted).
    ("auth", "POST", "/api/users", {"json": {"username": "", "role": "viewer"}}, False),
    ("auth", "PATCH", f"/api/users/{NO_USER}", {"json": {"role": "viewer"}}, False),
    ("auth", "POST", f"/api/users/{NO_USER}/reset", {}, False),
    ("auth", "DELETE", f"/api/users/{NO_USER}", {}, False),
    ("auth", "POST", f"/api/invite/{NO_LINK}", {"json": ["not an object"]}, False),
    # Webhooks (an invalid registration, an unknown endpoint: nothing changes when let through).
    ("auth", "POST", "/api/webhooks", {"json": {"url": "not a url", "events": []}}, False),
    ("auth", "DELETE", f"/api/webhooks/{NO_HOOK}", {}, False),
]


# A share link's password form and its view report (streaming-svc): posted from its own
# no-referrer page, so with `Origin: null`, which they alone accept; every other foreign
# origin is refused. No `password` field (no ticket): refused (400) before the link is
# looked up when let through (no guess counted against the address).
NULL_ORIGIN_ROUTES = [
    ("streaming", "POST", f"/s/{NO_LINK}", {}, False),
    ("streaming", "POST", f"/s/{NO_LINK}/embed", {}, False),
    ("streaming", "POST", f"/s/{NO_LINK}/views", {}, False),  # its page's fetch; no ticket: 400 first
]


def hostile_headers(stack) -> list[dict[str, str]]:
    up = stack.url("upload")
    host_port = up.split("://", 1)[1]
    return [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "NULL"},
        {"Origin": up.replace("http://", "https://")},  # right host, wrong scheme
        {"Origin": f"http://{host_port.split(':')[0]}:1"},  # same host, another port
        {"Origin": f"{up}.evil.example"},  # unparsable port
        {"Origin": f"http://{host_port.split(':')[0]}.evil.example:{host_port.split(':')[1]}"},
        {"Origin": ""},
        {"Referer": "https://evil.example/page"},  # no Origin: the Referer decides
        {"Referer": f"http://evil.example/{up}/"},
        {"Referer": "about:blank"},
        {"Origin": "https://evil.example", "Referer": up + "/"},  # Origin wins over Referer
    ]


def _send(stack, route, token: str | None, headers: dict, bearer: bool = False) -> requests.Response:
    service, method, path, kwargs, _ = route
    cookies = {"auth_token": token} if token and not bearer else {}
    if bearer:
        headers = {**headers, "Authorization": f"Bearer {token}"}
    return requests.request(
        method, stack.url(service) + path, headers=headers, cookies=cookies, allow_redirects=False, timeout=15, **kwargs
    )


def _route_id(route) -> str:
    return f"{route[0]}-{route[1]}-{route[2]}"


@pytest.mark.parametrize("route", UNSAFE_ROUTES, ids=_route_id)
def test_cross_origin_write_refused(stack, token, route):
    for headers in hostile_headers(stack):
        resp = _send(stack, route, token, headers)
        assert resp.status_code == 403, (headers, resp.status_code, resp.text[:200])
        assert resp.json()["error"] == ORIGIN_REFUSED
        assert "set-cookie" not in {k.lower() for k in resp.headers}
    # Nothing was done on the refused requests: the session is still alive.
    assert requests.get(stack.url("auth") + "/api/verify", cookies={"auth_token": token}, timeout=10).ok


@pytest.mark.parametrize("route", NULL_ORIGIN_ROUTES, ids=_route_id)
def test_the_share_form_takes_origin_null_alone(stack, token, route):
    """Every hostile header but exactly `Origin: null` is refused; `Origin: null`, the
    apps' own origins and a script pass (400: no password sent), with the session cookie too."""
    for headers in hostile_headers(stack):
        resp = _send(stack, route, token, headers)
        expected = 400 if headers == {"Origin": "null"} else 403
        assert resp.status_code == expected, (headers, resp.status_code, resp.text[:200])
        if expected == 403:
            assert resp.json()["error"] == ORIGIN_REFUSED
    for headers in ({"Origin": stack.url("streaming")}, {"Origin": stack.url("upload")}, {}):
        resp = _send(stack, route, token, headers)
        assert resp.status_code == 400 and resp.json()["error"] in ("bad_request", "bad_ticket"), (headers, resp.text)


def _loner_token(stack) -> str:
    """A session of a database user of its own ("origin-loner"), whose other sessions are
    nobody else's: ending them disturbs no other test of the shared stack."""
    from argon2 import PasswordHasher

    if not stack.query("SELECT username FROM users WHERE username = 'origin-loner'"):
        stack.query(
            "INSERT INTO users (username, skeleton, role, password_hash, created_at, updated_at) "
            "VALUES ('origin-loner', 'origin-loner', 'viewer', ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))",
            (PasswordHasher().hash(TEST_PASSWORD),),
        )
    resp = requests.post(
        stack.url("auth") + "/api/login",
        data={"username": "origin-loner", "password": TEST_PASSWORD},
        headers={"Accept": "application/json"},
        timeout=15,
    )
    assert resp.status_code == 200, resp.text
    return resp.json()["token"]


@pytest.mark.parametrize("route", UNSAFE_ROUTES, ids=_route_id)
def test_same_site_writes_scripts_and_bearer_pass(stack, token, route):
    revokes = route[4]
    allowed = [{"Origin": stack.url(s)} for s in ("upload", "streaming", "auth")]
    allowed += [{"Referer": stack.url("streaming") + "/videos/x"}, {}]  # Referer fallback; a script

    def session() -> str:
        return _loner_token(stack) if revokes == OTHERS else token_for(stack.url("auth")) if revokes else token

    for headers in allowed:
        resp = _send(stack, route, session(), headers)
        assert resp.status_code != 403, (headers, resp.text[:200])
    resp = _send(stack, route, session(), {"Origin": "https://evil.example"}, bearer=True)
    assert resp.status_code != 403, resp.text[:200]


def test_cross_site_login_without_cookie_refused(stack):
    """Login CSRF: a foreign page posting the attacker's credentials gets no session."""
    resp = requests.post(
        stack.url("auth") + "/api/login",
        headers={"Origin": "https://evil.example"},
        data={"username": "alice", "password": TEST_PASSWORD},
        allow_redirects=False,
        timeout=10,
    )
    assert resp.status_code == 403 and "set-cookie" not in {k.lower() for k in resp.headers}


UNSAFE_RULES_SCRIPT = """
import json, sys
from {package} import create_app
app = create_app()
rules = sorted({{(m, r.rule) for r in app.url_map.iter_rules() for m in r.methods
                if m in ("POST", "PUT", "PATCH", "DELETE")}})
print(json.dumps(rules))
"""


@pytest.mark.parametrize(
    "service,folder,package",
    [
        ("upload", "upload-webapp", "upload_webapp"),
        ("streaming", "streaming-webapp", "streaming_webapp"),
        ("auth", "auth-svc", "auth_svc"),
    ],
)
def test_table_covers_every_unsafe_route(stack, tmp_path, service, folder, package):
    """The table above is every write route the app really has (read from its url_map)."""
    env = dict(stack.env, DB_HOST="", DB_PATH=str(tmp_path / "routes.sqlite3"), LOG_LEVEL="ERROR")
    out = subprocess.run(
        [sys.executable, "-c", UNSAFE_RULES_SCRIPT.format(package=package)],
        cwd=ROOT / folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    actual = {(m, rule) for m, rule in json.loads(out.stdout.strip().splitlines()[-1])}
    table = {
        (
            method,
            path.replace(NO_VIDEO, "<video_id>")
            .replace(NO_UPLOAD, "<upload_id>")
            .replace(NO_SESSION, "<session_id>")
            .replace(NO_TOKEN, "<token_id>")
            .replace(NO_USER, "<username>")
            .replace(NO_LINK, "<token>")
            .replace(NO_HOOK, "<webhook_id>")
            .replace(NO_SHARE, "<share_id>"),
        )
        for s, method, path, _, _ in UNSAFE_ROUTES + NULL_ORIGIN_ROUTES
        if s == service
    }
    assert actual == table


def test_internal_token_never_logged(stack, token, clips):
    """file-svc's token travels on every internal call; no service writes it to its log."""
    assert stack.upload(token, clips["h264"], name="log check").status_code == 201
    secret = stack.env["INTERNAL_TOKEN"]
    for name in ("auth", "file", "upload", "streaming"):
        assert secret not in stack[name].log.read_text(errors="replace"), name
    for bad in ("", "Bearer ", "Bearer " + secret[:-1], "Bearer " + secret + "x", "bearer " + secret.upper()):
        resp = requests.get(stack.url("file") + "/openapi.json", headers={"Authorization": bad}, timeout=10)
        assert resp.status_code == 401, bad
    assert (
        requests.get(
            stack.url("file") + "/openapi.json", headers={"Authorization": f"Bearer {secret}"}, timeout=10
        ).status_code
        == 200
    )
    assert os.path.getsize(stack["file"].log) > 0
