"""file-svc killed with SIGKILL in the middle of a transcode: no ffmpeg or packager is left
running, and once file-svc is back the video ends `ready` (or `failed` with a reason),
never stuck in `processing`."""

from __future__ import annotations

import faultkit
import pytest

from harness import wait_until

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fault_stack(tmp_path_factory, request):
    return faultkit.fault_stack(tmp_path_factory, request.config)


def _transcoding(st) -> list[tuple[int, str]]:
    return [(pid, cmd) for pid, cmd in faultkit.processes_of(st) if "ffmpeg" in cmd and "libx264" in cmd]


def test_sigkill_mid_transcode(fault_stack, tmp_path_factory):
    st = fault_stack
    clip = faultkit.clip(tmp_path_factory, "long_vp9")  # VP9: transcoded, several seconds of ffmpeg
    token = st.login()
    resp = st.upload(token, clip, name="killed mid-transcode", timeout=120)
    assert resp.status_code == 201, resp.text
    video_id = resp.json()["id"]

    ffmpegs = wait_until(lambda: _transcoding(st), 60, "the transcode to start", st["file"].log, interval=0.05)
    st["file"].kill()  # SIGKILL to the gunicorn master only
    # The packager dies with the master (PR_SET_PDEATHSIG) and ffmpeg with the packager;
    # the gunicorn worker notices its parent is gone and exits.
    try:
        wait_until(lambda: not faultkit.processes_of(st), 30, "no orphan of file-svc")
    except TimeoutError:
        assert faultkit.processes_of(st) == [], f"orphans of file-svc (ffmpeg was {ffmpegs})"
    assert st.video(token, video_id)["status"] == "processing"
    job = st.mariadb.query(
        "SELECT status, attempts FROM packaging_jobs WHERE video_id = %s", (video_id,), database=st.env["DB_NAME"]
    )
    assert job == [{"status": "running", "attempts": 1}]

    faultkit.wait_port_free(st["file"].port)
    st["file"].start()
    video = st.wait_packaged(token, video_id, timeout=120)
    assert video["status"] == "ready" or (video["status"] == "failed" and video["error"]), video
    assert video["status"] == "ready", video  # one kill is within the attempts allowed
    job = st.mariadb.query(
        "SELECT status, attempts FROM packaging_jobs WHERE video_id = %s", (video_id,), database=st.env["DB_NAME"]
    )
    assert job == [{"status": "done", "attempts": 2}]
    faultkit.play(st, token, video_id)
    # The killed attempt's work folder and the source are gone once the job is done.
    try:
        wait_until(lambda: st.temp_files() == [], 30, "temp files cleaned")
    except TimeoutError:
        assert st.temp_files() == []
    assert not _transcoding(st)
    faultkit.assert_all_healthy(st)
