"""The outbox (vs_common.events, tables.webhooks) and one delivery attempt
(file_svc.packager.webhooks), on SQLite in this process: events written in the
transaction of their change (or not at all), one delivery per subscribed endpoint, the
claim that one worker alone wins, the retry schedule, the log, the pruning; an attempt
signed so that the `standardwebhooks` library verifies it at a real receiver."""

from __future__ import annotations

import dataclasses
import json
import sys
import threading
from datetime import timedelta

import pytest

from harness import ROOT, embedded_settings
from vs_common import catalogue, events, tables, video_json
from vs_common.db import Database, utcnow
from vs_common.schema import migrate

from .hookkit import Receiver

pytestmark = pytest.mark.fast
STREAMING = "http://stream.test"


@pytest.fixture
def db(tmp_path):
    database = Database(embedded_settings(tmp_path, "outbox", streaming_public_url=STREAMING))
    migrate(database)
    return database


def endpoint(db, webhook_id: str, kinds: list[str], url: str = "http://127.0.0.1:9/hook", secret: str = "") -> None:
    row = {
        "id": webhook_id,
        "url": url,
        "events": kinds,
        "secret": secret or "whsec_" + "QUFB" * 8,
        "created_by": "alice",
        "created_at": utcnow(),
    }
    assert tables.webhooks.create(db, row, 20)


def new_video(db, video_id: str = "v" * 22) -> str:
    catalogue.insert_video(
        db, db.settings, video_id=video_id, name="Clip", owner="alice", size_bytes=10, original_key="k"
    )
    return video_id


def outbox(db) -> list[dict]:
    """Every event with its deliveries' endpoints, oldest first."""
    rows = db.query(
        "SELECT e.id, e.message_id, e.type, e.payload, d.webhook_id, d.status, d.attempts FROM webhook_events e "
        "LEFT JOIN webhook_deliveries d ON d.event_id = e.id ORDER BY e.id, d.webhook_id"
    )
    return rows


def test_upload_completed_written_with_the_row(db):
    endpoint(db, "wh_all", events.TYPES)
    endpoint(db, "wh_ready", ["video.ready"])
    vid = new_video(db)
    (row,) = outbox(db)
    assert (row["type"], row["webhook_id"], row["status"], row["attempts"]) == (
        "upload.completed",
        "wh_all",
        "pending",
        0,
    )
    assert row["message_id"].startswith("msg_") and len(row["message_id"]) == 28
    body = json.loads(row["payload"])
    assert set(body) == {"type", "timestamp", "data"} and body["type"] == "upload.completed"
    assert body["timestamp"].endswith("Z")
    # The VIDEO as the API shows it.
    assert body["data"] == video_json.to_json(catalogue.get_video(db, vid), STREAMING)
    assert body["data"]["status"] == "processing" and body["data"]["phase"] == "waiting"


def test_nothing_written_or_read_without_a_subscriber(db):
    endpoint(db, "wh_ready", ["video.ready"])
    new_video(db)
    assert outbox(db) == []
    read = []
    with db.transaction() as cur:
        assert events.emit(cur, "video.deleted", lambda: read.append(1) or {}) is None
    assert read == []


def test_rolled_back_change_leaves_no_event(db):
    """The event is the change's: a transaction that fails takes its event with it."""
    endpoint(db, "wh_all", events.TYPES)
    with pytest.raises(RuntimeError), db.transaction() as cur:
        events.emit(cur, "video.ready", {"id": "x"})
        raise RuntimeError("the change failed")
    assert outbox(db) == []
    with pytest.raises(ValueError, match="unknown webhook event type"), db.transaction() as cur:
        events.emit(cur, "video.made", {})


def test_deleted_carries_the_video_as_it_was(db):
    vid = new_video(db)
    before = video_json.to_json(catalogue.get_video(db, vid), STREAMING)
    endpoint(db, "wh_del", ["video.deleted"])
    assert catalogue.delete_video(db, vid)
    assert catalogue.get_video(db, vid) is None
    (row,) = outbox(db)
    assert row["type"] == "video.deleted" and json.loads(row["payload"])["data"] == before
    assert not catalogue.delete_video(db, vid)  # gone already: no second event
    assert len(outbox(db)) == 1


