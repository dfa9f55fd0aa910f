"""MariaDB stopped, then started again: a clear 503 from every service during the outage,
and every service working again afterwards without being restarted."""

from __future__ import annotations

import faultkit
import pytest
import requests

from harness import TEST_PASSWORD, bearer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fault_stack(tmp_path_factory, request):
    return faultkit.fault_stack(tmp_path_factory, request.config)


def _assert_503(resp: requests.Response, what: str) -> dict:
    assert resp.status_code == 503, (what, resp.status_code, resp.text[:300])
    assert resp.headers["Content-Type"].startswith("application/json"), what
    return resp.json()


def test_database_stopped_then_started(fault_stack, tmp_path_factory):
    st = fault_stack
    small = faultkit.clip(tmp_path_factory, "small")
    token = st.login()  # a session made before the outage
    ready_id = faultkit.upload_and_play(st, token, small, "before the outage")
    pids = {name: st[name].proc.pid for name in ("auth", "file", "packager", "upload", "streaming")}
    before = faultkit.assert_clean(st, st.counts())
    # A session the web apps have not seen yet: they cache a verified token for up to 2 s
    # (design.md), and HLS needs no database, so a just-verified token may keep playing.
    unseen = st.login()

    st.mariadb.stop()
    try:
        for name in ("auth", "file", "packager", "upload", "streaming"):
            body = _assert_503(requests.get(st.url(name) + "/healthz", timeout=15), f"{name} /healthz")
            assert body["status"] == "unavailable"
            assert body["checks"]["database"].startswith("unavailable"), body
        body = _assert_503(
            requests.post(
                st.url("auth") + "/api/login",
                data={"username": "alice", "password": TEST_PASSWORD},
                headers={"Accept": "application/json"},
                timeout=15,
            ),
            "login",
        )
        assert body["error"] == "database_unavailable" and "database" in body["message"].lower()
        # The web apps ask auth-svc, which cannot check the session: 503, never a page or data.
        for method, name, path in (
            ("GET", "streaming", "/api/videos"),
            ("GET", "upload", "/api/uploads"),
            ("GET", "streaming", f"/api/videos/{ready_id}"),
            ("GET", "streaming", f"/videos/{ready_id}/hls/master.m3u8"),
            ("GET", "streaming", "/"),
            ("GET", "upload", "/"),
        ):
            body = _assert_503(
                requests.request(method, st.url(name) + path, headers=bearer(unseen), timeout=15),
                f"{name} {path}",
            )
            assert body["error"] in ("auth_unavailable", "database_unavailable") and body["message"]
        resp = st.upload(unseen, small, name="during the outage", timeout=60)
        body = _assert_503(resp, "upload")
        assert body["message"]
    finally:
        st.mariadb.start()

    # Back: nothing was half-written, and the same processes serve again.
    assert faultkit.assert_clean(st, before) == before
    faultkit.assert_all_healthy(st)
    token2 = st.login()
    faultkit.play(st, token, ready_id)
    new_id = faultkit.upload_and_play(st, token2, small, "after the outage")
    assert new_id != ready_id
    assert {name: st[name].proc.pid for name in pids} == pids, "a service was restarted"
