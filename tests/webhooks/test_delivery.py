"""Webhooks end to end, on a stack of real processes (SQLite, local storage; ffmpeg
behind the packaging tests' gate) and a real receiver on loopback (so the stack allows
private addresses: WEBHOOK_ALLOW_PRIVATE=true; what it refuses even so, and what is
refused without it, is tests/webhooks/test_outbound.py's and test_admin_api.py's).
Every request the receiver gets is verified with the `standardwebhooks` library.

Events of real changes (uploads by both paths, ready, failed, delete), a delivery retried
after its receiver answered 503 or was not listening, the outbox across a packager
restart, a redirect to the metadata address refused."""

from __future__ import annotations

import pytest
import requests
from packager.conftest import Gate
from tusclient import client as tus

from conftest import browser_login
from harness import Stack, bearer, make_clip, wait_until

from .hookkit import ALL_EVENTS, Receiver, deliveries_of, delivery_log, register, register_for, unregister

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def hooks(tmp_path_factory):
    """The stack (short retries: 1 s, 1 s, 30 s, 30 s; one packaging attempt), alice's
    token, a receiver with the endpoint `/hook` (every event) registered, and a clip."""
    base = tmp_path_factory.mktemp("webhooks")
    gate = Gate(base)
    receiver = Receiver().start()
    st = Stack(
        base,
        {
            "STORAGE_BACKEND": "local",
            "WEBHOOK_ALLOW_PRIVATE": "true",
            "WEBHOOK_RETRY_SECONDS": "1,1,30,30",
            "JOB_MAX_ATTEMPTS": "1",
            **gate.env,
        },
    )
    st.gate, st.receiver = gate, receiver
    st.start()
    try:
        st.token = st.login()
        st.hook = register_for(st, st.token, receiver, "/hook")
        st.clip = make_clip(base / "clip.mp4", seconds=2, size="320x240")
        yield st
    finally:
        gate.release()
        st.stop()
        receiver.stop()


def _video_api(st, video_id: str) -> dict:
    return st.video(st.token, video_id)


def _upload(st, name: str) -> str:
    return st.api.upload_id(st.token, st.clip, name)


def _wait(st, event: str, video_id: str, path: str = "/hook"):
    return st.receiver.wait_event(event, video_id, path, log=st["packager"].log)


def test_upload_ready_and_delete(hooks):
    st = hooks
    vid = _upload(st, "Webhook clip")
    completed = _wait(st, "upload.completed", vid)
    ready = _wait(st, "video.ready", vid)
    for got in (completed, ready):
        assert got.problem is None  # verified by Webhook.verify
        assert got.headers["webhook-id"].startswith("msg_") and got.headers["content-type"] == "application/json"
        assert set(got.payload) == {"type", "timestamp", "data"}
    assert completed.message_id != ready.message_id
    assert completed.payload["data"]["status"] == "processing" and completed.payload["data"]["owner"] == "alice"
    api = _video_api(st, vid)
    assert ready.payload["data"]["status"] == "ready"
    for key in ("id", "video_name", "owner", "status", "duration_s", "width", "height", "poster_url", "watch_url"):
        assert ready.payload["data"][key] == api[key], key
    assert requests.delete(
        f"{st.url('streaming')}/api/videos/{vid}?purge=true", headers=bearer(st.token), timeout=30
    ).ok
    deleted = _wait(st, "video.deleted", vid)
    assert deleted.problem is None and deleted.payload["data"]["id"] == vid
    assert deleted.payload["data"]["status"] == "ready"  # the video as it was
    ours = {completed.message_id, ready.message_id, deleted.message_id}
    log = wait_until(
        lambda: (
            len(rows := [r for r in delivery_log(st, st.token, st.hook["id"]) if r["message_id"] in ours]) == 3 and rows
        ),
        10,
        "the log of the three",
    )
    assert sorted(r["event"] for r in log) == ["upload.completed", "video.deleted", "video.ready"]
    assert all(
        (r["attempt"], r["status"], r["outcome"], r["error"], r["state"]) == (1, 200, "delivered", None, "delivered")
        for r in log
    )


