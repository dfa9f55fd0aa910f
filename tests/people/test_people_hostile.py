"""Hostile cases of the people API, on MariaDB: usernames that spoof (bidirectional
controls, invisible characters, confusables: Cyrillic letters, fullwidth, case), two
look-alike names created at once (exactly one wins: the unique skeleton), the last
admin (never demoted, disabled or deleted, even by two admins demoting each other at
once), every admin route to a non-admin (403) and to an API token (401), and every new
form from a foreign origin (403)."""

from __future__ import annotations

import pytest
import requests
from auth.authkit import extra_auth

from harness import TEST_PASSWORD, MariaDB, Stack, bearer

from .peoplekit import (
    accept,
    api_token,
    call,
    create,
    login,
    name,
    person,
    together,
    verify,
)

FOREIGN = "https://evil.example"


def _count(st, table: str) -> int:
    return st.query(f"SELECT COUNT(*) AS n FROM {table}")[0]["n"]


@pytest.mark.parametrize(
    ("username", "says"),
    [
        ("admin\u202egnp.exe", "bidirectional control character (U+202E)"),
        ("\u2067alice\u2069", "bidirectional control character (U+2067)"),
        ("ali\u200bce", "invisible character (U+200B)"),
        ("ali\u200dce", "invisible character (U+200D)"),
        ("\u2060alice", "invisible character (U+2060)"),
        ("alice\u180e", "invisible character (U+180E)"),
        ("\u3164", "no visible character"),
        ("ali ce", "whitespace"),
        ("ali\u2028ce", "whitespace (U+2028)"),
    ],
)
def test_spoofing_characters_refused(people_stack, admin, username, says):
    before = _count(people_stack, "users")
    resp = call(people_stack, "POST", "/api/users", admin, json={"username": username, "role": "viewer"})
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_username", resp.text
    assert says in resp.json()["message"]
    assert _count(people_stack, "users") == before


def test_confusables_of_every_source_refused(people_stack, admin):
    """Look-alikes of the environment's admin, a file user and a database user: 409
    naming the one they look like; nothing stored."""
    st = people_stack
    dbname = "c" + name()
    create(st, admin, dbname)
    cyrillic_c = "\u0441" + dbname[1:]
    cases = [
        ("\u0430lice", "alice"),  # Cyrillic а
        ("ALICE", "alice"),
        ("\uff41\uff4c\uff49\uff43\uff45", "alice"),  # fullwidth
        ("B\u043eb", "bob"),  # Cyrillic о, and case
        ("\uff42\uff4f\uff42", "bob"),
        (cyrillic_c, dbname),
        (dbname.upper(), dbname),
        ("".join(chr(ord(c) + 0xFEE0) for c in dbname), dbname),  # fullwidth
        (dbname, dbname),
    ]
    before = _count(st, "users"), _count(st, "invitations")
    for username, existing in cases:
        resp = call(st, "POST", "/api/users", admin, json={"username": username, "role": "uploader"})
        assert resp.status_code == 409 and resp.json()["error"] == "username_taken", (username, resp.text)
        assert repr(existing) in resp.json()["message"], resp.json()["message"]
    assert (_count(st, "users"), _count(st, "invitations")) == before


def test_look_alikes_created_at_once_one_wins(people_stack, admin):
    """Several creations of names with one skeleton sent together: exactly one 201, the
    others 409 (MariaDB's unique index on the skeleton decides), one row and one link."""
    st = people_stack
    for _ in range(5):
        base = "c" + name()[:-1] + "p"  # c and p have Cyrillic twins
        variants = [base, "\u0441" + base[1:], base[:-1] + "\u0440", base.upper()]
        answers = together(
            lambda username: call(st, "POST", "/api/users", admin, json={"username": username, "role": "viewer"}),
            variants,
        )
        statuses = sorted(r.status_code for r in answers.values())
        assert statuses == [201, 409, 409, 409], {k: r.text for k, r in answers.items()}
        winner = next(u for u, r in answers.items() if r.status_code == 201)
        for loser in (r for r in answers.values() if r.status_code == 409):
            assert loser.json()["error"] == "username_taken"
        rows = st.query("SELECT username FROM users WHERE skeleton = ?", (base,))
        assert [r["username"] for r in rows] == [winner]
        assert st.query("SELECT COUNT(*) AS n FROM invitations WHERE username IN (?, ?, ?, ?)", variants)[0]["n"] == 1


