"""Invitation links against a real stack: the page, the password rules with zxcvbn's
reason (JSON and the page's form), a link used, reused, expired, ended by a newer one or
unknown; guesses throttled per address (the 21st is 429, even with a valid link) and
counted in the database; two uses at once on MariaDB: one wins."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from auth.authkit import assert_html_security_headers

from vs_common.db import utcnow

from .peoplekit import STRONG, accept, call, create, login, name, sha256, together, users


def _from(address: str) -> dict[str, str]:
    """Headers of a client at `address` (the stack believes one X-Forwarded-For hop)."""
    return {"X-Forwarded-For": address}


def test_the_page_names_the_person_and_needs_no_inline_script(people_stack, admin):
    username = name()
    _, token = create(people_stack, admin, username)
    resp = requests.get(people_stack.url("auth") + f"/invite/{token}", timeout=10)
    assert resp.status_code == 200 and f'Welcome, <span id="invite-user">{username}</span>' in resp.text
    assert f'action="/api/invite/{token}"' in resp.text
    assert_html_security_headers(resp)


def test_weak_passwords_refused_with_the_reason(people_stack, admin):
    st = people_stack
    username = name()
    _, token = create(st, admin, username)
    for password, says in (
        ("short", "at least 10 characters"),
        ("password123", "This is a very common password."),
        (username + "2024", "too easy to guess"),  # their own name: weak for them (strong for others)
        ("qwertyuiop12", "commonly used password"),
    ):
        resp = accept(st, token, password)
        assert resp.status_code == 400 and resp.json()["error"] == "weak_password", resp.text
        assert says in resp.json()["message"]
    assert st.query("SELECT password_hash FROM users WHERE username = ?", (username,))[0]["password_hash"] is None
    assert accept(st, token).status_code == 204  # the link still works after refusals


def test_the_form_shows_the_reason_inline_then_the_way_to_the_login(people_stack, admin):
    st = people_stack
    username = name()
    _, token = create(st, admin, username)
    url = st.url("auth") + f"/api/invite/{token}"
    origin = {"Origin": st.url("auth")}
    resp = requests.post(url, data={"password": "password123", "confirm": "password123"}, headers=origin, timeout=10)
    assert resp.status_code == 400 and 'role="alert"' in resp.text and "very common password" in resp.text
    assert_html_security_headers(resp)
    resp = requests.post(url, data={"password": STRONG, "confirm": STRONG + "x"}, headers=origin, timeout=10)
    assert resp.status_code == 400 and "The two passwords differ" in resp.text
    resp = requests.post(url, data={"password": STRONG, "confirm": STRONG}, headers=origin, timeout=10)
    assert resp.status_code == 200 and "Password set" in resp.text and 'href="/login"' in resp.text
    assert login(st, username).status_code == 200


def test_a_link_works_once(people_stack, admin):
    st = people_stack
    username = name()
    _, token = create(st, admin, username)
    assert accept(st, token).status_code == 204
    for password in (STRONG, "an-other-river-lamp-9"):
        resp = accept(st, token, password)
        assert resp.status_code == 410 and resp.json()["error"] == "invitation_used"
    page = requests.get(st.url("auth") + f"/invite/{token}", timeout=10)
    assert page.status_code == 410 and "used already" in page.text
    assert login(st, username, "an-other-river-lamp-9").status_code == 401  # the reuse changed nothing


def test_an_expired_link(people_stack, admin):
    """INVITE_TTL_HOURS is 72 h: the row's expiry is moved to the past to stand for them."""
    st = people_stack
    username = name()
    _, token = create(st, admin, username)
    st.query(
        "UPDATE invitations SET expires_at = ? WHERE token_hash = ?", (utcnow() - timedelta(seconds=1), sha256(token))
    )
    resp = accept(st, token)
    assert resp.status_code == 410 and resp.json()["error"] == "invitation_expired"
    page = requests.get(st.url("auth") + f"/invite/{token}", timeout=10)
    assert page.status_code == 410 and "expired" in page.text
    assert users(st, admin)[username]["invited"] is True


