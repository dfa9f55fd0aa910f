"""Each service's /openapi.json: complete (every route the app has is documented, and
nothing that is not) and accurate (schemathesis against the live service, a bounded number
of examples per operation: no 5xx, status codes, content types and bodies as documented).

Fuzzing runs on a stack of its own: random logins trip the login throttle, which must not
lock the other suites out."""

from __future__ import annotations

import re

import hostilekit
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hyp_st
from schemathesis import checks as st_checks
from schemathesis.specs.openapi import checks as oa_checks

from harness import Stack, in_process_app, stack_env

MAX_EXAMPLES = 25
# tus PATCH bodies: raw bytes (schemathesis has no serializer of its own for this type).
schemathesis.openapi.media_type("application/offset+octet-stream", hyp_st.binary(max_size=4096))
CHECKS = [
    st_checks.not_a_server_error,
    oa_checks.status_code_conformance,
    oa_checks.content_type_conformance,
    oa_checks.response_schema_conformance,
    oa_checks.response_headers_conformance,
]
APPS = {
    "auth": ("auth-svc", "auth_svc"),
    "file": ("file-svc", "file_svc"),
    "upload": ("upload-webapp", "upload_webapp"),
    "streaming": ("streaming-webapp", "streaming_webapp"),
}


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory, request, mariadb, s3):
    """A stack with its own database and bucket, a session token and a ready video."""
    database = mariadb.create_database("video_db_fuzz")
    bucket = s3.create_bucket("reelhouse-fuzz")
    env = stack_env(mariadb, s3, database, bucket)
    st = Stack(tmp_path_factory.mktemp("stack-fuzz"), env)
    st.mariadb, st.s3 = mariadb, s3
    request.config.add_cleanup(st.stop)
    st.start()
    token, _ = hostilekit.ready_video(st, tmp_path_factory, name="fuzz target")
    return st, token


def _headers(st, token, name) -> dict[str, str]:
    if name == "file":
        return {"Authorization": f"Bearer {hostilekit.INTERNAL}"}
    if name in ("upload", "streaming"):
        return {"Authorization": f"Bearer {token}"}
    return {}


def _app_routes(name: str, tmp) -> set[tuple[str, str]]:
    """(METHOD, /path/{param}) of every rule of the service's Flask app, built in-process."""
    app = in_process_app(*APPS[name], tmp)
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.endswith("static") or rule.rule.startswith("/static"):
            continue  # assets, not the API
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        routes |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return routes


@pytest.mark.parametrize("name", list(APPS))
def test_openapi_is_complete(fuzz, name, tmp_path):
    st, token = fuzz
    resp = requests.get(st.url(name) + "/openapi.json", headers=_headers(st, token, name), timeout=15)
    assert resp.status_code == 200 and resp.json()["openapi"].startswith("3.")
    documented = {
        (m.upper(), p)
        for p, ops in resp.json()["paths"].items()
        for m in ops
        if m in ("get", "post", "put", "patch", "delete")
    }
    actual = _app_routes(name, tmp_path)
    assert actual - documented == set(), f"routes missing from /openapi.json: {sorted(actual - documented)}"
    assert documented - actual == set(), f"documented routes the app does not have: {sorted(documented - actual)}"


def _fuzzer(operation, headers: dict, calls: dict, label: str):
    """A Hypothesis test of one operation: each example sent and checked."""

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(operation.as_strategy())
    def run(case):
        calls[label] = calls.get(label, 0) + 1
        case.call_and_validate(headers=headers, checks=CHECKS, timeout=60)

    return run


@pytest.mark.parametrize("name", list(APPS))
def test_schemathesis(fuzz, name):
    st, token = fuzz
    headers = _headers(st, token, name)
    schema = schemathesis.openapi.from_url(st.url(name) + "/openapi.json", headers=headers)
    failures: list[str] = []
    calls: dict[str, int] = {}
    operations = [op.ok() for op in schema.get_all_operations()]
    assert operations
    for operation in operations:
        label = f"{operation.method.upper()} {operation.path}"

        try:
            _fuzzer(operation, headers, calls, label)()
        except BaseException as exc:  # noqa: BLE001 - every operation's failures, reported together
            if isinstance(exc, KeyboardInterrupt):
                raise
            failures.append(f"{label}: {exc.__class__.__name__}: {exc}"[:3000])
    assert not failures, "\n\n".join(failures)
    assert set(calls) == {f"{op.method.upper()} {op.path}" for op in operations}, calls
    hostilekit.all_alive(st)
