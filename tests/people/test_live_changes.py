"""What a person may do follows their row within the verification cache's 2 s, and
comes only from auth-svc's verify answer:

- a role changed (uploader to viewer and back): the next request after 2 s is judged by
  the new role, a session's and an API token's alike;
- a person disabled: their sessions and tokens are refused after 2 s (403
  `account_disabled` from the APIs; the pages send them to the login page); a token
  revoked: 401 after 2 s;
- a viewer claiming to be an admin, in every place a request can say so (headers,
  cookies, query, form and JSON fields, tus metadata), is still a viewer;
- the pages: an API token gets 401 (a browser session is needed), a viewer the upload
  page's 403 in HTML saying why; the library and the player are a viewer's.
"""

from __future__ import annotations

import base64
import time

import requests

from harness import TEST_PASSWORD, bearer
from harness.people import add_token, add_user, set_user
from vs_common.auth_client import CACHE_SECONDS
from vs_common.db import utcnow

CACHE = CACHE_SECONDS + 0.2  # past the web apps' verification cache
TUS = {"Tus-Resumable": "1.0.0"}
HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def _tus_options(st, token: str) -> requests.Response:
    return requests.options(st.url("upload") + "/api/tus/", headers={**bearer(token), **TUS}, timeout=10)


def test_a_role_change_counts_within_two_seconds(people_stack):
    st = people_stack
    add_user(st, "rho", "uploader", TEST_PASSWORD)
    session, token = st.login("rho"), add_token(st, "rho", ["read", "upload"])
    for credential in (session, token):
        assert _tus_options(st, credential).status_code == 204
    set_user(st, "rho", role="viewer")
    time.sleep(CACHE)
    for credential in (session, token):
        refused = _tus_options(st, credential)
        assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
        assert refused.json()["message"].startswith("Your role is viewer: uploading needs the uploader or admin role")
    page = requests.get(st.url("upload") + "/", headers={**bearer(session), **HTML}, timeout=10)
    assert page.status_code == 403
    set_user(st, "rho", role="uploader")
    time.sleep(CACHE)
    for credential in (session, token):
        assert _tus_options(st, credential).status_code == 204


def test_a_disabled_person_and_a_revoked_token_are_refused_within_two_seconds(people_stack):
    st = people_stack
    add_user(st, "dee", "uploader", TEST_PASSWORD)
    session, token = st.login("dee"), add_token(st, "dee", ["read"])
    other = add_token(st, "dee", ["read"], name="to revoke")
    videos = st.url("streaming") + "/api/videos"
    for credential in (session, token, other):
        assert requests.get(videos, headers=bearer(credential), timeout=10).status_code == 200
    set_user(st, "dee", disabled=1)
    time.sleep(CACHE)
    for credential in (session, token):
        refused = requests.get(videos, headers=bearer(credential), timeout=10)
        assert refused.status_code == 403 and refused.json()["error"] == "account_disabled", refused.text
        tus = _tus_options(st, credential)
        assert tus.status_code == 403 and tus.json()["error"] == "account_disabled"
    page = requests.get(st.url("streaming") + "/", cookies={"auth_token": session}, timeout=10, allow_redirects=False)
    assert page.status_code == 303 and "/login?redirect=" in page.headers["Location"]
    set_user(st, "dee", disabled=0)
    st.query("UPDATE api_tokens SET revoked_at = ? WHERE name = 'to revoke' AND username = 'dee'", (utcnow(),))
    time.sleep(CACHE)
    assert requests.get(videos, headers=bearer(token), timeout=10).status_code == 200
    revoked = requests.get(videos, headers=bearer(other), timeout=10)
    assert revoked.status_code == 401 and revoked.json()["error"] == "unauthorized"


