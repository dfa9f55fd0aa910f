"""axe-core (fetched from the npm registry at set-up time, see conftest.axe_script) on
every page, logged out and logged in: no violation of impact serious or critical.
Logged out: the login (and its refusal), a share link's page, its embed, the password
form (and its refusal), an unknown link, the invitation page and an unknown one. The
admin (alice, the video's owner): the upload page with a refused file in its queue, the
library, the video page with the owner's tools and a link just made, a share link's
page, the account and admin pages, a page not found. A viewer (vic): the library, the
video page, the account page, the upload page's refusal. Every page but the login's
two is checked at 1280 px and again at 390 px (a phone's layout: tables as blocks, the
player's row narrowed)."""

from __future__ import annotations

import pytest

from conftest import browser_login
from harness import TEST_PASSWORD

pytestmark = pytest.mark.browser

SERIOUS = ("serious", "critical")


def violations(page, axe: str, name: str) -> list[str]:
    page.wait_for_load_state("networkidle")
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.add_script_tag(path=axe)
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{name}: {v['impact']} {v['id']} ({v['help']}) at {[n['target'] for n in v['nodes']][:5]}"
        for v in found
        if v["impact"] in SERIOUS
    ]


def on_phone_and_desktop(page, axe: str, name: str) -> list[str]:
    """At 1280 px, then at 390 px (a phone: tables laid out as blocks, the player's row
    narrowed), the page as it is (not reloaded)."""
    found = []
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        found += violations(page, axe, f"{name} at {width}px")
    return found


@pytest.fixture
def page(browser):
    # The pages' CSP (script-src 'self') would refuse axe's inline script: the test's own.
    context = browser.new_context(bypass_csp=True)
    yield context.new_page()
    context.close()


def test_no_serious_violation_logged_out(page, axe, pages_stack, pages_scene):
    page.goto(pages_stack.url("auth") + "/login")
    found = violations(page, axe, "login")
    page.fill("#username", "alice")
    page.fill("#password", "wrong password")
    page.click("button[type=submit]")
    page.wait_for_selector("#login-error, .error")
    found += violations(page, axe, "login after a refusal")
    for name in ("share", "embed", "share unknown", "invite", "invite unknown", "share password"):
        page.goto(pages_scene[name])
        found += on_phone_and_desktop(page, axe, name)
    page.fill("#password", "not the password")
    page.click("#password-form button[type=submit]")
    page.wait_for_selector("#password-error")
    found += violations(page, axe, "share password after a refusal")
    assert not found, "\n".join(found)


def test_no_serious_violation_for_the_owner(page, axe, pages_stack, pages_video, pages_scene, tmp_path):
    st = pages_stack
    auth, streaming = st.url("auth"), st.url("streaming")
    browser_login(page, st)
    refused = tmp_path / "notes.txt"
    refused.write_text("not a video\n")
    page.set_input_files("#file", str(refused))
    page.locator(f"#queue li[data-file='{refused.name}'] .error").wait_for(timeout=60000)
    found = on_phone_and_desktop(page, axe, "upload (a refused file in the queue)")
    page.goto(pages_video["watch_url"])
    page.click("#share-create")
    page.wait_for_selector("#share-list tbody tr")
    found += on_phone_and_desktop(page, axe, "video page (owner, a link just made)")
    for name, url in {
        "library": streaming + "/",
        "share (signed in)": pages_scene["share"],
        "account": auth + "/account",
        "admin users": auth + "/admin/users",
        "admin webhooks": auth + "/admin/webhooks",
        "not found": streaming + "/videos/no-such-video",
    }.items():
        page.goto(url)
        found += on_phone_and_desktop(page, axe, name)
    assert not found, "\n".join(found)


def test_no_serious_violation_for_a_viewer(page, axe, pages_stack, pages_video, pages_scene):
    st = pages_stack
    page.goto(st.url("auth") + "/login")
    page.fill("#username", "vic")
    page.fill("#password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    found = []
    for name, url in {
        "library (viewer)": st.url("streaming") + "/",
        "video page (viewer)": pages_video["watch_url"],
        "account (viewer)": st.url("auth") + "/account",
        "upload refused (viewer)": st.url("upload") + "/",
    }.items():
        page.goto(url)
        found += on_phone_and_desktop(page, axe, name)
    assert not found, "\n".join(found)
