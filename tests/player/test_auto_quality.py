"""Auto quality on a fast link (issue 24: "Auto reaching the right quality within a few
segments"): a video of four renditions (180p, 360p, 720p and the copied 1080p) played
from loopback in a large player (a 1280x720 window, the video 540 px high): by the third
segment hls.js loads, Auto is at the largest rendition the player's size calls for
(hls.js's capLevelToPlayerSize rule: 720p, not the 1080p the link would carry), and then
plays it. Asserted on hls.js's level state (the level of each main
segment loaded, loadLevel, currentLevel), never on time. Headless Chromium."""

from __future__ import annotations

import pytest

from conftest import browser_login
from harness import make_clip

from .conftest import PageWatch
from .menus import wait_chosen

pytestmark = pytest.mark.browser

# Set before the player's script runs: the hls.js instance the player makes gets a
# listener that records the level of every main segment loaded, from the first.
RECORD = """
Object.defineProperty(window, "__hls", {
  configurable: true,
  get() { return window.__hlsSeen; },
  set(h) {
    window.__hlsSeen = h;
    window.__frags = [];
    h.on("hlsFragLoaded", (_e, d) => { if (d.frag.type === "main") window.__frags.push(d.frag.level); });
  },
});
"""

# The level hls.js's capLevelToPlayerSize allows for the player's video element: the
# smallest whose width or height covers the element's (in device pixels), else the largest.
FITTING = """() => {
  const v = document.getElementById("video"), h = window.__hls, dpr = window.devicePixelRatio || 1;
  const w = v.clientWidth * dpr, ht = v.clientHeight * dpr;
  const order = h.levels.map((l, i) => ({i, l})).sort((a, b) => a.l.height - b.l.height);
  const fit = order.find(({l}) => l.width >= w || l.height >= ht) || order[order.length - 1];
  return {index: fit.i, height: fit.l.height, box: [v.clientWidth, v.clientHeight]};
}"""


@pytest.fixture(scope="module")
def four_renditions(player_stack, player_token, tmp_path_factory):
    """Twelve seconds of 1920x1080 at 10 fps (three 4 s segments): 180p, 360p and 720p
    encoded, 1080p copied (the player stack's ladder), all ready."""
    clip = make_clip(tmp_path_factory.mktemp("auto-quality") / "c1080.mp4", seconds=12, size="1920x1080", rate=10)
    resp = player_stack.upload(player_token, clip, name="Auto quality")
    resp.raise_for_status()
    video = player_stack.wait_all_renditions(player_token, resp.json()["id"])
    assert [r["status"] for r in video["renditions"]] == ["ready"] * 4, video["renditions"]
    return video


def test_auto_reaches_the_players_size_within_three_segments(browser, player_stack, four_renditions):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    watch = PageWatch(context)
    context.add_init_script(RECORD)
    page = context.new_page()
    browser_login(page, player_stack)
    page.goto(four_renditions["watch_url"])  # a new context: no quality remembered, Auto
    page.wait_for_function("() => window.__hls && window.__hls.levels.length === 4")
    wait_chosen(page, "quality", "Auto")

    page.evaluate("() => { document.getElementById('video').muted = true; }")
    page.click("#play")
    page.wait_for_function("() => window.__frags.length >= 3", timeout=60000)
    fitting = page.evaluate(FITTING)  # the video's size, now that it has its frames
    assert fitting["height"] == 720, fitting  # not the largest: 1080p is more than the player shows
    frags = page.evaluate("() => window.__frags")
    state = page.evaluate("() => ({auto: window.__hls.autoLevelEnabled, load: window.__hls.loadLevel})")
    assert frags[2] == fitting["index"], f"segments' levels {frags}, the player calls for level {fitting}"
    assert state == {"auto": True, "load": fitting["index"]}, state
    # And it plays it: the level playing becomes that one (the quality button says so).
    page.wait_for_function("i => window.__hls.currentLevel === i", arg=fitting["index"], timeout=60000)
    page.wait_for_function("() => document.getElementById('current-level').textContent === 'Auto 720p'")
    watch.check("auto quality")
    context.close()
