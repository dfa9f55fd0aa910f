"""The captions menu in headless Chromium: it lists the master's subtitle tracks, is off
unless a track is DEFAULT, shows the chosen track's cue over the video at its time
(hls.js into `video.textTracks`), and the choice (a language, or off) and the speed are
there again after a reload."""

from __future__ import annotations

import pytest
import requests

from conftest import browser_login, wait_playing

from .conftest import PageWatch
from .menus import choose, chosen_js, wait_chosen

pytestmark = pytest.mark.browser

VTT = b"WEBVTT\n\n00:00:01.000 --> 00:00:03.500\nMenu cue <i>one</i>\n"
EN_VTT = b"WEBVTT\n\n00:00:00.500 --> 00:00:03.500\nEnglish default\n"

MENU = f"""() => ({{
  options: Array.from(document.querySelectorAll('#captions [role=menuitemradio]')).map(o => o.textContent.trim()),
  chosen: {chosen_js("captions")},
  hidden: document.getElementById('captions-control').hidden,
  rate: document.getElementById('video').playbackRate,
  showing: Array.from(document.getElementById('video').textTracks).filter(t => t.mode === 'showing')
    .map(t => t.language),
}})"""


def _add(st, token: str, vid: str, data: bytes, **fields) -> None:
    resp = requests.post(
        f"{st.url('streaming')}/api/videos/{vid}/captions",
        files={"file": ("subs.vtt", data)},
        data=fields,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert resp.status_code == 201, resp.text


def _open(page, url: str, tracks: int) -> dict:
    page.goto(url)
    page.wait_for_function(
        "n => document.querySelectorAll('#captions [role=menuitemradio]').length === n + 1", arg=tracks
    )
    return page.evaluate(MENU)


def _cue_at(page, language: str, at: float) -> None:
    """Seek to `at` and wait until the track's active cue is the one the file has there."""
    page.evaluate("at => { const v = document.getElementById('video'); v.pause(); v.currentTime = at; }", at)
    page.wait_for_function(
        """lang => { const t = Array.from(document.getElementById('video').textTracks).find(t => t.language === lang);
          return t && t.mode === 'showing' && t.activeCues && Array.from(t.activeCues).some(c => c.text === 'Menu cue <i>one</i>'); }""",
        arg=language,
        timeout=20000,
    )


def test_captions_menu_choice_and_speed_kept(browser, player_stack, player_token, clip360):
    st, token = player_stack, player_token
    resp = st.upload(token, clip360, name="Captions menu")
    resp.raise_for_status()
    video = st.wait_all_renditions(token, resp.json()["id"])
    vid = video["id"]
    _add(st, token, vid, VTT, language="de", label="Deutsch")
    assert [c["language"] for c in st.video(token, vid)["captions"]] == ["de"]

    context = browser.new_context()
    watch = PageWatch(context)
    try:
        page = context.new_page()
        browser_login(page, st)
        # No DEFAULT track: the menu offers it, and it is off.
        menu = _open(page, video["watch_url"], 1)
        assert menu["options"] == ["Off", "Deutsch"] and menu["chosen"] == "Off" and not menu["hidden"]
        assert menu["showing"] == []
        wait_playing(page)
        choose(page, "captions", "Deutsch")
        choose(page, "speed", "0.75×")
        _cue_at(page, "de", 2.0)
        cues = page.evaluate(
            """() => Array.from(Array.from(document.getElementById('video').textTracks)
              .find(t => t.language === 'de').cues).map(c => [c.startTime, c.endTime, c.text])"""
        )
        assert len(cues) == 1 and cues[0][2] == "Menu cue <i>one</i>"
        assert abs(cues[0][0] - 1.0) < 0.1 and abs(cues[0][1] - 3.5) < 0.1, cues

        # Reload: Deutsch and 0.75x again.
        menu = _open(page, video["watch_url"], 1)
        wait_chosen(page, "captions", "Deutsch")
        menu = page.evaluate(MENU)
        assert menu["chosen"] == "Deutsch" and menu["rate"] == 0.75
        wait_playing(page)
        _cue_at(page, "de", 1.5)
        assert page.evaluate(MENU)["rate"] == 0.75

        # A DEFAULT track appears: this browser keeps its choice...
        _add(st, token, vid, EN_VTT, language="en", label="English", default="true")
        menu = _open(page, video["watch_url"], 2)
        wait_chosen(page, "captions", "Deutsch")
        # ...and "off", once chosen, is kept over the default too.
        choose(page, "captions", "Off")
        page.wait_for_function(
            "() => Array.from(document.getElementById('video').textTracks).every(t => t.mode !== 'showing')"
        )
        menu = _open(page, video["watch_url"], 2)
        page.wait_for_timeout(500)  # hls.js has its tracks: nothing turns one on
        menu = page.evaluate(MENU)
        assert menu["chosen"] == "Off" and menu["showing"] == []
        watch.check("player with captions")
    finally:
        context.close()

    # A browser that chose nothing gets the DEFAULT track.
    other = browser.new_context()
    try:
        page = other.new_page()
        browser_login(page, st)
        _open(page, video["watch_url"], 2)
        wait_chosen(page, "captions", "English")
        page.wait_for_function(
            """() => Array.from(document.getElementById('video').textTracks)
              .some(t => t.language === 'en' && t.mode === 'showing')"""
        )
    finally:
        other.close()
