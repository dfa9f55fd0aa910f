"""The second factor against the real stack, codes computed by pyotp as an authenticator
app would: enrolment (a QR code, the secret, a code to confirm, ten recovery codes shown
once and stored as HMACs), the login asking for it (missing: totp_required; wrong or used:
invalid_totp; a code works once, a recovery code once), the HTML login's second step on a
signed ticket (never the password in the page), failures counted by the login throttle,
and turning it off with a code."""

from __future__ import annotations

import hashlib
import hmac

import pyotp
import pytest
import requests

from .accountkit import add_user, code_after, enrol, hidden, login, me, session, wrong_code

KEY = "test-secret-key-0123456789"


def _used_step(st, username: str) -> int:
    return int(st.query("SELECT totp_last_step FROM users WHERE username = ?", (username,))[0]["totp_last_step"])


def test_enrol_then_every_login_asks_for_a_code_that_works_once(acct):
    add_user(acct, "quinn")
    token = session(acct, "quinn")
    start = me(acct, "POST", "/totp", token)
    assert start.status_code == 200 and start.headers["Cache-Control"] == "private, no-store"
    setup = start.json()
    assert setup["otpauth_url"] == f"otpauth://totp/Reelhouse:quinn?secret={setup['secret']}&issuer=Reelhouse"
    assert setup["qr_svg"].startswith('<svg xmlns="http://www.w3.org/2000/svg"') and "<path" in setup["qr_svg"]
    assert "<script" not in setup["qr_svg"]
    assert login(acct, "quinn").status_code == 200  # not on until confirmed
    wrong = me(acct, "POST", "/totp/confirm", token, json={"code": wrong_code(setup["secret"])})
    assert wrong.status_code == 403 and wrong.json()["error"] == "invalid_totp"
    assert me(acct, "GET", "", token).json()["totp"] is False

    secret = setup["secret"]
    confirmed = me(acct, "POST", "/totp/confirm", token, json={"code": pyotp.TOTP(secret).now()})
    assert confirmed.status_code == 200
    codes = confirmed.json()["recovery_codes"]
    assert len(codes) == len(set(codes)) == 10
    rows = acct.query("SELECT code_hash, used_at FROM recovery_codes WHERE username = 'quinn'")
    normal = [c.replace("-", "") for c in codes]
    assert sorted(r["code_hash"] for r in rows) == sorted(
        hmac.new(KEY.encode(), c.encode(), hashlib.sha256).hexdigest() for c in normal
    )
    assert not [r for r in rows if any(c in str(r.values()) for c in normal)]  # no code kept as it is
    assert me(acct, "GET", "", token).json()["totp"] is True
    assert me(acct, "POST", "/totp", token).json()["error"] == "totp_enabled"  # no second enrolment

    missing = login(acct, "quinn")
    assert missing.status_code == 401 and missing.json()["error"] == "totp_required"
    assert "set-cookie" not in {k.lower() for k in missing.headers}
    assert login(acct, "quinn", totp=wrong_code(secret)).json()["error"] == "invalid_totp"
    assert login(acct, "quinn", "wrong password", totp=pyotp.TOTP(secret).now()).json()["error"] == (
        "invalid_credentials"
    )
    code = code_after(secret, _used_step(acct, "quinn"))
    assert login(acct, "quinn", totp=code).status_code == 200
    again = login(acct, "quinn", totp=code)
    assert again.status_code == 401 and again.json()["error"] == "invalid_totp"  # a code works once
    earlier = pyotp.TOTP(secret).generate_otp(_used_step(acct, "quinn") - 1)
    assert login(acct, "quinn", totp=earlier).json()["error"] == "invalid_totp"  # and none before it

    assert login(acct, "quinn", totp=f" {codes[0].upper()} ").status_code == 200  # as typed: case, spaces
    used = login(acct, "quinn", totp=codes[0])
    assert used.status_code == 401 and used.json()["error"] == "invalid_totp"  # a recovery code once
    assert login(acct, "quinn", totp=codes[1].replace("-", "")).status_code == 200
    page = requests.get(acct.url("auth") + "/account", cookies={"auth_token": token}, timeout=15).text
    assert "8 recovery codes left" in page


def test_turning_it_off_needs_a_code(acct):
    add_user(acct, "rosa")
    token = session(acct, "rosa")
    secret, codes, _ = enrol(acct, token)
    for body in ({}, {"code": ""}, {"code": 123456}):
        assert me(acct, "DELETE", "/totp", token, json=body).status_code == 400
    wrong = me(acct, "DELETE", "/totp", token, json={"code": wrong_code(secret)})
    assert wrong.status_code == 403 and wrong.json()["error"] == "invalid_totp"
    assert me(acct, "DELETE", "/totp", token, json={"code": codes[3]}).status_code == 204  # a recovery code will do
    assert me(acct, "GET", "", token).json()["totp"] is False
    assert acct.query("SELECT COUNT(*) AS n FROM recovery_codes WHERE username = 'rosa'")[0]["n"] == 0
    row = acct.query("SELECT totp_secret, totp_enabled FROM users WHERE username = 'rosa'")[0]
    assert row == {"totp_secret": None, "totp_enabled": 0}
    assert login(acct, "rosa").status_code == 200
    assert me(acct, "DELETE", "/totp", token, json={"code": "123456"}).json()["error"] == "totp_not_enabled"
    assert me(acct, "POST", "/totp/confirm", token, json={"code": "123456"}).json()["error"] == "no_enrolment"