def test_failed_and_ready(db):
    endpoint(db, "wh_all", ["video.failed", "video.ready"])
    failing, readying = new_video(db, "f" * 22), new_video(db, "r" * 22)
    with db.transaction() as cur:
        catalogue.fail_video(cur, failing, "ffmpeg said no")
        catalogue.mark_ready(cur, readying)
    failed, ready = outbox(db)
    assert failed["type"] == "video.failed"
    data = json.loads(failed["payload"])["data"]
    assert (data["id"], data["status"], data["error"]) == (failing, "failed", "ffmpeg said no")
    data = json.loads(ready["payload"])["data"]
    assert ready["type"] == "video.ready" and (data["id"], data["status"]) == (readying, "ready")
    with db.transaction() as cur:  # not processing any more: no second `failed`
        catalogue.fail_video(cur, readying, "late")
    assert len(outbox(db)) == 2


def _delivery_ids(db) -> list[int]:
    return [r["id"] for r in db.query("SELECT id FROM webhook_deliveries ORDER BY id")]


def test_one_claim_wins_and_a_lost_lease_changes_nothing(db):
    endpoint(db, "wh_all", events.TYPES)
    new_video(db)
    (did,) = tables.webhooks.due(db, 10)
    first = tables.webhooks.claim(db, did, "p1-a", 60)
    assert first is not None and first["attempts"] == 1 and first["url"] == "http://127.0.0.1:9/hook"
    assert tables.webhooks.claim(db, did, "p2-b", 60) is None  # leased
    assert tables.webhooks.due(db, 10) == []
    # The lease runs out (a packager died): another claims it, attempt 2.
    db.execute("UPDATE webhook_deliveries SET lease_until = ? WHERE id = ?", (utcnow() - timedelta(seconds=1), did))
    second = tables.webhooks.claim(db, did, "p2-b", 60)
    assert second is not None and second["attempts"] == 2
    attempt = {"at": utcnow(), "status_code": 200, "outcome": "delivered", "error": None}
    assert not tables.webhooks.record(db, first, "p1-a", attempt, "delivered", None)  # not its lease now
    assert db.query_one("SELECT status FROM webhook_deliveries WHERE id = ?", (did,))["status"] == "pending"
    assert tables.webhooks.record(db, second, "p2-b", attempt, "delivered", None)
    log = tables.webhooks.attempts_of(db, "wh_all", 10)
    # Both attempts are in the log, each under its own number; the state is the holder's.
    assert [(r["attempt"], r["outcome"], r["delivery"]) for r in log] == [
        (2, "delivered", "delivered"),
        (1, "delivered", "delivered"),
    ]


@pytest.fixture(scope="module")
def worker():
    """file_svc.packager.webhooks (file-svc's code, imported as the packager does)."""
    sys.path.insert(0, str(ROOT / "file-svc"))
    try:
        from file_svc.packager import webhooks
    finally:
        sys.path.remove(str(ROOT / "file-svc"))
    return webhooks


def test_retry_schedule(worker):
    next_state = worker.next_state
    waits = (5, 30, 120)
    assert next_state(1, True, waits) == ("delivered", None)
    for attempts, wait in ((1, 5), (2, 30), (3, 120)):
        status, at = next_state(attempts, False, waits)
        assert status == "pending" and timedelta(seconds=wait - 1) < at - utcnow() <= timedelta(seconds=wait)
    assert next_state(4, False, waits) == ("failed", None)


