"""Shared benchmark helpers: a stack of the real services, RSS sampling of process
trees from /proc, machine info, percentiles, and BENCHMARKS.md sections.

The stack is tests/harness.py's `Stack` (the same gunicorn processes the tests run), but
with the production worker settings (gunicorn_conf's defaults) unless a benchmark asks
for others: the harness pins WEB_CONCURRENCY=1 and GUNICORN_THREADS=8 for the tests.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from harness import Stack  # noqa: E402

# The harness's helpers the benchmarks use, re-exported (`x as x`: on purpose).
from harness import free_port as free_port  # noqa: E402
from harness import make_clip as make_clip  # noqa: E402
from harness import stop_process as stop_process  # noqa: E402
from harness import wait_until as wait_until  # noqa: E402

BENCHMARKS_MD = ROOT / "BENCHMARKS.md"
HEADER = (
    "# Benchmarks\n\n"
    "Produced by `make bench` (or one module: `.venv/bin/python -m bench.<name> --help`). Each section\n"
    "says on which machine, when and with which command its figures were measured. Figures that\n"
    "are compared (ratios) were measured in the same run, interleaved; the machines are shared\n"
    "and noisy, so each figure is the median of several runs.\n"
)


@contextlib.contextmanager
def workdir(keep: bool = False, prefix: str = "reelhouse-bench-") -> Iterator[Path]:
    """A temp folder for one benchmark run, removed afterwards unless `keep`."""
    base = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield base
    finally:
        if keep:
            print(f"kept {base}", file=sys.stderr)
        else:
            shutil.rmtree(base, ignore_errors=True)


@contextlib.contextmanager
def bench_stack(base: Path, env: dict[str, str] | None = None) -> Iterator[Stack]:
    """The four services with the local backend (SQLite + a storage folder) unless `env`
    says otherwise, with gunicorn's production worker settings unless `env` sets them."""
    env = {"STORAGE_BACKEND": "local", "HLS_LADDER": "", "ACCESS_LOG": "1", **(env or {})}
    st = Stack(base, env)
    for knob in ("WEB_CONCURRENCY", "GUNICORN_THREADS"):
        if knob not in env:
            st.env.pop(knob, None)  # the services' Service objects share this dict
    st.start()
    try:
        yield st
    finally:
        st.stop()


def upload_ready_video(st: Stack, token: str, clip: Path, name: str, timeout: float = 180) -> dict:
    """Upload `clip` and wait until it is ready; returns the video JSON."""
    resp = st.upload(token, clip, name=name, timeout=timeout)
    resp.raise_for_status()
    video = st.wait_status(token, resp.json()["id"], timeout=timeout)
    if video["status"] != "ready":
        raise RuntimeError(f"video {video['id']} is {video['status']}: {video.get('error')}")
    return video


def segment_files(st: Stack, video_id: str) -> tuple[str, list[Path]]:
    """The first rung of a ready video, as (rung folder name, its segment files on disk)."""
    hls = st.storage_dir / "videos" / video_id / "hls"
    rung = sorted(p for p in hls.iterdir() if p.is_dir())[0]
    return rung.name, sorted(rung.glob("seg_*.ts"))


