"""Roles, scopes and quotas, on the apps built in this process (no service running):

- every rule of every app's url_map carries an access declaration (vs_common.access), so a
  route added without one fails here (and is refused at run time, never open); the pages
  are exactly the HTML routes, and what is declared public is what the auth check lets
  through unasked;
- every file-svc route but /healthz and /metrics wants the internal token;
- the rule itself (access.refusal): a role allows at most its needs, a token at most its
  scopes, and the messages name what is missing;
- the quotas' arithmetic (vs_common.quotas) and the usage the catalogue reports
  (tables.videos.usage: originals and renditions' bytes; unfinished uploads beside);
- the verify answer read by the web apps: quotas must be there and well-formed.

The same rules against the live services, every route against every role and token:
tests/people/test_access_table.py.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from harness import in_process_app
from vs_common import access, quotas, tables
from vs_common.auth_client import AuthUnavailable, _identity
from vs_common.db import utcnow

from .in_process import auth_app, video_of, web_app

pytestmark = pytest.mark.fast

PUBLIC_PREFIXES = {
    "upload": ("/static/", "/healthz", "/openapi.json", "/metrics"),
    "streaming": ("/static/", "/healthz", "/openapi.json", "/metrics", "/s/"),  # share links
}
# The HTML pages: a browser session only (never an API token), the login page without one.
PAGES = {
    "upload": {"/"},
    "streaming": {"/", "/videos/<video_id>"},
    "auth": set(),  # its login page is public; its account and admin pages are person_required(page=True)
}


@pytest.fixture(scope="module")
def apps(tmp_path_factory):
    """The three apps that take people's requests, built here."""
    auth = auth_app(tmp_path_factory.mktemp("decl-auth"))
    return {
        "auth": auth,
        "upload": web_app("upload-webapp", "upload_webapp", tmp_path_factory.mktemp("decl-up"), "http://127.0.0.1:9"),
        "streaming": web_app(
            "streaming-webapp", "streaming_webapp", tmp_path_factory.mktemp("decl-st"), "http://127.0.0.1:9"
        ),
    }


@pytest.mark.parametrize("name", ["upload", "streaming", "auth"])
def test_every_route_declares_what_it_needs(apps, name):
    app = apps[name]
    undeclared, pages, public = [], set(), set()
    for rule in app.url_map.iter_rules():
        declared = access.declared(app, rule.endpoint)
        if declared is None:
            undeclared.append(f"{sorted(rule.methods - {'HEAD', 'OPTIONS'})} {rule.rule} ({rule.endpoint})")
            continue
        if declared.page:
            pages.add(rule.rule)
        if declared.need == access.PUBLIC:
            public.add(rule.rule)
    assert undeclared == [], "routes without an access declaration (vs_common.access):\n" + "\n".join(undeclared)
    if name == "auth":
        return  # auth-svc answers its own routes (person_required); no prefix is skipped for it
    assert pages == PAGES[name]
    # Public is exactly what install_auth lets through without a session (and the logout button).
    expected = {r.rule for r in app.url_map.iter_rules() if r.rule.startswith(PUBLIC_PREFIXES[name])} | {"/logout"}
    assert public == expected


def test_a_route_without_a_declaration_is_refused(tmp_path, auth_service, tokens):
    """Never open: a route someone forgot to declare answers 403 to everyone, admins included."""
    app = web_app("streaming-webapp", "streaming_webapp", tmp_path, auth_service[1])
    app.add_url_rule("/api/forgotten", "forgotten", lambda: "secret")
    resp = app.test_client().get("/api/forgotten", headers={"Authorization": f"Bearer {tokens['alice']}"})
    assert resp.status_code == 403 and resp.get_json()["error"] == "forbidden"
    assert "declares no access rule" in resp.get_json()["message"]


def _concrete(rule: str) -> str:
    """A URL of a rule: each variable a plausible value."""
    return re.sub(
        r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: {"path": "master.m3u8"}.get(m.group(1), "abcdefghijklmnop"), rule
    )


