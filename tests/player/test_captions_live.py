"""A caption track the owner adds, replaces or removes with the form on the video page is
in the player on that page at once, no reload (issue 24): the captions menu lists it,
choosing it shows its cue (a text track showing, the cue active, hls.js's subtitle
track), a new label replaces the old one in the menu, and a removed track leaves the
menu and hls.js's tracks. Headless Chromium on the player stack (SQLite, local storage)."""

from __future__ import annotations

import pytest

from conftest import browser_login
from harness import make_clip

from .conftest import PageWatch
from .menus import choose, items, wait_chosen

pytestmark = pytest.mark.browser

# One cue over the whole clip: shown whenever the track is chosen.
CUES = "WEBVTT\n\n00:00:00.000 --> 00:01:00.000\nBonjour tout le monde\n"

# The player's caption state as hls.js and the browser have it.
TRACKS = """() => {
  const v = document.getElementById("video"), h = window.__hls;
  return {
    hls: h ? h.subtitleTracks.map(t => t.name) : null,
    showing: Array.from(v.textTracks).filter(t => t.mode === "showing")
      .map(t => ({label: t.label, active: Array.from(t.activeCues || []).map(c => c.text)})),
  };
}"""


@pytest.fixture(scope="module")
def plain_video(player_stack, player_token, tmp_path_factory):
    """A ready video of its own (one 180p rendition), no caption track yet; 30 s, so that it
    still plays while the form is used on a loaded machine."""
    clip = make_clip(tmp_path_factory.mktemp("live-captions") / "c.mp4", seconds=30, size="320x180", rate=10)
    resp = player_stack.upload(player_token, clip, name="Live captions")
    resp.raise_for_status()
    return player_stack.wait_all_renditions(player_token, resp.json()["id"])


def _menu_lists(page, labels: list[str]) -> None:
    """Wait until the captions menu is Off and `labels` (hidden when there is no track)."""
    page.wait_for_function(
        """want => { const c = document.getElementById("captions-control");
          const got = Array.from(document.querySelectorAll("#captions [role=menuitemradio]")).map(b => b.textContent.trim());
          return c.hidden === (want.length === 0) && JSON.stringify(got) === JSON.stringify(["Off"].concat(want)); }""",
        arg=labels,
    )


def test_the_player_takes_in_the_owners_caption_changes(browser, player_stack, plain_video, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    watch = PageWatch(context)
    page = context.new_page()
    browser_login(page, player_stack)
    page.goto(plain_video["watch_url"])
    page.wait_for_function("() => window.__hls && window.__hls.levels.length === 1")
    page.wait_for_selector("#caption-form")
    assert page.is_hidden("#captions-control")  # no track yet
    page.evaluate("() => { const v = document.getElementById('video'); v.muted = true; v.play(); }")
    page.wait_for_function("() => document.getElementById('video').currentTime > 0.3")

    # Added through the form: the menu lists it, still playing where it was.
    vtt = tmp_path / "fr.vtt"
    vtt.write_text(CUES)
    page.select_option("#caption-language", "fr")
    page.set_input_files("#caption-file", str(vtt))
    page.click("#caption-submit")
    page.wait_for_selector('#caption-list tr[data-language="fr"]')
    _menu_lists(page, ["French"])
    assert page.evaluate(TRACKS)["hls"] == ["French"]
    page.wait_for_function("() => !document.getElementById('video').paused")

    # Chosen in the menu: its cue is shown.
    choose(page, "captions", "French")
    page.wait_for_function(
        """() => Array.from(document.getElementById("video").textTracks).some(t => t.mode === "showing"
          && t.label === "French" && Array.from(t.activeCues || []).some(c => c.text === "Bonjour tout le monde"))"""
    )
    assert page.evaluate("() => window.__hls.subtitleTrack") == 0

    # Replaced with a new label: the menu says it, the track still chosen (by its language).
    page.click('#caption-list tr[data-language="fr"] button:has-text("Replace")')
    page.fill("#caption-label", "Français")
    page.set_input_files("#caption-file", str(vtt))
    page.click("#caption-submit")
    _menu_lists(page, ["Français"])
    wait_chosen(page, "captions", "Français")
    page.wait_for_function(
        """() => Array.from(document.getElementById("video").textTracks).some(t => t.mode === "showing"
          && t.label === "Français" && (t.activeCues || []).length > 0)"""
    )

    # Removed: gone from the menu (hidden, no track left), from hls.js, nothing showing.
    page.once("dialog", lambda dialog: dialog.accept())
    page.click('#caption-list tr[data-language="fr"] button:has-text("Remove")')
    page.wait_for_selector("#caption-none:not([hidden])")
    _menu_lists(page, [])
    state = page.evaluate(TRACKS)
    assert state["hls"] == [] and state["showing"] == [], state
    assert items(page, "captions") == ["Off"]
    watch.check("live captions")
    context.close()
