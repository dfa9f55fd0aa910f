"""The delivery tests' stacks.

- `dl_stack`: the embedded defaults (SQLite, the local storage folder), so streaming-svc
  sends the folder's files itself (local delivery, the default there), with metrics on
  and a second user (bob); `relay_twin`, a streaming-svc on the same stack with
  DELIVERY=relay, whose answers are what every local answer must equal; one ready video.
- `presigned_stack`: presigned delivery (DELIVERY=presigned) on SQLite and the suite's
  SeaweedFS, which checks signatures: a bucket of its own; the services reach the store
  through a TcpProxy (S3_ENDPOINT_URL, cut while file-svc starts), the browser reaches it
  directly (S3_PUBLIC_ENDPOINT_URL: another address, so that the signed host is the
  public one)."""

from __future__ import annotations

import pytest
import requests
from sharing.sharekit import add_caption
from werkzeug.security import generate_password_hash

from harness import TEST_PASSWORD, Service, Stack, TcpProxy, free_port, make_clip, wait_until

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


BUCKET = "presigned-delivery"


@pytest.fixture(scope="module")
def store_proxy(s3):
    proxy = TcpProxy(s3.port)
    yield proxy
    proxy.close()


@pytest.fixture(scope="module")
def presigned_stack(tmp_path_factory, s3, store_proxy):
    """The stack, started while the store is unreachable from the services (file-svc's
    CORS attempt fails and is retried), then let through."""
    s3.create_bucket(BUCKET)
    st = Stack(
        tmp_path_factory.mktemp("presigned"),
        {
            "STORAGE_BACKEND": "s3",
            "DELIVERY": "presigned",
            "S3_ENDPOINT_URL": f"http://127.0.0.1:{store_proxy.port}",
            "S3_PUBLIC_ENDPOINT_URL": f"http://127.0.0.1:{s3.port}",
            "S3_BUCKET": BUCKET,
            "S3_REGION": s3.region,
            "AWS_ACCESS_KEY_ID": s3.key,
            "AWS_SECRET_ACCESS_KEY": s3.secret,
            "S3_ADDRESSING_STYLE": "path",
            "S3_TIMEOUT_SECONDS": "2",
            "S3_MAX_ATTEMPTS": "1",
            "METRICS_TOKEN": METRICS_TOKEN,
        },
    )
    st.s3, st.bucket = s3, BUCKET
    store_proxy.cut()
    st["file"].start(wait=False)
    wait_until(lambda: "CORS not set" in st["file"].log.read_text(), 30, "file-svc's CORS attempt", st["file"].log)
    store_proxy.restore()
    for name in ("auth", "packager"):
        st[name].start(wait=False)
    for name in ("file", "auth", "packager"):
        st[name].wait_ready()
    for name in ("upload", "streaming"):
        st[name].start()
    yield st
    st.stop()


@pytest.fixture(scope="module")
def presigned_token(presigned_stack):
    return presigned_stack.login()


@pytest.fixture(scope="module")
def long_video(presigned_stack, presigned_token, tmp_path_factory):
    """A ready 10 s video (three 4 s segments) with a caption track (English)."""
    clip = make_clip(tmp_path_factory.mktemp("presigned-clips") / "ten.mp4", seconds=10, size="320x180")
    resp = presigned_stack.upload(presigned_token, clip, name="Presigned")
    resp.raise_for_status()
    video = presigned_stack.wait_status(presigned_token, resp.json()["id"])
    add_caption(presigned_stack, presigned_token, video["id"])
    return presigned_stack.video(presigned_token, video["id"])
