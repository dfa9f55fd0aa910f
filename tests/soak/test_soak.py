"""Load: 100 concurrent viewers (wrk, 100 connections, each asking for a playlist, a
segment, a poster or the library about once a second) and 5 concurrent uploaders (each
uploading, waiting for ready, uploading again) for SOAK_SECONDS (default 120) on loopback.

Passes with zero failed requests, every viewer served at least at playback rate (one
request per 4 s segment), every upload `ready`, and memory flat: the services'
resident memory (gunicorn masters, workers, the packager; not ffmpeg, which comes and
goes) in the last quarter of the run at most 20% + 24 MiB above the second quarter.
Run by `make soak` (marker `soak`), never by `make test`. Figures are printed and written
to the test's temp folder as soak.json.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

from harness import Stack, make_clip, stack_env, wait_until

pytestmark = pytest.mark.soak
SOAK_SECONDS = int(os.environ.get("SOAK_SECONDS", "120"))
VIEWERS = 100
UPLOADERS = 5

LUA = r"""
local paths = {%(paths)s}
wrk.headers["Cookie"] = "auth_token=%(token)s"
math.randomseed(os.time())
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
delay = function()
  return math.random(500, 1500)  -- a viewer asks for about one thing a second
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %%d, "bytes": %%d, "duration_us": %%d, "connect": %%d, "read": %%d, "write": %%d, ' ..
    '"status": %%d, "timeout": %%d, "p50_ms": %%.1f, "p99_ms": %%.1f, "max_ms": %%.1f}\n',
    summary.requests, summary.bytes, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
"""


def _rss_kib(st: Stack) -> int:
    """Resident memory of the stack's Python processes (found by TEMP_DIR in their environment)."""
    marker = f"TEMP_DIR={st.env['TEMP_DIR']}".encode()
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            status = (entry / "status").read_text()
        except OSError:
            continue
        if "ffmpeg" in status.splitlines()[0] or "ffprobe" in status.splitlines()[0]:
            continue
        total += next((int(ln.split()[1]) for ln in status.splitlines() if ln.startswith("VmRSS:")), 0)
    return total


@pytest.fixture(scope="module")
def soak_stack(tmp_path_factory, request, mariadb, s3):
    database = mariadb.create_database("video_db_soak")
    bucket = s3.create_bucket("reelhouse-soak")
    # Straight to the S3 server: the cuttable proxy lives in the test process and is not under test.
    env = stack_env(
        mariadb,
        s3,
        database,
        bucket,
        direct=True,
        S3_TIMEOUT_SECONDS="10",
        S3_MAX_ATTEMPTS="3",
        ACCESS_LOG="0",
        LOG_LEVEL="WARNING",
    )
    st = Stack(tmp_path_factory.mktemp("stack-soak"), env)
    st.mariadb, st.s3 = mariadb, s3
    request.config.add_cleanup(st.stop)
    st.start()
    return st


