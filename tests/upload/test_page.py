"""The upload page in headless Chromium: a real progress bar (percentage, speed, time
left), cancel, server errors in words, files dropped, the recent uploads updating live;
and hostile names shown literally, never run, on every page that shows them."""

from __future__ import annotations

import re

import pytest

from conftest import browser_login
from harness import wait_until
from upload.upload_helpers import assert_nothing_left, quiesce

pytestmark = pytest.mark.browser

HOSTILE = (
    '</title><script>window.__xss=1</script><img src=x onerror="window.__xss=2"><svg onload=window.__xss=3>\'"&amp;'
)


@pytest.fixture
def page(browser, stack):
    context = browser.new_context()
    page = context.new_page()
    browser_login(page, stack)
    yield page
    context.close()


def test_progress_cancel_and_nothing_left(page, stack, media):
    before = quiesce(stack)
    log = stack["upload"].log
    abandoned = log.read_text().count("abandoned by the client")
    # A slow link, so the upload is still going when we look at it and cancel it.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 1024 * 1024},
    )
    page.set_input_files("#file", str(media["big"]))
    assert "big.avi" in page.inner_text("#chosen")
    page.fill("#name", "Cancelled upload")
    page.click("#upload-button")
    page.wait_for_function(
        "() => { const b = document.getElementById('progress'); return b.value > 5; }", timeout=30000
    )
    value = page.eval_on_selector("#progress", "b => b.value")
    text = page.inner_text("#progress-text")
    assert 5 < value < 100
    assert re.fullmatch(r"\d+% · [\d.]+ (B|KB|MB)/s · (\d+ min )?\d+ s left", text), text
    assert page.is_visible("#cancel-button")
    page.click("#cancel-button")
    page.wait_for_function("() => document.getElementById('message').textContent.includes('cancelled')")
    assert page.is_hidden("#progress-box") and page.is_hidden("#cancel-button")
    assert "nothing was saved" in page.inner_text("#message")
    wait_until(
        lambda: log.read_text().count("abandoned by the client") > abandoned, 30, "upload-webapp to see the cancel", log
    )
    assert_nothing_left(stack, before)


def test_a_dropped_file_that_is_not_a_video_shows_the_reason(page, stack):
    page.evaluate("""() => {
        const dt = new DataTransfer();
        dt.items.add(new File(["just some words, not frames\\n".repeat(200)], "notes.mp4", {type: "video/mp4"}));
        document.getElementById('dropzone').dispatchEvent(
            new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
    }""")
    assert "notes.mp4" in page.inner_text("#chosen")
    page.click("#upload-button")
    page.wait_for_selector("#message.error")
    message = page.inner_text("#message")
    assert "text" in message and "not a playable video" in message, message


def test_too_large_a_file_is_refused_before_sending(page, stack):
    limit = int(page.get_attribute("#upload-form", "data-max-bytes"))
    assert limit == 10 * 1024**3
    page.evaluate("""() => {
        const dt = new DataTransfer();
        const f = new File(["x"], "huge.mp4", {type: "video/mp4"});
        Object.defineProperty(f, 'size', {value: 11 * 1024 ** 3});
        dt.items.add(f);
        document.getElementById('dropzone').dispatchEvent(
            new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
    }""")
    assert "limit is 10.0 GB" in page.inner_text("#message")
    assert page.is_disabled("#upload-button")


def test_recent_uploads_update_live_to_a_watch_link(page, stack, media):
    page.set_input_files("#file", str(media["mkv"]))
    page.fill("#name", "Live status")
    page.click("#upload-button")
    page.wait_for_selector("#message.ok")
    item = page.locator("#uploads li", has_text="Live status").first
    item.locator("a.upload-name").wait_for(timeout=60000)  # processing → ready, without a reload
    assert item.locator(".status").inner_text() == "ready"
    href = item.locator("a.upload-name").get_attribute("href")
    assert href.startswith(stack.url("streaming") + "/videos/")


def test_hostile_names_are_shown_literally_and_never_run(page, stack, upload_token, media):
    resp = stack.upload(upload_token, media["mp4"], name=HOSTILE)
    assert resp.status_code == 201, resp.text
    video_id = resp.json()["id"]
    assert resp.json()["video_name"] == HOSTILE
    stack.wait_status(upload_token, video_id)
    checks = (
        "() => ({xss: window.__xss, injected: document.querySelectorAll('img[src=x], svg, script:not([src])').length})"
    )
    # The upload page's recent uploads.
    page.reload()
    name = page.locator(f"#uploads li[data-id='{video_id}'] .upload-name")
    name.wait_for()
    assert name.inner_text() == HOSTILE
    assert page.evaluate(checks) == {"xss": None, "injected": 0}
    # The library.
    page.goto(stack.url("streaming") + "/")
    title = page.locator(f".tile[data-id='{video_id}'] a.title")
    title.wait_for()
    assert title.inner_text() == HOSTILE
    assert page.evaluate(checks) == {"xss": None, "injected": 0}
    # The player page: its title and heading.
    page.goto(f"{stack.url('streaming')}/videos/{video_id}")
    assert page.inner_text("#video-title") == HOSTILE
    assert page.title().startswith(HOSTILE)
    assert page.evaluate(checks) == {"xss": None, "injected": 0}
