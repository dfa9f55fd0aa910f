"""auth-svc's webhook admin API and page (auth_svc/webhooks.py), on its app built in this
process (SQLite): who may call it, the URL checks of registration, the secret shown once
and in the Standard Webhooks form, the list, delete, the delivery log."""

from __future__ import annotations

import base64

import pytest
from standardwebhooks import Webhook
from werkzeug.security import generate_password_hash

from harness import TEST_PASSWORD, in_process_app

pytestmark = pytest.mark.fast
AUTH_ORIGIN = "http://app.test:8000"
PUBLIC = {
    "auth_public_url": AUTH_ORIGIN,
    "upload_public_url": "http://app.test:3000",
    "streaming_public_url": "http://app.test:3100",
}


def _app(tmp, **settings):
    users = tmp / "users.txt"
    users.write_text(f"bob:{generate_password_hash(TEST_PASSWORD)}\n")
    return in_process_app(
        "auth-svc",
        "auth_svc",
        tmp,
        auth_username="alice",
        auth_password=TEST_PASSWORD,
        auth_users_file=str(users),
        secret_key="test-secret-key-0123456789",
        **PUBLIC,
        **settings,
    )


def _login(client, user: str) -> dict[str, str]:
    resp = client.post(
        "/api/login", data={"username": user, "password": TEST_PASSWORD}, headers={"Accept": "application/json"}
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return {"Authorization": f"Bearer {resp.get_json()['token']}"}


class Auth:
    """An auth-svc app, a client without a cookie jar, and alice's (admin) and bob's
    (uploader) session headers."""

    def __init__(self, tmp, **settings):
        self.app = _app(tmp, **settings)
        self.client = self.app.test_client(use_cookies=False)
        self.admin, self.bob = _login(self.client, "alice"), _login(self.client, "bob")

    def clean(self):
        for w in self.client.get("/api/webhooks", headers=self.admin).get_json()["webhooks"]:
            self.client.delete(f"/api/webhooks/{w['id']}", headers=self.admin)


@pytest.fixture(scope="module")
def strict_auth(tmp_path_factory):
    return Auth(tmp_path_factory.mktemp("strict"))


@pytest.fixture(scope="module")
def lax_auth(tmp_path_factory):
    return Auth(tmp_path_factory.mktemp("lax"), webhook_allow_private=True)


@pytest.fixture
def strict(strict_auth):
    """auth-svc with WEBHOOK_ALLOW_PRIVATE=false (the default): its client and alice's headers."""
    yield strict_auth.client, strict_auth.admin
    strict_auth.clean()


@pytest.fixture
def lax(lax_auth):
    """auth-svc with WEBHOOK_ALLOW_PRIVATE=true."""
    yield lax_auth.client, lax_auth.admin
    lax_auth.clean()


def _register(client, headers, url, events=("video.ready",)):
    return client.post("/api/webhooks", json={"url": url, "events": list(events)}, headers=headers)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://127.0.0.1:9/hook", "127.0.0.1 is loopback: allowed only with WEBHOOK_ALLOW_PRIVATE=true"),
        ("http://localhost:9/hook", "localhost resolves to 127.0.0.1, which is loopback"),
        ("http://[::1]/hook", "::1 is loopback"),
        ("http://10.1.2.3/hook", "10.1.2.3 is private"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is link-local"),
        ("ftp://example.com/", "scheme must be http or https"),
        ("http:///hook", "no host"),
        ("https://u:p@example.com/", "credentials"),
    ],
)
def test_registration_refuses_bad_urls(strict, url, says):
    client, admin = strict
    resp = _register(client, admin, url)
    assert resp.status_code == 400
    assert resp.get_json()["error"] == "bad_url"
    assert says in resp.get_json()["message"]
    assert client.get("/api/webhooks", headers=admin).get_json() == {"webhooks": []}  # nothing written


def test_private_allowed_but_link_local_never(lax):
    client, admin = lax
    assert _register(client, admin, "http://127.0.0.1:9/hook").status_code == 201
    for url in ("http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/"):
        resp = _register(client, admin, url)
        assert resp.status_code == 400 and "link-local" in resp.get_json()["message"], resp.get_data(as_text=True)


@pytest.mark.parametrize("events", [[], ["video.made"], "video.ready", [1], None])
def test_registration_refuses_unknown_events(lax, events):
    client, admin = lax
    resp = client.post("/api/webhooks", json={"url": "http://127.0.0.1:9/", "events": events}, headers=admin)
    assert resp.status_code == 400 and resp.get_json()["error"] == "invalid_events"
    assert "video.ready, video.failed, video.deleted, upload.completed" in resp.get_json()["message"]


def test_not_json(lax):
    client, admin = lax
    resp = client.post("/api/webhooks", data="url=x", headers=admin)
    assert resp.status_code == 400 and resp.get_json()["error"] == "bad_request"


