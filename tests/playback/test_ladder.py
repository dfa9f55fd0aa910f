"""A 1080p H.264 source: the copied 1080p rendition first, then 360p and 720p transcoded
with segment boundaries at the same times in every rendition."""

from __future__ import annotations

import m3u8
import pytest
from player.menus import choose, items

from conftest import browser_login, wait_playing


@pytest.fixture(scope="module")
def ladder_video(pb_stack, pb_tokens, inputs):
    token = pb_tokens["alice"]
    resp = pb_stack.upload(token, inputs["h264_1080p"], name="Ladder 1080p")
    assert resp.status_code == 201, resp.text
    return pb_stack.wait_all_renditions(token, resp.json()["id"])


def _media(st, token, video_id, uri) -> m3u8.M3U8:
    resp = st.api.get(token, f"/videos/{video_id}/hls/{uri}")
    assert resp.status_code == 200, uri
    return m3u8.loads(resp.text)


def test_master_lists_every_rung(pb_stack, pb_tokens, ladder_video):
    video = ladder_video
    assert video["status"] == "ready"
    assert (video["width"], video["height"]) == (1920, 1080)
    assert video["renditions"] == [{"height": h, "status": "ready", "error": None} for h in (360, 720, 1080)]
    master = m3u8.loads(pb_stack.api.get(pb_tokens["alice"], f"/videos/{video['id']}/hls/master.m3u8").text)
    rungs = {p.stream_info.resolution: p for p in master.playlists}
    assert sorted(rungs) == [(640, 360), (1280, 720), (1920, 1080)]
    for p in master.playlists:
        assert p.stream_info.bandwidth > p.stream_info.average_bandwidth * 0.5 > 0
        assert p.stream_info.codecs.startswith("avc1.") and p.stream_info.codecs.endswith(",mp4a.40.2")
        assert p.stream_info.frame_rate == pytest.approx(10)
    # Higher renditions need more bits.
    bandwidths = [rungs[r].stream_info.bandwidth for r in sorted(rungs)]
    assert bandwidths == sorted(bandwidths)


def test_segments_line_up_across_rungs(pb_stack, pb_tokens, ladder_video):
    token = pb_tokens["alice"]
    vid = ladder_video["id"]
    master = m3u8.loads(pb_stack.api.get(token, f"/videos/{vid}/hls/master.m3u8").text)
    durations = {}
    for p in master.playlists:
        media = _media(pb_stack, token, vid, p.uri)
        assert media.is_endlist and media.playlist_type == "vod"
        durations[p.stream_info.resolution[1]] = [s.duration for s in media.segments]
    copied = durations[1080]
    # The source has a keyframe every 1.5 s: the copied rendition's segments are 4.5 s long.
    assert copied[:2] == [pytest.approx(4.5, abs=0.01)] * 2
    frame = 1 / 10
    for height in (360, 720):
        assert len(durations[height]) == len(copied), durations
        for a, b in zip(durations[height], copied, strict=True):
            assert abs(a - b) <= frame + 1e-6, durations


@pytest.mark.browser
def test_ladder_plays_with_a_quality_menu(browser, pb_stack, ladder_video):
    context = browser.new_context()
    page = context.new_page()
    try:
        browser_login(page, pb_stack)
        page.goto(ladder_video["watch_url"])
        assert wait_playing(page) > 0.5
        assert items(page, "quality") == ["Auto", "1080p", "720p", "360p"]
        # Pick 360p by hand: hls.js switches to it and playback goes on.
        choose(page, "quality", "360p")
        page.wait_for_function(
            "() => window.__hls && window.__hls.levels[window.__hls.currentLevel]"
            " && window.__hls.levels[window.__hls.currentLevel].height === 360"
        )
        assert page.evaluate("() => window.__hlsFatal || null") is None
    finally:
        context.close()
