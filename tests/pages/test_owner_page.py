"""The owner's tools used from the video's page in Chromium (issue 24), on the live
services: rename in place, the description, a caption track added through the form (a
language chosen by name, sent as its BCP 47 tag, the label following it), which the
player then lists; a refused file said in words; Replace and Remove; the original
downloaded under the video's name; Delete, then Undo, and the video is back in the
library."""

from __future__ import annotations

import pytest
import requests

from conftest import browser_login, wait_playing
from harness import bearer

pytestmark = pytest.mark.browser

CUES = "WEBVTT\n\n00:00:00.000 --> 00:00:05.000\nOlá, mundo\n"


@pytest.fixture
def owner_page(browser, page_stack, page_people):
    """uma, the owner, signed in, in a browser context of her own."""
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    browser_login(page, page_stack, "uma")
    yield page
    context.close()


def _video(st, token, vid):
    return requests.get(f"{st.url('streaming')}/api/videos/{vid}", headers=bearer(token), timeout=30)


def test_the_owner_uses_the_tools_on_the_page(page_stack, page_people, page_clip, owner_page, tmp_path):
    st, token, page = page_stack, page_people["owner"], owner_page
    vid = st.api.upload_id(token, page_clip, "Owner tools")
    st.wait_packaged(token, vid)
    page.goto(f"{st.url('streaming')}/videos/{vid}")
    page.wait_for_selector("#owner-tools")

    # Rename in place: the title changes without a reload.
    page.fill("#rename-input", "Beach day")
    page.click("#rename-form button[type=submit]")
    page.wait_for_function("() => document.getElementById('video-title').textContent === 'Beach day'")
    assert page.title().startswith("Beach day")
    assert _video(st, token, vid).json()["video_name"] == "Beach day"

    # The description, shown under the video as written (line breaks kept).
    page.fill("#description-input", "Sand\nand sea")
    page.click("#description-form button[type=submit]")
    page.wait_for_selector("#video-description:not([hidden])")
    assert page.inner_text("#video-description") == "Sand\nand sea"
    assert _video(st, token, vid).json()["description"] == "Sand\nand sea"

    # A caption track: the language by name, its tag sent; the label follows the language.
    page.select_option("#caption-language", label="French")
    assert page.input_value("#caption-label") == "French"
    page.select_option("#caption-language", label="Portuguese (Brazil)")
    assert page.input_value("#caption-label") == "Portuguese (Brazil)"
    bad = tmp_path / "notes.vtt"
    bad.write_text("these are not captions\n")
    page.set_input_files("#caption-file", str(bad))
    page.click("#caption-submit")
    page.wait_for_selector("#caption-message.error")
    assert page.inner_text("#caption-message") == (
        "Malformed WebVTT at line 1: a WebVTT file starts with the line 'WEBVTT'."
    )
    assert _video(st, token, vid).json()["captions"] == []
    good = tmp_path / "pt.vtt"
    good.write_text(CUES)
    page.select_option("#caption-language", label="Portuguese (Brazil)")
    page.set_input_files("#caption-file", str(good))
    page.check("#caption-default")
    page.click("#caption-submit")
    page.wait_for_selector('#caption-list tr[data-language="pt-BR"]')
    assert "Portuguese (Brazil)" in page.inner_text("#caption-message")
    tracks = _video(st, token, vid).json()["captions"]
    assert [(t["language"], t["label"], t["default"]) for t in tracks] == [("pt-BR", "Portuguese (Brazil)", True)]

    # The player lists it once the page is loaded again.
    page.reload()
    wait_playing(page)
    page.wait_for_function(
        "() => Array.from(document.getElementById('video').textTracks).some(t => t.label === 'Portuguese (Brazil)')"
    )

    # Replace: the form takes the track's language and label; the new label is written.
    page.click('#caption-list tr[data-language="pt-BR"] button:has-text("Replace")')
    assert page.input_value("#caption-language") == "pt-BR"
    assert page.input_value("#caption-label") == "Portuguese (Brazil)"
    page.fill("#caption-label", "Português")
    page.set_input_files("#caption-file", str(good))
    page.click("#caption-submit")
    page.wait_for_function(
        "() => (document.querySelector('#caption-list tr[data-language=\"pt-BR\"]') || {}).textContent?.includes('Português')"
    )
    tracks = _video(st, token, vid).json()["captions"]
    assert [(t["language"], t["label"]) for t in tracks] == [("pt-BR", "Português")]

    # Remove (after the browser's confirmation).
    page.once("dialog", lambda dialog: dialog.accept())
    page.click('#caption-list tr[data-language="pt-BR"] button:has-text("Remove")')
    page.wait_for_selector("#caption-none:not([hidden])")
    assert _video(st, token, vid).json()["captions"] == []

    # The original, downloaded under the video's name.
    href = page.get_attribute("#download-original", "href")
    assert page.request.get(st.url("streaming") + href).status == 200
    with page.expect_download() as info:
        page.click("#download-original")
    download = info.value
    assert download.suggested_filename == "Beach day.mp4"
    assert open(download.path(), "rb").read() == page_clip.read_bytes()

    # Delete: in the trash (404), the page inert but for the toast; Undo brings it back.
    page.click("#delete-video")
    page.wait_for_selector("#undo-toast:not([hidden])")
    assert _video(st, token, vid).status_code == 404
    assert page.evaluate("() => document.getElementById('owner-tools').inert")
    page.click("#undo-delete")
    page.wait_for_selector("#undo-toast", state="hidden")
    assert not page.evaluate("() => document.getElementById('owner-tools').inert")
    assert _video(st, token, vid).status_code == 200
    listed = requests.get(f"{st.url('streaming')}/api/videos", headers=bearer(token), timeout=30).json()
    assert vid in [v["id"] for v in listed["videos"]]
    page.goto(st.url("streaming") + "/")
    page.wait_for_selector("text=Beach day")
