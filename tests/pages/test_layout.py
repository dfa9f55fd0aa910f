"""Every page at 320, 390, 768, 1280 and 1920 px wide in headless Chromium, checked from
the DOM (issue 24: "usable at 320-1920 px wide: no horizontal scroll, no text broken
mid-word, touch targets of at least 44 px on phones"):

- no horizontal overflow: the document's scrollWidth within its clientWidth;
- no control laid outside the window (cut off by a box that hides its overflow);
- no label of a button (or link drawn as one, or header link, or menu item) laid on more
  than one line, and no word of the page's text broken across two lines;
- at phone widths (320 and 390), every visible control at least 44 x 44 px (below).

Each page is opened once, then the viewport is set to each width on that same page (one
browser, one stack, one page per visitor): logged out (login, login after a refusal,
the invitation page and an unknown one, a share link's page, its embed, the password
form and its refusal, an unknown link), the owner (admin) with the upload queue holding
rows, the library, the video page with the owner's tools and a link just made, the
account page, the admin pages, a page not found; a viewer (library, the video page
without the tools, the upload page's refusal)."""

from __future__ import annotations

import pytest

from conftest import browser_login
from harness import TEST_PASSWORD, make_clip

pytestmark = pytest.mark.browser

WIDTHS = (320, 390, 768, 1280, 1920)
PHONES = (320, 390)
TARGET_PX = 44