def _forged(st, token: str, video: str) -> list[tuple[str, requests.Response]]:
    """A viewer's requests to upload and manage, each claiming admin (or alice) some way."""
    upload, streaming = st.url("upload"), st.url("streaming")
    claims = {
        "X-Role": "admin",
        "X-User-Role": "admin",
        "X-Auth-Role": "admin",
        "X-Forwarded-User": "alice",
        "X-Remote-User": "alice",
        "Remote-User": "alice",
        "X-Auth-Request-User": "alice",
        "X-Scopes": "read upload manage",
    }
    cookies = {"role": "admin", "user": "alice", "scopes": "read upload manage"}
    metadata = ",".join(
        f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in {"role": "admin", "user": "alice"}.items()
    )
    h = {**bearer(token), **claims}
    return [
        ("multipart", requests.post(f"{upload}/api/upload?role=admin&user=alice", headers=h, cookies=cookies,
                                    files={"file": ("a.mp4", b"\0" * 1000), "role": (None, "admin")}, timeout=10)),
        ("tus", requests.post(f"{upload}/api/tus/?role=admin", cookies=cookies, timeout=10,
                              headers={**h, **TUS, "Upload-Length": "1000", "Upload-Metadata": metadata})),
        ("rename", requests.patch(f"{streaming}/api/videos/{video}?role=admin", headers=h, cookies=cookies,
                                  json={"video_name": "Mine now", "role": "admin", "user": "alice", "owner": "vic"},
                                  timeout=10)),
        ("delete", requests.delete(f"{streaming}/api/videos/{video}?role=admin&as=alice", headers=h, cookies=cookies,
                                   timeout=10)),
        ("retry", requests.post(f"{streaming}/api/videos/{video}/retry", headers=h, cookies=cookies,
                                json={"role": "admin"}, timeout=10)),
    ]  # fmt: skip


def test_a_forged_role_claim_gets_nothing(people_stack, crowd):
    """vic is a viewer however the request says otherwise: only auth-svc's answer counts."""
    st = people_stack
    before = st.snapshot()
    for credential in (crowd.token["viewer"], crowd.token["t_viewer"]):
        for what, resp in _forged(st, credential, crowd.video):
            assert resp.status_code == 403, (what, resp.status_code, resp.text[:200])
            assert resp.json()["error"] == "forbidden" and "Your role is viewer" in resp.json()["message"], what
    # A token made up to look like a claim is no token at all.
    fake = "rh_" + base64.urlsafe_b64encode(b'{"user":"alice","role":"admin"}').decode().rstrip("=")
    resp = requests.options(st.url("upload") + "/api/tus/", headers={**bearer(fake), **TUS}, timeout=10)
    assert resp.status_code == 401
    assert st.snapshot() == before
    assert st.query("SELECT COUNT(*) AS n FROM uploads WHERE owner = 'vic'")[0]["n"] == 0


def test_the_pages_refuse_api_tokens_and_tell_a_viewer_why(people_stack, crowd):
    st = people_stack
    token = crowd.token["t_all"]
    for url in (st.url("upload") + "/", st.url("streaming") + "/", f"{st.url('streaming')}/videos/{crowd.video}"):
        page = requests.get(url, headers={**bearer(token), **HTML}, timeout=10, allow_redirects=False)
        assert page.status_code == 401 and page.headers["Content-Type"].startswith("text/html"), url
        assert "Pages need a browser session" in page.text
        answer = requests.get(url, headers={**bearer(token), "Accept": "application/json"}, timeout=10).json()
        assert answer["error"] == "unauthorized" and "browser session" in answer["message"]
    viewer = {"auth_token": crowd.token["viewer"]}
    page = requests.get(st.url("upload") + "/", cookies=viewer, headers=HTML, timeout=10, allow_redirects=False)
    assert page.status_code == 403 and page.headers["Content-Type"].startswith("text/html")
    assert "Your role is viewer: uploading needs the uploader or admin role; ask an administrator." in page.text
    assert 'data-testid="current-user">vic<' in page.text  # who is signed in, and the logout button
    assert 'id="upload-form"' not in page.text
    for url in (st.url("streaming") + "/", f"{st.url('streaming')}/videos/{crowd.video}"):
        watched = requests.get(url, cookies=viewer, headers=HTML, timeout=10, allow_redirects=False)
        assert watched.status_code == 200 and "vic" in watched.text, url
