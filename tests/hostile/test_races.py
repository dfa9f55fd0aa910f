"""Concurrent deletes, renames and retries of one video, on MariaDB + S3 and on the
embedded defaults: every answer is 2xx, 404 or 409 (never 5xx) and the end state is
consistent; a name that is not text is 400; private answers are not for shared caches;
byte ranges by the standard."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import hostilekit
import pytest
import requests

from harness import TEST_PASSWORD, bearer, make_clip, wait_until


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, request, mariadb, s3):
    return hostilekit.hostile_stack(tmp_path_factory, request.config, mariadb, s3)


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("races") / "race.mp4", seconds=2)


def _ready(st, token, clip, name) -> str:
    resp = st.upload(token, clip, name=name)
    assert resp.status_code == 201, resp.text
    return st.wait_packaged(token, resp.json()["id"])["id"]


def _leftovers(st, vid) -> list[str]:
    if st.env.get("STORAGE_BACKEND") == "s3":
        return st.s3.keys(f"videos/{vid}/", bucket=st.env["S3_BUCKET"])
    folder = st.storage_dir / "videos" / vid
    return [str(p) for p in folder.rglob("*")] if folder.exists() else []


@pytest.mark.parametrize("which", ["mariadb_s3", "embedded"])
def test_ten_concurrent_deletes_of_one_video(which, hostile, local_stack, clip):
    st = hostile if which == "mariadb_s3" else local_stack
    token = st.login()
    vid = _ready(st, token, clip, "deleted ten times")
    url = f"{st.url('streaming')}/api/videos/{vid}"
    with ThreadPoolExecutor(10) as pool:  # ten moves to the trash at once: one trash, nothing removed
        codes = list(pool.map(lambda _: requests.delete(url, headers=bearer(token), timeout=60).status_code, range(10)))
    assert set(codes) <= {204, 404} and codes.count(204) >= 1, codes
    assert requests.get(url, headers=bearer(token), timeout=10).status_code == 404
    assert len(st.query("SELECT id FROM videos WHERE id = ? AND deleted_at IS NOT NULL", (vid,))) == 1
    with ThreadPoolExecutor(10) as pool:  # then ten purges at once: everything removed, once
        codes = list(
            pool.map(
                lambda _: requests.delete(url + "?purge=true", headers=bearer(token), timeout=60).status_code, range(10)
            )
        )
    assert set(codes) <= {204, 404} and codes.count(204) >= 1, codes
    assert st.query("SELECT id FROM videos WHERE id = ?", (vid,)) == []
    assert st.query("SELECT id FROM packaging_jobs WHERE video_id = ?", (vid,)) == []
    wait_until(lambda: _leftovers(st, vid) == [], 10, "every object gone")


@pytest.mark.parametrize("which", ["mariadb_s3", "embedded"])
def test_deletes_renames_and_retries_at_once(which, hostile, local_stack, clip):
    st = hostile if which == "mariadb_s3" else local_stack
    token = st.login()
    vid = _ready(st, token, clip, "raced")
    base = f"{st.url('streaming')}/api/videos/{vid}"
    calls = [("PATCH", base, {"video_name": f"renamed {i}"}) for i in range(6)]
    calls += [("POST", base + "/retry", None) for _ in range(4)] + [
        ("DELETE", base + "?purge=true", None) for _ in range(4)
    ]
    calls = calls[::2] + calls[1::2]  # interleaved

    def call(c):
        method, url, body = c
        return method, requests.request(method, url, json=body, headers=bearer(token), timeout=60).status_code

    with ThreadPoolExecutor(len(calls)) as pool:
        results = list(pool.map(call, calls))
    for method, code in results:
        assert code < 500, results
        assert code in {"PATCH": {200, 404}, "POST": {409, 404}, "DELETE": {204, 404}}[method], results
    assert requests.get(base, headers=bearer(token), timeout=10).status_code == 404
    assert st.query("SELECT id FROM videos WHERE id = ?", (vid,)) == []
    wait_until(lambda: _leftovers(st, vid) == [], 10, "every object gone")


def test_renames_and_retries_at_once_leave_one_of_the_names(hostile, clip):
    st = hostile
    token = st.login()
    vid = _ready(st, token, clip, "renamed at once")
    base = f"{st.url('streaming')}/api/videos/{vid}"
    names = [f"name {i}" for i in range(8)]
    with ThreadPoolExecutor(8) as pool:
        codes = list(
            pool.map(
                lambda n: requests.patch(base, json={"video_name": n}, headers=bearer(token), timeout=60).status_code,
                names,
            )
        )
    assert codes == [200] * 8
    assert requests.get(base, headers=bearer(token), timeout=10).json()["video_name"] in names


def test_a_lone_surrogate_in_a_rename_is_400(hostile, clip):
    st = hostile
    token = st.login()
    vid = _ready(st, token, clip, "surrogate target")
    resp = requests.patch(
        f"{st.url('streaming')}/api/videos/{vid}",
        data=b'{"video_name": "\\ud800"}',
        headers={**bearer(token), "Content-Type": "application/json"},
        timeout=10,
    )
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"] == "invalid_name" and "surrogate" in resp.json()["message"]


def test_private_json_is_not_for_shared_caches(hostile, clip):
    st = hostile
    token = st.login()
    vid = _ready(st, token, clip, "cache headers")
    for url in (
        f"{st.url('streaming')}/api/videos",
        f"{st.url('streaming')}/api/videos/{vid}",
        f"{st.url('upload')}/api/uploads",
        f"{st.url('streaming')}/api/videos/nosuchvideo00",  # errors too
    ):
        resp = requests.get(url, headers=bearer(token), timeout=10)
        assert resp.headers["Cache-Control"] == "private, no-store", (url, resp.headers)
    login = requests.post(
        st.url("auth") + "/api/login",
        data={"username": "alice", "password": TEST_PASSWORD},
        headers={"Accept": "application/json"},
        timeout=10,
    )
    assert "no-store" in login.headers["Cache-Control"]  # a session token: never stored by anyone


def test_a_malformed_range_is_ignored_and_one_past_the_end_is_416(hostile, clip):
    st = hostile
    token = st.login()
    vid = _ready(st, token, clip, "ranges")
    url = f"{st.url('streaming')}/videos/{vid}/poster.jpg"
    whole = requests.get(url, headers=bearer(token), timeout=10)
    malformed = requests.get(url, headers={**bearer(token), "Range": "bytes=5-1"}, timeout=10)
    assert malformed.status_code == 200 and malformed.content == whole.content
    past = requests.get(url, headers={**bearer(token), "Range": f"bytes={len(whole.content)}-"}, timeout=10)
    assert past.status_code == 416 and past.headers["Content-Range"] == f"bytes */{len(whole.content)}"
    part = requests.get(url, headers={**bearer(token), "Range": "bytes=1-4"}, timeout=10)
    assert part.status_code == 206 and part.content == whole.content[1:5]


def test_concurrent_new_videos_never_deadlock_on_mariadb(mariadb, tmp_path):
    """Sixteen uploads finishing at once, each inserting its row and first job, on
    MariaDB: every insert commits. (Queueing a job looked for an existing one with an
    UPDATE that, finding nothing, locked the index gap it searched; two new videos'
    transactions then both inserted into that gap: a deadlock, seen as a 500 when four
    uploads of the two-packager test finished together.)"""
    from vs_common import catalogue
    from vs_common.db import Database
    from vs_common.schema import migrate
    from vs_common.settings import Settings

    env = mariadb.env(mariadb.create_database("video_db_new_videos", fresh=True))
    settings = Settings(
        db_host=env["DB_HOST"],
        db_port=int(env["DB_PORT"]),
        db_user=env["DB_USER"],
        db_pass=env["DB_PASS"],
        db_name=env["DB_NAME"],
        storage_dir=str(tmp_path),
    )
    migrate(Database(settings))
    dbs = [Database(settings) for _ in range(16)]  # one connection each, as separate processes would

    def insert(i: int, round_: int) -> str:
        vid = f"newvideo{round_:02d}x{i:04d}"
        catalogue.insert_video(
            dbs[i], settings, video_id=vid, name=vid, owner="alice", size_bytes=1, original_key=f"videos/{vid}/o.mp4"
        )
        return vid

    for round_ in range(8):
        with ThreadPoolExecutor(16) as pool:
            made = list(pool.map(lambda i, r=round_: insert(i, r), range(16)))
        assert len(made) == 16
    count = dbs[0].query("SELECT COUNT(*) AS n FROM packaging_jobs WHERE stage = 'first'")[0]["n"]
    assert count == 8 * 16
