"""`/metrics` of the live stack, read the way Prometheus reads it, and one request followed
through three services' logs (LOG_FORMAT=json: every line a JSON object).

The stack runs two gunicorn workers per service, so the figures below add up only if
every worker's values are collected (gunicorn's multiprocess mode)."""

from __future__ import annotations

import json
import uuid

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from harness import Stack, make_clip, wait_until

METRICS_TOKEN = "test-metrics-token-0123456789"
SERVICES = ("auth", "upload", "streaming", "file", "packager")


@pytest.fixture(scope="module")
def ops_stack(tmp_path_factory):
    st = Stack(
        tmp_path_factory.mktemp("ops"),
        {"METRICS_TOKEN": METRICS_TOKEN, "LOG_FORMAT": "json", "WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "4"},
    )
    st.start()
    yield st
    st.stop()


def scrape(st: Stack, name: str) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of one service's /metrics."""
    resp = requests.get(st.url(name) + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10)
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"].startswith("text/plain")
    out = {}
    for family in text_string_to_metric_families(resp.text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def value(samples: dict, name: str, **labels) -> float:
    """The sum of the samples of `name` whose labels include `labels` (0 if none)."""
    want = set(labels.items())
    return sum(v for (n, lab), v in samples.items() if n == name and want <= set(lab))


def test_metrics_need_their_own_token(ops_stack, tmp_path):
    for name in SERVICES:
        url = ops_stack.url(name) + "/metrics"
        assert requests.get(url, timeout=10).status_code == 401, name
        wrong = requests.get(url, headers={"Authorization": "Bearer test-internal-token-0123456789"}, timeout=10)
        assert wrong.status_code == 401 and wrong.json()["error"] == "unauthorized", name
    # The session token of a user is not the metrics token either.
    token = ops_stack.login()
    resp = requests.get(ops_stack.url("streaming") + "/metrics", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 401


def test_counters_move_by_what_an_upload_and_a_playback_did(ops_stack, tmp_path):
    st = ops_stack
    token = st.login()
    clip = make_clip(tmp_path / "m.mp4", seconds=2)
    before = {name: scrape(st, name) for name in SERVICES}

    prepared = requests.Request(
        "POST",
        st.url("upload") + "/api/upload",
        files={"file": ("m.mp4", clip.read_bytes())},
        headers={"Authorization": f"Bearer {token}"},
    ).prepare()
    with requests.Session() as session:
        resp = session.send(prepared, timeout=60)
    assert resp.status_code == 201, resp.text
    video_id = resp.json()["id"]
    st.wait_status(token, video_id)
    mid = {name: scrape(st, name) for name in SERVICES}

    # One upload: its bytes, its outcome, its request; nothing in progress any more.
    up_b, up_m = before["upload"], mid["upload"]
    assert value(up_m, "reelhouse_upload_bytes_total", protocol="multipart") - value(
        up_b, "reelhouse_upload_bytes_total", protocol="multipart"
    ) == len(prepared.body)
    assert (
        value(up_m, "reelhouse_uploads_total", protocol="multipart", outcome="ok")
        - value(up_b, "reelhouse_uploads_total", protocol="multipart", outcome="ok")
        == 1
    )
    assert value(up_m, "reelhouse_uploads_in_progress", protocol="multipart") == 0
    route = {"route": "/api/upload", "method": "POST", "status": "201"}
    assert (
        value(up_m, "reelhouse_http_requests_total", **route) - value(up_b, "reelhouse_http_requests_total", **route)
        == 1
    )
    assert (
        value(up_m, "reelhouse_http_request_duration_seconds_count", route="/api/upload")
        - value(up_b, "reelhouse_http_request_duration_seconds_count", route="/api/upload")
        == 1
    )
    # The token was new to upload-webapp: one verification, at auth-svc.
    assert (
        value(up_m, "reelhouse_auth_verifications_total", outcome="valid")
        - value(up_b, "reelhouse_auth_verifications_total", outcome="valid")
        == 1
    )
    # file-svc took the bytes; the packager made the video ready once.
    ingest = {"route": "/videos", "method": "POST", "status": "201"}
    assert (
        value(mid["file"], "reelhouse_http_requests_total", **ingest)
        - value(before["file"], "reelhouse_http_requests_total", **ingest)
        == 1
    )
    pk_b, pk_m = before["packager"], mid["packager"]
    first_done = {"stage": "first", "outcome": "done"}
    assert (
        value(pk_m, "reelhouse_packaging_job_duration_seconds_count", **first_done)
        - value(pk_b, "reelhouse_packaging_job_duration_seconds_count", **first_done)
        == 1
    )
    assert (
        value(pk_m, "reelhouse_upload_to_ready_seconds_count") - value(pk_b, "reelhouse_upload_to_ready_seconds_count")
        == 1
    )
    assert (
        0
        < value(pk_m, "reelhouse_upload_to_ready_seconds_sum") - value(pk_b, "reelhouse_upload_to_ready_seconds_sum")
        < 60
    )
    depth = {lab: v for (n, lab), v in pk_m.items() if n == "reelhouse_packaging_queue_depth"}
    assert {dict(lab)["stage"] for lab in depth} == {"first", "thumbs", "rendition"}
    assert value(pk_m, "reelhouse_packaging_queue_depth", stage="first") == 0

    # A playback: the master, a media playlist, a segment; then a request with a bad token.
    base = f"{st.url('streaming')}/videos/{video_id}/hls/"
    cookies = {"auth_token": token}
    master = requests.get(base + "master.m3u8", cookies=cookies, timeout=10)
    rung = next(line for line in master.text.splitlines() if line and not line.startswith("#"))
    media = requests.get(base + rung, cookies=cookies, timeout=10)
    seg = next(line for line in media.text.splitlines() if line and not line.startswith("#"))
    segment = requests.get(base + rung.rsplit("/", 1)[0] + "/" + seg, cookies=cookies, timeout=10)
    assert master.ok and media.ok and segment.ok
    refused = requests.get(base + "master.m3u8", cookies={"auth_token": "x" * 43}, timeout=10)
    assert refused.status_code == 401
    after = scrape(st, "streaming")
    sb = mid["streaming"]

    def moved(name, **labels):
        return value(after, name, **labels) - value(sb, name, **labels)

    assert moved("reelhouse_hls_bytes_served_total", kind="playlist") == len(master.content) + len(media.content)
    assert moved("reelhouse_hls_bytes_served_total", kind="segment") == len(segment.content)
    assert moved("reelhouse_hls_responses_total", kind="segment", status="200") == 1
    hls_route = {"route": "/videos/<video_id>/hls/<path:path>", "method": "GET"}
    assert moved("reelhouse_http_requests_total", status="200", **hls_route) == 3
    assert moved("reelhouse_http_requests_total", status="401", **hls_route) == 1
    assert moved("reelhouse_auth_verifications_total", outcome="valid") == 3
    assert moved("reelhouse_auth_verifications_total", outcome="invalid") == 1
    # No video id in any label of any service.
    for samples in (*mid.values(), after):
        assert not any(video_id in str(labels) for (_, labels) in samples)


def test_a_request_id_is_followed_through_three_services(ops_stack, tmp_path):
    st = ops_stack
    token = st.login()
    rid = f"trace-{uuid.uuid4().hex[:12]}"
    clip = make_clip(tmp_path / "r.mp4", seconds=1)
    with open(clip, "rb") as fh:
        resp = requests.post(
            st.url("upload") + "/api/upload",
            files={"file": ("r.mp4", fh)},
            headers={"Authorization": f"Bearer {token}", "X-Request-Id": rid},
            timeout=60,
        )
    assert resp.status_code == 201, resp.text
    assert resp.headers["X-Request-Id"] == rid

    def lines_with(name):
        records = [json.loads(line) for line in st[name].log.read_text().splitlines() if line.strip()]
        return [r for r in records if r.get("request_id") == rid]

    for name in ("upload", "auth", "file"):
        found = wait_until(lambda n=name: lines_with(n), 10, f"{rid} in {name}'s log")
        assert all(r["service"] != "-" for r in found if r["logger"] != "access"), found

    # gunicorn writes the access line once the answer is sent: wait for it too.
    def upload_access_line():
        lines = lines_with("upload")
        hit = any(r["logger"] == "access" and r["path"] == "/api/upload" and r["status"] == 201 for r in lines)
        return lines if hit else None

    upload_lines = wait_until(upload_access_line, 10, "the access line of the upload")
    assert any("upload" in r["message"] and r["logger"] != "access" for r in upload_lines), upload_lines
    # An id that does not match [A-Za-z0-9._-]{1,64} is replaced, not passed on.
    bad = requests.get(st.url("streaming") + "/healthz", headers={"X-Request-Id": "a b<script>"}, timeout=10)
    assert bad.headers["X-Request-Id"] != "a b<script>" and len(bad.headers["X-Request-Id"]) == 32
    long = requests.get(st.url("streaming") + "/healthz", headers={"X-Request-Id": "a" * 65}, timeout=10)
    assert long.headers["X-Request-Id"] != "a" * 65


def test_every_log_line_is_json(ops_stack):
    for name in SERVICES:
        lines = [line for line in ops_stack[name].log.read_text().splitlines() if line.strip()]
        assert lines, name
        for line in lines:
            record = json.loads(line)  # raises on a line that is not JSON
            assert {"time", "service", "level", "logger", "request_id", "message"} <= record.keys(), (name, record)
