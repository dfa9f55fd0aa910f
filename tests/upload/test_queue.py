"""The upload page's queue in headless Chromium (issue 24): twelve clips chosen at once on
a stack that allows three unfinished uploads per user all finish by themselves, each row
ending in a link to its video; files that are not videos are refused in words and never
offered for resuming; and the page's layout holds at 390, 768 and 1280 px (no sideways
scroll, no button label in pieces, touch targets of 44 px on a phone), read from the DOM."""

from __future__ import annotations

import uuid

import pytest
import requests

from conftest import browser_login
from harness import bearer, make_clip
from upload.upload_helpers import cancel_unfinished

pytestmark = pytest.mark.browser

CLIPS = 12


@pytest.fixture(scope="module")
def twelve(tmp_path_factory):
    """Twelve tiny distinct clips (a day of phone video, in miniature), names unique to this run."""
    d = tmp_path_factory.mktemp("twelve")
    run = uuid.uuid4().hex[:6]
    return [
        make_clip(d / f"q{run}-{i:02d}.mp4", seconds=1, size="160x120", rate=10, acodec=None)
        for i in range(1, CLIPS + 1)
    ]


@pytest.fixture
def bob(browser, pair):
    """bob's upload page on the `pair` stack (UPLOAD_MAX_UNFINISHED=3), nothing unfinished."""
    token = pair.login("bob")
    cancel_unfinished(pair, token, "bob")
    context = browser.new_context()
    page = context.new_page()
    browser_login(page, pair, "bob")
    yield page, token
    context.close()
    cancel_unfinished(pair, token, "bob")


def _leave_one_unfinished(pair, token: str) -> None:
    """An upload bob left unfinished elsewhere (another device): it holds one of his three
    places, so that the page meets the server's limit (429) and not only its own."""
    resp = requests.post(
        pair.url("upload") + "/api/tus/",
        headers={**bearer(token), "Tus-Resumable": "1.0.0", "Upload-Length": "1000"},
        timeout=30,
    )
    assert resp.status_code == 201, resp.text


# The most rows sending at once, and the 429s the page met, counted as the page runs.
WATCH = """() => {
  window.__most = 0;
  const q = document.getElementById('queue');
  new MutationObserver(() => {
    window.__most = Math.max(window.__most, q.querySelectorAll('li.running').length);
  }).observe(q, {subtree: true, attributes: true, childList: true});
}"""


def test_twelve_files_on_a_limit_of_three_all_finish_each_linked_to_its_video(bob, pair, twelve):
    page, token = bob
    _leave_one_unfinished(pair, token)
    refused = []
    page.on("response", lambda r: r.status == 429 and "/api/tus/" in r.url and refused.append(r.url))
    page.evaluate(WATCH)
    page.set_input_files("#file", [str(p) for p in twelve])
    assert "Uploading 12 files" in page.inner_text("#message")
    page.wait_for_function(
        f"() => document.querySelectorAll('#queue li.done a.watch[href]').length === {CLIPS}", timeout=240000
    )
    assert refused, "the page never met the server's limit: the test proves nothing"
    assert 0 < page.evaluate("() => window.__most") <= 3
    assert page.inner_text("#message") == f"All {CLIPS} uploaded."
    ids = {r["video_name"]: r["id"] for r in pair.query("SELECT id, video_name FROM videos WHERE owner = ?", ("bob",))}
    for clip in twelve:
        row = page.locator(f"#queue li[data-file='{clip.name}']")
        assert row.get_attribute("class") == "done"
        assert row.locator(".error").inner_text() == ""
        href = row.locator("a.watch").get_attribute("href")
        assert href == f"{pair.url('streaming')}/videos/{ids[clip.stem]}", (clip.name, href)
    assert page.locator("#unfinished li").count() == 0


