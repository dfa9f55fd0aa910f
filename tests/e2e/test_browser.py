"""A person's first visit, in headless Chromium: log in, upload, open the player, watch."""

from __future__ import annotations

import pytest

from conftest import browser_login, wait_playing

pytestmark = pytest.mark.browser


def test_login_upload_and_watch_in_chromium(browser, stack, clips):
    context = browser.new_context()
    page = context.new_page()
    try:
        browser_login(page, stack)
        assert page.inner_text("[data-testid=current-user]") == "alice"
        page.fill("#name", "Browser upload")
        page.set_input_files("#file", str(clips["h264"]))  # sent at once, resumably (tus)
        page.locator("#queue li.done", has_text="h264.mp4").wait_for(timeout=60000)
        # The recent uploads list turns the item into a link once it is ready.
        page.wait_for_selector("#uploads a.upload-name", timeout=60000)
        page.goto(stack.url("streaming") + "/")
        tile = page.locator(".tile", has_text="Browser upload").first
        tile.locator("a.title").click()
        page.wait_for_url(stack.url("streaming") + "/videos/*")
        assert wait_playing(page) > 0.5
    finally:
        context.close()