def test_tus_upload_completed(hooks):
    st = hooks
    client = tus.TusClient(st.url("upload") + "/api/tus/", headers=bearer(st.token))
    uploader = client.uploader(
        file_path=str(st.clip), chunk_size=64 * 1024, metadata={"filename": "t.mp4", "name": "By tus"}
    )
    uploader.upload()
    vid = uploader.url.rstrip("/").rsplit("/", 1)[1]
    got = _wait(st, "upload.completed", vid)
    assert got.problem is None and got.payload["data"]["video_name"] == "By tus"
    _wait(st, "video.ready", vid)


def test_failed_packaging(hooks):
    st = hooks
    st.gate.fail("hls_time")  # every rendition's encode fails; one attempt: the video fails
    try:
        vid = _upload(st, "Doomed clip")
        failed = _wait(st, "video.failed", vid)
    finally:
        st.gate.release()
    assert failed.problem is None
    data = failed.payload["data"]
    assert data["status"] == "failed" and "Conversion failed" in data["error"]
    assert _video_api(st, vid)["status"] == "failed"
    assert sorted(r.type for r in st.receiver.events_about(vid)) == ["upload.completed", "video.failed"]


def test_retried_after_the_receiver_was_down(hooks):
    """One endpoint answers 503 once; another is not listening at first. Both get the
    event on a later attempt, and their logs show every attempt."""
    st = hooks
    flaky = register_for(st, st.token, st.receiver, "/flaky", ["upload.completed"])
    down = Receiver().start()
    gone = register_for(st, st.token, down, "/down", ["upload.completed"])
    down.stop()
    try:
        st.receiver.script("/flaky", 503)
        vid = _upload(st, "Retried clip")
        # The endpoint that is down: its first attempt fails, then it comes back on its port.
        first = wait_until(lambda: delivery_log(st, st.token, gone["id"]), 30, "a first attempt at /down")
        assert first[0]["outcome"] == "unreachable" and "ConnectionRefusedError" in first[0]["error"]
        assert first[0]["status"] is None and first[0]["state"] == "pending"
        down.start()
        for receiver, path, endpoint in ((st.receiver, "/flaky", flaky), (down, "/down", gone)):
            got = receiver.wait_event("upload.completed", vid, path, timeout=60)
            assert got.problem is None
            log = wait_until(
                lambda e=endpoint: (r := delivery_log(st, st.token, e["id"]))[0]["state"] == "delivered" and r,
                10,
                f"{path} delivered",
            )
            assert len(log) >= 2 and log[0]["outcome"] == "delivered" and log[0]["status"] == 200
            assert [r["attempt"] for r in log] == list(range(len(log), 0, -1))
            assert {r["message_id"] for r in log} == {got.message_id}
        flaky_log = delivery_log(st, st.token, flaky["id"])
        assert [(r["attempt"], r["status"], r["outcome"]) for r in flaky_log] == [
            (2, 200, "delivered"),
            (1, 503, "http_error"),
        ]
        assert flaky_log[1]["error"] == "answered HTTP 503"
        # The 503 was a request the receiver got too: the same message twice, verified each time.
        tries = [r for r in st.receiver.got("/flaky") if r.payload and r.payload["data"]["id"] == vid]
        assert [r.message_id for r in tries] == [flaky_log[0]["message_id"]] * 2
    finally:
        down.stop()
        unregister(st, st.token, flaky["id"])
        unregister(st, st.token, gone["id"])


def test_the_outbox_survives_a_packager_restart(hooks):
    """Events written while no packager runs wait in the database, and are delivered
    once one starts again."""
    st = hooks
    earlier = _upload(st, "Deleted while stopped")
    _wait(st, "video.ready", earlier)
    st["packager"].stop()
    try:
        vid = _upload(st, "Uploaded while stopped")
        assert requests.delete(
            f"{st.url('streaming')}/api/videos/{earlier}?purge=true", headers=bearer(st.token), timeout=30
        ).ok
        pending = st.query(
            "SELECT e.type, e.message_id, d.status, d.attempts FROM webhook_events e JOIN webhook_deliveries d "
            "ON d.event_id = e.id WHERE d.webhook_id = ? AND e.payload LIKE ? ORDER BY e.id",
            (st.hook["id"], f'%"id":"{vid}"%'),
        ) + st.query(
            "SELECT e.type, e.message_id, d.status, d.attempts FROM webhook_events e JOIN webhook_deliveries d "
            "ON d.event_id = e.id WHERE d.webhook_id = ? AND e.type = 'video.deleted' AND e.payload LIKE ?",
            (st.hook["id"], f'%"id":"{earlier}"%'),
        )
        assert [(r["type"], r["status"], r["attempts"]) for r in pending] == [
            ("upload.completed", "pending", 0),
            ("video.deleted", "pending", 0),
        ]
        assert st.receiver.events_about(vid) == []  # no packager: nothing was sent
    finally:
        st["packager"].start()
    completed = _wait(st, "upload.completed", vid)
    deleted = _wait(st, "video.deleted", earlier)
    assert [completed.message_id, deleted.message_id] == [r["message_id"] for r in pending]
    _wait(st, "video.ready", vid)
    for row in pending:
        ours = [d for d in deliveries_of(st, row["message_id"]) if d["webhook_id"] == st.hook["id"]]
        assert [(d["status"], d["attempts"]) for d in ours] == [("delivered", 1)]


