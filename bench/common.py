"""The stacks the benchmarks measure: harness.Stack (the same gunicorn processes the
tests run) with the production worker settings (gunicorn_conf's defaults) unless a
benchmark asks for others: the harness pins WEB_CONCURRENCY=1 and GUNICORN_THREADS=8
for the tests. And a stack of an older revision, for before/after figures.

(bench.ab's stack script imports bench_stack, segment_files and upload_ready_video from
here, in this checkout and in the older revision it compares: the names stay.)
"""

from __future__ import annotations

import contextlib
import importlib.util
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from harness import ROOT, Stack, make_clip
from harness.procfs import cpu_seconds

WORKER_KNOBS = ("WEB_CONCURRENCY", "GUNICORN_THREADS")
# The harness's short names of the processes, as the reports name them.
REPORT_NAMES = {"auth": "auth-svc", "file": "file-svc", "upload": "upload-webapp", "streaming": "streaming-svc"}


@contextlib.contextmanager
def workdir(keep: bool = False, prefix: str = "reelhouse-bench-", parent: str | None = None) -> Iterator[Path]:
    """A temp folder for one benchmark run, removed afterwards unless `keep`."""
    base = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    try:
        yield base
    finally:
        if keep:
            print(f"kept {base}", file=sys.stderr)
        else:
            shutil.rmtree(base, ignore_errors=True)


def production_stack(base: Path, env: dict[str, str], stack_class=Stack) -> Stack:
    """A stack (not started) with gunicorn's production worker settings unless `env`
    sets them."""
    st = stack_class(base, env)
    for knob in WORKER_KNOBS:
        if knob not in env:
            st.env.pop(knob, None)  # the services' Service objects share this dict
    return st


@contextlib.contextmanager
def bench_stack(base: Path, env: dict[str, str] | None = None) -> Iterator[Stack]:
    """The four services with the local backend (SQLite + a storage folder) unless `env`
    says otherwise, with gunicorn's production worker settings unless `env` sets them."""
    st = production_stack(base, {"STORAGE_BACKEND": "local", "HLS_LADDER": "", "ACCESS_LOG": "1", **(env or {})})
    st.start()
    try:
        yield st
    finally:
        st.stop()


def capped_clip(path: Path, seconds: float, size: str, bitrate: str, rate: int = 25) -> Path:
    """A test clip whose video bitrate is held at `bitrate` (it sets the segments' size)."""
    return make_clip(
        path, seconds=seconds, size=size, rate=rate, extra=["-b:v", bitrate, "-maxrate", bitrate, "-bufsize", bitrate]
    )


def upload_ready_video(st: Stack, token: str, clip: Path, name: str, timeout: float = 180) -> dict:
    """Upload `clip` and wait until it is ready; returns the video JSON."""
    return st.api.upload_ready(token, clip, name, timeout=timeout)


def segment_files(st: Stack, video_id: str) -> tuple[str, list[Path]]:
    """The first rendition of a ready video, as (its folder name, its segment files on disk)."""
    hls = st.storage_dir / "videos" / video_id / "hls"
    rung = sorted(p for p in hls.iterdir() if p.is_dir())[0]
    return rung.name, sorted(rung.glob("seg_*.ts"))


def stack_roots(st: Stack) -> dict[str, int]:
    """Each running service's root pid, by its report name (its tree: gunicorn workers;
    the packager's ffmpeg)."""
    return {REPORT_NAMES.get(n, n): svc.proc.pid for n, svc in st.services.items() if svc.proc is not None}


def stack_cpu(st: Stack) -> float:
    """CPU seconds spent so far by the stack's process trees: the services, their workers,
    the packager, and the ffmpeg runs it has waited for (counted in its cutime/cstime).
    On a shared machine wall time swings with the load; CPU time hardly does."""
    return sum(cpu_seconds(pid) for pid in stack_roots(st).values())


def export_revision(rev: str, into: Path) -> Path:
    """The tree of git revision `rev` (`git archive`) in the new folder `into`."""
    into.mkdir()
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def old_stack_class(rev: str, work: Path):
    """The Stack of revision `rev`: its services run that revision's code, with this
    checkout's virtualenv. Its harness is the package harness/, or tests/harness.py in
    the revisions before it."""
    tree = export_revision(rev, work / "old-tree")
    package = tree / "harness" / "__init__.py"
    if package.is_file():
        spec = importlib.util.spec_from_file_location(
            "harness_old", package, submodule_search_locations=[str(package.parent)]
        )
    else:
        spec = importlib.util.spec_from_file_location("harness_old", tree / "tests" / "harness.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["harness_old"] = module  # its modules import each other by the package's name
    spec.loader.exec_module(module)
    return module.Stack