def test_html_login_asks_for_the_code_on_a_ticket_not_the_password(acct):
    add_user(acct, "sami")
    secret, _, used = enrol(acct, session(acct, "sami"))
    target = acct.url("streaming") + "/"
    browser = requests.Session()  # each refusal is a 303 to /login, the form got there

    def form(posted: requests.Response) -> requests.Response:
        assert posted.status_code == 303 and posted.headers["Location"] == "/login", posted.text
        return browser.get(acct.url("auth") + "/login", timeout=15)

    first = form(
        browser.post(
            acct.url("auth") + "/api/login",
            data={"username": "sami", "password": "correct horse battery staple", "redirect": target},
            allow_redirects=False,
            timeout=15,
        )
    )
    assert 'id="totp"' in first.text
    assert "correct horse battery staple" not in first.text and 'name="password"' not in first.text
    assert "auth_token" not in browser.cookies
    ticket = hidden(first.text, "ticket")
    assert hidden(first.text, "redirect") == target

    def second(fields: dict) -> requests.Response:
        return browser.post(acct.url("auth") + "/api/login", data=fields, allow_redirects=False, timeout=15)

    wrong = form(second({"ticket": ticket, "totp": wrong_code(secret), "redirect": target}))
    assert hidden(wrong.text, "ticket") == ticket and "Wrong code" in wrong.text
    payload, signature = ticket.split(".")
    tampered = form(second({"ticket": payload + "." + signature[::-1], "totp": code_after(secret, used)}))
    assert "log in again" in tampered.text and 'id="totp"' not in tampered.text
    assert 'id="totp"' in form(second({"ticket": ticket})).text  # a ticket without a code: the form again
    code = code_after(secret, used)
    done = second({"ticket": ticket, "totp": code, "redirect": target})
    assert done.status_code == 303 and done.headers["Location"] == target
    cookie = done.cookies["auth_token"]
    assert requests.get(acct.url("auth") + "/api/verify", cookies={"auth_token": cookie}, timeout=10).ok
    replayed = form(second({"ticket": ticket, "totp": code, "redirect": target}))  # the form posted again
    assert "Wrong code" in replayed.text


def test_wrong_codes_count_in_the_login_throttle(acct):
    add_user(acct, "tara")
    secret, _, used = enrol(acct, session(acct, "tara"))
    wrong = wrong_code(secret)
    for _ in range(10):
        assert login(acct, "tara", totp=wrong).json()["error"] == "invalid_totp"
    blocked = login(acct, "tara", totp=code_after(secret, used))
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert _used_step(acct, "tara") == used  # the right code was not even looked at


@pytest.mark.parametrize("user", ["alice", "bob"])
def test_env_and_file_users_have_no_second_factor_here(acct, user):
    token = session(acct, user)
    for method, path in (("POST", "/totp"), ("POST", "/totp/confirm"), ("DELETE", "/totp")):
        resp = me(acct, method, path, token, json={"code": "123456"})
        assert resp.status_code == 409 and resp.json()["error"] == "managed_elsewhere", (method, path)
    page = requests.get(acct.url("auth") + "/account", cookies={"auth_token": token}, timeout=15).text
    assert 'id="totp-managed"' in page and 'id="totp-start"' not in page


def test_a_disabled_person_with_a_second_factor_is_told_only_after_the_code(acct):
    add_user(acct, "ugo")
    secret, _, used = enrol(acct, session(acct, "ugo"))
    acct.query("UPDATE users SET disabled = 1 WHERE username = 'ugo'")
    assert login(acct, "ugo").json()["error"] == "totp_required"
    assert login(acct, "ugo", totp=code_after(secret, used)).json()["error"] == "account_disabled"


def test_one_code_at_once_from_eight_logins_lets_one_in(acct):
    """On MariaDB: eight logins racing with the same code, then with the same recovery
    code: one of each is let in, the others are told the code is used."""
    from concurrent.futures import ThreadPoolExecutor

    add_user(acct, "vico")
    secret, codes, used = enrol(acct, session(acct, "vico"))
    for code in (code_after(secret, used), codes[0]):
        acct.query("DELETE FROM login_attempts")  # seven failures a round: under the throttle's ten
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda c: login(acct, "vico", totp=c), [code] * 8))
        assert sorted(r.status_code for r in answers) == [200] + [401] * 7, [r.text for r in answers]
        assert {r.json()["error"] for r in answers if r.status_code == 401} == {"invalid_totp"}