def test_a_redirect_to_the_metadata_address_is_refused(hooks):
    st = hooks
    bounce = register_for(st, st.token, st.receiver, "/bounce", ["upload.completed"])
    for _ in range(3):
        st.receiver.script("/bounce", (302, "http://169.254.169.254/latest/meta-data/iam/"))
    vid = _upload(st, "Bounced clip")
    log = wait_until(lambda: delivery_log(st, st.token, bounce["id"]), 30, "an attempt at /bounce")
    assert log[0]["outcome"] == "refused" and log[0]["status"] is None
    assert "redirected, and 169.254.169.254 is link-local" in log[0]["error"]
    assert st.receiver.events_about(vid, "/bounce")  # the first hop was made (and verified)
    resp = register(st, st.token, "http://169.254.169.254/latest/meta-data/", ALL_EVENTS)
    assert resp.status_code == 400 and resp.json()["error"] == "bad_url"


@pytest.mark.browser
def test_the_admin_page(hooks, browser):
    """In Chromium: register an endpoint (its secret shown once, which then verifies what
    it receives), a refused URL's reason, the list, the delivery log, delete."""
    st = hooks
    context = browser.new_context()
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    try:
        browser_login(page, st)
        page.goto(st.url("auth") + "/admin/webhooks")
        page.fill("#webhook-url", "http://169.254.169.254/latest/meta-data/")
        page.click("#register-form button[type=submit]")
        page.wait_for_selector("#register-error:not([hidden])")
        assert "link-local" in page.inner_text("#register-error")
        page.fill("#webhook-url", st.receiver.url("/page"))
        for event in ("video.ready", "video.failed", "video.deleted"):
            page.uncheck(f"input[name=events][value='{event}']")
        page.click("#register-form button[type=submit]")
        page.wait_for_selector("#secret-box:not([hidden])")
        secret = page.inner_text("[data-testid=webhook-secret]")
        assert secret.startswith("whsec_")
        st.receiver.secrets["/page"] = secret
        row = page.locator("#webhooks tbody tr", has_text=st.receiver.url("/page"))
        row.wait_for()
        assert "upload.completed" in row.inner_text() and "video.ready" not in row.inner_text()
        vid = _upload(st, "Seen from the page")
        got = _wait(st, "upload.completed", vid, "/page")
        assert got.problem is None  # the secret the page showed verifies it
        made = next(
            w
            for w in requests.get(st.url("auth") + "/api/webhooks", headers=bearer(st.token), timeout=10).json()[
                "webhooks"
            ]
            if w["url"] == st.receiver.url("/page")
        )
        wait_until(lambda: delivery_log(st, st.token, made["id"]), 10, "the attempt logged")
        row.get_by_role("button", name="Deliveries").click()
        log_row = page.locator("#deliveries tbody tr[data-outcome=delivered]", has_text="upload.completed")
        log_row.first.wait_for()
        assert "200" in log_row.first.inner_text()
        page.on("dialog", lambda d: d.accept())
        row.get_by_role("button", name="Delete").click()
        row.wait_for(state="detached")
        listed = requests.get(st.url("auth") + "/api/webhooks", headers=bearer(st.token), timeout=10).json()
        assert st.receiver.url("/page") not in [w["url"] for w in listed["webhooks"]]
        assert violations == []
    finally:
        context.close()
