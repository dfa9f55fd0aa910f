"""An XSS payload as a video name, rendered in every page (upload list, library, player) in
headless Chromium: no dialog, no script run, the name shown literally."""

from __future__ import annotations

import hostilekit
import pytest
import requests

from conftest import browser_login
from harness import make_clip

pytestmark = pytest.mark.browser
PAYLOAD = (
    '<img src=x onerror="window.__xss=1;alert(1)"><script>window.__xss=2;alert(2)</script>'
    "\"'><svg onload=alert(3)></svg>{{7*7}}${7*7}</title></textarea>&lt;b&gt;"
)


@pytest.fixture(scope="module")
def st(tmp_path_factory, request, mariadb, s3):
    return hostilekit.hostile_stack(tmp_path_factory, request.config, mariadb, s3)


def test_xss_name_is_shown_as_text_everywhere(st, browser, tmp_path_factory):
    token = st.login()
    clip = make_clip(tmp_path_factory.mktemp("xss") / "xss.mp4", seconds=1)
    resp = st.upload(token, clip, name=PAYLOAD)
    assert resp.status_code == 201, resp.text
    video_id = resp.json()["id"]
    assert st.wait_status(token, video_id)["status"] == "ready"

    context = browser.new_context()
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        browser_login(page, st)
        checks = [
            (st.url("upload") + "/", "#uploads a.upload-name"),
            (st.url("streaming") + "/", ".tile a.title"),
            (f"{st.url('streaming')}/videos/{video_id}", "h1"),
        ]
        for url, selector in checks:
            page.goto(url)
            page.wait_for_selector(f"{selector} >> text={PAYLOAD[:20]}", timeout=30000)
            texts = page.locator(selector).all_inner_texts()
            assert PAYLOAD in texts, (url, texts)
            assert page.evaluate("() => window.__xss || null") is None, url
            assert page.locator("img[src='x'], svg[onload]").count() == 0, url
            assert "49" not in " ".join(texts), url
        page.goto(f"{st.url('streaming')}/?q=" + requests.utils.quote("<img src=x"))
        page.wait_for_selector(f".tile a.title >> text={PAYLOAD[:20]}", timeout=30000)
        assert page.evaluate("() => window.__xss || null") is None
        assert dialogs == []
    finally:
        context.close()
    requests.delete(
        f"{st.url('streaming')}/api/videos/{video_id}", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