ADMIN_ROUTES = [
    ("GET", "/api/users", None),
    ("POST", "/api/users", {"username": "intruder", "role": "admin"}),
    ("PATCH", "/api/users/{victim}", {"role": "viewer"}),
    ("POST", "/api/users/{victim}/reset", None),
    ("DELETE", "/api/users/{victim}?videos=delete", None),
]


def test_every_admin_route_refuses_a_non_admin(people_stack, admin):
    st = people_stack
    victim, victim_session = person(st, admin, "uploader")
    uploader = person(st, admin, "uploader")[1]
    viewer = person(st, admin, "viewer")[1]
    bob = login(st, "bob", TEST_PASSWORD).json()["token"]
    before = st.query("SELECT * FROM users ORDER BY username")
    for session in (uploader, viewer, bob):
        for method, path, body in ADMIN_ROUTES:
            resp = call(st, method, path.format(victim=victim), session, json=body)
            assert resp.status_code == 403 and resp.json()["error"] == "forbidden", (method, path, resp.text)
            assert "administrator" in resp.json()["message"]
        page = requests.get(st.url("auth") + "/admin/users", cookies={"auth_token": session}, timeout=10)
        assert page.status_code == 403 and "Administrators only" in page.text
        assert page.headers["Content-Type"].startswith("text/html")
    assert st.query("SELECT * FROM users ORDER BY username") == before
    assert verify(st, victim_session).status_code == 200


def test_every_admin_route_refuses_an_api_token(people_stack, admin):
    """Even the admin's own token with every scope: 401, saying to log in."""
    st = people_stack
    victim, victim_session = person(st, admin, "uploader")
    token = api_token(st, "alice")
    answer = verify(st, token).json()
    assert (answer["user"], answer["role"], answer["scopes"]) == ("alice", "admin", ["read", "upload", "manage"])
    before = st.query("SELECT * FROM users ORDER BY username")
    for method, path, body in [*ADMIN_ROUTES, ("GET", "/admin/users", None)]:
        resp = call(st, method, path.format(victim=victim), token, json=body)
        assert resp.status_code == 401 and "log in" in resp.json()["message"], (method, path, resp.text)
        resp = requests.request(
            method,
            st.url("auth") + path.format(victim=victim),
            cookies={"auth_token": token},
            json=body,
            timeout=10,
            headers={"Origin": st.url("auth")},
            allow_redirects=False,
        )
        assert resp.status_code == 401, (method, path, "cookie", resp.text)
    assert st.query("SELECT * FROM users ORDER BY username") == before
    assert verify(st, victim_session).status_code == 200


def test_every_new_form_refuses_a_foreign_origin(people_stack, admin):
    """The Origin rule on every new unsafe route: with the admin's cookie (and, for the
    invitation, without any) a foreign Origin, `Origin: null` or a foreign Referer is 403
    and nothing changes."""
    st = people_stack
    victim, victim_session = person(st, admin, "uploader")
    newcomer = name()
    _, token = create(st, admin, newcomer)
    routes = [(m, p, b) for m, p, b in ADMIN_ROUTES if m != "GET"]
    routes.append(("POST", f"/api/invite/{token}", {"password": "attacker-chose-this-1"}))
    before = st.query("SELECT * FROM users ORDER BY username")
    links = _count(st, "invitations")
    for headers in ({"Origin": FOREIGN}, {"Origin": "null"}, {"Referer": FOREIGN + "/page"}):
        for method, path, body in routes:
            for cookies in ({"auth_token": admin}, {}):
                resp = requests.request(
                    method,
                    st.url("auth") + path.format(victim=victim),
                    cookies=cookies,
                    json=body,
                    headers=headers,
                    timeout=10,
                    allow_redirects=False,
                )
                assert resp.status_code == 403, (headers, method, path, resp.text)
                assert resp.json()["error"] == "cross_site_request"
        form = requests.post(
            st.url("auth") + f"/api/invite/{token}",
            data={"password": "attacker-chose-this-1", "confirm": "attacker-chose-this-1"},
            headers=headers,
            timeout=10,
        )
        assert form.status_code == 403
    assert st.query("SELECT * FROM users ORDER BY username") == before and _count(st, "invitations") == links
    assert verify(st, victim_session).status_code == 200
    assert accept(st, token).status_code == 204  # the link is still the newcomer's


# -- the last admin ------------------------------------------------------------------


