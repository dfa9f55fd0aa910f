"""The upload page in headless Chromium, resumable uploads through tus-js-client: a queue
of several files with progress (percentage, speed, time left), pause and resume, cancel
(termination: nothing kept), server errors in words, files dropped, an upload that goes
on after the browser was offline and after a reload (from the server's offset), the
recent uploads updating live; and hostile names shown literally, never run."""

from __future__ import annotations

import pytest

from conftest import browser_login
from upload.upload_helpers import assert_nothing_left, cancel_unfinished, quiesce

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


def _throttle(page, bytes_per_second: int, offline: bool = False) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": bytes_per_second},
    )
    return cdp


def _entry(page, name: str):
    return page.locator(f"#queue li[data-file='{name}']")


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _original(stack, video_id: str, ext: str) -> bytes:
    return stack.s3.client().get_object(Bucket=stack.s3.bucket, Key=f"videos/{video_id}/original{ext}")["Body"].read()


def _video_of(stack, name: str) -> str:
    rows = stack.mariadb.query("SELECT id FROM videos WHERE video_name = %s", (name,))
    assert len(rows) == 1, rows
    return rows[0]["id"]


def test_progress_pause_resume_cancel_and_nothing_left(page, stack, media):
    before = quiesce(stack)
    _throttle(page, 512 * 1024)  # a slow link: the upload is still going when we look
    page.fill("#name", "Cancelled upload")
    page.set_input_files("#file", str(media["big"]))
    entry = _entry(page, "big.avi")
    page.wait_for_function(
        "() => { const b = document.querySelector('#queue li progress'); return b && b.value > 5; }", timeout=30000
    )
    # The time left shows once the rate is steady (a few seconds of it), then stays.
    shape = r"^\d+% · [\d.]+ (B|KB|MB)/s · (\d+ min )?\d+ s left$"
    page.wait_for_function(
        "(re) => new RegExp(re).test(document.querySelector('#queue li .progress-text').textContent)",
        arg=shape,
        timeout=30000,
    )
    entry.locator("button.pause").click()
    assert entry.get_attribute("class") == "paused" and entry.locator("button.pause").inner_text() == "Resume"
    entry.locator("button.pause").click()  # resume: from the server's offset
    assert entry.get_attribute("class") == "running"
    entry.locator("button.cancel").click()
    entry.locator(".progress-text", has_text="Cancelled; nothing was kept.").wait_for()
    assert_nothing_left(stack, before)
    assert stack.mariadb.query("SELECT id FROM uploads WHERE video_id IS NULL") == []


def test_a_dropped_file_that_is_not_a_video_shows_the_reason(page, stack):
    page.evaluate("""() => {
        const dt = new DataTransfer();
        dt.items.add(new File(["just some words, not frames\\n".repeat(200)], "notes.mp4", {type: "video/mp4"}));
        document.getElementById('dropzone').dispatchEvent(
            new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
    }""")
    entry = _entry(page, "notes.mp4")
    entry.locator(".error", has_text="not a playable video").wait_for()
    assert "text" in entry.locator(".error").inner_text()
    assert entry.get_attribute("class") == "failed"


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
    assert "limit is 10.0 GB" in _entry(page, "huge.mp4").locator(".error").inner_text()


def test_several_files_at_once_each_with_its_progress(page, stack, media):
    page.set_input_files("#file", [str(media["mp4"]), str(media["mkv"]), str(media["webm"])])
    for name in ("clip.mp4", "clip.mkv", "clip.webm"):
        _entry(page, name).locator(".progress-text", has_text="Uploaded").wait_for(timeout=60000)
    for name in ("clip.mp4", "clip.mkv", "clip.webm"):
        assert _entry(page, name).get_attribute("class") == "done"


def test_offline_mid_upload_then_back_and_the_bytes_are_intact(page, stack, media):
    name = "Offline and back"
    cdp = _throttle(page, 1024 * 1024)
    page.fill("#name", name)
    page.set_input_files("#file", str(media["big"]))  # 11 chunks of 1 MiB here
    page.wait_for_function("() => document.querySelector('#queue li progress').value > 20", timeout=30000)
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    entry = _entry(page, "big.avi")
    page.wait_for_function(
        "() => /offline|connection|retrying/i.test(document.querySelector('#queue li .error').textContent)",
        timeout=30000,
    )
    at = page.evaluate("() => document.querySelector('#queue li progress').value")
    assert at < 100
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    entry.locator(".progress-text", has_text="Uploaded").wait_for(timeout=90000)
    video_id = _video_of(stack, name)
    assert _sha(_original(stack, video_id, ".avi")) == _sha(media["big"].read_bytes())


def test_a_reload_mid_upload_offers_it_and_goes_on_from_the_servers_offset(browser, stack, media):
    name = "Reloaded mid-upload"
    context = browser.new_context()
    page = context.new_page()
    try:
        browser_login(page, stack)
        _throttle(page, 512 * 1024)
        page.fill("#name", name)
        page.set_input_files("#file", str(media["big"]))
        page.wait_for_function("() => document.querySelector('#queue li progress').value > 20", timeout=30000)
        page.reload()
        page.locator("#unfinished li[data-file='big.avi']").wait_for()
        # The same file again: the first progress it shows is past where it was cut.
        page.evaluate("""() => { window.__first = null; const q = document.getElementById('queue');
            new MutationObserver(() => { const b = q.querySelector('progress');
              if (b && b.value > 0 && window.__first === null) window.__first = b.value; })
            .observe(q, {subtree: true, attributes: true, childList: true}); }""")
        page.set_input_files("#file", str(media["big"]))
        _entry(page, "big.avi").locator(".progress-text", has_text="Uploaded").wait_for(timeout=60000)
        assert page.evaluate("() => window.__first") > 15
        assert page.locator("#unfinished li").count() == 0
    finally:
        context.close()
    # One upload, one video: resumed, not sent again from the start.
    video_id = _video_of(stack, name)
    assert _sha(_original(stack, video_id, ".avi")) == _sha(media["big"].read_bytes())


