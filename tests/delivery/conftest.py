"""A stack in presigned delivery (DELIVERY=presigned) on SQLite and the suite's SeaweedFS,
which checks signatures: a bucket of its own; the services reach the store through a
TcpProxy (S3_ENDPOINT_URL, cut while file-svc starts), the browser reaches it directly
(S3_PUBLIC_ENDPOINT_URL: another address, so that the signed host is the public one)."""

from __future__ import annotations

import pytest
from sharing.sharekit import add_caption

from harness import Stack, TcpProxy, make_clip, wait_until

METRICS_TOKEN = "test-metrics-token-0123456789"
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