def test_every_file_svc_route_but_health_wants_the_internal_token(tmp_path):
    app = in_process_app("file-svc", "file_svc", tmp_path)
    client = app.test_client()
    seen = 0
    for rule in app.url_map.iter_rules():
        if rule.rule in ("/healthz", "/metrics") or rule.rule.startswith("/static"):
            continue
        for method in sorted(rule.methods - {"OPTIONS"}):
            for headers in ({}, {"Authorization": "Bearer rh_" + "a" * 43}, {"Authorization": "Bearer " + "x" * 31}):
                resp = client.open(_concrete(rule.rule), method=method, headers=headers)
                assert resp.status_code == 401, (method, rule.rule, headers, resp.status_code)
                seen += 1
    assert seen >= 30


@pytest.mark.parametrize(
    "need,role,scopes,refused",
    [
        # Browser sessions: everything the role allows.
        ("read", "viewer", None, None),
        ("upload", "viewer", None, "Your role is viewer: uploading needs the uploader or admin role"),
        ("manage", "viewer", None, "Your role is viewer: changing or deleting videos needs"),
        ("upload", "uploader", None, None),
        ("manage", "uploader", None, None),
        ("manage", "admin", None, None),
        # API tokens: their scopes, never more than the role.
        ("read", "uploader", ("upload",), "This API token lacks the read scope."),
        ("upload", "uploader", ("read", "manage"), "This API token lacks the upload scope."),
        ("manage", "admin", ("read", "upload"), "This API token lacks the manage scope."),
        ("upload", "uploader", ("upload",), None),
        ("upload", "viewer", ("read", "upload", "manage"), "Your role is viewer: uploading needs"),
        ("read", "viewer", ("read",), None),
        ("read", "nobody-knows", None, "Your role is nobody-knows"),  # an unknown role gets nothing
    ],
)
def test_the_rule(need, role, scopes, refused):
    why = access.refusal(access.Access(need), role, scopes)
    assert (why is None) == (refused is None), why
    if refused:
        assert why.startswith(refused) and ("ask an administrator" in why or "scope" in why)


def test_public_needs_nothing_and_admins_manage_any_video():
    assert access.refusal(access.Access(access.PUBLIC), "viewer", ()) is None
    assert access.may_manage("bob", "alice", "admin")
    assert access.may_manage("bob", "bob", "uploader")
    assert not access.may_manage("bob", "carol", "uploader")
    with pytest.raises(ValueError):
        access.needs("admin")


def test_quota_messages_give_the_usage_and_the_limit():
    limits = quotas.Limits(bytes=10 * 1024**2, videos=3)
    assert quotas.refusal(limits, quotas.Usage(9 * 1024**2, 2), 1024**2) is None  # fits exactly
    why = quotas.refusal(limits, quotas.Usage(9 * 1024**2, 2), 1024**2 + 1)
    assert why.startswith("You use 9 MiB of your 10 MiB; this file needs 1 MiB.")
    why = quotas.refusal(limits, quotas.Usage(0, 3), 1)
    assert why.startswith("You have 3 of your 3 videos (unfinished uploads included)")
    assert quotas.refusal(limits, quotas.Usage(9 * 1024**2, 0), 2 * 1024**2, slack=1024**2) is None
    assert "needs more than 2 MiB" in quotas.refusal(limits, quotas.Usage(9 * 1024**2, 0), 2 * 1024**2, more=True)
    assert quotas.refusal(quotas.Limits(None, None), quotas.Usage(10**15, 10**6), 10**12) is None
    assert quotas.room(limits, quotas.Usage(12 * 1024**2, 0)) == 0
    assert [quotas.size(n) for n in (12, 1536, 5 * 1024**3, 1024**5)] == ["12 bytes", "1.5 KiB", "5 GiB", "1024 TiB"]


