"""hls.js in Chromium plays a whole video and seeks with local delivery: every playlist and
segment comes from streaming-svc's own reading of the storage folder (the delivery
metrics count them as `local`, none as `relay`), for a signed-in viewer and through a
share link."""

from __future__ import annotations

import pytest
import requests
from player.conftest import PageWatch

from conftest import browser_login, wait_playing
from harness import bearer

from .conftest import scrape, value

pytestmark = pytest.mark.browser


def _play_seek_and_finish(page) -> None:
    """Play, jump to the middle (a segment not fetched yet), then play on to the end."""
    wait_playing(page)
    page.evaluate(
        """() => { const v = document.getElementById('video');
                   window.__seeked = false; v.addEventListener('seeked', () => { window.__seeked = true; });
                   v.currentTime = v.duration / 2 + 0.5; v.play().catch(() => {}); }"""
    )
    page.wait_for_function("() => window.__seeked", timeout=20000)
    page.wait_for_function("() => document.getElementById('video').ended", timeout=40000)
    assert page.evaluate("() => window.__hlsFatal || null") is None


def _segments_asked(watch: PageWatch) -> list[str]:
    return [u for u in watch.requests if u.endswith(".ts")]


def test_a_signed_in_viewer_plays_to_the_end_and_seeks(browser, dl_stack, dl_video):
    st = dl_stack
    before = scrape(st.url("streaming"))
    context = browser.new_context()
    watch = PageWatch(context)
    try:
        page = context.new_page()
        browser_login(page, st)
        page.goto(f"{st.url('streaming')}/videos/{dl_video}")
        _play_seek_and_finish(page)
        watch.check("the player page")
    finally:
        context.close()
    after = scrape(st.url("streaming"))
    segments = _segments_asked(watch)
    assert len({u.rsplit("/", 1)[1] for u in segments}) >= 3, segments  # every segment of the 9 s
    moved = value(after, "reelhouse_hls_bytes_served_total", delivery="local") - value(
        before, "reelhouse_hls_bytes_served_total", delivery="local"
    )
    rung_dir = next(p for p in (st.storage_dir / "videos" / dl_video / "hls").iterdir() if p.is_dir())
    assert moved >= sum(p.stat().st_size for p in rung_dir.glob("seg_*.ts"))
    assert value(after, "reelhouse_hls_bytes_served_total", delivery="relay") == value(
        before, "reelhouse_hls_bytes_served_total", delivery="relay"
    )


def test_a_share_link_viewer_plays_to_the_end_and_seeks(browser, dl_stack, dl_tokens, dl_video):
    st = dl_stack
    made = requests.post(
        f"{st.url('streaming')}/api/videos/{dl_video}/shares", json={}, headers=bearer(dl_tokens["alice"]), timeout=10
    )
    assert made.status_code == 201, made.text
    before = scrape(st.url("streaming"))
    context = browser.new_context()
    watch = PageWatch(context)
    try:
        page = context.new_page()
        page.goto(made.json()["url"])
        _play_seek_and_finish(page)
        watch.check("the shared page")
    finally:
        context.close()
    after = scrape(st.url("streaming"))
    assert all("/s/" in u for u in _segments_asked(watch)) and _segments_asked(watch)
    assert value(after, "reelhouse_hls_bytes_served_total", delivery="local") > value(
        before, "reelhouse_hls_bytes_served_total", delivery="local"
    )
    assert value(after, "reelhouse_hls_responses_total", delivery="relay") == value(
        before, "reelhouse_hls_responses_total", delivery="relay"
    )
