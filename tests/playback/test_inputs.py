"""Each kind of upload reaches `ready`, is packaged the right way (copied or
transcoded), and plays in headless Chromium."""

from __future__ import annotations

import m3u8
import pytest

from conftest import browser_login, wait_playing
from harness import ffprobe_url

# name -> (display width, display height, video copied?, has audio)
EXPECTED = {
    "h264_aac": (320, 240, True, True),
    "h264_faststart": (320, 240, True, True),
    "h264_silent": (320, 240, True, False),
    "h264_mp3": (320, 240, True, True),  # video copied, audio re-encoded to AAC
    "vp9_opus": (320, 180, False, True),  # 321x181 source: odd sizes become even
    "mpeg4_mp3": (320, 240, False, True),
    "h264_10bit": (320, 240, False, True),  # 10-bit H.264 is transcoded to 8-bit
    "h264_444": (320, 240, False, True),  # 4:4:4 H.264 too
    "hevc_aac": (320, 240, False, True),
    "prores_pcm": (320, 240, False, True),  # ProRes 4:2:2 10-bit with PCM audio
    "rotated": (180, 320, False, True),  # 320x180 turned 90 degrees: upright, taller than wide
}


@pytest.fixture(scope="module")
def packaged(pb_stack, pb_tokens, inputs):
    """Upload every input, then wait for each to finish."""
    token = pb_tokens["alice"]
    ids = {}
    for name in EXPECTED:
        resp = pb_stack.upload(token, inputs[name], name=f"Input {name}")
        assert resp.status_code == 201, resp.text
        ids[name] = resp.json()["id"]
    return {name: pb_stack.wait_all_renditions(token, vid) for name, vid in ids.items()}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_input_is_packaged(pb_stack, pb_tokens, packaged, inputs, name):
    token = pb_tokens["alice"]
    width, height, copied, audio = EXPECTED[name]
    video = packaged[name]
    assert video["status"] == "ready", video
    assert (video["width"], video["height"]) == (width, height)
    assert video["duration_s"] == pytest.approx(3, abs=0.2)
    # Small sources get one rendition: their own size (no ladder height below it).
    assert video["renditions"] == [{"height": min(width, height), "status": "ready", "error": None}]

    master = pb_stack.api.get(token, f"/videos/{video['id']}/hls/master.m3u8")
    assert master.status_code == 200
    playlist = m3u8.loads(master.text)
    assert len(playlist.playlists) == 1
    info = playlist.playlists[0].stream_info
    assert info.resolution == (width, height)
    assert info.bandwidth > 0
    assert info.codecs.startswith("avc1.")
    assert ("mp4a.40.2" in info.codecs) == audio

    probe = ffprobe_url(f"{pb_stack.url('streaming')}/videos/{video['id']}/hls/master.m3u8", token)
    streams = {s["codec_type"]: s for s in probe["streams"]}
    v = streams["video"]
    assert (v["codec_name"], v["pix_fmt"]) == ("h264", "yuv420p")
    assert (v["width"], v["height"]) == (width, height)
    # The test sources are Constrained Baseline (x264 ultrafast); the packager encodes High.
    assert (v["profile"] == "Constrained Baseline") == copied, v["profile"]
    assert ("side_data_list" not in v) or all("rotation" not in sd for sd in v["side_data_list"])
    if audio:
        assert streams["audio"]["codec_name"] == "aac"
    else:
        assert "audio" not in streams


@pytest.mark.browser
def test_inputs_play_in_chromium(browser, pb_stack, packaged):
    context = browser.new_context()
    page = context.new_page()
    try:
        browser_login(page, pb_stack)
        for name, video in packaged.items():
            page.goto(video["watch_url"])
            # Before a press of play, the poster (set once the first frame is there).
            page.wait_for_function("url => document.getElementById('video').poster === url", arg=video["poster_url"])
            assert wait_playing(page) > 0.5, name
            size = page.evaluate(
                "() => { const v = document.getElementById('video'); return [v.videoWidth, v.videoHeight]; }"
            )
            assert tuple(size) == EXPECTED[name][:2], name
    finally:
        context.close()