def test_soak_viewers_and_uploads(soak_stack, tmp_path_factory):
    st = soak_stack
    assert shutil.which("wrk"), "wrk is installed by make setup-test"
    base = tmp_path_factory.mktemp("soak")
    token = st.login()
    clip = make_clip(base / "soak.mp4", seconds=3)
    # Something to watch: three ready videos, every playlist and segment, posters, the library.
    paths = ["/api/videos"]
    for i in range(3):
        resp = st.upload(token, clip, name=f"soak seed {i}")
        assert resp.status_code == 201, resp.text
        vid = st.wait_status(token, resp.json()["id"])["id"]
        master = requests.get(
            f"{st.url('streaming')}/videos/{vid}/hls/master.m3u8",
            headers={"Authorization": f"Bearer {token}"},
            timeout=15,
        ).text
        rung = next(ln for ln in master.splitlines() if ln and not ln.startswith("#"))
        media = requests.get(
            f"{st.url('streaming')}/videos/{vid}/hls/{rung}", headers={"Authorization": f"Bearer {token}"}, timeout=15
        ).text
        segs = [ln for ln in media.splitlines() if ln and not ln.startswith("#")]
        paths += [f"/videos/{vid}/hls/master.m3u8", f"/videos/{vid}/hls/{rung}", f"/videos/{vid}/poster.jpg"]
        paths += [f"/videos/{vid}/hls/{rung.rsplit('/', 1)[0]}/{s}" for s in segs]
    script = base / "viewers.lua"
    script.write_text(LUA % {"paths": ", ".join(json.dumps(p) for p in paths), "token": token})

    stop = threading.Event()
    uploads: list[dict] = []
    upload_errors: list[str] = []
    rss: list[tuple[float, int]] = []

    def uploader(n: int):
        while not stop.is_set():
            try:
                resp = st.upload(token, clip, name=f"soak upload {n}-{len(uploads)}", timeout=120)
                if resp.status_code != 201:
                    upload_errors.append(f"{resp.status_code} {resp.text[:200]}")
                    continue
                uploads.append(resp.json())
                st.wait_status(token, resp.json()["id"], timeout=300)
            except Exception as exc:  # noqa: BLE001 - counted as a failure
                upload_errors.append(repr(exc))

    def sampler():
        start = time.monotonic()
        while not stop.wait(2):
            rss.append((round(time.monotonic() - start, 1), _rss_kib(st)))

    threads = [threading.Thread(target=uploader, args=(n,), daemon=True) for n in range(UPLOADERS)]
    threads.append(threading.Thread(target=sampler, daemon=True))
    rss.append((0.0, _rss_kib(st)))
    for t in threads:
        t.start()
    started = time.monotonic()
    wrk = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{VIEWERS}",
            f"-d{SOAK_SECONDS}s",
            "--timeout",
            "30s",
            "-s",
            str(script),
            st.url("streaming"),
        ],
        capture_output=True,
        text=True,
        timeout=SOAK_SECONDS + 120,
    )
    stop.set()
    for t in threads:
        t.join(timeout=320)
    elapsed = time.monotonic() - started
    line = next((ln for ln in wrk.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    assert line, wrk.stdout + wrk.stderr
    load = json.loads(line[8:])
    wait_until(
        lambda: all(st.video(token, u["id"])["status"] != "processing" for u in uploads), 300, "every upload packaged"
    )
    final = [st.video(token, u["id"]) for u in uploads]
    values = [kib for _, kib in rss]
    q = max(1, len(values) // 4)
    second, last = values[q : 2 * q] or values[:1], values[-q:]
    report = {
        "seconds": round(elapsed, 1),
        "viewers": VIEWERS,
        "uploaders": UPLOADERS,
        "wrk": load,
        "requests_per_second": round(load["requests"] / (load["duration_us"] / 1e6), 1),
        "uploads": len(uploads),
        "uploads_ready": sum(v["status"] == "ready" for v in final),
        "upload_errors": upload_errors,
        "rss_mib_start": round(values[0] / 1024, 1),
        "rss_mib_second_quarter_mean": round(statistics.mean(second) / 1024, 1),
        "rss_mib_last_quarter_mean": round(statistics.mean(last) / 1024, 1),
        "rss_mib_max": round(max(values) / 1024, 1),
        "rss_samples_mib": [round(v / 1024, 1) for v in values],
        "counts_after": st.counts(),
    }
    (base / "soak.json").write_text(json.dumps(report, indent=2))
    print("SOAK " + json.dumps(report))
    failed = sum(load[k] for k in ("connect", "read", "write", "status", "timeout"))
    assert failed == 0, report
    # Every viewer served at least at playback rate: one request per 4-second segment.
    assert load["requests"] >= VIEWERS * SOAK_SECONDS / 4, report
    assert upload_errors == [], report
    assert uploads and report["uploads_ready"] == len(uploads), report
    assert statistics.mean(last) <= statistics.mean(second) * 1.2 + 24 * 1024, report
