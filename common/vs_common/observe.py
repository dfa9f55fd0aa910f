"""What an operator sees of a running service: request ids and Prometheus metrics.

- Request ids: `X-Request-Id` is kept when it matches `[A-Za-z0-9._-]{1,64}`, else one is
  made; it is answered back, sent on every call to auth-svc and file-svc
  (`TracedSession`, `trace_headers`) and put in every log line of the request
  (`vs_common.logs`).
- Metrics: every service and the packager serve `/metrics` (Prometheus text format) to
  `Authorization: Bearer $METRICS_TOKEN` only; with no METRICS_TOKEN it answers 404.
  Under gunicorn the values live in PROMETHEUS_MULTIPROC_DIR (vs_common.gunicorn_conf
  makes one per server), so one scrape counts every worker.

Names and labels follow Prometheus' naming guide: base units (seconds, bytes), `_total`
on counters, bounded label values (route templates, never a video id). Each label value
is kept for ever, in every worker's file: none may come from what a client sends. A
method outside METHODS counts as `other` (gunicorn lets through any upper-case token:
millions of made-up methods), a path no route matched as `unmatched`, a status outside
100-599 and an error code that is not snake_case as `other`.
"""

from __future__ import annotations

import functools
import hmac
import os
import re
import time
import uuid
from collections.abc import Callable, Iterable

import requests
from flask import Flask, Response, current_app, g, has_request_context, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from .access import public
from .errors import error_response

HEADER = "X-Request-Id"
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# RFC 9110's methods and PATCH (RFC 5789): the `method` label's only values but `other`.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"})
ERROR_CODE = re.compile(r"[a-z][a-z0-9_]{0,47}")  # the services' JSON `error` codes
OTHER = "other"
UNMATCHED = "unmatched"

