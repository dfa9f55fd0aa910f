"""The packager is killed in the middle of a job: its ffmpeg dies with it; started again
(as compose's restart policy does), it claims the job once its lease has run out and
finishes it."""

from __future__ import annotations

import os

from harness import wait_until
from harness.procfs import processes_mentioning


def _ffmpeg_of(video_id: str) -> list[int]:
    out = []
    for pid in processes_mentioning(video_id):
        try:
            exe = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")[0]
        except OSError:
            continue
        if os.path.basename(exe) == b"ffmpeg":
            out.append(pid)
    return out


def _first_job(st, vid: str) -> dict:
    (job,) = [j for j in st.jobs(vid) if j["stage"] == "first"]
    return job


def test_job_of_a_killed_packager_is_picked_up(pb_stack, pb_tokens, inputs):
    token = pb_tokens["alice"]
    resp = pb_stack.upload(token, inputs["vp9_1080p"], name="Killed mid-job")
    assert resp.status_code == 201, resp.text
    vid = resp.json()["id"]
    # Mid-job: an ffmpeg of this video is running.
    running = wait_until(lambda: _ffmpeg_of(vid), 60, f"ffmpeg of {vid}", pb_stack["packager"].log, interval=0.05)
    killed = pb_stack["packager"].pid
    pb_stack["packager"].kill()
    job = _first_job(pb_stack, vid)
    assert job["status"] == "running" and job["attempts"] == 1 and f"-{killed}-" in job["claimed_by"]
    # Its ffmpeg does not outlive it.
    wait_until(
        lambda: not any(os.path.exists(f"/proc/{pid}") and pid in _ffmpeg_of(vid) for pid in running),
        10,
        "the killed packager's ffmpeg to exit",
    )
    pb_stack["packager"].start()

    video = pb_stack.wait_all_renditions(token, vid, timeout=180)
    assert video["status"] == "ready", video
    assert video["renditions"] == [{"height": h, "status": "ready", "error": None} for h in (360, 720, 1080)]
    job = _first_job(pb_stack, vid)
    assert job["status"] == "done" and job["attempts"] == 2 and f"-{killed}-" not in job["claimed_by"]
