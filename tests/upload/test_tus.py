"""Resumable uploads (tus 1.0.0 at /api/tus/) with a real client, tuspy, and raw requests
for every rule of the protocol: creation, offsets, versions, types, lengths, termination,
expiration; the owner alone; a resume gives a byte-identical original; a finished upload
is a video as `POST /api/upload` makes one; nothing is left behind."""

from __future__ import annotations

import base64
import hashlib
import threading
from datetime import timedelta

import pytest
import requests
from tusclient import client as tus

from harness import Service, free_port, make_clip, own_stack, wait_until
from vs_common.db import utcnow

TUS = {"Tus-Resumable": "1.0.0"}


@pytest.fixture(scope="module")
def tst(tmp_path_factory, mariadb, s3):
    """MariaDB + S3, a second user, uploads that expire in 4 s, three unfinished at most."""
    yield from own_stack(
        tmp_path_factory.mktemp("tus"),
        mariadb,
        s3,
        "tus",
        UPLOAD_EXPIRY_HOURS=str(4 / 3600),
        UPLOAD_MAX_UNFINISHED="3",
        SWEEP_INTERVAL_SECONDS="1",
        MAX_UPLOAD_BYTES=str(64 * 1024 * 1024),
        UPLOAD_READ_TIMEOUT_SECONDS="2",
    )


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("tus-clip") / "tus.mp4", seconds=3, size="640x360")


def _h(token: str, **extra) -> dict:
    return {"Authorization": f"Bearer {token}", **TUS, **extra}


