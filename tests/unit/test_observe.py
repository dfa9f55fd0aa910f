"""Request ids, the /metrics guard and the log formats, on a bare Flask app."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest
from flask import Flask

from vs_common import logs, observe
from vs_common.health import health_blueprint
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


def test_made_up_methods_and_statuses_count_as_other():
    app = _app("s3cret-token-for-metrics")
    client = app.test_client()
    for method in ("FOO", "BREW", "get", "PROPFIND", "X" * 20):
        with client.open("/nowhere-" + method, method=method) as resp:  # counted once closed
            assert resp.status_code == 404
    with client.open("/hello", method="MKCOL") as resp:  # a route, not its method
        assert resp.status_code == 405
    client.get("/hello").close()
    body = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token-for-metrics"}).get_data(as_text=True)
    methods = set(re.findall(r'reelhouse_http_requests_total\{[^}]*method="([^"]*)"', body))
    assert methods == {"GET", "other"}, methods
    assert observe.status_label(404) == "404" and observe.status_label(99) == observe.status_label(600) == "other"
    assert {observe.method_label(m) for m in observe.METHODS} == observe.METHODS


def test_text_lines_escape_control_characters_and_indent_tracebacks():
    out = _capture("text")
    log = logging.getLogger("t.hello")
    log.warning("path %s", "/x\r\n2030-01-01 forged\x1b[31m\x85\u2028\u202e\t")
    try:
        raise ValueError("bad\n2030-01-01 forged in an exception")
    except ValueError:
        log.exception("failed on %s", "/y\nforged")
    log.warning("stack of %s", "/z", stack_info=True)
    logging.getLogger("t.hello").handlers.clear()
    lines = out.getvalue().split("\n")
    assert lines[0].endswith("path /x\\r\\n2030-01-01 forged\\x1b[31m\\x85\\u2028\\u202e\\t"), lines[0]
    assert lines[1].endswith("failed on /y\\nforged")
    # The traceback: readable lines, each indented; its message's line break too.
    assert lines[2] == "  Traceback (most recent call last):"
    assert "  ValueError: bad" in lines and "  2030-01-01 forged in an exception" in lines
    records = [line for line in lines if line and not line.startswith(" ")]
    assert records == lines[:2] + [records[2]] and records[2].endswith("stack of /z")
    assert "  Stack (most recent call last):" in lines
    assert len(out.getvalue().splitlines()) == len(lines) - 1  # no break but these "\n"


def test_json_lines_hold_line_separators_escaped():
    out = _capture("json")
    logging.getLogger("t.hello").warning("a\u2028b\x85c\u2029d\ne")
    logging.getLogger("t.hello").handlers.clear()
    assert len(out.getvalue().splitlines()) == 1
    assert json.loads(out.getvalue())["message"] == "a\u2028b\x85c\u2029d\ne"


def test_health_answers_name_the_check_and_log_the_reason_once(caplog):
    state = {"down": True}

    def database():
        if state["down"]:
            raise ConnectionError("cannot connect to db.internal:3306")

    app = Flask("h")
    app.register_blueprint(health_blueprint({"database": database, "disk": lambda: None}))
    client = app.test_client()
    with caplog.at_level(logging.INFO, logger="vs_common.health"):
        for _ in range(5):
            resp = client.get("/healthz")
            assert resp.status_code == 503
            assert resp.json == {"status": "unavailable", "checks": {"database": "unavailable", "disk": "ok"}}
        state["down"] = False
        for _ in range(3):
            assert client.get("/healthz").json == {"status": "ok", "checks": {"database": "ok", "disk": "ok"}}
        state["down"] = True
        client.get("/healthz")
    said = [r.getMessage() for r in caplog.records if r.name == "vs_common.health"]
    assert said == [
        "health check database failing: ConnectionError: cannot connect to db.internal:3306",
        "health check database passing again",
        "health check database failing: ConnectionError: cannot connect to db.internal:3306",
    ]
