"""In headless Chromium, the admin's whole round: log in on the way to the admin page (the
login comes back to it), invite someone (the link shown once, copied with the button),
open the link in another browser, be refused a weak password with the reason, choose a
strong one, log in as the new person; change their role, disable them (their next
request fails within 2 s), delete them keeping their videos. Every form is posted from
its own page (the Origin rule lets it through) and nothing breaks the CSP."""

from __future__ import annotations

import time

import pytest

from harness import TEST_PASSWORD

from .peoplekit import STRONG, name, users, verify

pytestmark = pytest.mark.browser


def _csp_watch(page, violations: list[str]) -> None:
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)


def test_the_admin_invites_someone_who_then_logs_in(browser, people_stack, admin):
    st = people_stack
    auth = st.url("auth")
    violations: list[str] = []
    admin_ctx = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    guest_ctx = browser.new_context()
    try:
        page = admin_ctx.new_page()
        _csp_watch(page, violations)
        page.goto(auth + "/admin/users")
        page.wait_for_url(auth + "/login*")
        page.fill("#username", "alice")
        page.fill("#password", TEST_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(auth + "/admin/users")  # the login came back to the admin page
        page.wait_for_selector("#admin[data-loaded=true]")
        assert page.get_attribute("nav a[href='/admin/users']", "aria-current") == "page"
        assert page.is_visible("#users tr[data-username=bob]")

        newcomer = name()
        page.fill("#new-username", newcomer)
        page.select_option("#new-role", "uploader")
        page.click("#create-button")
        page.wait_for_selector("#link-box:not([hidden])")
        link = page.input_value("#link-url")
        assert link.startswith(auth + "/invite/")
        page.click("#copy-link")
        page.wait_for_function("() => document.getElementById('copy-link').textContent === 'Copied'")
        assert page.evaluate("() => navigator.clipboard.readText()") == link
        row = f"#users tr[data-username={newcomer}]"
        page.wait_for_selector(row)
        assert "Invited" in page.inner_text(row)

        guest = guest_ctx.new_page()
        _csp_watch(guest, violations)
        guest.goto(link)
        assert guest.inner_text("#invite-user") == newcomer
        guest.fill("#password", newcomer + "2024")
        guest.fill("#confirm", newcomer + "2024")
        guest.click("button[type=submit]")
        guest.wait_for_selector("#invite-error")
        assert "too easy to guess" in guest.inner_text("#invite-error")
        guest.fill("#password", STRONG)
        guest.fill("#confirm", STRONG)
        guest.click("button[type=submit]")
        guest.wait_for_selector("#message-title")
        assert guest.inner_text("#message-title") == "Password set"
        guest.click("#message-link")
        guest.wait_for_url(auth + "/login*")
        guest.fill("#username", newcomer)
        guest.fill("#password", STRONG)
        guest.click("button[type=submit]")
        guest.wait_for_url(st.url("upload") + "/")
        assert guest.inner_text("[data-testid=current-user]") == newcomer
        guest_token = next(c["value"] for c in guest_ctx.cookies() if c["name"] == "auth_token")
        assert verify(st, guest_token).json()["role"] == "uploader"

        page.reload()
        page.wait_for_selector("#admin[data-loaded=true]")
        assert "Active" in page.inner_text(row)
        page.select_option(f"{row} select", "viewer")
        page.wait_for_function("() => document.getElementById('admin-message').textContent.includes('is now viewer')")
        assert verify(st, guest_token).json()["role"] == "viewer"

        page.click(f"{row} button:text('Disable')")
        page.wait_for_function("() => document.getElementById('admin-message').textContent.includes('is disabled')")
        disabled = time.monotonic()
        assert users(st, admin)[newcomer]["disabled"] is True
        time.sleep(max(0.0, disabled + 2.05 - time.monotonic()))
        guest.goto(st.url("streaming") + "/")  # its next request: back to the login page
        guest.wait_for_url(auth + "/login*")

        page.click(f"{row} button:text('Delete')")
        page.wait_for_selector("#delete-dialog[open]")
        assert page.input_value("#delete-heir") == "alice" and page.is_checked("#delete-keep")
        page.click("#delete-ok")
        page.wait_for_function("() => document.getElementById('admin-message').textContent.includes('is deleted')")
        page.wait_for_selector(row, state="detached")
        assert newcomer not in users(st, admin)
        assert violations == []
    finally:
        admin_ctx.close()
        guest_ctx.close()


def test_a_reset_in_the_page_shows_a_new_link(browser, people_stack, admin):
    """The reset asks first, then shows the new link; the old password stops at once."""
    from .peoplekit import accept, create, login

    st = people_stack
    username = name()
    _, token = create(st, admin, username)
    assert accept(st, token).status_code == 204
    ctx = browser.new_context()
    ctx.add_cookies([{"name": "auth_token", "value": admin, "url": st.url("auth")}])
    try:
        page = ctx.new_page()
        page.goto(st.url("auth") + "/admin/users")
        page.wait_for_selector("#admin[data-loaded=true]")
        row = f"#users tr[data-username={username}]"
        page.click(f"{row} button:text('Reset password')")
        page.wait_for_selector("#confirm-dialog[open]")
        page.click("#confirm-cancel")  # asked, and cancelled: nothing happens
        assert login(st, username).status_code == 200
        page.click(f"{row} button:text('Reset password')")
        page.click("#confirm-ok")
        page.wait_for_selector("#link-box:not([hidden])")
        assert username in page.inner_text("#link-title")
        assert page.input_value("#link-url").startswith(st.url("auth") + "/invite/")
        assert login(st, username).status_code == 401
    finally:
        ctx.close()
