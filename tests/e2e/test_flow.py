"""The end-to-end flow through all five services: log in, upload, watch."""

from __future__ import annotations

import pytest
import requests

from harness import ffprobe_url, make_clip, wait_until


def _flow(stack, token, clip):
    resp = stack.upload(token, clip, name="E2E clip")
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["video_name"] == "E2E clip"
    assert body["status"] in ("processing", "ready")
    video = stack.wait_status(token, body["id"])
    assert video["status"] == "ready", video
    assert video["duration_s"] == pytest.approx(3, abs=0.2)
    master = requests.get(
        f"{stack.url('streaming')}/videos/{body['id']}/hls/master.m3u8", cookies={"auth_token": token}, timeout=10
    )
    assert master.status_code == 200
    assert master.headers["Content-Type"] == "application/vnd.apple.mpegurl"
    rung = next(line for line in master.text.splitlines() if line and not line.startswith("#"))
    media = requests.get(
        f"{stack.url('streaming')}/videos/{body['id']}/hls/{rung}", cookies={"auth_token": token}, timeout=10
    )
    seg = next(line for line in media.text.splitlines() if line and not line.startswith("#"))
    seg_url = f"{stack.url('streaming')}/videos/{body['id']}/hls/{rung.rsplit('/', 1)[0]}/{seg}"
    segment = requests.get(seg_url, cookies={"auth_token": token}, timeout=10)
    assert segment.status_code == 200 and segment.headers["Content-Type"] == "video/mp2t"
    assert segment.content[:1] == b"\x47"  # MPEG-TS sync byte
    info = ffprobe_url(f"{stack.url('streaming')}/videos/{body['id']}/hls/master.m3u8", token)
    assert any(s["codec_type"] == "video" for s in info["streams"])
    assert float(info["format"]["duration"]) == pytest.approx(3, abs=0.3)
    return body["id"], video


def test_flow_on_mariadb_and_s3(stack, token, clips):
    video_id, video = _flow(stack, token, clips["h264"])
    rows = stack.mariadb.query("SELECT video_name, video_path, status FROM videos WHERE id = %s", (video_id,))
    assert rows == [
        {
            "video_name": "E2E clip",
            "video_path": f"s3://{stack.s3.bucket}/videos/{video_id}/hls/master.m3u8",
            "status": "ready",
        }
    ]
    keys = stack.s3.keys(f"videos/{video_id}/")
    assert f"videos/{video_id}/hls/master.m3u8" in keys
    assert f"videos/{video_id}/original.mp4" in keys
    assert f"videos/{video_id}/poster.jpg" in keys


def test_flow_with_embedded_defaults(local_stack, tmp_path):
    token = local_stack.login()
    clip = make_clip(tmp_path / "local.mp4", seconds=3)
    video_id, video = _flow(local_stack, token, clip)
    assert video["video_path"] == f"local://videos/{video_id}/hls/master.m3u8"
    assert (local_stack.storage_dir / "videos" / video_id / "hls" / "master.m3u8").is_file()
    # The temp copy and the work folders go once the video's last job is over.
    local_stack.wait_packaged(token, video_id)
    wait_until(
        lambda: not [f for f in local_stack.temp_files() if video_id in f],
        30,
        f"temp files of {video_id} removed",
        local_stack["packager"].log,
    )


def test_pages_redirect_and_apis_refuse_without_token(stack):
    for service, path in (("upload", "/"), ("streaming", "/"), ("streaming", "/videos/abcdefghijkl")):
        resp = requests.get(stack.url(service) + path, allow_redirects=False, timeout=5)
        assert resp.status_code == 303, (service, path)
        assert resp.headers["Location"].startswith(stack.url("auth") + "/login?redirect=")
    for method, service, path in (
        ("POST", "upload", "/api/upload"),
        ("GET", "upload", "/api/uploads"),
        ("GET", "streaming", "/api/videos"),
        ("GET", "streaming", "/videos/abcdefghijkl/hls/master.m3u8"),
        ("GET", "streaming", "/videos/abcdefghijkl/poster.jpg"),
    ):
        resp = requests.request(method, stack.url(service) + path, timeout=5)
        assert resp.status_code == 401, (method, service, path)
        assert resp.json()["error"] == "unauthorized"


def test_file_svc_requires_internal_token(stack):
    for method, path in (
        ("POST", "/videos"),
        ("GET", "/videos/abcdefghijkl/hls/master.m3u8"),
        ("GET", "/videos/abcdefghijkl/poster.jpg"),
        ("DELETE", "/videos/abcdefghijkl"),
        ("GET", "/openapi.json"),
    ):
        resp = requests.request(method, stack.url("file") + path, timeout=5)
        assert resp.status_code == 401, (method, path)
        resp = requests.request(
            method, stack.url("file") + path, timeout=5, headers={"Authorization": "Bearer wrong-token"}
        )
        assert resp.status_code == 401, (method, path)
    assert requests.get(stack.url("file") + "/healthz", timeout=5).status_code == 200