def test_the_secret_is_shown_once_and_signs(lax):
    client, admin = lax
    resp = _register(client, admin, " http://127.0.0.1:9/hook ", ["video.ready", "upload.completed", "video.ready"])
    assert resp.status_code == 201
    made = resp.get_json()
    assert made["url"] == "http://127.0.0.1:9/hook"
    assert made["events"] == ["video.ready", "upload.completed"]
    assert made["created_by"] == "alice" and made["id"].startswith("wh_")
    assert made["secret"].startswith("whsec_") and len(base64.b64decode(made["secret"][6:])) == 24
    # The library's own signer and verifier take it.
    hook = Webhook(made["secret"])
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    signature = hook.sign("msg_1", now, "{}")
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(int(now.timestamp())), "webhook-signature": signature}
    assert hook.verify("{}", headers) == {}
    listed = client.get("/api/webhooks", headers=admin).get_json()["webhooks"]
    assert listed == [{k: v for k, v in made.items() if k != "secret"}]
    assert made["secret"] not in client.get("/admin/webhooks", headers=admin).get_data(as_text=True)
    second = _register(client, admin, "http://127.0.0.1:9/hook").get_json()
    assert second["secret"] != made["secret"] and second["id"] != made["id"]


def test_delete_and_log(lax):
    client, admin = lax
    made = _register(client, admin, "http://127.0.0.1:9/hook").get_json()
    assert client.get(f"/api/webhooks/{made['id']}/deliveries", headers=admin).get_json() == {"deliveries": []}
    assert client.delete(f"/api/webhooks/{made['id']}", headers=admin).status_code == 204
    for method, path in (("delete", made["id"]), ("get", f"{made['id']}/deliveries"), ("delete", "wh_nope")):
        resp = getattr(client, method)(f"/api/webhooks/{path}", headers=admin)
        assert resp.status_code == 404 and resp.get_json()["error"] == "not_found"
    assert client.get("/api/webhooks", headers=admin).get_json() == {"webhooks": []}


def test_at_most_twenty_endpoints(lax):
    client, admin = lax
    for n in range(20):
        assert _register(client, admin, f"http://127.0.0.1:9/hook{n}").status_code == 201
    resp = _register(client, admin, "http://127.0.0.1:9/one-more")
    assert resp.status_code == 409 and resp.get_json()["error"] == "too_many_webhooks"
    assert len(client.get("/api/webhooks", headers=admin).get_json()["webhooks"]) == 20


ROUTES = [
    ("get", "/api/webhooks", None),
    ("post", "/api/webhooks", {"url": "http://127.0.0.1:9/", "events": ["video.ready"]}),
    ("delete", "/api/webhooks/wh_x", None),
    ("get", "/api/webhooks/wh_x/deliveries", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_admins_only(lax, lax_auth, method, path, body):
    """An uploader: 403 naming the role; no session: 401; an API token (even a well-formed
    one): 401 saying to log in. Nothing is registered by any of them."""
    client, admin = lax
    bob = lax_auth.bob
    call = getattr(client, method)
    resp = call(path, json=body, headers=bob)
    assert resp.status_code == 403 and "your role is uploader" in resp.get_json()["message"]
    resp = call(path, json=body)
    assert resp.status_code == 401
    resp = call(path, json=body, headers={"Authorization": "Bearer rh_" + "A" * 43})
    assert resp.status_code == 401 and "log in" in resp.get_json()["message"]
    assert client.get("/api/webhooks", headers=admin).get_json() == {"webhooks": []}


def test_the_page(lax, lax_auth):
    client, admin = lax
    assert client.get("/admin/webhooks").status_code == 303  # to the login page
    assert client.get("/admin/webhooks", headers=lax_auth.bob).status_code == 403
    resp = client.get("/admin/webhooks", headers=admin)
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    page = resp.get_data(as_text=True)
    assert "<script>" not in page and "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert 'src="/static/admin-webhooks.js?v=' in page
    for event in ("video.ready", "video.failed", "video.deleted", "upload.completed"):
        assert f'value="{event}"' in page
    assert client.get("/static/admin-webhooks.js").status_code == 200


def test_cross_site_writes_refused(lax, lax_auth):
    """A browser's cookie with a foreign Origin: 403 (the Origin rule), nothing registered."""
    _, admin = lax
    client = lax_auth.app.test_client()
    client.set_cookie("auth_token", admin["Authorization"].split()[1], domain="localhost")
    resp = client.post(
        "/api/webhooks",
        json={"url": "http://127.0.0.1:9/", "events": ["video.ready"]},
        headers={"Origin": "https://evil.example"},
    )
    assert resp.status_code == 403 and resp.get_json()["error"] == "cross_site_request"
    resp = client.post(
        "/api/webhooks",
        json={"url": "http://127.0.0.1:9/", "events": ["video.ready"]},
        headers={"Origin": AUTH_ORIGIN},
    )
    assert resp.status_code == 201
