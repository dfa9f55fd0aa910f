"""Every page at 390, 768 and 1280 px wide in headless Chromium, checked from the DOM: no
horizontal overflow (the document's scrollWidth within its clientWidth) and no button or
link-button label broken into pieces (a Range over its text gives one line box), on the
whole of every page: login, library, account, admin users, upload (its queue empty: the
queue's rows are the upload queue's own tests) and the player (a long title)."""

from __future__ import annotations

import pytest

from conftest import browser_login

pytestmark = pytest.mark.browser

WIDTHS = (390, 768, 1280)

# For every visible button, a.button, submit input and header link: its label when a
# Range over its text lays it on more than one line (a label broken in pieces).
BROKEN_LABELS = """
() => {
  const broken = [];
  for (const el of document.querySelectorAll('button, a.button, input[type=submit], header a')) {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || getComputedStyle(el).visibility === 'hidden') continue;
    const text = (el.textContent || el.value || '').trim();
    if (!text) continue;
    const range = document.createRange();
    range.selectNodeContents(el);
    const lines = new Set(Array.from(range.getClientRects()).filter(r => r.width > 0).map(r => Math.round(r.top)));
    if (lines.size > 1) broken.push(text);
  }
  return broken;
}
"""

OVERFLOW = """
() => {
  const el = document.scrollingElement;
  return {scroll: el.scrollWidth, client: el.clientWidth};
}
"""


def pages(st, video: dict) -> dict[str, str]:
    auth, streaming = st.url("auth"), st.url("streaming")
    return {
        "library": streaming + "/",
        "account": auth + "/account",
        "admin users": auth + "/admin/users",
        "upload": st.url("upload") + "/",
        "player": video["watch_url"],
    }


def check(page, name: str, width: int) -> list[str]:
    """What is wrong on the page now."""
    page.wait_for_load_state("networkidle")
    wrong = []
    size = page.evaluate(OVERFLOW)
    if size["scroll"] > size["client"]:
        wrong.append(f"{name} at {width}px: the page scrolls sideways {size}")
    wrong += [f"{name} at {width}px: label in pieces {label!r}" for label in page.evaluate(BROKEN_LABELS)]
    return wrong


@pytest.mark.parametrize("width", WIDTHS)
def test_no_overflow_and_whole_labels(browser, pages_stack, pages_video, width):
    context = browser.new_context(viewport={"width": width, "height": 844})
    page = context.new_page()
    try:
        page.goto(pages_stack.url("auth") + "/login")
        wrong = check(page, "login", width)
        browser_login(page, pages_stack)
        for name, url in pages(pages_stack, pages_video).items():
            page.goto(url)
            wrong += check(page, name, width)
        assert not wrong, "\n".join(wrong)
    finally:
        context.close()
