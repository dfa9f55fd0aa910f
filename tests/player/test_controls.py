"""The player's own controls in headless Chromium: in full screen (the container's, so
the bar goes with it) the quality, speed and captions menus are there and work; a click
on the video then the space bar toggles exactly once (no native controls beside the
page's key handler); the keyboard shortcuts; every control has an accessible name, the
menus say whether they are open, and a live region says what changed."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from conftest import browser_login

from .conftest import PageWatch
from .menus import choose, chosen, wait_chosen

pytestmark = pytest.mark.browser

VTT = b"WEBVTT\n\n00:00:00.000 --> 00:00:03.900\nControls cue\n"

STATE = """() => {
  const v = document.getElementById("video"), h = window.__hls;
  const lvl = h && h.levels[h.currentLevel];
  return {
    fullscreen: document.fullscreenElement ? document.fullscreenElement.id : null,
    rate: v.playbackRate, muted: v.muted, volume: Math.round(v.volume * 100) / 100,
    paused: v.paused, time: v.currentTime, controls: v.controls,
    level: lvl ? lvl.height : null, auto: h ? h.autoLevelEnabled : null,
    showing: Array.from(v.textTracks).filter(t => t.mode === "showing").map(t => t.language),
    status: document.getElementById("player-status").textContent,
  };
}"""

# Is the element drawn on top at its centre, inside the window (the full-screen
# container's top layer hides everything outside it)?
ON_TOP = """sel => { const e = document.querySelector(sel), r = e.getBoundingClientRect();
  if (!r.width || !r.height || r.bottom > innerHeight || r.right > innerWidth || r.top < 0 || r.left < 0) return false;
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return !!hit && (hit === e || e.contains(hit)); }"""


@pytest.fixture(scope="module")
def captioned(player_stack, player_token, ladder_video):
    """The ladder video (180p and 360p) with a German track, not DEFAULT."""
    resp = requests.post(
        f"{player_stack.url('streaming')}/api/videos/{ladder_video['id']}/captions",
        files={"file": ("de.vtt", VTT)},
        data={"language": "de", "label": "Deutsch"},
        headers={"Authorization": f"Bearer {player_token}"},
        timeout=30,
    )
    assert resp.status_code == 201, resp.text
    return ladder_video


@pytest.fixture
def page(browser, player_stack, captioned):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    watch = PageWatch(context)
    page = context.new_page()
    browser_login(page, player_stack)
    page.goto(captioned["watch_url"])
    page.wait_for_function("() => window.__hls && window.__hls.levels.length === 2")
    page.wait_for_selector("#captions-control:not([hidden])")
    page.evaluate("() => { document.getElementById('video').muted = true; }")
    yield page
    watch.check("player controls")
    context.close()


def _state(page) -> dict:
    return page.evaluate(STATE)


def test_menus_work_in_full_screen(page):
    page.click("#fullscreen")
    page.wait_for_function("() => document.fullscreenElement && document.fullscreenElement.id === 'player'")
    # The name follows `fullscreenchange`, fired after fullscreenElement is set: waited for.
    expect(page.locator("#fullscreen")).to_have_attribute("aria-label", "Exit full screen")
    for menu in ("quality", "speed", "captions"):
        assert page.evaluate(ON_TOP, f"#{menu}-button"), f"{menu} button not shown in full screen"
        page.click(f"#{menu}-button")
        assert page.get_attribute(f"#{menu}-button", "aria-expanded") == "true"
        assert page.evaluate(ON_TOP, f"#{menu} [role=menuitemradio]:last-child"), f"{menu} menu not shown"
        page.keyboard.press("Escape")
        assert page.get_attribute(f"#{menu}-button", "aria-expanded") == "false"
        assert page.evaluate("m => document.activeElement.id === m + '-button'", menu)

    choose(page, "quality", "180p")
    page.wait_for_function("() => window.__hls.levels[window.__hls.currentLevel].height === 180")
    choose(page, "speed", "1.5×")
    choose(page, "captions", "Deutsch")
    page.wait_for_function(
        "() => Array.from(document.getElementById('video').textTracks).some(t => t.language === 'de' && t.mode === 'showing')"
    )
    s = _state(page)
    assert s["fullscreen"] == "player", "a menu took the player out of full screen"
    assert s["level"] == 180 and s["auto"] is False and s["rate"] == 1.5 and s["showing"] == ["de"]
    for menu, label in (("quality", "180p"), ("speed", "1.5×"), ("captions", "Deutsch")):
        wait_chosen(page, menu, label)  # the speed menu follows ratechange, a queued event
    choose(page, "quality", "Auto")
    assert _state(page)["auto"] is True

    page.keyboard.press("f")
    page.wait_for_function("() => !document.fullscreenElement")


def test_space_after_clicking_the_video_toggles_once(page):
    assert _state(page)["controls"] is False  # no native controls to toggle a second time
    page.evaluate("""() => { const v = document.getElementById('video'); window.__toggles = [];
      for (const e of ['play', 'pause']) v.addEventListener(e, () => window.__toggles.push(e)); }""")
    page.click("#video")
    page.wait_for_function("() => !document.getElementById('video').paused")
    page.keyboard.press(" ")
    page.wait_for_timeout(300)  # a second toggle would have come by now
    assert _state(page)["paused"] is True
    assert page.evaluate("() => window.__toggles") == ["play", "pause"]
    page.keyboard.press(" ")
    page.wait_for_function("() => !document.getElementById('video').paused")
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.__toggles") == ["play", "pause", "play"]
    # The page did not scroll for the space bar.
    assert page.evaluate("() => window.scrollY") == 0
    # Space on the focused play button: its own click, once.
    page.focus("#play")
    page.keyboard.press(" ")
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.__toggles") == ["play", "pause", "play", "pause"]


def test_keyboard_shortcuts(page):
    page.evaluate("() => { const v = document.getElementById('video'); v.pause(); v.currentTime = 0; v.volume = 0.5; }")
    page.evaluate("() => document.activeElement.blur()")
    page.keyboard.press("k")
    page.wait_for_function("() => !document.getElementById('video').paused")
    page.keyboard.press("k")
    page.wait_for_function("() => document.getElementById('video').paused")
    page.wait_for_function("() => document.getElementById('player-status').textContent === 'Paused'")

    page.keyboard.press("5")
    page.wait_for_function("() => Math.abs(document.getElementById('video').currentTime - 2) < 0.3")
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("() => document.getElementById('video').currentTime < 0.1")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.getElementById('video').currentTime > 3.5")

    # video.muted and playbackRate change in the key's handler, but the button's label and
    # the menu follow the media element's volumechange/ratechange, events the browser fires
    # from a task it queues: a read straight after the key can come before them (it did,
    # under load), so the labels are waited for.
    mute = page.locator("#mute")
    page.keyboard.press("m")
    assert _state(page)["muted"] is False
    expect(mute).to_have_attribute("aria-label", "Mute")
    page.keyboard.press("m")
    assert _state(page)["muted"] is True
    expect(mute).to_have_attribute("aria-label", "Unmute")
    page.keyboard.press("ArrowDown")
    assert _state(page)["volume"] == 0.4
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    s = _state(page)
    assert s["volume"] == 0.6 and s["muted"] is False

    page.keyboard.press(">")
    assert _state(page)["rate"] == 1.25
    wait_chosen(page, "speed", "1.25×")
    page.keyboard.press("<")
    assert _state(page)["rate"] == 1
    wait_chosen(page, "speed", "1×")

    page.keyboard.press("c")
    page.wait_for_function(
        "() => Array.from(document.getElementById('video').textTracks).some(t => t.mode === 'showing')"
    )
    assert chosen(page, "captions") == "Deutsch"
    page.keyboard.press("c")
    page.wait_for_function(
        "() => Array.from(document.getElementById('video').textTracks).every(t => t.mode !== 'showing')"
    )
    assert chosen(page, "captions") == "Off"

    page.keyboard.press("f")
    page.wait_for_function("() => document.fullscreenElement && document.fullscreenElement.id === 'player'")
    page.keyboard.press("f")
    page.wait_for_function("() => !document.fullscreenElement")

    # In an open menu the arrows move between its items (and seek nothing).
    page.click("#speed-button")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "1×"
    page.keyboard.press("ArrowDown")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "0.75×"
    page.keyboard.press("Enter")
    assert _state(page)["rate"] == 0.75 and page.get_attribute("#speed", "hidden") is not None


def test_controls_have_accessible_names(page):
    bar = page.locator("#player-controls")
    for role, name in (
        ("button", "Play"),
        ("button", "Unmute"),
        ("button", "Full screen"),
        ("button", re.compile(r"^Quality: Auto( \d+p)?$")),  # the visible text in the name (axe)
        ("button", "Speed: 1×"),
        ("button", "Captions: Off"),
        ("slider", "Seek"),
        ("slider", "Volume"),
    ):
        found = (
            bar.get_by_role(role, name=name)
            if isinstance(name, re.Pattern)
            else bar.get_by_role(role, name=name, exact=True)
        )
        assert found.count() == 1, f"no {role} named {name!r}"
    names = page.eval_on_selector_all(
        "#player-controls button, #player-controls input",
        "es => es.filter(e => e.offsetParent !== null).map(e => e.getAttribute('aria-label') || e.textContent.trim())",
    )
    assert all(names), names
    # Big enough for a finger.
    sizes = page.eval_on_selector_all(
        "#player-controls .rh-btn", "es => es.filter(e => e.offsetParent).map(e => [e.offsetWidth, e.offsetHeight])"
    )
    assert sizes and all(w >= 44 and h >= 44 for w, h in sizes), sizes
    # The menus are menus: a button that says whether it is open, items that say which is chosen.
    for menu in ("quality", "speed", "captions"):
        button = page.locator(f"#{menu}-button")
        assert button.get_attribute("aria-haspopup") == "menu" and button.get_attribute("aria-controls") == menu
        button.click()
        assert button.get_attribute("aria-expanded") == "true"
        listed = page.locator(f"#{menu}")
        assert listed.get_attribute("role") == "menu"
        assert listed.get_by_role("menuitemradio", checked=True).count() == 1
        page.keyboard.press("Escape")
    # The live region says what changed.
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_function("() => document.getElementById('player-status').textContent === 'Playing'")
    assert page.get_attribute("#play", "aria-label") == "Pause"
    assert page.get_attribute("#player-status", "aria-live") == "polite"
