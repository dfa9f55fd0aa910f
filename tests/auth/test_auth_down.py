"""auth-svc stopped: both web apps fail closed (503, nothing protected served), and
recover by themselves when it is back. Uses the shared stack and restarts auth-svc."""

from __future__ import annotations

import requests
from authkit import status_of, token_for, until_status


def test_web_apps_answer_503_while_auth_svc_is_down(stack):
    token = token_for(stack.url("auth"))
    up, st = stack.url("upload"), stack.url("streaming")
    assert status_of(up + "/api/uploads", token) == 200
    stack["auth"].stop()
    try:
        # A verified token may be cached for up to 2 s; after that, nothing is served.
        until_status(up + "/api/uploads", token, 503)
        until_status(st + "/api/videos", token, 503)
        checks = [
            ("GET", up + "/"),
            ("GET", st + "/"),
            ("GET", st + "/videos/abcdefghijkl"),  # pages
            ("GET", up + "/api/uploads"),
            ("GET", st + "/api/videos"),
            ("GET", st + "/api/videos/abcdefghijkl"),
            ("GET", st + "/videos/abcdefghijkl/hls/master.m3u8"),
            ("GET", st + "/videos/abcdefghijkl/poster.jpg"),
            ("POST", up + "/api/upload"),
            ("DELETE", st + "/api/videos/abcdefghijkl"),
            ("POST", up + "/logout"),
            ("POST", st + "/logout"),
        ]
        for bearer in (False, True):
            for method, url in checks:
                headers = {"Authorization": f"Bearer {token}"} if bearer else {}
                cookies = {} if bearer else {"auth_token": token}
                resp = requests.request(
                    method, url, headers=headers, cookies=cookies, allow_redirects=False, timeout=15
                )
                assert resp.status_code == 503, (method, url, resp.status_code)
                assert resp.json()["error"] == "auth_unavailable" and "Retry-After" in resp.headers
                assert "<html" not in resp.text and "set-cookie" not in {k.lower() for k in resp.headers}
        # Without a token there is nothing to ask: pages still go to the login, APIs 401.
        assert status_of(up + "/") == 303 and status_of(st + "/api/videos") == 401
        # Health stays honest about the app itself (its database), so orchestration does not loop.
        assert requests.get(up + "/healthz", timeout=10).status_code == 200
    finally:
        stack["auth"].start()
    assert status_of(up + "/api/uploads", token) == 200  # recovered by itself
    assert status_of(st + "/api/videos", token) == 200
