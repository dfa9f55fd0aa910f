"""In headless Chromium: the logout button of each app works (the apps' pages send
Referrer-Policy: same-origin, under which a cross-origin form would carry `Origin: null`)
and a copy of the cookie stops working; the login page answers a failure in place."""

from __future__ import annotations

import pytest
import requests
from authkit import until_status

from conftest import browser_login
from harness import TEST_PASSWORD

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("app", ["upload", "streaming"])
def test_logout_button_in_each_app(browser, stack, app):
    context = browser.new_context()
    page = context.new_page()
    try:
        browser_login(page, stack)
        page.goto(stack.url(app) + "/")
        copy = next(c["value"] for c in context.cookies() if c["name"] == "auth_token")
        assert page.inner_text("[data-testid=current-user]") == "alice"
        page.click("text=Log out")
        page.wait_for_url(stack.url("auth") + "/login*")
        assert page.is_visible("#username")
        assert not [c for c in context.cookies() if c["name"] == "auth_token"]
        assert (
            requests.get(stack.url("auth") + "/api/verify", cookies={"auth_token": copy}, timeout=10).status_code == 401
        )
        until_status(stack.url("streaming") + "/api/videos", copy, 401)
        page.goto(stack.url(app) + "/")  # back to the app: the login page again
        page.wait_for_url(stack.url("auth") + "/login*")
    finally:
        context.close()


def test_login_page_failure_in_place(browser, stack):
    context = browser.new_context()
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    try:
        page.goto(stack.url("streaming") + "/")
        page.wait_for_url(stack.url("auth") + "/login*")
        assert page.get_attribute("#username", "autofocus") is not None
        page.focus("#username")  # autofocus may land after a slow load; the rest is keyboard only
        page.keyboard.type("alice")
        page.keyboard.press("Tab")
        page.keyboard.type("not the password")
        page.keyboard.press("Enter")
        page.wait_for_selector("[role=alert]")
        assert "Wrong username or password." in page.inner_text("[role=alert]")
        assert page.input_value("#username") == "alice" and page.input_value("#password") == ""
        assert violations == []  # the login page needs nothing its CSP forbids
        page.fill("#password", TEST_PASSWORD)
        page.press("#password", "Enter")
        page.wait_for_url(stack.url("streaming") + "/")  # the page asked for in the first place
    finally:
        context.close()
