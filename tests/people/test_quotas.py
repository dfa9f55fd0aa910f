"""Quotas on the live services (MariaDB, S3): stored bytes and video count per person,
refused with 403 `quota_exceeded` (the usage and the limit in the message) before the
upload's bytes are stored, and nothing left of a refused upload (no row, no upload
state, no temp file, no object, no multipart upload).

- tus: at creation, by Upload-Length; an unfinished upload counts from then on.
- multipart: by Content-Length before the body is read; without one, as the bytes
  arrive (cut at the quota); and again as the row is inserted, so that uploads running
  together keep only what fits.
- Usage: originals plus every rendition's stored bytes.
- Concurrent creations on MariaDB, under the per-owner creation lock: 10 at once against
  a quota that fits 3 make exactly 3.
- DEFAULT_QUOTA_GB and DEFAULT_QUOTA_VIDEOS are the quotas of the environment's admin
  and the file's users (this stack: 50 GiB, 3 videos).
"""

from __future__ import annotations

import http.client
import threading
import time

import pytest
import requests
from upload.upload_helpers import assert_nothing_left, multipart_body, new_boundary, quiesce, upload_raw

from harness import TEST_PASSWORD, bearer, own_stack
from harness.people import add_user, set_user
from vs_common import quotas
from vs_common.auth_client import CACHE_SECONDS

from .conftest import add_video_row

MiB = 1024 * 1024
CACHE = CACHE_SECONDS + 0.2  # past the web apps' verification cache
TUS = {"Tus-Resumable": "1.0.0"}


@pytest.fixture(scope="module")
def people_stack(tmp_path_factory, mariadb, s3):
    """A stack of this module's own: its tests compare everything stored before and after
    (`quiesce`, `assert_nothing_left`), which the other people tests' unfinished uploads
    and half-made rows would never let settle."""
    yield from own_stack(
        tmp_path_factory.mktemp("quotas"),
        mariadb,
        s3,
        "quotas",
        DEFAULT_QUOTA_GB="50",
        DEFAULT_QUOTA_VIDEOS="3",
        UPLOAD_MAX_UNFINISHED="20",
        MAX_UPLOAD_BYTES=str(64 * 1024 * 1024),
    )


def _person(st, name: str, **quota) -> str:
    add_user(st, name, "uploader", TEST_PASSWORD, **quota)
    return st.login(name)


def _create(st, token: str, length: int) -> requests.Response:
    return requests.post(
        st.url("upload") + "/api/tus/", headers={**bearer(token), **TUS, "Upload-Length": str(length)}, timeout=30
    )


def _terminate(st, token: str, created: requests.Response) -> None:
    resp = requests.delete(created.headers["Location"], headers={**bearer(token), **TUS}, timeout=30)
    assert resp.status_code == 204, resp.text


def _refused(resp: requests.Response, *words: str) -> None:
    assert resp.status_code == 403, (resp.status_code, resp.text[:300])
    answer = resp.json()
    assert answer["error"] == "quota_exceeded", answer
    for word in words:
        assert word in answer["message"], (word, answer["message"])


def _uploads(st, owner: str) -> int:
    return int(st.query("SELECT COUNT(*) AS n FROM uploads WHERE owner = ?", (owner,))[0]["n"])


def test_a_tus_creation_past_the_byte_quota_makes_nothing(people_stack):
    st = people_stack
    token = _person(st, "qbytes", quota_bytes=10 * MiB)
    add_video_row(st, "qbytes", 9 * MiB)
    before = quiesce(st)
    _refused(_create(st, token, 2 * MiB), "You use 9 MiB of your 10 MiB; this file needs 2 MiB")
    assert _uploads(st, "qbytes") == 0
    assert_nothing_left(st, before)
    # What fits exactly is made, and counts at once: the next byte is refused.
    made = _create(st, token, MiB)
    assert made.status_code == 201, made.text
    _refused(_create(st, token, 1), "You use 10 MiB of your 10 MiB")
    _terminate(st, token, made)  # terminated: its bytes no longer count
    again = _create(st, token, 1)
    assert again.status_code == 201, again.text
    _terminate(st, token, again)


def test_a_tus_creation_past_the_video_count_makes_nothing(people_stack):
    st = people_stack
    token = _person(st, "qcount", quota_videos=2)
    add_video_row(st, "qcount")
    quiesce(st)
    first = _create(st, token, 1000)
    assert first.status_code == 201, first.text
    before = st.snapshot()  # with the first upload's (empty) file
    _refused(_create(st, token, 1000), "You have 2 of your 2 videos (unfinished uploads included)")
    assert _uploads(st, "qcount") == 1
    assert st.snapshot() == before
    _terminate(st, token, first)


def test_a_multipart_content_length_past_the_quota_is_refused_before_the_body_is_sent(people_stack, clip):
    """The answer comes before a byte of the body was sent: the client is still holding it."""
    st = people_stack
    token = _person(st, "qlength", quota_bytes=5 * MiB)
    add_video_row(st, "qlength", 4 * MiB)
    before = quiesce(st)
    boundary = new_boundary()
    conn = http.client.HTTPConnection("127.0.0.1", st["upload"].port, timeout=10)
    try:
        conn.putrequest("POST", "/api/upload")
        conn.putheader("Authorization", f"Bearer {token}")
        conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        conn.putheader("Content-Length", str(3 * MiB))
        conn.endheaders()  # no body: the server must answer from the headers alone
        resp = conn.getresponse()
        body = resp.read()
    finally:
        conn.close()
    assert resp.status == 403, body
    assert b'"quota_exceeded"' in body and b"You use 4 MiB of your 5 MiB; this file needs 3 MiB" in body
    assert_nothing_left(st, before)
    # The same with a real body: refused, nothing stored.
    payload = multipart_body(boundary, clip.read_bytes() + bytes(3 * MiB))
    _refused(upload_raw(st, token, payload, boundary), "You use 4 MiB of your 5 MiB")
    assert_nothing_left(st, before)


