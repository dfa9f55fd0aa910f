"""The admin API against a real stack (MariaDB, S3, every service): list, create (and the
link), change, reset, delete (videos given away or deleted); what each refuses leaves
everything as it was; changes are seen at the person's next verification."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import requests

from harness import TEST_PASSWORD, bearer, wait_until

from .peoplekit import (
    DEFAULT_QUOTA_GB,
    DEFAULT_QUOTA_VIDEOS,
    STRONG,
    USER_FIELDS,
    accept,
    api_token,
    call,
    create,
    login,
    name,
    person,
    sha256,
    users,
    verify,
)

GiB = 1024**3


def test_the_list_has_every_source(people_stack, admin):
    username, _ = person(people_stack, admin, "viewer")
    listed = users(people_stack, admin)
    assert all(set(u) == USER_FIELDS for u in listed.values())
    assert listed["alice"] | {"bytes_used": 0, "videos_used": 0} == {
        "username": "alice",
        "role": "admin",
        "disabled": False,
        "source": "env",
        "created_at": None,
        "quota_bytes": DEFAULT_QUOTA_GB * GiB,
        "quota_videos": DEFAULT_QUOTA_VIDEOS,
        "bytes_used": 0,
        "videos_used": 0,
        "invited": False,
    }
    assert listed["bob"]["source"] == "file" and listed["bob"]["role"] == "uploader"
    assert listed[username]["source"] == "database" and listed[username]["role"] == "viewer"
    assert listed[username]["created_at"].endswith("Z")
    assert list(listed)[:2] == ["alice", "bob"]  # the environment's, the file's, then the database's


def test_create_gives_a_one_time_link_stored_as_its_hmac(people_stack, admin):
    st = people_stack
    username = name()
    user, token = create(st, admin, username, "uploader")
    assert user == {
        "username": username,
        "role": "uploader",
        "disabled": False,
        "source": "database",
        "created_at": user["created_at"],
        "quota_bytes": DEFAULT_QUOTA_GB * GiB,  # the defaults, when not given
        "quota_videos": DEFAULT_QUOTA_VIDEOS,
        "bytes_used": 0,
        "videos_used": 0,
        "invited": True,
    }
    assert len(token) == 43  # 256 bits
    rows = st.query("SELECT * FROM invitations WHERE username = ?", (username,))
    assert [r["token_hash"] for r in rows] == [sha256(token)] and rows[0]["purpose"] == "invite"
    hours = (rows[0]["expires_at"] - rows[0]["created_at"]).total_seconds() / 3600
    assert hours == pytest.approx(72)  # INVITE_TTL_HOURS' default
    row = st.query("SELECT password_hash, skeleton FROM users WHERE username = ?", (username,))[0]
    assert row["password_hash"] is None and row["skeleton"] == username
    assert login(st, username, "").status_code == 401  # no password yet: nothing logs in
    assert accept(st, token).status_code == 204
    assert login(st, username).status_code == 200
    assert users(st, admin)[username]["invited"] is False
    assert st.query("SELECT password_hash FROM users WHERE username = ?", (username,))[0]["password_hash"].startswith(
        "$argon2id$"
    )


def test_create_with_quotas_of_its_own(people_stack, admin):
    user, _ = create(people_stack, admin, name(), "viewer", quota_bytes=12345, quota_videos=None)
    assert user["quota_bytes"] == 12345 and user["quota_videos"] is None and user["role"] == "viewer"


@pytest.mark.parametrize(
    ("body", "code", "says"),
    [
        (None, "bad_request", "Send JSON"),
        (["alice"], "bad_request", "Send JSON"),
        ({"username": "x"}, "bad_request", "'role' must be one of admin, uploader, viewer"),
        ({"username": "x", "role": "root"}, "bad_request", "'role' must be one of"),
        ({"username": "x", "role": "viewer", "is_admin": True}, "bad_request", "Unknown fields: is_admin"),
        ({"username": "x", "role": "viewer", "quota_bytes": -1}, "bad_request", "'quota_bytes' must be null"),
        ({"username": "x", "role": "viewer", "quota_bytes": "5"}, "bad_request", "'quota_bytes' must be null"),
        ({"username": "x", "role": "viewer", "quota_videos": True}, "bad_request", "'quota_videos' must be null"),
        ({"username": "x", "role": "viewer", "quota_videos": 2**31}, "bad_request", "'quota_videos' must be null"),
        ({"username": "x", "role": "viewer", "quota_bytes": 2**63}, "bad_request", "'quota_bytes' must be null"),
        ({"username": 7, "role": "viewer"}, "invalid_username", "must be text"),
        ({"username": "   ", "role": "viewer"}, "invalid_username", "is empty"),
        ({"username": "a" * 65, "role": "viewer"}, "invalid_username", "the limit is 64"),
        ({"username": "a:b", "role": "viewer"}, "invalid_username", "':'"),
    ],
)
def test_create_refusals_store_nothing(people_stack, admin, body, code, says):
    before = people_stack.query("SELECT COUNT(*) AS n FROM users")[0]["n"]
    kw = {"data": "not json", "headers": {"Content-Type": "application/json"}} if body is None else {"json": body}
    resp = call(people_stack, "POST", "/api/users", admin, **kw)
    assert resp.status_code == 400 and resp.json()["error"] == code, resp.text
    assert says in resp.json()["message"]
    assert people_stack.query("SELECT COUNT(*) AS n FROM users")[0]["n"] == before
    assert people_stack.query("SELECT COUNT(*) AS n FROM invitations WHERE username = 'x'")[0]["n"] == 0


def test_change_role_quota_and_disabled(people_stack, admin):
    st = people_stack
    username, session = person(st, admin, "uploader")
    assert verify(st, session).json()["role"] == "uploader"
    resp = call(st, "PATCH", f"/api/users/{username}", admin, json={"role": "viewer"})
    assert resp.status_code == 200 and resp.json()["role"] == "viewer"
    assert verify(st, session).json() == {
        "user": username,
        "role": "viewer",
        "scopes": None,
        "quota_bytes": DEFAULT_QUOTA_GB * GiB,
        "quota_videos": DEFAULT_QUOTA_VIDEOS,
    }  # at once
    resp = call(st, "PATCH", f"/api/users/{username}", admin, json={"quota_bytes": None, "quota_videos": 3})
    assert resp.status_code == 200 and (resp.json()["quota_bytes"], resp.json()["quota_videos"]) == (None, 3)
    assert set(resp.json()) == USER_FIELDS
    resp = call(st, "PATCH", f"/api/users/{username}", admin, json={"disabled": True})
    assert resp.status_code == 200 and resp.json()["disabled"] is True
    assert verify(st, session).status_code == 401  # the session ended with the disable
    resp = login(st, username)
    assert resp.status_code == 403 and resp.json()["error"] == "account_disabled"
    resp = call(st, "PATCH", f"/api/users/{username}", admin, json={"disabled": False, "role": "admin"})
    assert resp.status_code == 200 and resp.json()["disabled"] is False
    assert verify(st, session).status_code == 401  # enabling brings no session back
    assert verify(st, login(st, username).json()["token"]).json()["role"] == "admin"


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({}, "Send JSON with any of"),
        ({"role": "superuser"}, "'role' must be one of"),
        ({"disabled": "yes"}, "'disabled' must be true or false"),
        ({"disabled": 1}, "'disabled' must be true or false"),
        ({"quota_bytes": 1.5}, "'quota_bytes' must be null"),
        ({"password_hash": "x"}, "Unknown fields: password_hash"),
        ({"username": "other"}, "Unknown fields: username"),
    ],
)
def test_change_refusals_change_nothing(people_stack, admin, body, says):
    st = people_stack
    username, _ = person(st, admin, "uploader")
    before = st.query("SELECT * FROM users WHERE username = ?", (username,))
    resp = call(st, "PATCH", f"/api/users/{username}", admin, json=body)
    assert resp.status_code == 400 and says in resp.json()["message"], resp.text
    assert st.query("SELECT * FROM users WHERE username = ?", (username,)) == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PATCH", "/api/users/{name}"),
        ("POST", "/api/users/{name}/reset"),
        ("DELETE", "/api/users/{name}?videos=delete"),
    ],
)
def test_env_and_file_people_are_managed_where_they_are_defined(people_stack, admin, method, path):
    for who, where in (("alice", "AUTH_USERNAME and AUTH_PASSWORD"), ("bob", "AUTH_USERS_FILE")):
        resp = call(people_stack, method, path.format(name=who), admin, json={"role": "viewer"})
        assert resp.status_code == 409 and resp.json()["error"] == "managed_elsewhere", resp.text
        assert where in resp.json()["message"]
    assert login(people_stack, "bob", TEST_PASSWORD).status_code == 200
    assert users(people_stack, admin)["bob"]["role"] == "uploader"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PATCH", "/api/users/nobody-here"),
        ("POST", "/api/users/nobody-here/reset"),
        ("DELETE", "/api/users/nobody-here"),
    ],
)
def test_unknown_people_are_404(people_stack, admin, method, path):
    resp = call(people_stack, method, path, admin, json={"role": "viewer"}, params={"videos": "delete"})
    assert resp.status_code == 404 and resp.json()["error"] == "not_found"


def test_a_disable_ends_every_session_and_token_within_2_seconds(people_stack, admin):
    """The web apps keep a verification at most 2 s: the first request after that fails,
    on both apps, for the browser session (ended: 401) and the API token (paused: 403
    `account_disabled`) alike. Enabling again brings the token back, never the session."""
    st = people_stack
    username, session = person(st, admin, "uploader")
    token = api_token(st, username)
    urls = [st.url("streaming") + "/api/videos", st.url("upload") + "/api/uploads"]
    for url in urls:
        for credential in (session, token):
            assert requests.get(url, headers=bearer(credential), timeout=10).status_code == 200
    resp = call(st, "PATCH", f"/api/users/{username}", admin, json={"disabled": True})
    assert resp.status_code == 200
    changed = time.monotonic()
    time.sleep(max(0.0, changed + 2.05 - time.monotonic()))
    for url in urls:
        assert requests.get(url, headers=bearer(session), timeout=10).status_code == 401, url
        resp = requests.get(url, headers=bearer(token), timeout=10)
        assert resp.status_code == 403 and resp.json()["error"] == "account_disabled", (url, resp.text)
    assert call(st, "PATCH", f"/api/users/{username}", admin, json={"disabled": False}).status_code == 200
    time.sleep(2.05)
    for url in urls:
        assert requests.get(url, headers=bearer(session), timeout=10).status_code == 401, url  # ended for good
        assert requests.get(url, headers=bearer(token), timeout=10).status_code == 200, url


def test_reset_ends_the_old_password_sessions_tokens_and_links(people_stack, admin):
    st = people_stack
    username, session = person(st, admin, "uploader")
    token = api_token(st, username)
    assert verify(st, token).status_code == 200
    resp = call(st, "POST", f"/api/users/{username}/reset", admin)
    assert resp.status_code == 200 and set(resp.json()) == {"invite_url"}
    first = resp.json()["invite_url"].rsplit("/", 1)[1]
    assert verify(st, session).status_code == 401 and verify(st, token).status_code == 401
    assert login(st, username).status_code == 401  # the old password is gone at once
    assert users(st, admin)[username]["invited"] is True
    second = call(st, "POST", f"/api/users/{username}/reset", admin).json()["invite_url"].rsplit("/", 1)[1]
    resp = accept(st, first, "another-river-lamp-43")
    assert resp.status_code == 410 and resp.json()["error"] == "invitation_expired"  # a newer link ended it
    purposes = {r["purpose"] for r in st.query("SELECT purpose FROM invitations WHERE username = ?", (username,))}
    assert purposes == {"invite", "reset"}
    assert accept(st, second, "another-river-lamp-43").status_code == 204
    assert login(st, username, STRONG).status_code == 401
    assert login(st, username, "another-river-lamp-43").status_code == 200
    assert verify(st, session).status_code == 401 and verify(st, token).status_code == 401  # still over


def _usage(st, owner: str) -> int:
    rows = st.query(
        "SELECT COALESCE(SUM(size_bytes), 0) AS n FROM videos WHERE owner = ?",
        (owner,),
    )
    made = st.query(
        "SELECT COALESCE(SUM(r.bytes), 0) AS n FROM renditions r JOIN videos v ON v.id = r.video_id WHERE v.owner = ?",
        (owner,),
    )
    return int(rows[0]["n"]) + int(made[0]["n"])


@pytest.mark.slow
def test_delete_giving_the_videos_to_someone(people_stack, admin, people_clip):
    st = people_stack
    username, session = person(st, admin, "uploader")
    heir, _ = person(st, admin, "uploader")
    video = st.api.upload_ready(session, people_clip, "kept after her", packaged=True)
    listed = users(st, admin)[username]
    assert listed["videos_used"] == 1
    assert listed["bytes_used"] == _usage(st, username) > video["size_bytes"]  # the original and its renditions
    viewer, _ = person(st, admin, "viewer")
    for videos, says in (
        ("", "Say what becomes of their videos"),
        ("nobody-here", "There is no user 'nobody-here'"),
        (username, "cannot be given to the user being deleted"),
        (viewer, "is a viewer and cannot own videos"),
    ):
        resp = call(st, "DELETE", f"/api/users/{username}", admin, params={"videos": videos} if videos else {})
        assert resp.status_code == 400 and says in resp.json()["message"], resp.text
        assert verify(st, session).status_code == 200  # nothing done
    resp = call(st, "DELETE", f"/api/users/{username}", admin, params={"videos": heir})
    assert resp.status_code == 204
    assert st.api.video(admin, video["id"])["owner"] == heir
    assert users(st, admin)[heir]["videos_used"] == 1 and username not in users(st, admin)
    assert verify(st, session).status_code == 401 and login(st, username).status_code == 401
    for table in ("users", "auth_sessions", "api_tokens", "invitations", "recovery_codes"):
        assert st.query(f"SELECT COUNT(*) AS n FROM {table} WHERE username = ?", (username,))[0]["n"] == 0, table
    resp = call(st, "DELETE", f"/api/users/{username}", admin, params={"videos": heir})
    assert resp.status_code == 404  # gone, and nothing of theirs is left


@pytest.mark.slow
def test_delete_with_the_videos(people_stack, admin, people_clip):
    """Their videos go as streaming-svc's delete makes them go: rows, then tombstones the
    packager's sweep clears the objects of; their unfinished uploads expire."""
    st = people_stack
    username, session = person(st, admin, "uploader")
    video = st.api.upload_ready(session, people_clip, "goes with her", packaged=True)
    assert st.state.objects(f"videos/{video['id']}/")
    tus = requests.post(
        st.url("upload") + "/api/tus/",
        headers={**bearer(session), "Tus-Resumable": "1.0.0", "Upload-Length": "1000"},
        timeout=10,
    )
    assert tus.status_code == 201, tus.text
    resp = call(st, "DELETE", f"/api/users/{username}", admin, params={"videos": "delete"})
    assert resp.status_code == 204
    assert st.query("SELECT COUNT(*) AS n FROM videos WHERE owner = ?", (username,))[0]["n"] == 0
    assert st.query("SELECT COUNT(*) AS n FROM renditions WHERE video_id = ?", (video["id"],))[0]["n"] == 0
    uploads = st.query("SELECT expires_at FROM uploads WHERE owner = ? AND video_id IS NULL", (username,))
    from vs_common.db import utcnow

    assert uploads and all(u["expires_at"] <= utcnow() for u in uploads)
    assert (
        requests.get(st.url("streaming") + f"/api/videos/{video['id']}", headers=bearer(admin), timeout=10).status_code
        == 404
    )
    # The sweep clears a tombstone's objects once it is a minute old (the packager's
    # TOMBSTONE_AGE): dated an hour back, the next sweep (every 5 s here) does, not one a
    # minute from now (the suite's longest wait, as tests/packager/test_delete_race.py does).
    (tomb,) = st.query("SELECT deleted_at FROM deleted_videos WHERE video_id = ?", (video["id"],))
    st.query(
        "UPDATE deleted_videos SET deleted_at = ? WHERE video_id = ?",
        (tomb["deleted_at"] - timedelta(hours=1), video["id"]),
    )
    wait_until(lambda: not st.state.objects(f"videos/{video['id']}/"), 180, "the sweep removing the objects")
    wait_until(
        lambda: not st.query("SELECT * FROM deleted_videos WHERE video_id = ?", (video["id"],)), 60, "the tombstone"
    )
    wait_until(lambda: not st.query("SELECT * FROM uploads WHERE owner = ?", (username,)), 60, "the expired upload")