def test_files_that_are_not_videos_are_refused_in_words_and_never_offered_again(bob, tmp_path, media):
    page, _token = bob
    text = tmp_path / "shopping-list.txt"
    text.write_text("eggs\nmilk\nbread\n" * 40)
    files = {media["png"].name: media["png"], media["text"].name: media["text"], text.name: text}
    page.set_input_files("#file", [str(p) for p in files.values()])
    for name in files:
        row = page.locator(f"#queue li[data-file='{name}']")
        row.locator(".error", has_text="not").wait_for(timeout=60000)
        assert row.get_attribute("class") == "failed"
        assert row.locator("button.retry").is_hidden()  # sending it again cannot help
        assert row.locator("progress").is_hidden()
    page.wait_for_function("() => /0 of 3 uploaded · 3 failed/.test(document.getElementById('message').textContent)")
    page.wait_for_function("() => !document.getElementById('uploads').textContent.includes('Loading')")
    assert page.locator("#unfinished li").count() == 0
    page.reload()
    page.wait_for_function("() => !document.getElementById('uploads').textContent.includes('Loading')")
    assert page.locator("#unfinished li").count() == 0
    assert page.locator("#unfinished-box").is_hidden()
    kept = page.evaluate("() => Object.keys(localStorage).filter((k) => k.startsWith('tus::'))")
    assert kept == []


# Read from the DOM: how far the page scrolls sideways; every visible button (and link
# drawn as one) whose label takes more than one line, or that is under 44 px tall; every
# file name drawn on more than one line.
LAYOUT = """() => {
  const lines = (node) => { const r = document.createRange(); r.selectNodeContents(node);
    return new Set(Array.from(r.getClientRects()).filter((x) => x.width > 0).map((x) => Math.round(x.top))).size; };
  const shown = (e) => e.offsetParent !== null && e.getClientRects().length > 0;
  const controls = Array.from(document.querySelectorAll('main button, main .button')).filter(shown);
  const se = document.scrollingElement;
  const header = document.querySelector('header.topbar');
  const wide = header ? Array.from(header.querySelectorAll('*')).filter(shown)
    .filter((e) => e.getBoundingClientRect().right > se.clientWidth + 0.5).map((e) => e.outerHTML.slice(0, 60)) : [];
  return {
    overflow: se.scrollWidth - se.clientWidth, headerOverflow: wide,
    mainOverflow: Array.from(document.querySelectorAll('main *')).filter(shown)
      .filter((e) => e.getBoundingClientRect().right > se.clientWidth + 0.5).map((e) => e.outerHTML.slice(0, 80)),
    controls: controls.length,
    wrapped: controls.filter((b) => lines(b) > 1).map((b) => b.textContent),
    small: controls.filter((b) => b.getBoundingClientRect().height < 44).map((b) => b.textContent),
    names: Array.from(document.querySelectorAll('.upload-name')).filter(shown).filter((n) => lines(n) > 1)
      .map((n) => n.textContent),
  };
}"""


@pytest.mark.parametrize("width", [390, 768, 1280])
def test_the_layout_holds_without_sideways_scroll_or_broken_labels(bob, tmp_path, media, width):
    page, _token = bob
    page.set_viewport_size({"width": width, "height": 844 if width == 390 else 800})
    long_name = tmp_path / ("VID_20240101_123456789_a-very-long-name-straight-from-a-phone-camera" + "x" * 40 + ".avi")
    long_name.write_bytes(media["medium"].read_bytes())
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 32 * 1024},
    )
    page.set_input_files("#file", [str(long_name), str(media["png"])])
    running = page.locator(f"#queue li[data-file='{long_name.name}']")
    running.locator("button.pause").wait_for()
    page.locator(f"#queue li[data-file='{media['png'].name}'] .error", has_text="not").wait_for(timeout=60000)
    layout = page.evaluate(LAYOUT)
    assert layout["controls"] >= 3, layout  # Choose files, Pause, Cancel at least
    assert layout["mainOverflow"] == [], layout
    assert layout["overflow"] <= 0 and layout["headerOverflow"] == [], layout  # header included
    assert layout["wrapped"] == [], layout
    assert layout["names"] == [], layout
    assert layout["small"] == [], layout
    title = running.locator(".upload-name").get_attribute("title")
    assert title.startswith(long_name.name)  # shortened on screen, whole on hover
    running.locator("button.cancel").click()
    running.locator(".progress-text", has_text="Cancelled").wait_for(timeout=30000)
    assert running.locator("progress").is_hidden()  # a cancelled row shows no full bar