def test_prune_keeps_pending_and_recent(db):
    endpoint(db, "wh_all", events.TYPES)
    for n in range(3):
        new_video(db, f"{n}" * 22)
    old, pending_old, recent = _delivery_ids(db)
    attempt = {"at": utcnow(), "status_code": 200, "outcome": "delivered", "error": None}
    for did in (old, recent):
        claimed = tables.webhooks.claim(db, did, "t", 60)
        tables.webhooks.record(db, claimed, "t", attempt, "delivered", None)
    long_ago = utcnow() - timedelta(days=8)
    db.execute("UPDATE webhook_events SET created_at = ? WHERE id <= 2", (long_ago,))
    assert tables.webhooks.prune(db, utcnow() - timedelta(days=7)) == 1
    assert _delivery_ids(db) == [pending_old, recent]
    assert db.query("SELECT delivery_id FROM webhook_attempts") == [{"delivery_id": recent}]  # the log went too


def test_an_attempt_is_signed_as_the_library_verifies(db, worker):
    attempt = worker.attempt
    receiver = Receiver().start()
    try:
        secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        receiver.secrets["/in"] = secret
        endpoint(db, "wh_all", events.TYPES, url=receiver.url("/in"), secret=secret)
        vid = new_video(db)
        (did,) = tables.webhooks.due(db, 1)
        claimed = tables.webhooks.claim(db, did, "t", 60)
        done = attempt(claimed, allow_private=True)
        assert (done["status_code"], done["outcome"], done["error"]) == (200, "delivered", None)
        (got,) = receiver.got()
        assert got.problem is None and got.type == "upload.completed" and got.payload["data"]["id"] == vid
        assert got.message_id == claimed["message_id"] and got.headers["content-type"] == "application/json"
        assert got.body.decode() == claimed["payload"]  # the stored bytes, as they are
        receiver.script("/in", 503)
        done = attempt(claimed, allow_private=True)
        assert (done["status_code"], done["outcome"], done["error"]) == (503, "http_error", "answered HTTP 503")
        done = attempt(claimed, allow_private=False)
        assert done["status_code"] is None and done["outcome"] == "refused"
        assert done["error"].startswith("refused: 127.0.0.1 is loopback") and "/in" not in done["error"]
        assert len(receiver.got()) == 2
    finally:
        receiver.stop()


def _deliverer(worker, db, waits=(1, 1)):
    from file_svc.packager.context import Services

    settings = dataclasses.replace(db.settings, webhook_retry_seconds=waits, webhook_allow_private=True)
    services = Services(settings=settings, db=db, storage=None, budget=None, stop=threading.Event())
    return worker.Deliverer(services, "host-1")


def test_given_up_when_interrupted_on_every_attempt(db, worker):
    """A delivery whose packagers died mid-attempt on every claim is failed, not sent again."""
    receiver = Receiver().start()
    try:
        endpoint(db, "wh_all", events.TYPES, url=receiver.url("/x"))
        new_video(db)
        (did,) = tables.webhooks.due(db, 1)
        db.execute("UPDATE webhook_deliveries SET attempts = 3 WHERE id = ?", (did,))  # 1 + 2 waits, all used
        deliverer = _deliverer(worker, db)
        deliverer.slots.acquire()
        deliverer._send(tables.webhooks.claim(db, did, "t", 60), "t")
        (row,) = tables.webhooks.attempts_of(db, "wh_all", 5)
        assert (row["attempt"], row["outcome"], row["error"], row["delivery"]) == (
            4,
            "error",
            "interrupted on every attempt",
            "failed",
        )
        assert receiver.got() == []
    finally:
        receiver.stop()


def test_an_unexpected_error_is_a_failed_attempt(db, worker):
    """A secret the library cannot read (a row changed by hand): logged as an attempt, retried."""
    endpoint(db, "wh_all", events.TYPES, secret="whsec_")
    new_video(db)
    (did,) = tables.webhooks.due(db, 1)
    deliverer = _deliverer(worker, db)
    deliverer.slots.acquire()
    deliverer._send(tables.webhooks.claim(db, did, "t", 60), "t")
    (row,) = tables.webhooks.attempts_of(db, "wh_all", 5)
    assert (row["attempt"], row["outcome"], row["delivery"]) == (1, "error", "pending")
    assert row["error"] == "internal error: EmptyWebhookSecretError"
