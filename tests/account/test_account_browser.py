"""The account page in headless Chromium, as a person uses it: from the upload page's
Account link, set up a second factor (QR code, key, a code from pyotp as the phone's app
would give, the recovery codes shown once), create a token (shown once, then listed) and
revoke it, end another session, change the password; then log out and in again, the
login asking for the code on its own form. Nothing the CSP forbids is needed."""

from __future__ import annotations

import pyotp
import pytest

from harness import TEST_PASSWORD

from .accountkit import add_user, code_after, enrol, session, status_of, verify, wrong_code

pytestmark = pytest.mark.browser

NEW_PASSWORD = "violet tractor pebble sunrise"


def _login_form(page, username: str, password: str) -> None:
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")


def test_account_journey(browser, acct):
    add_user(acct, "vera")
    elsewhere = session(acct, "vera")  # another device's session
    context = browser.new_context()
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    try:
        page.goto(acct.url("upload") + "/")
        page.wait_for_url(acct.url("auth") + "/login*")
        _login_form(page, "vera", TEST_PASSWORD)
        page.wait_for_url(acct.url("upload") + "/")
        page.click("header nav >> text=Account")
        page.wait_for_url(acct.url("auth") + "/account")
        assert page.is_visible("#quota") and "(this session)" in page.inner_text("#sessions")
        assert page.locator("#sessions tbody tr").count() == 2

        # The second factor.
        page.click("#totp-start")
        page.wait_for_selector("#totp-setup", state="visible")
        secret = page.inner_text("#totp-secret")
        assert len(secret) == 32
        page.wait_for_function("() => document.getElementById('totp-qr').naturalWidth > 0")
        page.fill("#totp-code", pyotp.TOTP(secret).now())
        page.click("#totp-confirm button[type=submit]")
        page.wait_for_selector("#recovery", state="visible")
        codes = page.locator("#recovery-codes li").all_inner_texts()
        assert len(codes) == 10 and all(len(c) == 11 for c in codes)
        page.click("#recovery-done")
        page.wait_for_selector("#totp-disable")
        assert "On" in page.inner_text("#totp-state") and "10 recovery codes left" in page.inner_text("#totp-state")

        # A token: shown once, then listed; revoked from the list.
        page.fill("#token-name", "laptop")
        page.check("#token-form input[value=upload]")
        page.click("#token-form button[type=submit]")
        page.wait_for_selector("#new-token", state="visible")
        token = page.input_value("#new-token-value")
        assert token.startswith("rh_") and verify(acct, token) == 200
        page.click("#token-done")
        row = page.locator("#tokens tr", has_text="laptop")
        row.wait_for()
        assert "read, upload" in row.inner_text() and token not in page.content()
        row.locator(".revoke-token").click()
        row.wait_for(state="detached")
        assert verify(acct, token) == 401

        # Another session ended; then the password changed.
        page.click("#revoke-others")
        page.wait_for_selector("#sessions-status.ok")
        assert page.locator("#sessions tbody tr").count() == 1 and verify(acct, elsewhere) == 401
        page.fill("#current-password", TEST_PASSWORD)
        page.fill("#new-password", "vera12345678")
        page.click("#password-form button[type=submit]")
        page.wait_for_selector("#password-status.error")
        assert page.inner_text("#password-status")  # the reason it is too weak
        page.fill("#current-password", TEST_PASSWORD)
        page.fill("#new-password", NEW_PASSWORD)
        page.click("#password-form button[type=submit]")
        page.wait_for_selector("#password-status.ok")

        # Out, and in again: the code is asked on a form of its own.
        used = int(acct.query("SELECT totp_last_step FROM users WHERE username = 'vera'")[0]["totp_last_step"])
        page.click("text=Log out")
        page.wait_for_url(acct.url("auth") + "/login*")
        page.goto(acct.url("auth") + "/account")
        page.wait_for_url(acct.url("auth") + "/login*")
        _login_form(page, "vera", NEW_PASSWORD)
        page.wait_for_selector("#totp")
        assert page.locator("#password").count() == 0 and NEW_PASSWORD not in page.content()
        page.fill("#totp", code_after(secret, used))
        page.press("#totp", "Enter")
        page.wait_for_url(acct.url("auth") + "/account")
        assert page.inner_text("[data-testid=current-user]") == "vera"
        cookie = next(c["value"] for c in context.cookies() if c["name"] == "auth_token")
        assert status_of(acct.url("streaming") + "/api/videos", cookie, cookie=True) == 200
        assert violations == []
    finally:
        context.close()


def test_a_wrong_code_is_said_in_place(browser, acct):
    add_user(acct, "walt")
    secret, _, used = enrol(acct, session(acct, "walt"))
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(acct.url("streaming") + "/")
        page.wait_for_url(acct.url("auth") + "/login*")
        _login_form(page, "walt", TEST_PASSWORD)
        page.wait_for_selector("#totp")
        page.fill("#totp", wrong_code(secret))
        page.press("#totp", "Enter")
        page.wait_for_selector("[role=alert]")
        assert "Wrong code" in page.inner_text("[role=alert]") and page.input_value("#totp") == ""
        page.fill("#totp", code_after(secret, used))
        page.press("#totp", "Enter")
        page.wait_for_url(acct.url("streaming") + "/")  # where the person was going
    finally:
        context.close()
