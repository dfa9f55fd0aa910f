"""Issue 22's whole journey in headless Chromium, through the real pages: the admin
invites someone (the link shown once), the newcomer chooses a password, logs in, turns
on a second factor (the recovery codes shown once) and logs in again with a code, makes
an API token (read, upload) that the CLI uploads a clip with; then the admin disables
them in their page, and within the web apps' 2 s verification cache every credential
they hold stops working at both web apps (upload, streaming): the browser session and
another session logged in over the API end (a page 303s to the login page, the API says
401), the API token pauses (403 `account_disabled`); auth-svc refuses each (401), the
password logs in no more, the CLI says why."""

from __future__ import annotations

import random
import time

import pyotp
import pytest
import requests
from account.accountkit import code_after, login
from account.test_account_cli import _owner_of, _run, _urls

from harness import TEST_PASSWORD, bearer

from .peoplekit import STRONG, name, users

pytestmark = pytest.mark.browser

REFUSED_WITHIN = 3.0  # seconds after the admin's click: the 2 s cache, and a margin for a busy machine


def _log_in(page, username: str, password: str) -> None:
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")


def _watch_csp(page, violations: list[str]) -> None:
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)


def _invite(page, st, newcomer: str) -> str:
    """As alice: log in on the way to the admin page, create an uploader; the link shown."""
    auth = st.url("auth")
    page.goto(auth + "/admin/users")
    page.wait_for_url(auth + "/login*")
    _log_in(page, "alice", TEST_PASSWORD)
    page.wait_for_url(auth + "/admin/users")
    page.wait_for_selector("#admin[data-loaded=true]")
    page.fill("#new-username", newcomer)
    page.select_option("#new-role", "uploader")
    page.click("#create-button")
    page.wait_for_selector("#link-box:not([hidden])")
    link = page.input_value("#link-url")
    assert link.startswith(auth + "/invite/"), f"the page shows no invitation link: {link!r}"
    page.wait_for_selector(f"#users tr[data-username={newcomer}]")
    return link


def _accept(page, st, link: str, newcomer: str) -> None:
    """As the newcomer: open the link, choose a strong password, log in (the upload page)."""
    page.goto(link)
    assert page.inner_text("#invite-user") == newcomer
    page.fill("#password", STRONG)
    page.fill("#confirm", STRONG)
    page.click("button[type=submit]")
    page.wait_for_selector("#message-title")
    assert page.inner_text("#message-title") == "Password set"
    page.click("#message-link")
    page.wait_for_url(st.url("auth") + "/login*")
    _log_in(page, newcomer, STRONG)
    page.wait_for_url(st.url("upload") + "/")
    assert page.inner_text("[data-testid=current-user]") == newcomer


def _enrol(page) -> tuple[str, list[str]]:
    """On /account: the second factor turned on with a code of the key the page shows;
    (the key, the recovery codes shown once)."""
    page.click("#totp-start")
    page.wait_for_selector("#totp-setup", state="visible")
    secret = page.inner_text("#totp-secret")
    page.fill("#totp-code", pyotp.TOTP(secret).now())
    page.click("#totp-confirm button[type=submit]")
    page.wait_for_selector("#recovery", state="visible")
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10, f"recovery codes shown: {codes}"
    page.click("#recovery-done")
    page.wait_for_selector("#totp-disable")
    assert "On" in page.inner_text("#totp-state")
    assert not page.locator("#recovery-codes li").filter(has_text=codes[0]).is_visible(), "codes still shown"
    return secret, codes


def _new_token(page) -> str:
    """On /account: a token with the scopes read (checked already) and upload, shown once."""
    page.fill("#token-name", "journey cli")
    page.check("#token-form input[value=upload]")
    page.click("#token-form button[type=submit]")
    page.wait_for_selector("#new-token", state="visible")
    token = page.input_value("#new-token-value")
    assert token.startswith("rh_"), f"not an API token: {token!r}"
    page.click("#token-done")
    row = page.locator("#tokens tr", has_text="journey cli")
    row.wait_for()
    assert "read, upload" in row.inner_text() and token not in page.content()
    return token


def _json_error(body) -> str | None:
    return body.get("error") if isinstance(body, dict) else None


# The page and a GET of the API of each web app: each checks the credential at auth-svc
# (vs_common.auth_client) and keeps a positive answer up to 2 s.
WEB_APPS = {"upload": ("/", "/api/uploads"), "streaming": ("/", "/api/videos")}