def test_usage_counts_originals_renditions_and_unfinished_uploads(tmp_path, auth_service):
    app = web_app("upload-webapp", "upload_webapp", tmp_path, auth_service[1])
    db = app.extensions["db"]
    first, second = video_of(app, "quinn"), video_of(app, "quinn")  # 1000 bytes each
    video_of(app, "someone else")
    now = utcnow()
    with db.transaction() as cur:
        tables.renditions.plan(cur, first, [(360, 640, 360, True), (720, 1280, 720, False)])
        tables.renditions.mark_ready(
            cur, first, 360, {"bandwidth": 1, "average_bandwidth": 1, "codecs": "avc1", "frame_rate": 25.0}
        )
        assert tables.renditions.reserve_output(cur, first, 360, 5000, 10**9)  # 720: pending, stores nothing
        for upload_id, video_id in (("u" * 16, None), ("w" * 16, None), (second, None)):  # the last: being finished
            tables.uploads.insert(
                cur,
                {
                    "id": upload_id,
                    "owner": "quinn",
                    "size_bytes": 700,
                    "received": 0,
                    "filename": "f.mp4",
                    "name": None,
                    "video_id": video_id,
                    "created_at": now,
                    "updated_at": now,
                    "expires_at": now + timedelta(hours=1),
                },
            )
    assert tables.videos.usage(db, "quinn") == (1000 + 1000 + 5000, 2)
    # Two unfinished uploads beside (the third already has its video row: counted once).
    assert quotas.usage(db, "quinn", utcnow()) == quotas.Usage(7000 + 1400, 4)
    with db.transaction() as cur:
        assert quotas.usage(cur, "quinn", utcnow()) == quotas.Usage(8400, 4)
    assert quotas.usage(db, "nobody", utcnow()) == quotas.Usage(0, 0)


class _Answer:
    """auth-svc's 200 answer with this body (what _identity reads of it)."""

    def __init__(self, body: str):
        self.body = body

    def json(self):
        return json.loads(self.body)


@pytest.mark.parametrize(
    "body,limits",
    [
        ('{"user": "u", "role": "viewer", "scopes": null, "quota_bytes": null, "quota_videos": null}', (None, None)),
        ('{"user": "u", "role": "viewer", "scopes": ["read"], "quota_bytes": 0, "quota_videos": 7}', (0, 7)),
    ],
)
def test_the_verify_answer_carries_the_quotas(body, limits):
    who = _identity(_Answer(body))
    assert (who.quota_bytes, who.quota_videos) == limits


@pytest.mark.parametrize(
    "body",
    [
        '{"user": "u", "role": "viewer", "scopes": null}',  # no quotas: not "no limit"
        '{"user": "u", "role": "viewer", "scopes": null, "quota_bytes": -1, "quota_videos": null}',
        '{"user": "u", "role": "viewer", "scopes": null, "quota_bytes": "5", "quota_videos": null}',
        '{"user": "u", "role": "viewer", "scopes": null, "quota_bytes": null, "quota_videos": true}',
        '{"user": "u", "role": "viewer", "scopes": null, "quota_bytes": 1.5, "quota_videos": null}',
        '{"user": "u", "role": "superuser", "scopes": null, "quota_bytes": null, "quota_videos": null}',
    ],
)
def test_a_malformed_verify_answer_is_unavailable_never_open(body):
    with pytest.raises(AuthUnavailable):
        _identity(_Answer(body))


def test_auth_svc_answers_the_quotas(tmp_path):
    """The environment's admin and the file's users get DEFAULT_QUOTA_*; GiB as bytes."""
    app = auth_app(tmp_path, default_quota_gb=1.5, default_quota_videos=4)
    client = app.test_client()
    token = client.post(
        "/api/login",
        data={"username": "alice", "password": "correct horse battery staple"},
        headers={"Accept": "application/json"},
    ).get_json()["token"]
    answer = client.get("/api/verify", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert answer == {
        "user": "alice",
        "role": "admin",
        "scopes": None,
        "quota_bytes": 1536 * 1024**2,
        "quota_videos": 4,
    }