# -- statistics ------------------------------------------------------------------------
def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0-100) by linear interpolation; nan for no values."""
    if not values:
        return float("nan")
    xs = sorted(values)
    k = (len(xs) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def median(values: list[float]) -> float:
    return percentile(values, 50)


# -- memory ----------------------------------------------------------------------------
def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: split after its last ')'.
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def process_tree(pid: int, kids: dict[int, list[int]] | None = None) -> list[int]:
    """`pid` and all its descendants."""
    kids = kids if kids is not None else _children_map()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += kids.get(p, [])
    return out


def _status_kb(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            args = fh.read().split(b"\0")
        words = [Path(a.decode(errors="replace")).name for a in args if a]
        if words and words[0].startswith("python") and len(words) > 1:  # a script or -m module
            words = words[1:]
        if words and words[0] == "gunicorn":
            return "gunicorn worker"
        return " ".join(words[:2])[:40]
    except OSError:
        return "?"


class RssSampler:
    """Samples, every `interval` seconds, the RSS (and PSS, which counts pages shared
    between forked workers once) of process trees; keeps each tree's peak total and the
    peak of every single process. Use as a context manager."""

    def __init__(self, roots: dict[str, int], interval: float = 0.25, pss: bool = True):
        self.roots = roots
        self.interval = interval
        self.pss = pss
        self.peak_tree_rss = {name: 0 for name in roots}  # kB
        self.peak_tree_pss = {name: 0 for name in roots}
        self.peak_proc: dict[str, tuple[int, str]] = {}  # tree -> (kB, process name)
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="rss-sampler")

    def sample(self) -> None:
        kids = _children_map()
        for name, root in self.roots.items():
            total_rss = total_pss = 0
            for pid in process_tree(root, kids):
                rss = _status_kb(pid, "VmRSS")
                total_rss += rss
                if self.pss:
                    total_pss += _pss_kb(pid)
                if rss > self.peak_proc.get(name, (0, ""))[0]:
                    self.peak_proc[name] = (rss, "master" if pid == root else _comm(pid))
            self.peak_tree_rss[name] = max(self.peak_tree_rss[name], total_rss)
            self.peak_tree_pss[name] = max(self.peak_tree_pss[name], total_pss)
        self.samples += 1

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> RssSampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def table(self) -> str:
        """A markdown table: peak per tree (RSS sum, PSS sum) and the biggest process."""
        pss_head, pss_rule = (" peak PSS (sum) MB |", "---:|") if self.pss else ("", "")
        rows = [
            f"| process tree | peak RSS (sum) MB |{pss_head} biggest process | its peak RSS MB |",
            f"|---|---:|{pss_rule}---|---:|",
        ]
        for name in self.roots:
            kb, who = self.peak_proc.get(name, (0, "?"))
            pss = f" {self.peak_tree_pss[name] / 1024:.0f} |" if self.pss else ""
            rows.append(f"| {name} | {self.peak_tree_rss[name] / 1024:.0f} |{pss} `{who}` | {kb / 1024:.0f} |")
        return "\n".join(rows)


def cpu_seconds(root: int) -> float:
    """User + system CPU time of a process tree so far (exited children included once
    they are reaped: cutime/cstime), in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in process_tree(root):
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2 :].split()
        total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    return total / ticks


def stack_roots(st: Stack) -> dict[str, int]:
    """Each service's root pid (its tree: gunicorn workers; the packager's ffmpeg)."""
    names = {"auth": "auth-svc", "file": "file-svc", "upload": "upload-webapp", "streaming": "streaming-svc"}
    return {names.get(n, n): svc.proc.pid for n, svc in st.services.items() if svc.proc is not None}


# -- machine and report ----------------------------------------------------------------
def _first_line(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "?"


def machine_info() -> dict[str, str]:
    """What the figures were measured on."""
    cpu = "?"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = _meminfo("MemTotal")
    import gunicorn

    return {
        "cpu": f"{cpu}, {os.cpu_count()} logical cores",
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "os": f"{platform.system()} {platform.release()} ({_os_release()})",
        "python": platform.python_version(),
        "gunicorn": gunicorn.__version__,
        "load": "load average at start {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()),
    }


def _meminfo(field: str) -> int:
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _os_release() -> str:
    with contextlib.suppress(OSError), open("/etc/os-release") as fh:
        for line in fh:
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip().strip('"')
    return "?"


def tool_version(cmd: list[str]) -> str:
    return _first_line(cmd)


def command_line(module: str, argv: list[str] | None) -> str:
    """The exact command that reproduces this run (from the repository root)."""
    args = sys.argv[1:] if argv is None else argv
    command = " ".join([".venv/bin/python", "-m", module, *map(shlex.quote, args)])
    via = os.environ.get("BENCH_VIA")
    return f"{command}` (run by `{via}`)" if via else command


def machine_block(info: dict[str, str], command: str, started: dt.datetime, extra: dict[str, str] | None = None) -> str:
    lines = [f"- Date: {started.strftime('%Y-%m-%d %H:%M UTC')}", f"- Command: `{command}`"]
    lines += [
        f"- Machine: {info['cpu']}, {info['memory']} RAM; {info['os']}; Python {info['python']}, "
        f"gunicorn {info['gunicorn']}; {info['load']}"
    ]
    for k, v in (extra or {}).items():
        lines.append(f"- {k}: {v}")
    return "\n".join(lines)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def write_section(name: str, body: str, path: Path = BENCHMARKS_MD) -> None:
    """Put `body` between `<!-- name -->` and `<!-- /name -->` in `path`, replacing what
    was there, or appending the section. Locked, so that several benchmarks can share it."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", name):
        raise ValueError(f"bad section name {name!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    block = f"<!-- {name} -->\n{body.strip()}\n<!-- /{name} -->"
    lock_path = (
        Path(tempfile.gettempdir()) / f"reelhouse-{hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]}.lock"
    )
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        text = path.read_text() if path.exists() else HEADER
        pattern = re.compile(rf"<!-- {re.escape(name)} -->.*?<!-- /{re.escape(name)} -->", re.S)
        if pattern.search(text):
            text = pattern.sub(lambda _m: block, text, count=1)
        else:
            text = text.rstrip("\n") + "\n\n" + block + "\n"
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