def _probes(st, browser_ctx, api_session: str, token: str) -> dict:
    """What each credential of the person gets from each web app now: (status, the error
    code; for a page, "login" when it redirects to the login page)."""
    auth = st.url("auth")

    def page_load(url: str):
        resp = browser_ctx.request.get(url, max_redirects=0)
        location = resp.headers.get("location", "")
        return resp.status, ("login" if location.startswith(auth + "/login?") else location or None)

    def cookie_api(url: str):
        resp = browser_ctx.request.get(url, headers={"Accept": "application/json"})
        try:
            return resp.status, _json_error(resp.json())
        except ValueError:
            return resp.status, None

    def bearer_api(url: str, secret: str):
        resp = requests.get(url, headers=bearer(secret), allow_redirects=False, timeout=10)
        try:
            return resp.status_code, _json_error(resp.json())
        except ValueError:
            return resp.status_code, None

    probes = {}
    for app, (page, api) in WEB_APPS.items():
        base = st.url(app)
        probes[f"browser session, {app} page"] = lambda u=base + page: page_load(u)
        probes[f"browser session, {app} {api}"] = lambda u=base + api: cookie_api(u)
        probes[f"API-login session, {app} {api}"] = lambda u=base + api: bearer_api(u, api_session)
        probes[f"API token, {app} {api}"] = lambda u=base + api: bearer_api(u, token)
    return probes


def _refusals() -> dict:
    """What the product answers each probe once the person is disabled: their sessions
    ended (auth_svc.management: a page 303s to the login page, an API says 401), their
    token refused while they are disabled, 403 `account_disabled`
    (vs_common.auth_client.install_auth)."""
    expected = {}
    for app, (_, api) in WEB_APPS.items():
        expected[f"browser session, {app} page"] = (303, "login")
        for who in ("browser session", "API-login session"):
            expected[f"{who}, {app} {api}"] = (401, "unauthorized")
        expected[f"API token, {app} {api}"] = (403, "account_disabled")
    return expected


def _verify(st, secret: str) -> tuple[int, str | None]:
    resp = requests.get(st.url("auth") + "/api/verify", headers=bearer(secret), timeout=10)
    return resp.status_code, _json_error(resp.json())


def _until_all_refused(probes: dict, since: float) -> dict:
    """Ask every probe every 0.1 s until none answers 2xx or REFUSED_WITHIN seconds after
    `since` have passed: {what: (answer, seconds after `since`)} of the first refusals
    (what was never refused: its last answer, None)."""
    first: dict = {}
    last: dict = {}
    while True:
        for what, probe in probes.items():
            if what in first:
                continue
            answer = probe()
            if answer[0] >= 300:
                first[what] = (answer, round(time.monotonic() - since, 2))
            else:
                last[what] = answer
        if len(first) == len(probes) or time.monotonic() - since > REFUSED_WITHIN:
            return {what: first.get(what, (last.get(what), None)) for what in probes}
        time.sleep(0.1)


def _elsewhere() -> dict[str, str]:
    """An address of its own for an API login (the people stack believes X-Forwarded-For),
    so the throttle of 127.0.0.1 is left to the browsers."""
    return {"X-Forwarded-For": f"198.18.{random.randrange(256)}.{random.randrange(1, 255)}"}