def test_a_multipart_body_without_length_is_cut_at_the_quota(people_stack, clip):
    st = people_stack
    token = _person(st, "qchunked", quota_bytes=3 * MiB)
    add_video_row(st, "qchunked", 2 * MiB)
    before = quiesce(st)
    boundary = new_boundary()
    body = multipart_body(boundary, clip.read_bytes() + bytes(4 * MiB))

    def chunks():  # no Content-Length: chunked transfer encoding
        for i in range(0, len(body), 64 * 1024):
            yield body[i : i + 64 * 1024]

    _refused(upload_raw(st, token, chunks(), boundary), "You use 2 MiB of your 3 MiB; this file needs more than ")
    assert_nothing_left(st, before)
    assert st.query("SELECT id FROM videos WHERE owner = 'qchunked' AND video_name <> 'A row'") == []


def test_a_multipart_upload_past_the_video_count_is_refused_early(people_stack, clip):
    st = people_stack
    token = _person(st, "qmcount", quota_videos=1)
    add_video_row(st, "qmcount")
    before = quiesce(st)
    _refused(st.upload(token, clip, name="One too many"), "You have 1 of your 1 videos (unfinished uploads included)")
    assert_nothing_left(st, before)


def test_usage_counts_the_renditions_too(people_stack, clip):
    """A packaged video counts its original and its renditions' bytes: a quota of the
    original's size alone is already used up."""
    st = people_stack
    token = _person(st, "qrend", quota_bytes=50 * MiB)
    video = st.api.upload_ready(token, clip, "Counted whole", packaged=True)
    renditions = st.query(
        "SELECT COALESCE(SUM(bytes), 0) AS n FROM renditions WHERE video_id = ? AND bytes IS NOT NULL", (video["id"],)
    )[0]["n"]
    used = video["size_bytes"] + int(renditions)
    assert int(renditions) > 0
    set_user(st, "qrend", quota_bytes=used)
    time.sleep(CACHE)  # the web apps see the new quota once their verification cache let go
    _refused(_create(st, token, 1), f"You use {quotas.size(used)} of your {quotas.size(used)}; this file needs 1 bytes")
    set_user(st, "qrend", quota_bytes=used + 1)
    time.sleep(CACHE)
    made = _create(st, token, 1)
    assert made.status_code == 201, made.text
    _terminate(st, token, made)


def _at_once(n: int, call) -> list:
    """`call()` from `n` threads released together; their answers."""
    barrier = threading.Barrier(n)
    answers: list = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        answers[i] = call()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return answers


def test_ten_concurrent_tus_creations_make_only_what_fits(people_stack):
    """On MariaDB, whose transactions would each count alone: the creation lock makes
    them count one after another, by bytes and by videos alike."""
    st = people_stack
    for name, quota in (("qrace", {"quota_bytes": 3 * MiB + MiB // 2}), ("qracecount", {"quota_videos": 3})):
        token = _person(st, name, **quota)
        answers = _at_once(10, lambda token=token: _create(st, token, MiB))
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [201] * 3 + [403] * 7, [(a.status_code, a.text[:100]) for a in answers]
        assert {a.json()["error"] for a in answers if a.status_code == 403} == {"quota_exceeded"}
        assert _uploads(st, name) == 3
        for made in (a for a in answers if a.status_code == 201):
            _terminate(st, token, made)


def test_concurrent_multipart_uploads_keep_only_what_fits(people_stack, clip):
    """Each fits alone (checked before and as it arrives); the check as the row is
    inserted, under the creation lock, keeps two of four, and nothing of the others."""
    st = people_stack
    size = clip.stat().st_size
    token = _person(st, "qmrace", quota_bytes=2 * size + size // 2)
    before = quiesce(st)
    answers = _at_once(4, lambda: st.upload(token, clip, name="Race"))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201, 201, 403, 403], [(a.status_code, a.text[:200]) for a in answers]
    for refused in (a for a in answers if a.status_code == 403):
        _refused(refused, f"this file needs {quotas.size(size)}")
    kept = {a.json()["id"] for a in answers if a.status_code == 201}
    assert {r["id"] for r in st.query("SELECT id FROM videos WHERE owner = 'qmrace'")} == kept
    for video_id in kept:
        st.wait_packaged(token, video_id)
    after = quiesce(st)
    assert {key.split("/")[1] for key in after["objects"]} - {key.split("/")[1] for key in before["objects"]} == kept
    assert after["multipart"] == before["multipart"] and after["temp"] == []


def test_the_defaults_are_the_env_and_file_users_quotas(people_stack):
    """bob (AUTH_USERS_FILE) has no row: DEFAULT_QUOTA_VIDEOS=3 and DEFAULT_QUOTA_GB=50 are his."""
    st = people_stack
    token = st.login("bob")
    answer = requests.get(st.url("auth") + "/api/verify", headers=bearer(token), timeout=10).json()
    assert (answer["quota_bytes"], answer["quota_videos"]) == (50 * 1024**3, 3)
    alice = requests.get(st.url("auth") + "/api/verify", headers=bearer(st.login()), timeout=10).json()
    assert (alice["role"], alice["quota_bytes"], alice["quota_videos"]) == ("admin", 50 * 1024**3, 3)
    for _ in range(3):
        add_video_row(st, "bob")
    before = quiesce(st)
    _refused(_create(st, token, 1000), "You have 3 of your 3 videos (unfinished uploads included)")
    assert_nothing_left(st, before)