# For every visible button, a.button, submit input, header link, menu item and summary:
# its label when a Range over its text lays it on more than one line (in pieces).
BROKEN_LABELS = """
() => {
  const broken = [];
  const all = 'button, a.button, input[type=submit], header a, [role=button], [role^=menuitem], summary';
  for (const el of document.querySelectorAll(all)) {
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

# Every word (a run of non-space characters) of the page's visible text whose letters are
# laid on more than one line: a word broken mid-word (break-word, anywhere, hyphens).
BROKEN_WORDS = """
() => {
  const broken = [];
  const where = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className ? '.' + el.className : '');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest('script, style, template, .sr-only, [hidden]')) continue;
    if (!parent.getClientRects().length) continue;
    for (const match of node.data.matchAll(/\\S{2,}/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set(Array.from(range.getClientRects()).filter(r => r.width > 0).map(r => Math.round(r.top)));
      if (tops.size > 1) broken.push(`${match[0].slice(0, 40)} in ${where(parent)}`);
    }
  }
  return broken;
}
"""

# Every visible control smaller than 44 x 44 px (WCAG 2.5.5). Measured on what a finger
# hits: a checkbox or radio button (or a field drawn off screen, like the upload page's
# file input) is hit through its label, so the label is measured. Exempt, as 2.5.5's
# "inline" exception allows: a link inside running text, i.e. within a paragraph or
# similar text block (p, dd, figcaption, blockquote, small) whose text says more
# than the link alone.
SMALL_TARGETS = """
(minimum) => {
  const small = [];
  const all = 'a[href], button, input:not([type=hidden]), select, textarea, [role=button], [role^=menuitem], summary';
  const inText = (el) => {
    if (el.tagName !== 'A') return false;
    const block = el.parentElement && el.parentElement.closest('p, dd, figcaption, blockquote, small');
    return !!block && block.textContent.trim().length > el.textContent.trim().length;
  };
  const hidden = (box) => box.width <= 1 || box.height <= 1;
  for (const el of document.querySelectorAll(all)) {
    if (el.closest('[inert], [hidden]') || getComputedStyle(el).visibility === 'hidden') continue;
    let box = el.getBoundingClientRect();
    const viaLabel = el.tagName === 'INPUT' && (['checkbox', 'radio'].includes(el.type) || hidden(box));
    if (viaLabel && el.labels && el.labels.length) box = el.labels[0].getBoundingClientRect();
    if (!box.width || !box.height || hidden(box) || inText(el)) continue;
    if (box.width < minimum - 0.5 || box.height < minimum - 0.5) {
      const name = (el.getAttribute('aria-label') || el.textContent || el.value || el.id || '').trim().slice(0, 30);
      const tag = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.type ? `[${el.type}]` : '');
      small.push(`${tag} ${JSON.stringify(name)} ${Math.round(box.width)}x${Math.round(box.height)}`);
    }
  }
  return small;
}
"""

# Every visible control laid (partly) outside the window: cut off by a box that hides its
# overflow (the page itself does not scroll, and yet the control cannot be reached).
CUT_OFF = """
() => {
  const all = 'a[href], button, input:not([type=hidden]), select, textarea, [role=button], [role^=menuitem], summary';
  const width = document.scrollingElement.clientWidth;
  return Array.from(document.querySelectorAll(all))
    .filter(el => !el.closest('[inert], [hidden]') && getComputedStyle(el).visibility !== 'hidden')
    .filter(el => { const b = el.getBoundingClientRect(); return b.width > 1 && (b.right > width + 0.5 || b.left < -0.5); })
    .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' ' + JSON.stringify(
      (el.getAttribute('aria-label') || el.textContent || '').trim().slice(0, 30)));
}
"""

OVERFLOW = """
() => {
  const el = document.scrollingElement;
  const past = (e) => e.getBoundingClientRect().right > el.clientWidth + 0.5;
  const name = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : '');
  const wide = el.scrollWidth > el.clientWidth ? Array.from(document.querySelectorAll('body *')).filter(past) : [];
  // The outermost ones past the window (the likely causes), for the failure's message.
  const roots = wide.filter(e => !past(e.parentElement));
  return {scroll: el.scrollWidth, client: el.clientWidth, past: roots.slice(0, 4).map(name)};
}
"""

SETTLED = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


def check(page, name: str, width: int) -> list[str]:
    """What is wrong on the page as laid out now."""
    page.evaluate(SETTLED)
    at = f"{name} at {width}px"
    wrong = []
    size = page.evaluate(OVERFLOW)
    if size["scroll"] > size["client"]:
        wrong.append(f"{at}: the page scrolls sideways {size}")
    wrong += [f"{at}: control outside the window: {control}" for control in page.evaluate(CUT_OFF)]
    wrong += [f"{at}: label in pieces {label!r}" for label in page.evaluate(BROKEN_LABELS)]
    wrong += [f"{at}: word broken: {word}" for word in page.evaluate(BROKEN_WORDS)]
    if width in PHONES:
        wrong += [f"{at}: target under {TARGET_PX} px: {t}" for t in page.evaluate(SMALL_TARGETS, TARGET_PX)]
    return wrong


def at_every_width(page, name: str) -> list[str]:
    wrong = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 844 if width in PHONES else 900})
        wrong += check(page, name, width)
    return wrong


@pytest.fixture(scope="module")
def visitors(browser, pages_stack):
    """One page per visitor, kept across the module: nobody (no account), alice (the
    admin, owner of pages_video) and vic (a viewer)."""
    contexts, pages = [], {}
    for who in ("nobody", "alice", "vic"):
        context = browser.new_context(viewport={"width": WIDTHS[0], "height": 844})
        contexts.append(context)
        pages[who] = context.new_page()
        if who != "nobody":
            login(pages[who], pages_stack, who)
    yield pages
    for context in contexts:
        context.close()


def login(page, st, who: str) -> None:
    if who == "alice":
        browser_login(page, st)
        return
    page.goto(st.url("auth") + "/login")
    page.fill("#username", who)
    page.fill("#password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def opened(page, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")


LOGGED_OUT = ("login", "invite", "invite unknown", "share", "embed", "share password", "share unknown")


@pytest.mark.parametrize("name", LOGGED_OUT)
def test_logged_out_pages(visitors, pages_stack, pages_scene, name):
    page = visitors["nobody"]
    opened(page, pages_stack.url("auth") + "/login" if name == "login" else pages_scene[name])
    wrong = at_every_width(page, name)
    if name == "login":  # and after a refusal, its message shown
        page.fill("#username", "alice")
        page.fill("#password", "not the password")
        page.click("button[type=submit]")
        page.wait_for_selector("#login-error, .error")
        wrong += at_every_width(page, "login after a refusal")
    if name == "share password":
        page.fill("#password", "not the password")
        page.click("#password-form button[type=submit]")
        page.wait_for_selector("#password-error")
        wrong += at_every_width(page, "share password after a refusal")
    assert not wrong, "\n".join(wrong)


def test_the_upload_page_with_its_queue(visitors, pages_stack, tmp_path):
    """The queue holding a running upload (throttled: Pause and Cancel shown) with a
    long camera-made name, and a refused file with its message; the upload is cancelled
    at the end (nothing left for the library's tests)."""
    page = visitors["alice"]
    opened(page, pages_stack.url("upload") + "/")
    running = tmp_path / ("VID_20240101_123456789_a-very-long-name-straight-from-a-phone-camera" + "x" * 40 + ".mp4")
    make_clip(running, seconds=4, size="640x360")
    refused = tmp_path / "notes.txt"
    refused.write_text("not a video\n")
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    slow = {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 4 * 1024}
    cdp.send("Network.emulateNetworkConditions", slow)
    try:
        page.set_input_files("#file", [str(running), str(refused)])
        row = page.locator(f"#queue li[data-file='{running.name}']")
        row.locator("button.pause").wait_for()
        page.locator(f"#queue li[data-file='{refused.name}'] .error").wait_for(timeout=60000)
        wrong = at_every_width(page, "upload")
        row.locator("button.cancel").click()
        row.locator(".progress-text", has_text="Cancelled").wait_for(timeout=30000)
    finally:
        cdp.send("Network.emulateNetworkConditions", {**slow, "uploadThroughput": -1})
        cdp.detach()
    assert not wrong, "\n".join(wrong)


def test_the_video_page_of_its_owner_with_the_tools_open(visitors, pages_video):
    """The owner's tools with a link just made: the new link, its embed code, the list."""
    page = visitors["alice"]
    opened(page, pages_video["watch_url"])
    page.click("#share-create")
    page.wait_for_selector("#share-new:not([hidden])")
    page.wait_for_selector("#share-list tbody tr")
    assert not (wrong := at_every_width(page, "video page (owner)")), "\n".join(wrong)


def signed_in_pages(st, video: dict) -> dict[str, tuple[str, str]]:
    auth, streaming = st.url("auth"), st.url("streaming")
    return {
        "library": ("alice", streaming + "/"),
        "account": ("alice", auth + "/account"),
        "admin users": ("alice", auth + "/admin/users"),
        "admin webhooks": ("alice", auth + "/admin/webhooks"),
        "not found": ("alice", streaming + "/videos/no-such-video"),
        "library (viewer)": ("vic", streaming + "/"),
        "video page (viewer)": ("vic", video["watch_url"]),
        "account (viewer)": ("vic", auth + "/account"),
        "upload refused (viewer)": ("vic", st.url("upload") + "/"),
    }


@pytest.mark.parametrize(
    "name",
    [
        "library",
        "account",
        "admin users",
        "admin webhooks",
        "not found",
        "library (viewer)",
        "video page (viewer)",
        "account (viewer)",
        "upload refused (viewer)",
    ],
)
def test_signed_in_pages(visitors, pages_stack, pages_video, name):
    who, url = signed_in_pages(pages_stack, pages_video)[name]
    page = visitors[who]
    opened(page, url)
    if name.startswith("library"):
        page.wait_for_selector(f".tile[data-id='{pages_video['id']}']")
    assert not (wrong := at_every_width(page, name)), "\n".join(wrong)
