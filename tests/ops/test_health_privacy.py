"""`/healthz` is public (probes, and the Ingress routes it): with the database and the store
unreachable, every service and the packager answer 503 naming the failing checks and
nothing else (no host, port or exception text); the detail goes to the service's log,
once, however often /healthz is asked."""

from __future__ import annotations

import pytest
import requests

from harness import Stack, free_port, wait_until

SERVICES = ("auth", "upload", "streaming", "file", "packager")
CHECKS = {
    "auth": {"database"},
    "upload": {"database"},
    "streaming": {"database"},
    "file": {"database", "storage"},
    "packager": {"database", "storage"},
}


@pytest.fixture(scope="module")
def stranded(tmp_path_factory):
    """A stack whose MariaDB and S3 addresses are loopback ports nobody listens on."""
    db_port, s3_port = free_port(), free_port()
    st = Stack(
        tmp_path_factory.mktemp("stranded"),
        {
            "DB_HOST": "127.0.0.1",
            "DB_PORT": str(db_port),
            "DB_USER": "reelhouse",
            "DB_PASS": "not-a-real-password",
            "STORAGE_BACKEND": "s3",
            "S3_ENDPOINT_URL": f"http://127.0.0.1:{s3_port}",
            "S3_BUCKET": "reelhouse-stranded",
            "S3_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "stranded-key",
            "AWS_SECRET_ACCESS_KEY": "stranded-secret",
            "S3_TIMEOUT_SECONDS": "1",
            "S3_MAX_ATTEMPTS": "1",
        },
    )
    st.leaks = ("127.0.0.1", str(db_port), str(s3_port), "Errno", "refused", "connect", "MySQL", "endpoint")
    st.ports = {"database": str(db_port), "storage": str(s3_port)}
    for svc in st.services.values():
        svc.start(wait=False)
    try:
        for name in SERVICES:
            url = st.url(name) + "/healthz"
            wait_until(lambda u=url: _status(u) == 503, 60, f"{name} answering /healthz", st[name].log)
        yield st
    finally:
        st.stop()


def _status(url: str) -> int | None:
    try:
        return requests.get(url, timeout=5).status_code
    except requests.ConnectionError:
        return None


@pytest.mark.parametrize("name", SERVICES)
def test_public_health_names_no_host_port_or_exception(stranded, name):
    st = stranded
    for _ in range(10):
        resp = requests.get(st.url(name) + "/healthz", timeout=10)
        assert resp.status_code == 503
        body = resp.json()
        assert body["status"] == "unavailable"
        assert body["checks"] == {check: "unavailable" for check in CHECKS[name]}, body
        for leak in st.leaks:
            assert leak not in resp.text, (name, leak, resp.text)

    # The detail is in the log: one line per failing check, not one per request.
    def health_lines() -> dict[str, list[str]]:
        lines = st[name].log.read_text(errors="replace").splitlines()
        return {
            check: [line for line in lines if f"health check {check} failing" in line and port in line]
            for check, port in st.ports.items()
            if check in CHECKS[name]
        }

    found = wait_until(lambda: all(health_lines().values()) and health_lines(), 10, f"{name}'s health log lines")
    assert {check: len(lines) for check, lines in found.items()} == dict.fromkeys(CHECKS[name], 1), found
