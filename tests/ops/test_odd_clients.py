"""What clients nobody logged in can do to the telemetry of a live stack: thousands of odd
requests (made-up methods, random paths, odd headers, malformed request lines) must not
add metric label values (each would be kept for ever, in files of a folder that
Kubernetes gives 64 MiB of memory), and a path holding CR/LF must not start a log line.

The stack runs two gunicorn workers per service (multiprocess metrics) with text logs;
each service gets a PROMETHEUS_MULTIPROC_DIR of its own, so its size can be read."""

from __future__ import annotations

import random
import socket
import string
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from harness import Stack, wait_until

METRICS_TOKEN = "test-metrics-token-0123456789"
SERVICES = ("auth", "upload", "streaming", "file", "packager")
WORKERS = {"auth": 2, "upload": 2, "streaming": 2, "file": 2, "packager": 1}
STANDARD = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"}
TOKEN_CHARS = string.ascii_uppercase + string.digits + "!$&'*+-.^_`|~"


@pytest.fixture(scope="module")
def odd_stack(tmp_path_factory):
    base = tmp_path_factory.mktemp("odd")
    st = Stack(
        base,
        {"METRICS_TOKEN": METRICS_TOKEN, "LOG_FORMAT": "text", "WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "4"},
    )
    st.metrics_dirs = {}
    for name in SERVICES:
        folder = base / f"metrics-{name}"
        folder.mkdir()
        st.metrics_dirs[name] = folder
        st.services[name].env = {**st.env, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    st.start()
    yield st
    st.stop()


# -- odd requests ---------------------------------------------------------------------
def _word(rng: random.Random, chars: str = string.ascii_letters + string.digits, lo: int = 4, hi: int = 16) -> str:
    return "".join(rng.choice(chars) for _ in range(rng.randint(lo, hi)))


def _method(rng: random.Random) -> str:
    """A made-up method that gunicorn lets through (an RFC 9110 token, no lower case)."""
    while True:
        made = _word(rng, TOKEN_CHARS, 3, 20)
        if made not in STANDARD:
            return made


def _line(method: str, target: str, *headers: str, version: str = "HTTP/1.1") -> bytes:
    head = [f"{method} {target} {version}", "Host: reelhouse.test", "Connection: close", *headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")


def _escaped(rng: random.Random) -> str:
    return "".join(f"%{rng.randrange(256):02X}" for _ in range(rng.randint(1, 12)))


# Each kind of odd request: its labels (route, method, status) are the same every time,
# only the random parts (which an unbounded label would keep) change.
KINDS = [
    lambda r: _line(_method(r), f"/odd-{_word(r)}"),
    lambda r: _line(_method(r), "/healthz"),
    lambda r: _line(_method(r), "/"),
    lambda r: _line(_method(r), f"/api/videos/{_word(r)}"),
    lambda r: _line(_method(r), f"/odd-{_word(r)}", version="HTTP/1.0"),
    lambda r: _line(_word(r, string.ascii_lowercase, 3, 12), f"/odd-{_word(r)}"),  # gunicorn: 400
    lambda r: _line("GET", f"/odd-{_word(r)}/{_escaped(r)}"),
    lambda r: _line("GET", f"/videos/{_word(r)}/hls/{_word(r)}.ts"),
    lambda r: _line("GET", f"/videos/{_word(r)}/thumbs/{_word(r)}.jpg"),
    lambda r: _line("HEAD", f"/odd-{_word(r)}"),
    lambda r: _line("OPTIONS", f"/odd-{_word(r)}"),
    lambda r: _line("DELETE", f"/api/videos/{_word(r)}", f"Origin: http://{_word(r)}.example"),
    lambda r: _line("POST", f"/odd-{_word(r)}", f"Origin: http://{_word(r)}.example", "Content-Length: 0"),
    lambda r: _line("GET", "/api/videos", f"Authorization: Bearer {_word(r, lo=43, hi=43)}"),
    lambda r: _line("GET", "/api/videos", f"Authorization: Bearer {_word(r, lo=3, hi=9)}"),
    lambda r: _line("GET", f"/odd-{_word(r)}", f"X-Request-Id: {_word(r)}", f"X-{_word(r)}: {_word(r)}"),
    lambda r: _line("GET", f"/odd-{_word(r)}", f"User-Agent: {_word(r, string.printable[:94], 10, 60)}"),
    lambda r: _line(_method(r), f"http://{_word(r)}.example/{_word(r)}"),
    lambda r: _line("CONNECT", f"{_word(r)}.example:443"),
    lambda r: _line("TRACE", f"/odd-{_word(r)}"),
    lambda r: _line(_method(r), f"/odd-{_word(r)}", "Transfer-Encoding: chunked") + b"0\r\n\r\n",
]


def _send(port: int, data: bytes) -> bytes:
    """Send one raw request; the first line of the answer (b"" if the server just closed)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
    return answer.split(b"\r\n", 1)[0]


def _odd_requests(st: Stack, name: str, first: int, count: int, pool: ThreadPoolExecutor) -> set[bytes]:
    """Requests number first..first+count-1 of the odd sequence to one service: the
    answers' status lines seen."""
    port = st[name].port

    def one(i: int) -> bytes:
        rng = random.Random(f"{name}-{i}")
        return _send(port, KINDS[i % len(KINDS)](rng))

    return {line[:12] for line in pool.map(one, range(first, first + count))}


# -- what the service keeps -----------------------------------------------------------
def _scrape(st: Stack, name: str) -> tuple[int, set[tuple[str, tuple]]]:
    """(bytes of one /metrics answer, its set of (sample name, labels))."""
    resp = requests.get(st.url(name) + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=60)
    assert resp.status_code == 200, resp.text[:300]
    keys = set()
    for family in text_string_to_metric_families(resp.text):
        for sample in family.samples:
            keys.add((sample.name, tuple(sorted(sample.labels.items()))))
    return len(resp.content), keys


def _folder(path: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in sorted(path.iterdir())}


def _every_worker_counted(st: Stack, name: str, pool: ThreadPoolExecutor) -> None:
    """Warm up until each worker has its metrics files (a worker that first counts later
    would add its files then, whatever the labels)."""

    def counted() -> bool:
        _odd_requests(st, name, 10**6, 16, pool)  # numbers outside the measured sequence
        return len(list(st.metrics_dirs[name].glob("counter_*.db"))) >= WORKERS[name]

    wait_until(counted, 60, f"every worker of {name} counting", st[name].log)


def test_odd_requests_add_no_metric_labels(odd_stack):
    st = odd_stack
    before, after, figures = {}, {}, {}
    with ThreadPoolExecutor(8) as pool:
        for name in SERVICES:
            _every_worker_counted(st, name, pool)
            _scrape(st, name)  # /metrics itself counted once before the comparison
        for name in SERVICES:
            _odd_requests(st, name, 0, 200, pool)
            before[name] = (*_scrape(st, name), _folder(st.metrics_dirs[name]))
        for name in SERVICES:
            seen = _odd_requests(st, name, 200, 2800, pool)
            after[name] = (*_scrape(st, name), _folder(st.metrics_dirs[name]))
            figures[name] = (before[name][0], after[name][0], sum(after[name][2].values()), sorted(seen))
    print("\nscrape bytes after 200 / 3000 odd requests, metrics folder bytes, answers:")
    for name, figure in figures.items():
        print(f"  {name}: {figure}")
    for name in SERVICES:
        (_, keys_before, folder_before), (_, keys_after, folder_after) = before[name], after[name]
        new = sorted(keys_after - keys_before)
        assert not new, f"{name}: {len(new)} label sets appeared with more odd requests, e.g. {new[:5]}"
        assert folder_after == folder_before, f"{name}: the metrics folder grew: {folder_before} -> {folder_after}"
        methods = {dict(labels).get("method") for _, labels in keys_after} - {None}
        assert methods <= STANDARD | {"other"}, (name, sorted(methods)[:10])


# -- logs ------------------------------------------------------------------------------
# Line breaks as a log reader sees them (str.splitlines): LF, CR, VT, FF, FS, NEL, U+2028.
BREAKS = ("%0A", "%0D", "%0D%0A", "%0B", "%0C", "%1C", "%C2%85", "%E2%80%A8")


def test_a_path_with_line_breaks_starts_no_log_line(odd_stack):
    st = odd_stack
    marker = f"FORGED-{uuid.uuid4().hex[:10]}"
    forged = f"2030-01-01 00:00:00,000 auth-svc WARNING vs_common.forged [-]: {marker}"
    for name in SERVICES:
        for n, brk in enumerate(BREAKS):
            text = requests.utils.quote(f"{forged}-{n}", safe="")
            target = f"/x{brk}{text}"
            # Before any login: a plain GET (access log) and a cross-site POST, which the web
            # apps log with its path.
            _send(st[name].port, _line("GET", target))
            _send(st[name].port, _line("POST", target, "Origin: http://evil.example", "Content-Length: 0"))
    logged = {name: "" for name in SERVICES}

    def all_logged() -> bool:
        for name in SERVICES:
            logged[name] = st[name].log.read_text(encoding="utf-8", errors="replace")
        # The web apps log the refused cross-site POSTs with their path: every variant.
        return all(f"{marker}-{len(BREAKS) - 1}" in logged[name] for name in ("auth", "upload", "streaming"))

    wait_until(all_logged, 15, "the refused cross-site requests in the logs")
    for name in SERVICES:
        lines = logged[name].splitlines()
        starts = [line for line in lines if line.lstrip().startswith((forged, marker, "2030-01-01"))]
        assert not starts, f"{name}: forged log lines: {starts[:3]}"
