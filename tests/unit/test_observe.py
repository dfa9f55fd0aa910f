"""Request ids, the /metrics guard and the log formats, on a bare Flask app."""

from __future__ import annotations

import io
import json
import logging

import pytest
from flask import Flask

from vs_common import logs
from vs_common.observe import accept_request_id, install_observability

pytestmark = pytest.mark.fast


def _app(token: str) -> Flask:
    app = Flask("t")
    install_observability(app, "test-svc", token)

    @app.get("/hello")
    def hello():
        logging.getLogger("t.hello").info("said hello")
        return "hi"

    return app


def test_metrics_answer_404_without_a_token_set():
    client = _app("").test_client()
    resp = client.get("/metrics", headers={"Authorization": "Bearer anything"})
    assert resp.status_code == 404 and resp.json["error"] == "not_found"
    assert "METRICS_TOKEN" in resp.json["message"]


def test_metrics_need_the_exact_bearer_token():
    client = _app("s3cret-token-for-metrics").test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "s3cret-token-for-metrics"}).status_code == 401
    ok = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token-for-metrics"})
    assert ok.status_code == 200 and b"reelhouse_http_requests_total" in ok.data


def test_request_ids_are_kept_only_when_well_formed():
    assert accept_request_id("abc.DEF_1-2") == "abc.DEF_1-2"
    assert accept_request_id("a" * 64) == "a" * 64
    for bad in ("a" * 65, "", "a b", "x\ny", "<script>", "é"):
        made = accept_request_id(bad)
        assert made != bad and len(made) == 32
    assert accept_request_id(None) != accept_request_id(None)
    client = _app("").test_client()
    assert client.get("/hello", headers={"X-Request-Id": "kept-1"}).headers["X-Request-Id"] == "kept-1"
    assert len(client.get("/hello", headers={"X-Request-Id": "no way"}).headers["X-Request-Id"]) == 32


def _capture(fmt: str) -> io.StringIO:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logs.JsonFormatter() if fmt == "json" else logs.text_formatter("test-svc"))
    handler.addFilter(logs.RequestIdFilter())
    logging.getLogger("t.hello").addHandler(handler)
    logging.getLogger("t.hello").setLevel(logging.INFO)
    return out


def test_log_lines_carry_the_request_id_in_text_and_json():
    app = _app("")
    text = _capture("text")
    app.test_client().get("/hello", headers={"X-Request-Id": "rid-text"})
    assert "[rid-text]: said hello" in text.getvalue()
    js = _capture("json")
    app.test_client().get("/hello", headers={"X-Request-Id": "rid-json"})
    record = json.loads(js.getvalue().strip().splitlines()[-1])
    assert record["request_id"] == "rid-json" and record["message"] == "said hello" and record["level"] == "INFO"
    logging.getLogger("t.hello").info("outside a request")
    assert json.loads(js.getvalue().strip().splitlines()[-1])["request_id"] == "-"
    logging.getLogger("t.hello").handlers.clear()
