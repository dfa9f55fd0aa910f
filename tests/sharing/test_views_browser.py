"""Views in headless Chromium (Debian's, harness.browser): a link viewer with no account
and no cookies; loading the page counts nothing, playing counts exactly one view (on the
link and the video), playing on counts no more, and a reload (a new session) played
counts a second. The post goes from the no-referrer share page (Origin: null) with
`keepalive`, and uses no storage."""

from __future__ import annotations

import pytest
import requests

from conftest import wait_playing

from .sharekit import make_share, shares_url

pytestmark = pytest.mark.browser


def _views(crowd, video_id: str, share_id: str) -> tuple[int, int]:
    """(the link's views, the video's) as the owner reads them."""
    shares = requests.get(shares_url(crowd.st, video_id), headers=crowd.headers("owner"), timeout=20).json()["shares"]
    link = next(s["views"] for s in shares if s["id"] == share_id)
    return link, crowd.st.video(crowd.token["owner"], video_id)["views"]


def test_a_view_counts_once_per_session_when_playback_starts(browser, crowd):
    video = crowd.internal
    share = make_share(crowd.st, crowd.token["owner"], video)
    _, before = _views(crowd, video, share["id"])
    context = browser.new_context()
    posts: list[str] = []
    context.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    try:
        page = context.new_page()
        page.goto(share["url"])
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(500)
        assert posts == [] and _views(crowd, video, share["id"]) == (0, before)  # the page alone: nothing
        with page.expect_response(lambda r: r.url.endswith("/views") and r.request.method == "POST") as sent:
            wait_playing(page)
        assert sent.value.status == 204
        page.evaluate("() => { const v = document.getElementById('video'); v.pause(); v.currentTime = 0; v.play(); }")
        page.wait_for_function("() => document.getElementById('video').currentTime > 0.5")
        assert len(posts) == 1 and _views(crowd, video, share["id"]) == (1, before + 1)  # once per session
        page.reload()
        page.wait_for_load_state("networkidle")
        assert _views(crowd, video, share["id"]) == (1, before + 1)
        with page.expect_response(lambda r: r.url.endswith("/views") and r.request.method == "POST") as sent:
            wait_playing(page)
        assert sent.value.status == 204
        assert len(posts) == 2 and _views(crowd, video, share["id"]) == (2, before + 2)  # a reload: a new session
    finally:
        context.close()
