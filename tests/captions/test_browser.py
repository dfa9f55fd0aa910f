"""Chromium shows a default track's cue at its time: hls.js renders the master's
SUBTITLES into `video.textTracks`, the default one showing, its cue where the WebVTT
puts it on the video's clock (X-TIMESTAMP-MAP), another track not shown."""

from __future__ import annotations

import pytest

from conftest import browser_login, wait_playing

from .captions_kit import add

pytestmark = pytest.mark.browser

TRACKS_JS = """() => Array.from(document.getElementById('video').textTracks).map(t => ({
  language: t.language, label: t.label, mode: t.mode,
  cues: t.cues ? Array.from(t.cues).map(c => [c.startTime, c.endTime, c.text]) : [],
  active: t.activeCues ? Array.from(t.activeCues).map(c => c.text) : []}))"""


def test_chromium_shows_the_default_tracks_cue_at_its_time(cap_stack, cap_tokens, cap_inputs, browser):
    st, token = cap_stack, cap_tokens["alice"]
    video = st.api.upload_ready(token, cap_inputs["clip"], "captions in chromium")
    vid = video["id"]
    srt = cap_inputs["srt_en"].read_bytes()
    assert add(st, token, vid, srt, language="en", label="English", default="true").status_code == 201
    assert add(st, token, vid, cap_inputs["srt_fr"].read_bytes(), language="fr", label="French").status_code == 201
    context = browser.new_context()
    try:
        page = context.new_page()
        browser_login(page, st)
        page.goto(video["watch_url"])
        wait_playing(page)
        # The cue of 1.0 s to 4.0 s is showing while the clock is between them.
        page.wait_for_function(
            """() => { const v = document.getElementById('video');
              const t = Array.from(v.textTracks).find(t => t.language === 'en');
              return t && t.mode === 'showing' && v.currentTime > 1.1 && v.currentTime < 3.9 && t.activeCues
                && Array.from(t.activeCues).some(c => c.text === 'Hello from the captions'); }""",
            timeout=20000,
        )
        tracks = {t["language"]: t for t in page.evaluate(TRACKS_JS)}
        assert tracks["en"]["label"] == "English" and tracks["fr"]["mode"] != "showing"
        start, end, text = tracks["en"]["cues"][0]
        assert text == "Hello from the captions"
        # On the video's clock, within a few frames (the encoded or copied rendition's first
        # packet starts up to a few tens of milliseconds after the source's time 0).
        assert abs(start - 1.0) < 0.1 and abs(end - 4.0) < 0.1, tracks["en"]["cues"]
        assert [c[2] for c in tracks["en"]["cues"]] == ["Hello from the captions", "<i>Second</i> cue"]
    finally:
        context.close()
