"""The player's choices in headless Chromium: playback speed from 0.25x to 2x, and the
quality, speed, volume and mute this browser chose are there again after a reload (and
not in another browser)."""

from __future__ import annotations

import pytest

from conftest import browser_login, wait_playing

from .conftest import PageWatch
from .menus import choose, chosen_js, items, wait_chosen

pytestmark = pytest.mark.browser

STATE = f"""() => {{
  const v = document.getElementById("video"), h = window.__hls;
  return {{
    speedMenu: {chosen_js("speed")}.replace("×", ""), rate: v.playbackRate,
    volume: Math.round(v.volume * 100) / 100, muted: v.muted,
    quality: {chosen_js("quality")},
    level: h && h.levels[h.currentLevel] ? h.levels[h.currentLevel].height : null,
    startLevel: h && h.levels[h.startLevel] ? h.levels[h.startLevel].height : null,
  }};
}}"""


def _open(page, url: str) -> None:
    page.goto(url)
    page.wait_for_function("() => window.__hls && window.__hls.levels.length === 2")


def test_speed_quality_and_volume_are_remembered(browser, player_stack, ladder_video):
    st = player_stack
    assert [r["status"] for r in ladder_video["renditions"]] == ["ready", "ready"]
    context = browser.new_context()
    watch = PageWatch(context)
    try:
        page = context.new_page()
        browser_login(page, st)
        _open(page, ladder_video["watch_url"])
        assert items(page, "speed") == ["2×", "1.75×", "1.5×", "1.25×", "1×", "0.75×", "0.5×", "0.25×"]
        first = page.evaluate(STATE)
        assert first["speedMenu"] == "1" and first["rate"] == 1 and first["quality"] == "Auto"
        assert first["startLevel"] == 180  # Auto starts on the smallest rendition
        # Waiting for a press of play, it shows the poster (once the first frame is there).
        page.wait_for_function("() => document.getElementById('video').poster.endsWith('/poster.jpg')")
        wait_playing(page)

        # Choose: 180p, 1.5x, volume 0.4 with sound on.
        choose(page, "quality", "180p")
        choose(page, "speed", "1.5×")
        page.evaluate("() => { const v = document.getElementById('video'); v.muted = false; v.volume = 0.4; }")
        page.wait_for_function("() => document.getElementById('video').playbackRate === 1.5")

        page.reload()
        page.wait_for_function("() => window.__hls && window.__hls.levels.length === 2")
        wait_chosen(page, "quality", "180p")
        after = page.evaluate(STATE)
        assert after["speedMenu"] == "1.5" and after["rate"] == 1.5
        assert after["volume"] == 0.4 and after["muted"] is False
        assert after["quality"] == "180p" and after["level"] == 180 and after["startLevel"] == 180
        # hls.js re-attaching the media (load()) keeps the speed, and it plays at it.
        wait_playing(page)
        assert page.evaluate(STATE)["rate"] == 1.5

        # The slowest and fastest, from the keyboard too; then back to Auto, 1x, muted.
        choose(page, "speed", "0.25×")
        page.evaluate("() => document.activeElement.blur()")
        page.keyboard.press(">")
        assert page.evaluate(STATE)["rate"] == 0.5
        choose(page, "speed", "2×")
        assert page.evaluate(STATE)["rate"] == 2
        choose(page, "quality", "Auto")
        choose(page, "speed", "1×")
        page.evaluate("() => { document.getElementById('video').muted = true; }")
        page.reload()
        page.wait_for_function("() => window.__hls && window.__hls.levels.length === 2")
        again = page.evaluate(STATE)
        assert again["speedMenu"] == "1" and again["rate"] == 1 and again["quality"] == "Auto"
        assert again["muted"] is True and again["volume"] == 0.4
        watch.check("player")
    finally:
        context.close()

    # Another browser (context): its own defaults.
    other = browser.new_context()
    try:
        page = other.new_page()
        browser_login(page, st)
        _open(page, ladder_video["watch_url"])
        fresh = page.evaluate(STATE)
        assert fresh["speedMenu"] == "1" and fresh["rate"] == 1 and fresh["quality"] == "Auto"
        assert fresh["volume"] == 1 and fresh["muted"] is False
    finally:
        other.close()
