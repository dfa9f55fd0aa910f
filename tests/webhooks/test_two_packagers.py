"""Two packagers on MariaDB share the webhook deliveries: every event reaches every
endpoint subscribed to it exactly once (their claims never both win), both packagers
take part, and each delivery is delivered on its first attempt."""

from __future__ import annotations

from collections import Counter

import pytest

from harness import make_clip, own_stack, wait_until
from vs_common import catalogue, events
from vs_common.db import Database
from vs_common.settings import load_settings

from .hookkit import Receiver, register_for

pytestmark = pytest.mark.slow
EMITTED = 60  # events written straight to the outbox, on top of the uploads' own


@pytest.fixture(scope="module")
def two(tmp_path_factory, mariadb, s3):
    """MariaDB + S3, two packagers, private addresses allowed (the receiver is on loopback)."""
    base = tmp_path_factory.mktemp("webhooks-two")
    for st in own_stack(base, mariadb, s3, "webhooks_two", WEBHOOK_ALLOW_PRIVATE="true"):
        st.add_packager("packager2").start()
        yield st


def _stack_db(st, monkeypatch) -> Database:
    """The stack's database as its services open it (MariaDB, the stack's settings)."""
    for key, value in st.env.items():
        monkeypatch.setenv(key, value)
    return Database(load_settings())


def test_each_event_once_per_endpoint(two, tmp_path, monkeypatch):
    st = two
    receiver = Receiver(delay=0.1).start()  # a slow endpoint: the packagers' senders overlap
    try:
        token = st.login()
        endpoints = {path: register_for(st, token, receiver, path) for path in ("/a", "/b")}
        clip = make_clip(tmp_path / "two.mp4", seconds=2, size="320x240")
        videos = [st.api.upload_ready(token, clip, f"Shared {n}") for n in range(2)]
        # Many more at once, as a busy site makes them: the VIDEO of a real video each.
        db = _stack_db(st, monkeypatch)
        for n in range(EMITTED):
            with db.transaction() as cur:
                catalogue.emit(cur, events.VIDEO_READY, videos[n % 2]["id"])
        expected = 2 * (2 * len(videos) + EMITTED)  # two endpoints; upload.completed and video.ready per upload

        def all_over():
            rows = st.query("SELECT status FROM webhook_deliveries")
            return len(rows) == expected and all(r["status"] != "pending" for r in rows) and rows

        wait_until(all_over, 120, f"{expected} deliveries over", st["packager"].log, interval=0.25)
        rows = st.query("SELECT webhook_id, status, attempts, claimed_by FROM webhook_deliveries")
        assert Counter((r["status"], r["attempts"]) for r in rows) == {("delivered", 1): expected}
        got = receiver.got()
        assert all(r.problem is None for r in got)
        per = Counter((r.path, r.message_id) for r in got)
        assert len(got) == expected and set(per.values()) == {1}, per.most_common(3)
        assert {path for path, _ in per} == set(endpoints)
        # Both packagers took part: `claimed_by` is `host-pid-webhooks-token`.
        pids = Counter(r["claimed_by"].rsplit("-", 3)[1] for r in rows)
        assert len(pids) == 2, pids
        print(f"deliveries per packager: {dict(pids)}")
    finally:
        receiver.stop()
