"""An open player takes in a rendition that lands after it loaded: no reload of the
page, and it stays where it was."""

from __future__ import annotations

import pytest
from player.menus import items

from conftest import browser_login, wait_playing
from harness import make_clip

pytestmark = pytest.mark.browser


def test_an_open_player_offers_a_rendition_once_it_lands(local_gated, browser, tmp_path):
    st = local_gated
    token = st.login()
    clip = make_clip(tmp_path / "six.mp4", seconds=6, size="640x360")
    st.gate.hold("scale=320:180")  # the 180p rendition lands when the test says
    context = browser.new_context()
    try:
        vid = st.api.upload_id(token, clip, "player pickup")
        video = st.wait_status(token, vid)
        assert [r["status"] for r in video["renditions"]] == ["pending", "ready"]
        page = context.new_page()
        browser_login(page, st)
        page.goto(video["watch_url"])
        wait_playing(page)
        page.evaluate("() => document.getElementById('video').pause()")
        where = page.evaluate("() => document.getElementById('video').currentTime")
        assert page.evaluate("() => window.__hls.levels.length") == 1
        assert items(page, "quality") == ["Auto", "360p"]
        page.evaluate("() => { window.__navigations = performance.getEntriesByType('navigation').length; }")
        st.gate.release()
        page.wait_for_function(
            "where => window.__hls.levels.length === 2 && "
            "Math.abs(document.getElementById('video').currentTime - where) < 0.5",
            arg=where,
            timeout=45000,
        )
        assert items(page, "quality") == ["Auto", "360p", "180p"]
        assert page.evaluate("() => window.__navigations") == 1  # the same page, not reloaded
        # It plays on from there.
        page.evaluate("() => document.getElementById('video').play()")
        page.wait_for_function(
            "where => document.getElementById('video').currentTime > where + 0.5", arg=where, timeout=20000
        )
    finally:
        st.gate.release()
        context.close()
