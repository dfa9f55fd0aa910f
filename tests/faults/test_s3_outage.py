"""S3 unreachable (a TCP proxy in front of the S3 server, cut): mid-upload the upload
fails cleanly and nothing stays once S3 is back; playback gets 503; all works after."""

from __future__ import annotations

import threading

import faultkit
import pytest
import requests

from harness import bearer

pytestmark = pytest.mark.slow
MiB = 1024 * 1024


@pytest.fixture(scope="module")
def fault_stack(tmp_path_factory, request):
    return faultkit.fault_stack(tmp_path_factory, request.config)


def test_s3_cut_mid_multipart_upload(fault_stack, tmp_path_factory):
    """The original is written in 5 MiB parts; the cut lands inside the second part."""
    st = fault_stack
    big = faultkit.clip(tmp_path_factory, "big")
    assert big.stat().st_size > 10 * MiB
    token = st.login()
    before = faultkit.assert_clean(st, st.counts())
    st.s3.proxy.cut_after(7 * MiB)
    try:
        resp = st.upload(token, big, name="cut mid-upload", timeout=120)
        assert resp.status_code == 503, resp.text
        body = resp.json()
        assert body["error"] == "storage_unavailable" and "storage" in body["message"]
        assert st.counts()["rows"] == before["rows"]
    finally:
        st.s3.proxy.restore()
    # Once S3 is back: no row, no object, no incomplete multipart upload, no temp file.
    assert faultkit.assert_clean(st, before) == before
    faultkit.upload_and_play(st, token, faultkit.clip(tmp_path_factory, "small"), "after the S3 cut")


def test_s3_cut_while_the_body_arrives(fault_stack, tmp_path_factory):
    """S3 goes away while the browser is still sending: the store fails at the first write."""
    st = fault_stack
    big = faultkit.clip(tmp_path_factory, "big")
    token = st.login()
    before = faultkit.assert_clean(st, st.counts())
    halfway = threading.Event()

    def body():
        data = big.read_bytes()
        boundary = b"----reelhouse-fault"
        yield (
            b"--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; filename="big.mp4"\r\n'
            b"Content-Type: video/mp4\r\n\r\n"
        )
        for i in range(0, len(data), MiB):
            if i >= len(data) // 2 and not halfway.is_set():
                st.s3.proxy.cut()
                halfway.set()
            yield data[i : i + MiB]
        yield b"\r\n--" + boundary + b"--\r\n"

    try:
        resp = requests.post(
            st.url("upload") + "/api/upload",
            data=body(),
            timeout=120,
            headers={**bearer(token), "Content-Type": "multipart/form-data; boundary=----reelhouse-fault"},
        )
        assert halfway.is_set()
        assert resp.status_code == 503, resp.text
        assert resp.json()["error"] == "storage_unavailable"
    finally:
        st.s3.proxy.restore()
    assert faultkit.assert_clean(st, before) == before


def test_s3_cut_during_playback(fault_stack, tmp_path_factory):
    st = fault_stack
    token = st.login()
    video_id = faultkit.upload_and_play(st, token, faultkit.clip(tmp_path_factory, "small"), "played through a cut")
    base = f"{st.url('streaming')}/videos/{video_id}"
    before = faultkit.assert_clean(st, st.counts())
    st.s3.proxy.cut()
    try:
        for path in (
            "/hls/master.m3u8",
            "/hls/240p/index.m3u8",
            "/hls/240p/seg_00000.ts",
            "/poster.jpg",
            "/thumbs/1.jpg",
        ):
            resp = requests.get(base + path, headers=bearer(token), timeout=30)
            assert resp.status_code == 503, (path, resp.status_code, resp.text[:200])
            assert resp.json() == {
                "error": "storage_unavailable",
                "message": "The video storage is unavailable; try again shortly.",
            }
        health = requests.get(st.url("file") + "/healthz", timeout=30)
        assert health.status_code == 503 and health.json()["checks"]["storage"].startswith("unavailable")
        # The catalogue does not need S3: the library still answers.
        assert requests.get(st.url("streaming") + "/api/videos", headers=bearer(token), timeout=15).status_code == 200
    finally:
        st.s3.proxy.restore()
    faultkit.play(st, token, video_id)
    assert st.counts() == before
    faultkit.assert_all_healthy(st)
