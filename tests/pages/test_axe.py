"""axe-core (fetched from the npm registry at set-up time, see conftest.axe_script) on
every page, logged out and logged in: no violation of impact serious or critical."""

from __future__ import annotations

import pytest

from conftest import browser_login

pytestmark = pytest.mark.browser

SERIOUS = ("serious", "critical")


def violations(page, axe: str, name: str) -> list[str]:
    page.wait_for_load_state("networkidle")
    page.add_script_tag(path=axe)
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{name}: {v['impact']} {v['id']} ({v['help']}) at {[n['target'] for n in v['nodes']][:5]}"
        for v in found
        if v["impact"] in SERIOUS
    ]


def test_no_serious_violation_logged_out_and_in(browser, axe, pages_stack, pages_video):
    st = pages_stack
    auth, streaming = st.url("auth"), st.url("streaming")
    # The pages' CSP (script-src 'self') would refuse axe's inline script: the test's own.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    try:
        page.goto(auth + "/login")
        found = violations(page, axe, "login")
        page.fill("#username", "alice")
        page.fill("#password", "wrong password")
        page.click("button[type=submit]")
        page.wait_for_selector("#login-error, .error")
        found += violations(page, axe, "login after a refusal")
        browser_login(page, st)
        for name, url in {
            "upload": st.url("upload") + "/",
            "library": streaming + "/",
            "player": pages_video["watch_url"],
            "account": auth + "/account",
            "admin users": auth + "/admin/users",
            "admin webhooks": auth + "/admin/webhooks",
            "not found": streaming + "/videos/no-such-video",
        }.items():
            page.goto(url)
            found += violations(page, axe, name)
        assert not found, "\n".join(found)
    finally:
        context.close()
