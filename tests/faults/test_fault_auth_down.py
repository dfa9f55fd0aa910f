"""auth-svc stopped: both web apps answer 503 and serve nothing protected (never fail open)."""

from __future__ import annotations

import faultkit
import pytest
import requests

from harness import bearer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fault_stack(tmp_path_factory, request):
    return faultkit.fault_stack(tmp_path_factory, request.config)


def test_auth_svc_stopped(fault_stack, tmp_path_factory):
    st = fault_stack
    token = st.login()
    video_id = faultkit.upload_and_play(st, token, faultkit.clip(tmp_path_factory, "small"), "secret-name-7f3a")
    unseen = st.login()  # never verified by the web apps, so not in their 2-second cache
    before = st.counts()
    st["auth"].stop()
    try:
        protected = [
            ("GET", "upload", "/"),
            ("GET", "upload", "/api/uploads"),
            ("POST", "upload", "/api/upload"),
            ("GET", "streaming", "/"),
            ("GET", "streaming", f"/videos/{video_id}"),
            ("GET", "streaming", "/api/videos"),
            ("GET", "streaming", f"/api/videos/{video_id}"),
            ("PATCH", "streaming", f"/api/videos/{video_id}"),
            ("DELETE", "streaming", f"/api/videos/{video_id}"),
            ("POST", "streaming", f"/api/videos/{video_id}/retry"),
            ("GET", "streaming", f"/videos/{video_id}/hls/master.m3u8"),
            ("GET", "streaming", f"/videos/{video_id}/poster.jpg"),
            ("GET", "streaming", f"/videos/{video_id}/thumbs/1.jpg"),
        ]
        for creds in ({"headers": bearer(unseen)}, {"cookies": {"auth_token": unseen}}):
            for method, name, path in protected:
                resp = requests.request(method, st.url(name) + path, timeout=15, allow_redirects=False, **creds)
                assert resp.status_code == 503, (method, name, path, resp.status_code)
                assert resp.json() == {
                    "error": "auth_unavailable",
                    "message": "The authentication service is unavailable; try again shortly.",
                }
                assert resp.headers.get("Retry-After") == "5"
                assert "secret-name-7f3a" not in resp.text and b"#EXTM3U" not in resp.content
        # Without any token the pages still send people to the login page (no auth-svc needed).
        resp = requests.get(st.url("streaming") + "/", allow_redirects=False, timeout=15)
        assert resp.status_code == 303 and "/login?redirect=" in resp.headers["Location"]
        # Public routes stay up.
        for name in ("upload", "streaming"):
            assert requests.get(st.url(name) + "/healthz", timeout=15).status_code == 200
            assert requests.get(st.url(name) + "/openapi.json", timeout=15).status_code == 200
    finally:
        st["auth"].start()
    assert st.video(token, video_id)["video_name"] == "secret-name-7f3a"
    faultkit.play(st, token, video_id)
    assert st.counts() == before
