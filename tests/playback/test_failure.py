"""A video whose packaging fails ends `failed` with the reason, nothing of it published;
its owner retries it from the library in Chromium and it plays."""

from __future__ import annotations

import shutil

import pytest

from conftest import browser_login, wait_playing

pytestmark = pytest.mark.browser


def test_failed_video_is_retried_from_the_library(browser, pb_stack, pb_tokens, inputs):
    token = pb_tokens["alice"]
    work = pb_stack.temp_dir / "work"
    # The packager's work folder becomes unusable: every attempt fails.
    shutil.rmtree(work)
    work.write_text("not a folder")
    try:
        resp = pb_stack.upload(token, inputs["h264_aac"], name="Fails then retried")
        assert resp.status_code == 201, resp.text
        vid = resp.json()["id"]
        video = pb_stack.wait_status(token, vid, statuses=("failed",))
    finally:
        work.unlink()
        work.mkdir()
    assert "Not a directory" in video["error"], video
    job = pb_stack.query("SELECT stage, status, attempts FROM packaging_jobs WHERE video_id = ?", (vid,))
    assert job == [{"stage": "first", "status": "failed", "attempts": 2}]  # JOB_MAX_ATTEMPTS=2
    # Nothing half-published: only the original is stored, and no temp file is left.
    assert pb_stack.state.objects(f"videos/{vid}/") == [f"videos/{vid}/original.mp4"]
    assert not [f for f in pb_stack.temp_files() if vid in f]

    context = browser.new_context()
    page = context.new_page()
    try:
        browser_login(page, pb_stack)
        page.goto(pb_stack.url("streaming") + "/?q=" + "Fails then retried")
        tile = page.locator(f".tile[data-id='{vid}']")
        tile.locator(".status.failed").wait_for()
        assert "Not a directory" in tile.locator(".error").inner_text()
        tile.locator("button.retry").click()
        # The library polls while a video is processing; the tile turns ready.
        tile.locator(".status.ready").wait_for(timeout=60000)
        tile.locator("a.title").click()
        page.wait_for_url(video["watch_url"])
        assert wait_playing(page) > 0.5
    finally:
        context.close()
    video = pb_stack.video(token, vid)
    assert video["status"] == "ready" and video["error"] is None
    assert pb_stack.query(
        "SELECT status, attempts FROM packaging_jobs WHERE video_id = ? AND stage = 'first'", (vid,)
    ) == [{"status": "done", "attempts": 1}]
