"""The delivery tests' stack: the embedded defaults (SQLite, the local storage folder), so
streaming-svc sends the folder's files itself (DELIVERY=local by default), with metrics
on and a second user (bob); a twin streaming-svc on the same stack with DELIVERY=relay,
whose answers are what every local answer must equal; and one ready video of alice's."""

from __future__ import annotations

import pytest
import requests
from werkzeug.security import generate_password_hash

from harness import TEST_PASSWORD, Service, Stack, free_port, make_clip

METRICS_TOKEN = "test-metrics-token-0123456789"


@pytest.fixture(scope="session")
def dl_stack(tmp_path_factory):
    base = tmp_path_factory.mktemp("delivery")
    users = base / "users.txt"
    users.write_text(f"bob:{generate_password_hash(TEST_PASSWORD)}\n")
    st = Stack(
        base,
        {"STORAGE_BACKEND": "local", "METRICS_TOKEN": METRICS_TOKEN, "AUTH_USERS_FILE": str(users), "HLS_LADDER": ""},
    )
    st.start()
    yield st
    st.stop()


@pytest.fixture(scope="session")
def relay_twin(dl_stack):
    """streaming-svc again, beside the stack's, relaying file-svc (DELIVERY=relay)."""
    svc = Service("streaming-relay", free_port(), {**dl_stack.env, "DELIVERY": "relay"}, dl_stack.base, "streaming")
    svc.start()
    yield svc
    svc.stop()


@pytest.fixture(scope="session")
def dl_tokens(dl_stack):
    return {"alice": dl_stack.login("alice"), "bob": dl_stack.login("bob")}


@pytest.fixture(scope="session")
def dl_clip(tmp_path_factory):
    """Nine seconds: three segments of a single rendition, for a whole play and a seek."""
    return make_clip(tmp_path_factory.mktemp("delivery-clips") / "d.mp4", seconds=9, size="320x240")


def new_video(st: Stack, token: str, clip, name: str) -> str:
    """A ready video of `token`'s user, with its thumbnails; its id."""
    return st.api.upload_ready(token, clip, name, packaged=True)["id"]


@pytest.fixture(scope="session")
def dl_video(dl_stack, dl_tokens, dl_clip):
    return new_video(dl_stack, dl_tokens["alice"], dl_clip, "Delivered")


def scrape(url: str) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of a service's /metrics."""
    from prometheus_client.parser import text_string_to_metric_families

    resp = requests.get(url + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10)
    assert resp.status_code == 200, resp.text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(resp.text)
        for s in family.samples
    }


def value(samples: dict, name: str, **labels) -> float:
    """The sum of the samples of `name` whose labels include `labels` (0 if none)."""
    want = set(labels.items())
    return sum(v for (n, lab), v in samples.items() if n == name and want <= set(lab))