def test_unknown_links_are_404_and_counted(people_stack):
    st = people_stack
    address = "198.51.100.4"
    page = requests.get(st.url("auth") + "/invite/" + "x" * 43, headers=_from(address), timeout=10)
    assert page.status_code == 404 and "not valid" in page.text
    resp = accept(st, "y" * 43, headers=_from(address))
    assert resp.status_code == 404 and resp.json()["error"] == "not_found"
    resp = accept(st, "z" * 500, headers=_from(address))  # longer than any link: not even hashed
    assert resp.status_code == 404
    rows = st.query("SELECT username FROM login_attempts WHERE client = ?", (f"invite {address}",))
    assert len(rows) == 3


def test_the_21st_guess_is_429_even_with_a_valid_link(people_stack, admin):
    st = people_stack
    guesser, other = "203.0.113.21", "203.0.113.22"
    username = name()
    _, token = create(st, admin, username)
    for i in range(20):  # the page and the API alike
        wrong = f"wrong-{i:02d}-" + "q" * 30
        if i % 2:
            resp = requests.get(st.url("auth") + f"/invite/{wrong}", headers=_from(guesser), timeout=10)
        else:
            resp = accept(st, wrong, headers=_from(guesser))
        assert resp.status_code == 404, (i, resp.status_code)
    resp = requests.get(st.url("auth") + "/invite/wrong-21", headers=_from(guesser), timeout=10)
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) > 0
    page = requests.get(st.url("auth") + f"/invite/{token}", headers=_from(guesser), timeout=10)
    assert page.status_code == 429 and "Too many invalid links" in page.text
    resp = accept(st, token, headers=_from(guesser))
    assert resp.status_code == 429 and resp.json()["error"] == "too_many_attempts"
    assert st.query("SELECT COUNT(*) AS n FROM login_attempts WHERE client = ?", (f"invite {guesser}",))[0]["n"] == 20
    # Another address is not concerned, and the guesser may still log in (a count apart).
    assert requests.get(st.url("auth") + f"/invite/{token}", headers=_from(other), timeout=10).status_code == 200
    resp = requests.post(
        st.url("auth") + "/api/login",
        data={"username": "alice", "password": "correct horse battery staple"},
        headers={**_from(guesser), "Accept": "application/json"},
        timeout=10,
    )
    assert resp.status_code == 200
    assert accept(st, token, headers=_from(other)).status_code == 204


@pytest.mark.parametrize("rounds", [5])
def test_two_uses_at_once_one_wins(people_stack, admin, rounds):
    """On MariaDB: the link is marked used by a conditional update; of two accepts sent
    together with different passwords, one sets its password and the other is 410."""
    st = people_stack
    for _ in range(rounds):
        username = name()
        _, token = create(st, admin, username)
        passwords = ["first-river-lamp-41", "second-river-lamp-42"]
        answers = together(lambda password, token=token: accept(st, token, password).status_code, passwords)
        assert sorted(answers.values()) == [204, 410], answers
        winner = next(p for p, status in answers.items() if status == 204)
        loser = next(p for p in passwords if p != winner)
        assert login(st, username, winner).status_code == 200
        assert login(st, username, loser).status_code == 401


def test_the_link_rows_hold_no_token(people_stack, admin):
    _, token = create(people_stack, admin, name())
    rows = people_stack.query("SELECT * FROM invitations")
    assert all(token not in str(value) for row in rows for value in row.values())
    assert call(people_stack, "GET", f"/invite/{sha256(token)}").status_code == 404  # the hash opens nothing


def test_the_access_log_never_holds_a_link(people_stack, admin):
    """Whoever reads auth-svc's log cannot take an unused link from it: the access lines
    of /invite/<token> and /api/invite/<token> name the route, not the token."""
    st = people_stack
    _, token = create(st, admin, name())
    assert requests.get(st.url("auth") + f"/invite/{token}", timeout=10).status_code == 200
    assert accept(st, token, "short").status_code == 400
    log = st["auth"].log.read_text(errors="replace")
    assert '"GET /invite/[link] HTTP/1.1" 200' in log and '"POST /api/invite/[link] HTTP/1.1" 400' in log
    assert token not in log
