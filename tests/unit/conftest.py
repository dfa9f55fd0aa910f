"""Fixtures of the fast tests: auth-svc's app served on a loopback port (werkzeug, in a
thread) for the web apps' session checks, and a session token of each of its users."""

from __future__ import annotations

import pytest

from harness import TEST_PASSWORD, served

from .in_process import auth_app, web_app


@pytest.fixture(scope="session")
def auth_service(tmp_path_factory):
    """auth-svc's app and the URL it is served on."""
    app = auth_app(tmp_path_factory.mktemp("auth-svc"))
    with served(app) as url:
        yield app, url


@pytest.fixture(scope="session")
def tokens(auth_service) -> dict[str, str]:
    """A session token of each user, from auth-svc's JSON login."""
    client = auth_service[0].test_client()
    out = {}
    for user in ("alice", "bob"):
        resp = client.post(
            "/api/login", data={"username": user, "password": TEST_PASSWORD}, headers={"Accept": "application/json"}
        )
        assert resp.status_code == 200, resp.get_data(as_text=True)
        out[user] = resp.get_json()["token"]
    return out


@pytest.fixture
def streaming_app(tmp_path, auth_service):
    """streaming-svc's app (file-svc unreachable: what needs the store answers 503)."""
    return web_app("streaming-webapp", "streaming_webapp", tmp_path, auth_service[1])
