"""The library's sort and search live in the address: chosen in Chromium, a video opened,
then Back shows the same list, in the same order, with the same search and sort."""

from __future__ import annotations

import pytest

from conftest import browser_login
from harness import make_clip

pytestmark = pytest.mark.browser

NAMES = ("Beach cherry", "Beach apple", "Beach banana")  # uploaded in this order


def tiles(page) -> list[str]:
    return page.eval_on_selector_all("#library .tile", "ts => ts.map(t => t.dataset.id)")


def test_sort_and_search_survive_the_player_and_back(browser, pages_stack, pages_video, tmp_path):
    st = pages_stack
    token = st.login()
    clip = make_clip(tmp_path / "b.mp4", seconds=1, size="320x180")
    ids = {name: st.api.upload_ready(token, clip, name=name)["id"] for name in NAMES}
    by_name = [ids["Beach apple"], ids["Beach banana"], ids["Beach cherry"]]
    context = browser.new_context()
    page = context.new_page()
    try:
        browser_login(page, st)
        library = st.url("streaming") + "/"
        page.goto(library)
        page.wait_for_selector(f".tile[data-id='{pages_video['id']}']")
        page.select_option("#sort", "name")
        page.fill("#q", "Beach")
        page.press("#q", "Enter")
        page.wait_for_function(
            "(ids) => JSON.stringify(Array.from(document.querySelectorAll('#library .tile'), t => t.dataset.id))"
            " === JSON.stringify(ids)",
            arg=by_name,
        )
        assert page.url == library + "?q=Beach&sort=name"

        page.locator(f".tile[data-id='{by_name[0]}'] a").first.click()
        page.wait_for_url(f"**/videos/{by_name[0]}*")
        page.go_back()
        page.wait_for_url(library + "?q=Beach&sort=name")
        page.wait_for_selector("#library .tile")
        page.wait_for_load_state("networkidle")
        assert tiles(page) == by_name
        assert page.input_value("#q") == "Beach" and page.input_value("#sort") == "name"

        page.go_back()  # the search's own step: all videos, newest first, no search
        page.wait_for_url(library + "?sort=name")
        page.wait_for_load_state("networkidle")
        assert page.input_value("#q") == "" and page.input_value("#sort") == "name"
        assert len(tiles(page)) == 4
    finally:
        context.close()
