"""Every page, logged out and logged in, in headless Chromium: no uncaught error, no
console error, no CSP violation, no answer of 400 or more (the not-found page's own 404
aside), no failed request but aborted ones; and a page asks only for what exists (the
library's hover thumbnails only once they are made)."""

from __future__ import annotations

import pytest

from conftest import browser_login, wait_playing
from harness import wait_until

from .conftest import PageWatch

pytestmark = pytest.mark.browser


def _thumbs_done(st, video_id: str) -> bool:
    return any(j["stage"] == "thumbs" and j["status"] == "done" for j in st.jobs(video_id))


def test_every_page_is_clean(browser, player_stack, player_token, clip360):
    st = player_stack
    streaming, login = st.url("streaming"), st.url("auth") + "/login"
    st.gate.hold("scale=320:-2")  # the thumbnails wait: until they exist, nothing asks for them
    context = browser.new_context()
    try:
        resp = st.upload(player_token, clip360, name="Clean pages")
        resp.raise_for_status()
        vid = resp.json()["id"]
        video = st.wait_status(player_token, vid)
        assert video["status"] == "ready" and not _thumbs_done(st, vid)
        notfound = f"{streaming}/videos/no-such-video-0"
        watch = PageWatch(context, expected={(404, notfound)})
        page = context.new_page()

        # Logged out: every app's page sends to the login page, which is clean too.
        for url in (st.url("upload") + "/", streaming + "/", video["watch_url"], notfound, login):
            page.goto(url)
            page.wait_for_url(login + "*")
            page.wait_for_load_state("networkidle")
        watch.check("logged out")

        # Logged in: the upload page, with an upload through it (tus).
        browser_login(page, st)
        page.wait_for_load_state("networkidle")
        page.fill("#name", "Clean pages upload")
        page.set_input_files("#file", str(clip360))
        page.locator("#queue li.done").wait_for(timeout=60000)
        watch.check("upload page")

        # The library: posters of ready videos; hovering asks for no thumbnail yet.
        page.goto(streaming + "/")
        tile = page.locator(f".tile[data-id='{vid}']")
        tile.wait_for()
        page.wait_for_load_state("networkidle")
        watch.check("library")
        asked = len(watch.requests)
        tile.locator("a").first.hover()
        page.wait_for_timeout(1500)  # the hover flips a picture every 600 ms
        assert not [u for u in watch.requests[asked:] if "/thumbs/" in u]
        page.mouse.move(0, 0)
        watch.check("library")

        # The player: plays; the poster exists; the not-found page is only its own 404.
        page.goto(video["watch_url"])
        wait_playing(page)
        page.wait_for_timeout(500)
        watch.check("player")
        answer = page.goto(notfound)
        assert answer.status == 404 and page.is_visible("text=Video not found")
        page.goto(login)  # logged in: the login page is still a clean page
        page.wait_for_load_state("networkidle")
        watch.check("not-found and login pages")

        # Once the thumbnails exist, hovering runs through them.
        st.gate.release()
        wait_until(lambda: _thumbs_done(st, vid), 60, "thumbnails", st["packager"].log)
        page.goto(streaming + "/")
        tile.wait_for()
        with page.expect_response(lambda r: f"/videos/{vid}/thumbs/" in r.url, timeout=10000) as thumb:
            tile.locator("a").first.hover()
        assert thumb.value.status == 200
        page.mouse.move(0, 0)

        # Logging out lands on a clean login page.
        page.click("text=Log out")
        page.wait_for_url(login + "*")
        page.wait_for_load_state("networkidle")
        watch.check("after logout")
    finally:
        st.gate.release()
        context.close()
