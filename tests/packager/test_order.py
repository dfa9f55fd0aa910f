"""First stages never wait for background work, with the default settings and a single
packager: a video uploaded while another's background encode runs is ready before that
encode ends; in a burst of six, no first stage waits for a background job (the jobs'
timestamps show it)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from conftest import browser_login

from .packager_kit import at, job, wait_job

SLACK = timedelta(seconds=0.25)  # a claim's read and its update, a job's insert and its commit


def test_a_new_video_is_ready_while_another_videos_background_encode_runs(local_gated, clips):
    st = local_gated
    token = st.login()
    # A's 180p rendition (640x360 -> 320x180) is a background encode that runs until the
    # test lets it go: the packager's one general worker is busy with it meanwhile.
    st.gate.hold("scale=320:180")
    try:
        a = st.api.upload_id(token, clips["360p"], "A with a long background encode")
        assert st.wait_status(token, a)["status"] == "ready"
        a_rung = wait_job(st, a, "rendition", 180, "running")
        b = st.api.upload_id(token, clips["240p"], "B uploaded meanwhile")
        assert st.wait_status(token, b)["status"] == "ready"
        b_first = job(st, b, "first")
        a_rung = job(st, a, "rendition", 180)
        assert a_rung["status"] == "running" and a_rung["finished_at"] is None, a_rung
        assert at(a_rung["started_at"]) < at(b_first["created_at"]) < at(b_first["finished_at"])
    finally:
        st.gate.release()
    assert [r["status"] for r in st.wait_all_renditions(token, a)["renditions"]] == ["ready", "ready"]
    assert at(job(st, a, "rendition", 180)["finished_at"]) > at(b_first["finished_at"])
    assert job(st, a, "rendition", 180)["attempts"] == 1


def test_in_a_burst_of_six_no_first_rung_waits_for_background_work(local_gated, clips):
    st = local_gated
    token = st.login()
    with ThreadPoolExecutor(6) as pool:
        ids = list(pool.map(lambda i: st.api.upload_id(token, clips["360p"], f"burst {i}"), range(6)))
    for vid in ids:
        assert st.wait_packaged(token, vid)["status"] == "ready"
    rows = [j for vid in ids for j in st.jobs(vid)]
    assert {j["status"] for j in rows} == {"done"} and {j["attempts"] for j in rows} == {1}
    firsts = [j for j in rows if j["stage"] == "first"]
    background = [j for j in rows if j["stage"] != "first"]
    assert len(firsts) == 6 and len(background) == 12  # thumbnails and the 180p rendition of each
    # The first-stage lanes never take background work.
    assert all("-first" not in j["claimed_by"] for j in background)
    for f in firsts:
        queued, started = at(f["created_at"]), at(f["started_at"])
        # No background job was started while this first stage waited...
        for b in background:
            assert not (queued + SLACK < at(b["started_at"]) < started), (f, b)
        # ...and it waited only while every first-stage lane was busy with another first stage.
        lanes = {j["claimed_by"].rsplit("-", 1)[0] for j in firsts if "-first" in j["claimed_by"]}
        t = queued + SLACK
        while t < started - SLACK:
            busy = {
                j["claimed_by"].rsplit("-", 1)[0]
                for j in firsts
                if j is not f and at(j["started_at"]) <= t <= at(j["finished_at"]) and "-first" in j["claimed_by"]
            }
            assert busy == lanes, (f, t, busy)
            t += timedelta(seconds=0.05)


@pytest.mark.browser
def test_the_library_says_waiting_then_packaging(local_gated, clips, browser):
    """A video not yet ready is `waiting` while every packager lane is busy, `packaging`
    once one works on it; the library says which."""
    st = local_gated
    token = st.login()
    st.gate.hold("-c:v copy")  # every remux (the first rendition of an H.264 upload) waits
    context = browser.new_context()
    try:
        busy = [st.api.upload_id(token, clips["240p"], f"phase busy {i}") for i in range(3)]
        for vid in busy:  # two first-stage lanes and the general one
            wait_job(st, vid, "first", 0, "running")
            assert st.video(token, vid)["phase"] == "packaging"
        waiting = st.api.upload_id(token, clips["240p"], "phase waiting")
        assert job(st, waiting, "first")["status"] == "queued"
        assert st.video(token, waiting)["phase"] == "waiting"
        page = context.new_page()
        browser_login(page, st)
        page.goto(st.url("streaming") + "/?q=phase")
        page.locator(f".tile[data-id='{waiting}'] .status.waiting", has_text="waiting").wait_for()
        page.locator(f".tile[data-id='{busy[0]}'] .status.packaging", has_text="packaging").wait_for()
    finally:
        st.gate.release()
        context.close()
    for vid in [*busy, waiting]:
        video = st.wait_status(token, vid)
        assert video["status"] == "ready" and video["phase"] is None