@pytest.fixture(scope="module")
def admins_only_in_the_database(tmp_path_factory, mariadb: MariaDB, s3):
    """auth-svc on a database of its own, twice: `with_env` has the environment's admin
    (alice), `db_only` none (only AUTH_USERS_FILE's bob), so there the database's admins
    are the only ones. Yields (Stack of with_env, db_only's URL)."""
    from werkzeug.security import generate_password_hash

    base = tmp_path_factory.mktemp("last-admin")
    users_file = base / "users.txt"
    users_file.write_text(f"bob:{generate_password_hash(TEST_PASSWORD)}\n")
    env = {**mariadb.env(mariadb.create_database("video_db_lastadmin")), "AUTH_USERS_FILE": str(users_file)}
    st = Stack(base, env)
    st.mariadb = mariadb
    st["auth"].start()
    db_only = extra_auth({**st.env, "AUTH_USERNAME": "", "AUTH_PASSWORD": ""}, base / "db-only")
    try:
        yield st, db_only.url
    finally:
        db_only.stop()
        st.stop()


def _as(url: str, method: str, path: str, token: str, **kw) -> requests.Response:
    return requests.request(method, url + path, headers=bearer(token), timeout=30, **kw)


def _db_admin(st: Stack, alice: str) -> tuple[str, str]:
    username = name()
    _, token = create(st, alice, username, "admin")
    assert accept(st, token).status_code == 204
    return username, login(st, username).json()["token"]


def test_the_last_admin_cannot_be_demoted_disabled_or_deleted(admins_only_in_the_database):
    st, db_only = admins_only_in_the_database
    alice = st.login("alice")
    dora, dora_session = _db_admin(st, alice)
    erin, _ = _db_admin(st, alice)
    assert _as(db_only, "GET", "/api/users", dora_session).status_code == 200
    assert "alice" not in {u["username"] for u in _as(db_only, "GET", "/api/users", dora_session).json()["users"]}
    assert _as(db_only, "PATCH", f"/api/users/{erin}", dora_session, json={"role": "uploader"}).status_code == 200
    for method, path, body in (
        ("PATCH", f"/api/users/{dora}", {"role": "viewer"}),
        ("PATCH", f"/api/users/{dora}", {"disabled": True}),
        ("PATCH", f"/api/users/{dora}", {"role": "uploader", "disabled": True}),
        ("DELETE", f"/api/users/{dora}?videos=delete", None),
    ):
        resp = _as(db_only, method, path, dora_session, json=body)
        assert resp.status_code == 409 and resp.json()["error"] == "last_admin", resp.text
        assert "last administrator" in resp.json()["message"]
    row = st.query("SELECT role, disabled FROM users WHERE username = ?", (dora,))[0]
    assert (row["role"], row["disabled"]) == ("admin", 0)
    assert verify(st, dora_session).json()["role"] == "admin"
    # A change that keeps her an admin is fine; where the environment's admin exists,
    # she is not the last one.
    assert _as(db_only, "PATCH", f"/api/users/{dora}", dora_session, json={"quota_videos": 5}).status_code == 200
    resp = call(st, "PATCH", f"/api/users/{dora}", alice, json={"disabled": True})
    assert resp.status_code == 200
    call(st, "PATCH", f"/api/users/{dora}", alice, json={"disabled": False})


@pytest.mark.parametrize("change", [{"role": "uploader"}, {"disabled": True}])
def test_two_admins_demoting_each_other_at_once_one_wins(admins_only_in_the_database, change):
    """On MariaDB, in rounds: the two only admins each demote (or disable) the other at
    the same moment; exactly one succeeds, and one enabled admin is left (the lock of
    every user row: without it both see two admins and both succeed)."""
    st, db_only = admins_only_in_the_database
    alice = st.login("alice")
    for row in st.query("SELECT username FROM users WHERE role = 'admin' AND disabled = 0"):
        call(st, "PATCH", f"/api/users/{row['username']}", alice, json={"role": "uploader"})  # a clean start
    first, first_session = _db_admin(st, alice)
    second, second_session = _db_admin(st, alice)
    sessions = {first: first_session, second: second_session}
    for _ in range(4):
        answers = together(
            lambda me: _as(
                db_only, "PATCH", f"/api/users/{second if me == first else first}", sessions[me], json=change
            ),
            [first, second],
        )
        # The other is refused: 409 last_admin when both passed the guard before the
        # first change committed; after it, 403 (no longer an admin) or 401 (disabled).
        statuses = sorted(r.status_code for r in answers.values())
        assert statuses in ([200, 401], [200, 403], [200, 409]), {k: r.text for k, r in answers.items()}
        left = st.query("SELECT username FROM users WHERE role = 'admin' AND disabled = 0")
        assert len(left) == 1
        loser = second if left[0]["username"] == first else first
        assert (
            call(st, "PATCH", f"/api/users/{loser}", alice, json={"role": "admin", "disabled": False}).status_code
            == 200
        )