@pytest.mark.slow
def test_owners_are_compared_exactly(people_stack, admin, people_clip):
    """`videos.owner` and `uploads.owner` are utf8mb4_unicode_ci on MariaDB, where `e`
    equals `é`: two people whose names differ only so must not share usage, nor lose each
    other's videos or uploads when one is deleted."""
    st = people_stack
    plain = "e" + name()
    accented = "\u00e9" + plain[1:]
    for username in (plain, accented):
        _, token = create(st, admin, username)
        assert accept(st, token).status_code == 204
    session = login(st, accented).json()["token"]
    video = st.api.upload_ready(session, people_clip, "hers alone", packaged=True)
    tus = requests.post(
        st.url("upload") + "/api/tus/",
        headers={**bearer(session), "Tus-Resumable": "1.0.0", "Upload-Length": "1000"},
        timeout=10,
    )
    assert tus.status_code == 201
    listed = users(st, admin)
    assert (listed[plain]["videos_used"], listed[plain]["bytes_used"]) == (0, 0)
    assert listed[accented]["videos_used"] == 1
    resp = call(st, "DELETE", f"/api/users/{plain}", admin, params={"videos": "delete"})
    assert resp.status_code == 204
    assert st.api.video(admin, video["id"])["owner"] == accented  # not deleted with the other
    from vs_common.db import utcnow

    upload = st.query("SELECT expires_at FROM uploads WHERE video_id IS NULL AND owner = ?", (accented,))
    assert upload and all(u["expires_at"] > utcnow() for u in upload)  # not expired with the other
    resp = call(st, "DELETE", f"/api/users/{plain}", admin, params={"videos": "delete"})
    assert resp.status_code == 404  # her videos are not the deleted one's leftovers