def test_recent_uploads_update_live_to_a_watch_link(page, stack, media):
    page.fill("#name", "Live status")
    page.set_input_files("#file", str(media["mkv"]))
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
        "() => ({xss: window.__xss, injected: document.querySelectorAll("
        "'img[src=x], svg[onload], svg:not(#views-chart svg):not(.rh-svg), script:not([src])').length})"
        # the owner's chart and the player's icons are the page's own
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


def _kept_in_browser(page) -> list[str]:
    """What localStorage holds of uploads to resume (the keys and values, as text)."""
    return page.evaluate(
        "() => Object.keys(localStorage).filter((k) => k.startsWith('tus::'))"
        ".map((k) => k + ' ' + localStorage.getItem(k))"
    )


@pytest.mark.parametrize("leaves", ["logout", "session_ends"])
def test_a_shared_browser_shows_no_one_the_unfinished_uploads_of_another(browser, pair, media, leaves):
    """alice leaves an upload unfinished, then logs out (or her session ends without a
    logout); bob signs in on the same browser: his page lists nothing of hers, and the
    browser keeps nothing of hers (names, sizes, upload URLs)."""
    context = browser.new_context()
    page = context.new_page()
    try:
        browser_login(page, pair, "alice")
        _throttle(page, 256 * 1024)
        page.set_input_files("#file", str(media["medium"]))
        page.wait_for_function("() => document.querySelector('#queue li progress').value > 5", timeout=30000)
        page.reload()  # what alice left unfinished is offered to her
        page.locator("#unfinished li[data-file='medium.avi']").wait_for()
        assert any("medium.avi" in item for item in _kept_in_browser(page))
        if leaves == "logout":
            page.get_by_role("button", name="Log out").click()
            page.wait_for_url(pair.url("auth") + "/login*")
            page.goto(pair.url("upload") + "/healthz")  # the upload origin, no page script run
            assert _kept_in_browser(page) == []  # forgotten at the logout itself
        else:
            context.clear_cookies()
        browser_login(page, pair, "bob")
        page.wait_for_function("() => !document.getElementById('uploads').textContent.includes('Loading')")
        assert page.locator("#unfinished li").count() == 0
        assert page.locator("#unfinished-box").is_hidden()
        assert "medium.avi" not in page.content()
        assert _kept_in_browser(page) == []
    finally:
        context.close()
        cancel_unfinished(pair, pair.login("alice"), "alice")


def test_an_upload_that_finds_another_request_writing_it_waits_its_turn(browser, pair, media):
    """The server answers 423 while another request holds the upload (and 409 when one
    moved its offset): the page tries again, as tus says, instead of failing the upload.
    Here a raw PATCH holds the upload when the page resumes it, then goes away."""
    import socket
    from urllib.parse import urlsplit

    from harness import wait_until

    name = "Waited its turn"
    data = media["medium"].read_bytes()
    context = browser.new_context()
    page = context.new_page()
    silent = None
    try:
        browser_login(page, pair, "alice")
        cancel_unfinished(pair, pair.login("alice"), "alice")
        _throttle(page, 256 * 1024)
        page.fill("#name", name)
        page.set_input_files("#file", str(media["medium"]))
        page.wait_for_function("() => document.querySelector('#queue li progress').value > 5", timeout=30000)
        entry = _entry(page, "medium.avi")
        entry.locator("button.pause").click()
        row = wait_until(
            lambda: (
                (r := pair.query("SELECT * FROM uploads WHERE name = ?", (name,)))
                and r[0]["lock_token"] is None
                and r[0]
            ),
            30,
            "the paused PATCH to let the upload go",
        )
        offset, parts = int(row["received"]), urlsplit(f"{pair.url('upload')}/api/tus/{row['id']}")
        silent = socket.create_connection((parts.hostname, parts.port))
        silent.sendall(
            (
                f"PATCH {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAuthorization: Bearer {pair.login('alice')}\r\n"
                f"Tus-Resumable: 1.0.0\r\nUpload-Offset: {offset}\r\nContent-Type: application/offset+octet-stream\r\n"
                f"Content-Length: {len(data) - offset}\r\n\r\n"
            ).encode()
            + data[offset : offset + 1000]
        )
        wait_until(
            lambda: pair.query("SELECT lock_token FROM uploads WHERE id = ?", (row["id"],))[0]["lock_token"],
            10,
            "the raw PATCH to hold the upload",
        )
        entry.locator("button.pause").click()  # resume: its PATCH finds the upload held
        entry.locator(".error", has_text="Another request is writing").wait_for(timeout=30000)
        silent.close()  # what it sent is kept: the page goes on from there
        entry.locator(".progress-text", has_text="Uploaded").wait_for(timeout=90000)
    finally:
        if silent is not None:
            silent.close()
        context.close()
    video_id = pair.query("SELECT id FROM videos WHERE video_name = ?", (name,))[0]["id"]
    original = pair.s3.client().get_object(Bucket=pair.bucket, Key=f"videos/{video_id}/original.avi")["Body"].read()
    assert _sha(original) == _sha(data)
