"""Every page at 390, 768 and 1280 px wide in headless Chromium, checked from the DOM: no
horizontal overflow (the document's scrollWidth within its clientWidth) and no button or
link-button label broken into pieces (a Range over its text gives one line box). The
shared header is checked on every page; the whole page on the pages of this area (login,
library, account, admin users). The upload and player pages belong to other work in
progress (the upload queue, the player's controls): their whole-page figures are
measured by `measure_other_pages` and written in the notes, not asserted here."""

from __future__ import annotations

import pytest

from conftest import browser_login

pytestmark = pytest.mark.browser

WIDTHS = (390, 768, 1280)

# For every visible button, a.button and header link inside `root`: its label when a
# Range over its text has more than one client rect per line (a label broken in pieces).
BROKEN_LABELS = """
(root) => {
  const scope = root ? document.querySelector(root) : document;
  const broken = [];
  for (const el of scope.querySelectorAll('button, a.button, input[type=submit], header a')) {
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
(root) => {
  const el = root ? document.querySelector(root) : document.scrollingElement;
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


MINE = ("login", "library", "account", "admin users")


def check(page, name: str, width: int) -> list[str]:
    """What is wrong on the page now: the header always, the whole page when it is ours."""
    page.wait_for_load_state("networkidle")
    wrong = []
    roots = [None] if name in MINE else ["header.topbar"]
    for root in roots:
        size = page.evaluate(OVERFLOW, root)
        if size["scroll"] > size["client"]:
            wrong.append(f"{name} at {width}px: {root or 'page'} scrolls sideways {size}")
        wrong += [f"{name} at {width}px: label in pieces {label!r}" for label in page.evaluate(BROKEN_LABELS, root)]
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
