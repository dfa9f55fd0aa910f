"""A login whose JSON carries lone surrogates ("\\ud800": not characters, and no database
stores them) is a wrong login (401), whoever it names: the environment's admin, a users
file's user, nobody (the dummy Argon2id check); never a 500. A `redirect` that is not text
goes home."""

from __future__ import annotations

import pytest

from harness import TEST_PASSWORD

from .in_process import auth_app

pytestmark = pytest.mark.fast


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """auth-svc's app of its own (its failed logins must not share a throttle with others)."""
    return auth_app(tmp_path_factory.mktemp("auth-account")).test_client()


@pytest.mark.parametrize(
    "username, password",
    [
        ("alice", "\ud800"),  # AUTH_USERNAME with a lone surrogate for a password
        ("bob", "pw\udfff"),  # a users-file user
        ("carol", "\ud800"),  # nobody: the dummy Argon2id check
        ("\ud800", "x"),  # the name itself
        ("al\udc00ice", TEST_PASSWORD),
    ],
)
def test_lone_surrogates_are_a_wrong_login_not_a_crash(client, username, password):
    resp = client.post(
        "/api/login", json={"username": username, "password": password}, headers={"Accept": "application/json"}
    )
    assert resp.status_code == 401, resp.get_data(as_text=True)
    assert resp.get_json()["error"] == "invalid_credentials"


@pytest.mark.parametrize("redirect", [5, ["http://app.test:3000/"], {"to": "x"}, True])
def test_a_redirect_that_is_not_text_goes_home(client, redirect):
    """A JSON `redirect` that is a number, a list or an object is no URL: home, not a 500."""
    resp = client.post("/api/login", json={"username": "alice", "password": TEST_PASSWORD, "redirect": redirect})
    assert resp.status_code == 303 and resp.headers["Location"] == "http://app.test:3000/"