HTTP_REQUESTS = Counter(
    "reelhouse_http_requests_total",
    "HTTP requests answered, by route template, method and status.",
    ["service", "route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "reelhouse_http_request_duration_seconds",
    "Time from the request's arrival to the last byte of its answer.",
    ["service", "route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
AUTH_VERIFICATIONS = Counter(
    "reelhouse_auth_verifications_total",
    "Session tokens checked by a web app: outcome valid, invalid or unavailable; "
    "source cache (no call to auth-svc), auth_svc, or shape (not a token's shape).",
    ["outcome", "source"],
)
UPLOAD_BYTES = Counter("reelhouse_upload_bytes_total", "Bytes of uploads received from clients.", ["protocol"])
UPLOADS = Counter(
    "reelhouse_uploads_total",
    "Uploads ended: outcome ok (a video row exists) or the error code it was refused with.",
    ["protocol", "outcome"],
)
UPLOADS_IN_PROGRESS = Gauge(
    "reelhouse_uploads_in_progress",
    "Upload requests whose body is being received now.",
    ["protocol"],
    multiprocess_mode="livesum",
)
# `delivery`: relay (the object's bytes went through streaming-svc) or presigned (a media
# playlist whose segment and caption lines are presigned URLs on the store: their bytes
# never cross streaming-svc; PRESIGNED_URLS counts them).
HLS_BYTES = Counter(
    "reelhouse_hls_bytes_served_total",
    "Bytes of HLS objects and images sent to viewers, by kind and delivery (relay, local, presigned).",
    ["kind", "delivery"],
)
HLS_RESPONSES = Counter(
    "reelhouse_hls_responses_total",
    "HLS objects and images answered to viewers, by kind, status and delivery (relay: from file-svc; local: from the local store's folder; presigned: playlists naming store URLs).",
    ["kind", "status", "delivery"],
)
PRESIGNED_URLS = Counter(
    "reelhouse_presigned_urls_total",
    "Presigned GET URLs written into media playlists by file-svc (DELIVERY=presigned), by kind (segment, caption).",
    ["kind"],
)
PRESIGN_SIGNATURES = Counter(
    "reelhouse_presign_signatures_total",
    "Signatures file-svc computed for those URLs (the others came from its signing cache).",
)
PACKAGING_JOB_DURATION = Histogram(
    "reelhouse_packaging_job_duration_seconds",
    "Time a packager worked on one job, by stage and outcome (done, failed_attempt, gave_up, abandoned, handed_back).",
    ["stage", "outcome"],
    buckets=(0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
)
UPLOAD_TO_READY = Histogram(
    "reelhouse_upload_to_ready_seconds",
    "From the upload's completion (the video row) to the video being playable.",
    buckets=(0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800),
)
WEBHOOK_ATTEMPTS = Counter(
    "reelhouse_webhook_attempts_total",
    "Webhook delivery attempts by outcome (delivered, http_error, unreachable, refused, error).",
    ["outcome"],
)
QUEUE_DEPTH = "reelhouse_packaging_queue_depth"  # a gauge the packager reads from the database


def method_label(method: str) -> str:
    """The `method` label of a request: one of METHODS, else `other`."""
    return method if method in METHODS else OTHER


def status_label(status: int) -> str:
    """The `status` label of an answer: its code when it is an HTTP status, else `other`."""
    return str(status) if 100 <= status <= 599 else OTHER


def current_request_id() -> str | None:
    """The id of the request being served, if any."""
    return getattr(g, "request_id", None) if has_request_context() else None


def accept_request_id(raw: str | None) -> str:
    """The caller's id when it is well formed, else a new one."""
    if raw and REQUEST_ID.fullmatch(raw):
        return raw
    return uuid.uuid4().hex


def trace_headers() -> dict[str, str]:
    """Headers that carry the current request id to another service."""
    rid = current_request_id()
    return {HEADER: rid} if rid else {}


class TracedSession(requests.Session):
    """A requests session that passes the current request id on every call."""

    def request(self, method, url, **kwargs):  # noqa: D102 - requests' signature
        extra = trace_headers()
        if extra:
            kwargs["headers"] = {**(kwargs.get("headers") or {}), **extra}
        return super().request(method, url, **kwargs)


class CountedBody:
    """A request body whose bytes are added to UPLOAD_BYTES as they are read."""

    def __init__(self, stream, protocol: str):
        self._stream = stream
        self._counter = UPLOAD_BYTES.labels(protocol)

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        if data:
            self._counter.inc(len(data))
        return data


def upload_view(protocol: str):
    """Decorate a view that receives upload bytes: counts it in UPLOADS_IN_PROGRESS while
    it runs, then in UPLOADS by outcome: `ok` (a video exists: 201, or a 204 with
    Video-Id), `partial` (a tus chunk taken, more to come) or the error code refused."""

    def wrap(view):
        @functools.wraps(view)
        def measured(*args, **kwargs):
            gauge = UPLOADS_IN_PROGRESS.labels(protocol)
            gauge.inc()
            outcome = "error"
            try:
                response = current_app.make_response(view(*args, **kwargs))
                outcome = _outcome(response)
                return response
            finally:
                gauge.dec()
                UPLOADS.labels(protocol, outcome).inc()

        return measured

    return wrap


def _outcome(response: Response) -> str:
    if response.status_code == 201 or (response.status_code == 204 and "Video-Id" in response.headers):
        return "ok"
    if response.status_code < 400:
        return "partial"
    body = response.get_json(silent=True) if response.is_json else None
    code = body.get("error") if isinstance(body, dict) else None
    return code if isinstance(code, str) and ERROR_CODE.fullmatch(code) else status_label(response.status_code)


def hls_kind(path: str) -> str:
    """segment, playlist, caption or image: the `kind` label of an object path."""
    if path.endswith(".m3u8"):
        return "playlist"
    if path.endswith((".ts", ".m4s", ".mp4", ".aac")):
        return "segment"
    if path.endswith(".vtt"):
        return "caption"
    return "image"


def counted(body: Iterable[bytes], kind: str, delivery: str = "relay") -> Iterable[bytes]:
    """`body` unchanged; its bytes are added to HLS_BYTES once it ends (or is cut)."""
    sent = 0
    try:
        for chunk in body:
            sent += len(chunk)
            yield chunk
    finally:
        HLS_BYTES.labels(kind, delivery).inc(sent)


def metrics_registry(extra: Iterable = ()) -> CollectorRegistry:
    """Every worker's values (multiprocess mode), else this process's, plus `extra`."""
    from prometheus_client import REGISTRY

    collectors = list(extra)
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        if not collectors:
            return REGISTRY
        registry = CollectorRegistry()
        for metric in list(REGISTRY._collector_to_names):  # noqa: SLF001 - no public iterator
            registry.register(metric)
    else:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    for collector in collectors:
        registry.register(collector)
    return registry


def _then(body: Iterable[bytes], done: Callable[[], None]) -> Iterable[bytes]:
    try:
        yield from body
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()
        done()


def install_observability(
    app: Flask, service: str, metrics_token: str, collectors: Callable[[], Iterable] | None = None
) -> None:
    """Request ids, request metrics and `GET /metrics` on `app`. Call it first, so that
    the request id exists before any other hook runs (and logs or calls out)."""

    @app.before_request
    def _begin():
        g.request_id = accept_request_id(request.headers.get(HEADER))
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response: Response):
        response.headers[HEADER] = g.get("request_id", "")
        started = g.get("request_started", time.perf_counter())
        route = request.url_rule.rule if request.url_rule is not None else UNMATCHED
        method, status = method_label(request.method), status_label(response.status_code)

        def record() -> None:  # after the last byte: streamed answers included
            HTTP_REQUESTS.labels(service, route, method, status).inc()
            HTTP_DURATION.labels(service, route, method).observe(time.perf_counter() - started)

        body = response.response
        if hasattr(body, "filelike") or hasattr(body, "file"):
            record()  # a file wrapper (sendfile): wrapping it would cost the zero-copy path
        elif response.direct_passthrough and not isinstance(body, (bytes, str, list, tuple)):
            # werkzeug hands a passthrough body to the server as it is, so the response's
            # close callbacks never run: record when the body itself ends or is closed.
            response.response = _then(body, record)
        else:
            response.call_on_close(record)
        return response

    @app.get("/metrics")
    @public
    def metrics():
        if not metrics_token:
            return error_response(404, "not_found", "Metrics are off: METRICS_TOKEN is not set.")
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {metrics_token}".encode()):
            return error_response(
                401,
                "unauthorized",
                "Metrics need Authorization: Bearer <METRICS_TOKEN>.",
                {"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        body = generate_latest(metrics_registry(collectors() if collectors else ()))
        return Response(body, content_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})
