"""What every benchmark reports and how: statistics (percentiles, medians), the machine
and the command a figure was measured with, and its section of BENCHMARKS.md; and the
run of one benchmark module from its command line to its written section."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import fcntl
import hashlib
import os
import platform
import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from harness import ROOT

BENCHMARKS_MD = ROOT / "BENCHMARKS.md"
HEADER = (
    "# Benchmarks\n\n"
    "Produced by `make bench` (or one module: `.venv/bin/python -m bench.<name> --help`). Each section\n"
    "says on which machine, when and with which command its figures were measured. Figures that\n"
    "are compared (ratios) were measured in the same run, interleaved; the machines are shared\n"
    "and noisy, so each figure is the median of several runs.\n"
)


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


def median_of(runs: list[dict], key: str) -> float:
    """The median of one figure over runs (dicts of figures)."""
    return median([r[key] for r in runs])


# -- the machine -----------------------------------------------------------------------
def _first_line(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "?"


def tool_version(cmd: list[str]) -> str:
    return _first_line(cmd)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


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


def machine_line(info: dict[str, str]) -> str:
    """The machine in one line: CPU, memory, OS and Python."""
    return f"{info['cpu']}, {info['memory']} RAM; {info['os']}; Python {info['python']}"


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


def heading(title: str, info: dict[str, str], command: str, started: dt.datetime, extra: dict[str, str]) -> list[str]:
    """A section's first lines: its title, then when, how and on what it was measured."""
    return [f"## {title}", "", machine_block(info, command, started, extra)]


def describe_env(env: dict[str, str]) -> str:
    """The services' environment a benchmark set, for its Setup line."""
    return ", ".join(f"{k}={v}" for k, v in env.items()) or "production defaults (gunicorn_conf)"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# -- BENCHMARKS.md ---------------------------------------------------------------------
def write_section(name: str, body: str, path: Path = BENCHMARKS_MD, markers: tuple[str, str] | None = None) -> None:
    """Put `body` between `<!-- name -->` and `<!-- /name -->` (or the two `markers`) in
    `path`, replacing what was there, or appending the section. Locked, so that several
    benchmarks can share it."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", name):
        raise ValueError(f"bad section name {name!r}")
    start, end = markers or (f"<!-- {name} -->", f"<!-- /{name} -->")
    path.parent.mkdir(parents=True, exist_ok=True)
    block = f"{start}\n{body.strip()}\n{end}"
    lock_path = (
        Path(tempfile.gettempdir()) / f"reelhouse-{hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]}.lock"
    )
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        text = path.read_text() if path.exists() else HEADER
        pattern = re.compile(rf"{re.escape(start)}.*?{re.escape(end)}", re.S)
        if pattern.search(text):
            text = pattern.sub(lambda _m: block, text, count=1)
        else:
            text = text.rstrip("\n") + "\n\n" + block + "\n"
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(text)
        os.replace(tmp, path)


# -- one benchmark's run ---------------------------------------------------------------
def env_argument(ap: argparse.ArgumentParser) -> None:
    """--env KEY=VALUE (repeatable): the services' environment; `dict(args.env)`."""
    ap.add_argument(
        "--env",
        action="append",
        default=[],
        type=lambda kv: tuple(kv.split("=", 1)),
        metavar="KEY=VALUE",
        help="environment of the services (e.g. WEB_CONCURRENCY=4); repeatable",
    )


def output_arguments(ap: argparse.ArgumentParser, section: str) -> None:
    """--section, --output and --keep, which every benchmark module takes."""
    ap.add_argument("--section", default=section, help="BENCHMARKS.md section name")
    ap.add_argument("--output", type=Path, default=None, help="markdown file (default BENCHMARKS.md)")
    ap.add_argument("--keep", action="store_true", help="keep the temp folder (logs)")


def run_and_write(module: str, args: argparse.Namespace, argv: list[str] | None, run: Callable, render: Callable):
    """Run a benchmark (`run(args)`), render its section (`render(results, args, command,
    started, machine)`), write it and print it, and how long it all took; its results."""
    command = command_line(module, argv)
    started, info = utcnow(), machine_info()
    t0 = time.monotonic()
    results = run(args)
    text = render(results, args, command, started, info)
    write_section(args.section, text, **({"path": args.output} if args.output else {}))
    print(text)
    print(f"{module}: {time.monotonic() - t0:.0f} s", file=sys.stderr)
    return results
