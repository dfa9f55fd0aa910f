"""A rendition that fails does not fail its video: the video stays ready, the rendition
is `failed` with the reason, the master lists what is ready; the owner's retry re-queues
that rendition alone."""

from __future__ import annotations

import requests

from harness import bearer

from .packager_kit import heights, job


def test_a_failed_rung_leaves_the_video_ready_and_is_retried_alone(local_gated, clips):
    st = local_gated
    token = st.login()
    st.gate.fail("scale=320:180")  # the 180p encode of a 640x360 source fails, every time
    try:
        vid = st.api.upload_id(token, clips["360p"], "a rung fails")
        video = st.wait_packaged(token, vid)
    finally:
        st.gate.release()
    assert video["status"] == "ready" and video["error"] is None
    low, top = video["renditions"]
    assert (top["height"], top["status"], top["error"]) == (360, "ready", None)
    assert (low["height"], low["status"]) == (180, "failed")
    assert "ffmpeg exited with 1" in low["error"] and "injected by the test" in low["error"]
    assert heights(st.api.master(token, vid)) == [360]
    rung = job(st, vid, "rendition", 180)
    assert (rung["status"], rung["attempts"]) == ("failed", 2)  # JOB_MAX_ATTEMPTS=2
    first, thumbs = job(st, vid, "first"), job(st, vid, "thumbs")
    assert first["status"] == thumbs["status"] == "done"

    # Someone else may not retry it; the owner may, and only the failed rendition runs.
    bob = requests.post(f"{st.url('streaming')}/api/videos/{vid}/retry", headers=bearer(st.login("bob")), timeout=10)
    assert bob.status_code == 403
    resp = requests.post(f"{st.url('streaming')}/api/videos/{vid}/retry", headers=bearer(token), timeout=10)
    assert resp.status_code == 202, resp.text
    assert [r["status"] for r in resp.json()["renditions"]] == ["pending", "ready"]
    video = st.wait_packaged(token, vid)
    assert [(r["height"], r["status"], r["error"]) for r in video["renditions"]] == [
        (180, "ready", None),
        (360, "ready", None),
    ]
    assert heights(st.api.master(token, vid)) == [360, 180]
    rung = job(st, vid, "rendition", 180)
    assert (rung["status"], rung["attempts"]) == ("done", 1)
    assert job(st, vid, "first") == first and job(st, vid, "thumbs") == thumbs  # untouched
    again = requests.post(f"{st.url('streaming')}/api/videos/{vid}/retry", headers=bearer(token), timeout=10)
    assert again.status_code == 409 and again.json()["error"] == "not_failed"