def test_invited_person_with_totp_and_token_uploads_then_disabling_ends_every_credential(
    browser, people_stack, admin, clip, tmp_path
):
    st = people_stack
    auth, streaming = st.url("auth"), st.url("streaming")
    newcomer = name("j")
    violations: list[str] = []
    admin_ctx = browser.new_context()
    person_ctx = browser.new_context()
    try:
        # 1. The admin creates the person; the page shows their one-time link.
        desk = admin_ctx.new_page()
        _watch_csp(desk, violations)
        link = _invite(desk, st, newcomer)
        assert users(st, admin)[newcomer]["invited"] is True

        # 2. The newcomer, in a browser of their own, chooses a password and logs in.
        page = person_ctx.new_page()
        _watch_csp(page, violations)
        _accept(page, st, link, newcomer)

        # 3. A second factor; out, and in again: the login asks for a code on its own form.
        page.click("header nav >> text=Account")
        page.wait_for_url(auth + "/account")
        secret, recovery = _enrol(page)
        used = int(st.query("SELECT totp_last_step FROM users WHERE username = ?", (newcomer,))[0]["totp_last_step"])
        page.click("text=Log out")
        page.wait_for_url(auth + "/login*")
        page.goto(auth + "/account")
        page.wait_for_url(auth + "/login*")
        _log_in(page, newcomer, STRONG)
        page.wait_for_selector("#totp")
        assert page.locator("#password").count() == 0, "the code's form asks for the password again"
        page.fill("#totp", code_after(secret, used))
        page.press("#totp", "Enter")
        page.wait_for_url(auth + "/account")
        assert page.inner_text("[data-testid=current-user]") == newcomer

        # 4. An API token (read, upload), read from the page once.
        token = _new_token(page)

        # 5. The CLI uploads a clip with it; the video is the newcomer's.
        up = _run(tmp_path, "upload", *_urls(st), str(clip), REELHOUSE_TOKEN=token)
        assert up.returncode == 0, f"CLI upload failed: {up.stdout}\n{up.stderr}"
        watch_url = up.stdout.strip().splitlines()[0]
        video_id = watch_url.rsplit("/", 1)[1]
        assert _owner_of(st, watch_url) == newcomer, f"video {video_id} is not {newcomer}'s"

        # Another session of theirs, logged in over the API (password and a recovery code).
        second = login(st, newcomer, STRONG, totp=recovery[0], headers=_elsewhere())
        assert second.status_code == 200, second.text
        api_session = second.json()["token"]

        # Every credential works, and each web app has just verified (and cached) each.
        page.goto(streaming + "/")
        page.wait_for_selector(f'#library li[data-id="{video_id}"]')  # their upload in their library
        probes = _probes(st, person_ctx, api_session, token)
        before = {what: probe() for what, probe in probes.items()}
        assert all(status == 200 for status, _ in before.values()), f"before the disable: {before}"

        # 6. The admin disables them: within the cache's 2 s every credential is refused.
        desk.reload()
        desk.wait_for_selector("#admin[data-loaded=true]")
        row = f"#users tr[data-username={newcomer}]"
        assert "Active" in desk.inner_text(row)
        clicked = time.monotonic()
        desk.click(f"{row} button:text('Disable')")
        desk.wait_for_function("() => document.getElementById('admin-message').textContent.includes('is disabled')")
        refused = _until_all_refused(probes, clicked)
        expected = _refusals()
        answers = {what: answer for what, (answer, _) in refused.items()}
        assert answers == expected, f"answers {REFUSED_WITHIN} s after the disable (seconds taken): {refused}"

        # auth-svc itself (no cache) refuses all three at once: the sessions are gone, the
        # token's person is disabled.
        cookie = next(c["value"] for c in person_ctx.cookies() if c["name"] == "auth_token")
        for what, credential in (("browser session", cookie), ("API-login session", api_session)):
            assert _verify(st, credential)[0] == 401, f"auth-svc answers the {what} otherwise"
        assert _verify(st, token) == (401, "account_disabled"), "auth-svc answers the token otherwise"
        # The browser, loading the library, lands on the login page (which comes back to it).
        page.goto(streaming + "/")
        page.wait_for_url(auth + "/login*")
        assert "redirect=" in page.url
        # The password (with an unspent recovery code) logs in no more.
        again = login(st, newcomer, STRONG, totp=recovery[1], headers=_elsewhere())
        assert (again.status_code, _json_error(again.json())) == (403, "account_disabled"), again.text
        # The CLI is refused with the reason, and sends nothing.
        uploads = st.query("SELECT COUNT(*) AS n FROM uploads")[0]["n"]
        denied = _run(tmp_path, "upload", *_urls(st), str(clip), REELHOUSE_TOKEN=token)
        assert denied.returncode == 1, denied.stderr
        assert (
            "REELHOUSE_TOKEN is not accepted (This account is disabled.): ask an administrator to enable the account"
            in denied.stderr
        ), denied.stderr
        assert st.query("SELECT COUNT(*) AS n FROM uploads")[0]["n"] == uploads
        # What the admin's page says of them now.
        desk.reload()
        desk.wait_for_selector("#admin[data-loaded=true]")
        assert "Disabled" in desk.inner_text(row)
        assert users(st, admin)[newcomer]["disabled"] is True
        assert violations == []
    finally:
        admin_ctx.close()
        person_ctx.close()
