"""`make run`'s launcher (scripts/run.py) for real: the four services and the packager
come up on the embedded defaults, each log line prefixed by its service; the web apps
listen on every address, file-svc and the packager (internal) on 127.0.0.1 only; Ctrl-C
stops them all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import requests

from harness import ROOT, TEST_PASSWORD, free_port, wait_until


def _listening() -> dict[int, set[str]]:
    """{port: {addresses}} of the TCP sockets listening on this machine (IPv4)."""
    out: dict[int, set[str]] = {}
    for line in open("/proc/net/tcp").read().splitlines()[1:]:
        fields = line.split()
        if fields[3] != "0A":  # LISTEN
            continue
        address, port = fields[1].split(":")
        ip = ".".join(str(int(address[i : i + 2], 16)) for i in (6, 4, 2, 0))
        out.setdefault(int(port, 16), set()).add(ip)
    return out


def test_make_run_starts_five_processes_and_keeps_the_internal_ones_on_loopback(tmp_path):
    ports = {name: free_port() for name in ("AUTH", "FILE", "PACKAGER", "UPLOAD", "STREAMING")}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DB_", "S3_", "AWS_", "STORAGE_", "AUTH_"))}
    env.update({f"{name}_PORT": str(port) for name, port in ports.items()})
    env.update(
        {
            "AUTH_SVC_URL": f"http://127.0.0.1:{ports['AUTH']}",
            "FILE_SVC_URL": f"http://127.0.0.1:{ports['FILE']}",
            "AUTH_PUBLIC_URL": f"http://127.0.0.1:{ports['AUTH']}",
            "UPLOAD_PUBLIC_URL": f"http://127.0.0.1:{ports['UPLOAD']}",
            "STREAMING_PUBLIC_URL": f"http://127.0.0.1:{ports['STREAMING']}",
            "DB_PATH": str(tmp_path / "db.sqlite3"),
            "STORAGE_DIR": str(tmp_path / "storage"),
            "TEMP_DIR": str(tmp_path / "temp"),
            "AUTH_USERNAME": "alice",
            "AUTH_PASSWORD": TEST_PASSWORD,
            "PYTHONPATH": str(ROOT / "common"),
        }
    )
    log = tmp_path / "run.log"
    proc = subprocess.Popen(
        [sys.executable, "scripts/run.py"], cwd=ROOT, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT
    )
    try:
        for name, port in ports.items():
            wait_until(
                lambda p=port: requests.get(f"http://127.0.0.1:{p}/healthz", timeout=2).status_code == 200,
                60,
                f"{name} healthy",
                log,
            )
        listening = _listening()
        assert listening[ports["FILE"]] == {"127.0.0.1"} and listening[ports["PACKAGER"]] == {"127.0.0.1"}
        for public in ("AUTH", "UPLOAD", "STREAMING"):
            assert listening[ports[public]] == {"0.0.0.0"}, public
        text = log.read_text(errors="replace")
        for prefix in ("auth-svc |", "file-svc |", "packager |", "upload-webapp |", "streaming-svc |"):
            assert prefix in text, prefix
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=30)
    assert code == 0, log.read_text(errors="replace")[-2000:]
    assert all(p not in _listening() for p in ports.values())