def _meta(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def _create(st, token, length: int, **meta) -> requests.Response:
    headers = _h(token, **{"Upload-Length": str(length)})
    if meta:
        headers["Upload-Metadata"] = _meta(**meta)
    return requests.post(st.url("upload") + "/api/tus/", headers=headers, timeout=10)


def _patch(url, token, offset: int, data: bytes, **extra) -> requests.Response:
    headers = _h(token, **{"Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"}, **extra)
    return requests.patch(url, data=data, headers=headers, timeout=60)


def _leftovers(st) -> dict:
    return {
        "uploads": st.query("SELECT id FROM uploads WHERE video_id IS NULL"),
        "folders": sorted(p.name for p in (st.temp_dir / "uploads").iterdir())
        if (st.temp_dir / "uploads").exists()
        else [],
    }


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_tuspy_uploads_resumes_and_the_original_is_byte_identical(tst, clip):
    token = tst.login()
    c = tus.TusClient(tst.url("upload") + "/api/tus/", headers={"Authorization": f"Bearer {token}"})
    first = c.uploader(file_path=str(clip), chunk_size=64 * 1024, metadata={"filename": "tus.mp4", "name": "Resumed"})
    first.upload(stop_at=3 * 64 * 1024)  # then the connection is "cut"
    assert first.url.startswith(tst.env["UPLOAD_PUBLIC_URL"] + "/api/tus/")
    again = c.uploader(file_path=str(clip), chunk_size=64 * 1024, url=first.url)
    assert again.offset == 3 * 64 * 1024  # from the server's HEAD
    again.upload()
    video_id = again.request.response_headers["video-id"]
    assert again.request.status_code == 204
    head = requests.head(first.url, headers=_h(token), timeout=10)
    assert head.status_code == 200 and head.headers["Video-Id"] == video_id  # an answer lost: HEAD tells
    video = tst.wait_status(token, video_id)
    assert video["status"] == "ready" and video["video_name"] == "Resumed"
    obj = tst.s3.client().get_object(Bucket=tst.bucket, Key=f"videos/{video_id}/original.mp4")["Body"].read()
    assert _sha(obj) == _sha(clip.read_bytes())
    assert _leftovers(tst)["uploads"] == []


def test_the_protocol_rules(tst, clip):
    token = tst.login()
    base = tst.url("upload") + "/api/tus/"
    opts = requests.options(base, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert opts.status_code == 204 and opts.headers["Tus-Version"] == "1.0.0"
    assert set(opts.headers["Tus-Extension"].split(",")) == {"creation", "termination", "expiration"}
    assert opts.headers["Tus-Max-Size"] == str(64 * 1024 * 1024)
    # Versions: missing or other, 412.
    for version in (None, "0.2.2"):
        headers = {"Authorization": f"Bearer {token}", "Upload-Length": "10"}
        if version:
            headers["Tus-Resumable"] = version
        assert requests.post(base, headers=headers, timeout=10).status_code == 412
    # Authentication: 401 without; the Origin rule for cookie-carrying writes.
    assert requests.post(base, headers={**TUS, "Upload-Length": "10"}, timeout=10).status_code == 401
    foreign = requests.post(
        base,
        headers={**TUS, "Upload-Length": "10", "Origin": "https://evil.example"},
        cookies={"auth_token": token},
        timeout=10,
    )
    assert foreign.status_code == 403
    # Creation: over Tus-Max-Size 413; no length 400; Location from UPLOAD_PUBLIC_URL, not Host.
    assert _create(tst, token, 64 * 1024 * 1024 + 1).status_code == 413
    assert requests.post(base, headers=_h(token), timeout=10).status_code == 400
    data = clip.read_bytes()
    made = requests.post(
        base, headers=_h(token, **{"Upload-Length": str(len(data)), "Host": "evil.example"}), timeout=10
    )
    assert made.status_code == 201, made.text
    url = made.headers["Location"]
    assert url.startswith(tst.env["UPLOAD_PUBLIC_URL"] + "/api/tus/") and "evil" not in url
    assert "Upload-Expires" in made.headers
    # PATCH: wrong type 415; wrong offset 409; past the length 413 with nothing written.
    bad_type = requests.patch(
        url,
        data=data[:10],
        headers=_h(token, **{"Upload-Offset": "0", "Content-Type": "application/octet-stream"}),
        timeout=10,
    )
    assert bad_type.status_code == 415
    assert _patch(url, token, 5, data[:10]).status_code == 409
    past = _patch(url, token, 0, data + b"extra")
    assert past.status_code == 413
    assert requests.head(url, headers=_h(token), timeout=10).headers["Upload-Offset"] == "0"
    part = _patch(url, token, 0, data[:1000])
    assert part.status_code == 204 and part.headers["Upload-Offset"] == "1000" and "Upload-Expires" in part.headers
    # Someone else's upload does not exist for them.
    bob = tst.login("bob")
    assert requests.head(url, headers=_h(bob), timeout=10).status_code == 404
    assert _patch(url, bob, 1000, data[1000:2000]).status_code == 404
    assert requests.delete(url, headers=_h(bob), timeout=10).status_code == 404
    # Termination: 204, then it is gone; its bytes too.
    assert requests.delete(url, headers=_h(token), timeout=10).status_code == 204
    assert requests.head(url, headers=_h(token), timeout=10).status_code == 404
    assert _leftovers(tst) == {"uploads": [], "folders": []}


@pytest.mark.parametrize(
    ("head", "what"),
    [
        (b"<!doctype html><html><body>not a video</body></html>" * 100, "HTML"),
        (b"PK\x03\x04" + bytes(5000), "ZIP"),
        (bytes(range(256)) * 20, "not those of"),
    ],
)
def test_a_file_that_is_plainly_not_a_video_is_refused_at_once(tst, head, what):
    token = tst.login()
    made = _create(tst, token, 8 * 1024 * 1024, filename="x.mp4")
    assert made.status_code == 201
    resp = _patch(made.headers["Location"], token, 0, head)  # the first few KB of 8 MiB
    assert resp.status_code == 415 and resp.json()["error"] == "not_a_video", resp.text
    assert what.lower() in resp.json()["message"].lower()
    assert _leftovers(tst) == {"uploads": [], "folders": []}


def test_a_finished_file_that_is_not_playable_is_415_and_nothing_is_kept(tst, clip):
    token = tst.login()
    data = clip.read_bytes()[: clip.stat().st_size // 2]  # an MP4 cut in half (its index is at the end)
    made = _create(tst, token, len(data), filename="half.mp4")
    resp = _patch(made.headers["Location"], token, 0, data)
    assert resp.status_code == 415 and resp.json()["error"] == "not_a_video", resp.text
    assert _leftovers(tst) == {"uploads": [], "folders": []}
    assert tst.s3.keys("videos/", bucket=tst.bucket) == [] or all(
        tst.query("SELECT id FROM videos WHERE id = ?", (k.split("/")[1],))
        for k in tst.s3.keys("videos/", bucket=tst.bucket)
    )


def test_the_per_user_limit_of_unfinished_uploads(tst):
    token = tst.login("bob")
    urls = [_create(tst, token, 1000).headers["Location"] for _ in range(3)]
    refused = _create(tst, token, 1000)
    assert refused.status_code == 429 and "unfinished" in refused.json()["message"]
    assert _create(tst, tst.login(), 1000).status_code == 201  # another user is not affected
    for url in urls:
        assert requests.delete(url, headers=_h(token), timeout=10).status_code == 204


def test_an_expired_upload_is_refused_and_swept(tst, clip):
    token = tst.login()
    data = clip.read_bytes()
    made = _create(tst, token, len(data))
    url = made.headers["Location"]
    assert _patch(url, token, 0, data[:5000]).status_code == 204
    upload_id = url.rsplit("/", 1)[1]
    # UPLOAD_EXPIRY_HOURS is 4 s here; the packager sweeps every second.
    wait_until(lambda: not (tst.temp_dir / "uploads" / upload_id).exists(), 30, "the sweep", tst["packager"].log)
    assert tst.query("SELECT id FROM uploads WHERE id = ?", (upload_id,)) == []
    assert requests.head(url, headers=_h(token), timeout=10).status_code in (404, 410)
    assert _patch(url, token, 5000, data[5000:]).status_code in (404, 410)


def test_two_patches_racing_on_one_upload(tst, clip):
    token = tst.login()
    data = clip.read_bytes()
    url = _create(tst, token, len(data)).headers["Location"]
    results = {}
    barrier = threading.Barrier(2)

    def send(label):
        barrier.wait()
        results[label] = _patch(url, token, 0, data)

    threads = [threading.Thread(target=send, args=(x,)) for x in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(r.status_code for r in results.values())
    assert codes[0] == 204 and codes[1] in (409, 423), codes
    video_id = next(r for r in results.values() if r.status_code == 204).headers["Video-Id"]
    obj = tst.s3.client().get_object(Bucket=tst.bucket, Key=f"videos/{video_id}/original.mp4")["Body"].read()
    assert _sha(obj) == _sha(data)


def test_two_upload_webapps_share_one_upload_and_a_restart_loses_nothing(tst, clip):
    """The first half through one process, a restart of it and of file-svc, the second
    half through another upload-webapp process on the same database and temp volume."""
    token = tst.login()
    data = clip.read_bytes()
    url = _create(tst, token, len(data)).headers["Location"]
    half = len(data) // 2
    assert _patch(url, token, 0, data[:half]).status_code == 204
    # This module's uploads expire 4 s after their last bytes (for the sweep's test): two
    # restarts and a third process can take longer on a loaded machine. What is shown
    # here is that nothing is lost across processes, not the expiry: give it an hour.
    upload_id = url.split("/api/tus/", 1)[1]
    tst.query("UPDATE uploads SET expires_at = ? WHERE id = ?", (utcnow() + timedelta(hours=1), upload_id))
    tst["upload"].restart()
    tst["file"].restart()
    second = Service("upload2", free_port(), tst.env, tst.base, kind="upload")
    second.start()
    try:
        path = url.split("/api/tus/", 1)[1]
        head = requests.head(f"{second.url}/api/tus/{path}", headers=_h(token), timeout=10)
        assert head.headers["Upload-Offset"] == str(half)
        done = _patch(f"{second.url}/api/tus/{path}", token, half, data[half:])
        assert done.status_code == 204, done.text
        video_id = done.headers["Video-Id"]
    finally:
        second.stop()
    obj = tst.s3.client().get_object(Bucket=tst.bucket, Key=f"videos/{video_id}/original.mp4")["Body"].read()
    assert _sha(obj) == _sha(data)
    assert tst.wait_status(token, video_id)["status"] == "ready"


def test_a_store_that_is_down_at_the_last_byte_keeps_it_for_a_retry(tst, clip):
    """The last PATCH answers 503 while S3 is unreachable and keeps the bytes; once it is
    back, a HEAD finishes the upload and answers its Video-Id."""
    token = tst.login()
    data = clip.read_bytes()
    url = _create(tst, token, len(data), name="Store down").headers["Location"]
    tst.s3.proxy.cut()
    try:
        down = _patch(url, token, 0, data)
    finally:
        tst.s3.proxy.restore()
    assert down.status_code == 503, down.text
    assert "kept" in down.json()["message"]
    head = requests.head(url, headers=_h(token), timeout=60)
    assert head.status_code == 200 and head.headers["Upload-Offset"] == str(len(data))
    video_id = head.headers["Video-Id"]
    obj = tst.s3.client().get_object(Bucket=tst.bucket, Key=f"videos/{video_id}/original.mp4")["Body"].read()
    assert _sha(obj) == _sha(data)
    assert tst.wait_status(token, video_id)["status"] == "ready"


def test_a_connection_gone_silent_gives_its_lock_up(tst, tmp_path):
    """A client that stops sending mid-PATCH and keeps its socket open (a connection gone
    half-open): another PATCH is refused (423) while it holds the upload; once its read
    times out (UPLOAD_READ_TIMEOUT_SECONDS, 2 s here) what the server had read is
    acknowledged (all but at most the 1 MiB read in progress) and the resume goes through."""
    import socket
    from urllib.parse import urlsplit

    token = tst.login()
    data = make_clip(tmp_path / "long.mp4", seconds=8, size="1280x720", extra=["-crf", "10"]).read_bytes()
    sent = len(data) // 2
    assert sent > 2 * 1024 * 1024, len(data)
    url = _create(tst, token, len(data)).headers["Location"]
    parts = urlsplit(url)
    upload_id = parts.path.rsplit("/", 1)[1]
    silent = socket.create_connection((parts.hostname, parts.port))
    head = (
        f"PATCH {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAuthorization: Bearer {token}\r\n"
        f"Tus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\n"
        f"Content-Length: {len(data)}\r\n\r\n"
    ).encode()
    silent.sendall(head + data[:sent])
    try:
        wait_until(
            lambda: tst.query("SELECT lock_token FROM uploads WHERE id = ?", (upload_id,))[0]["lock_token"],
            10,
            "the silent client to hold the upload",
        )
        assert _patch(url, token, 0, data[:10]).status_code == 423
        wait_until(
            lambda: tst.query("SELECT lock_token FROM uploads WHERE id = ?", (upload_id,))[0]["lock_token"] is None,
            15,
            "the read timeout",
        )
        offset = int(requests.head(url, headers=_h(token), timeout=10).headers["Upload-Offset"])
        assert 0 < offset <= sent and sent - offset <= 1024 * 1024, (offset, sent)
        done = _patch(url, token, offset, data[offset:])
        assert done.status_code == 204, done.text
    finally:
        silent.close()
    obj = tst.s3.client().get_object(Bucket=tst.bucket, Key=f"videos/{done.headers['Video-Id']}/original.mp4")
    assert _sha(obj["Body"].read()) == _sha(data)
