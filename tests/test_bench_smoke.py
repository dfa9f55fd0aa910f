"""The bench code runs: each benchmark of bench/ with tiny parameters writes its section.

Timings are not checked here (the machines are shared; BENCHMARKS.md holds the figures),
only that the code works end to end and reports what it measured.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.report import percentile, write_section
from harness import ROOT

TINY_CLIP = ["--clip-seconds", "4"]


def run_bench(module: str, out: Path, *args: str, timeout: float = 240) -> str:
    """Run one benchmark as `make bench` would (a module in a subprocess); its section."""
    env = {k: v for k, v in os.environ.items() if k != "BENCH_VIA"}
    proc = subprocess.run(
        [sys.executable, "-m", module, "--output", str(out), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, f"{module} exited {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return out.read_text()


@pytest.mark.fast
def test_write_section_replaces_appends_and_keeps_others(tmp_path):
    md = tmp_path / "B.md"
    write_section("one", "first", path=md)
    write_section("two", "second", path=md)
    write_section("one", "first again", path=md)
    text = md.read_text()
    assert text.count("<!-- one -->") == 1 and "first again" in text and "\nfirst\n" not in text
    assert "<!-- two -->\nsecond\n<!-- /two -->" in text
    assert text.index("<!-- one -->") < text.index("<!-- two -->")


@pytest.mark.fast
def test_percentile():
    assert percentile([3, 1, 2], 50) == 2
    assert percentile([1, 2, 3, 4], 100) == 4
    assert percentile([10], 99) == 10


@pytest.mark.slow
def test_delivery_bench_runs(tmp_path):
    assert shutil.which("wrk") and shutil.which("nginx"), "wrk and nginx are installed by make setup-test"
    text = run_bench(
        "bench.delivery",
        tmp_path / "B.md",
        "--seconds",
        "1",
        "--repeat",
        "1",
        "--connections",
        "1,2",
        "--playlist-connections",
        "2",
        "--playlist-seconds",
        "1",
        "--size",
        "320x240",
        "--bitrate",
        "400k",
        *TINY_CLIP,
    )
    assert "<!-- delivery -->" in text and "<!-- /delivery -->" in text
    assert "| 1 |" in text and "| 2 |" in text and "Playlists" in text and "nginx" in text
    # Every mode by default; presigned segments come from the store, not streaming-svc.
    for mode in ("relay", "local", "presigned"):
        assert f"| 1 | {mode} |" in text
    assert "presigned 0.00 ms" in text.split("streaming-svc's CPU per segment:")[1].splitlines()[0]


@pytest.mark.slow
@pytest.mark.browser
def test_ttff_bench_runs(tmp_path):
    text = run_bench(
        "bench.ttff", tmp_path / "B.md", "--runs", "1", "--size", "320x240", "--bitrate", "400k", *TINY_CLIP
    )
    assert "<!-- ttff -->" in text and "currentTime > 0" in text and "Errors: 0." in text
    for mode in ("relay", "local", "presigned"):
        assert f"| player page, {mode} (navigation start" in text


@pytest.mark.slow
def test_mixed_bench_runs(tmp_path):
    text = run_bench(
        "bench.mixed",
        tmp_path / "B.md",
        "--duration",
        "3",
        "--viewers",
        "2",
        "--uploads",
        "1",
        "--upload-seconds",
        "2",
        "--settle",
        "30",
        *TINY_CLIP,
    )
    assert "<!-- mixed -->" in text and "| **0** |" in text and "peak RSS" in text


@pytest.mark.fast
def test_run_skips_absent_benchmarks():
    from bench.run import run_one

    assert run_one("no_such_benchmark") == "absent"


@pytest.mark.slow
def test_packaging_queue_bench_runs(tmp_path):
    text = run_bench(
        "bench.packaging", tmp_path / "B.md", "--only", "queue", "--videos", "2", "--clip-seconds", "3", timeout=400
    )
    assert "<!-- packaging-queue -->" in text and "Back to back (2 uploads" in text
    assert "| two |" in text and "one command, one decode" in text


@pytest.mark.fast
def test_presign_cost_bench_runs(tmp_path):
    text = run_bench("bench.presign_cost", tmp_path / "B.md", "--segments", "5", "--rounds", "3", timeout=120)
    assert "<!-- presign-cost -->" in text and "| playlist of 5 | signing cache warm" in text
    assert "| one signature | boto3 generate_presigned_url | 6 |" in text
