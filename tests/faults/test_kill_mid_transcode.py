"""SIGKILL in the middle of a transcode. The packager killed: no ffmpeg outlives it, and
once it is back (compose's restart policy; here, by hand) the job is claimed again after
its lease and the video ends `ready`, never stuck in `processing`. file-svc killed: the
packager, a service of its own, carries on."""

from __future__ import annotations

import faultkit
import pytest

from harness import wait_until

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fault_stack(tmp_path_factory, request):
    return faultkit.fault_stack(tmp_path_factory, request.config)


def _transcoding(st) -> list[tuple[int, str]]:
    return [(pid, cmd) for pid, cmd in faultkit.processes_of(st, "packager") if "ffmpeg" in cmd and "libx264" in cmd]


def _first_job(st, video_id: str) -> dict:
    (job,) = [j for j in st.jobs(video_id) if j["stage"] == "first"]
    return {"status": job["status"], "attempts": job["attempts"]}


def test_sigkill_of_the_packager_mid_transcode(fault_stack, tmp_path_factory):
    st = fault_stack
    clip = faultkit.clip(tmp_path_factory, "long_vp9")  # VP9: transcoded, several seconds of ffmpeg
    token = st.login()
    resp = st.upload(token, clip, name="killed mid-transcode", timeout=120)
    assert resp.status_code == 201, resp.text
    video_id = resp.json()["id"]

    ffmpegs = wait_until(lambda: _transcoding(st), 60, "the transcode to start", st["packager"].log, interval=0.05)
    st["packager"].kill()
    # ffmpeg dies with the packager (PR_SET_PDEATHSIG).
    try:
        wait_until(lambda: not faultkit.processes_of(st, "packager"), 30, "no orphan of the packager")
    except TimeoutError:
        assert faultkit.processes_of(st, "packager") == [], f"orphans of the packager (ffmpeg was {ffmpegs})"
    assert st.video(token, video_id)["status"] == "processing"
    assert _first_job(st, video_id) == {"status": "running", "attempts": 1}

    faultkit.wait_port_free(st["packager"].port)
    st["packager"].start()
    video = st.wait_packaged(token, video_id, timeout=120)
    assert video["status"] == "ready", video  # one kill is within the attempts allowed
    assert _first_job(st, video_id) == {"status": "done", "attempts": 2}
    faultkit.play(st, token, video_id)
    # The killed attempt's work folder and the source are gone once the jobs are done.
    try:
        wait_until(lambda: st.temp_files() == [], 30, "temp files cleaned")
    except TimeoutError:
        assert st.temp_files() == []
    assert not _transcoding(st)
    faultkit.assert_all_healthy(st)


def test_sigkill_of_file_svc_leaves_packaging_alone(fault_stack, tmp_path_factory):
    st = fault_stack
    clip = faultkit.clip(tmp_path_factory, "long_vp9")
    token = st.login()
    resp = st.upload(token, clip, name="file-svc killed", timeout=120)
    assert resp.status_code == 201, resp.text
    video_id = resp.json()["id"]
    wait_until(lambda: _transcoding(st), 60, "the transcode to start", st["packager"].log, interval=0.05)
    st["file"].kill()  # SIGKILL to the gunicorn master only
    wait_until(lambda: not faultkit.processes_of(st, "file"), 30, "file-svc's workers gone")
    # The packager's attempt is not interrupted: it finishes, on the first attempt.
    wait_until(lambda: _first_job(st, video_id)["status"] == "done", 120, "packaging done", st["packager"].log)
    assert _first_job(st, video_id) == {"status": "done", "attempts": 1}
    faultkit.wait_port_free(st["file"].port)
    st["file"].start()
    assert st.wait_packaged(token, video_id)["status"] == "ready"
    faultkit.play(st, token, video_id)
    faultkit.assert_all_healthy(st)
