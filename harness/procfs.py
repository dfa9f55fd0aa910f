"""Processes found in /proc: the tree under a process, its CPU time and memory, and the
processes whose command line or environment names something. The tests look for what
a service left running (an ffmpeg that outlived its packager); the benchmarks measure
what a service's tree spends."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path


def pids() -> Iterator[int]:
    """Every process's pid (those that end meanwhile included: read them with care)."""
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            yield int(entry.name)


def _stat_fields(pid: int) -> list[bytes] | None:
    """/proc/<pid>/stat's fields after the command name (which may hold spaces and
    parentheses: split after its last ')'): state, ppid, ..., utime stime cutime cstime."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return None
    return stat[stat.rindex(b")") + 2 :].split()


def children_map() -> dict[int, list[int]]:
    """{parent pid: its children's pids}, of every process now."""
    kids: dict[int, list[int]] = {}
    for pid in pids():
        fields = _stat_fields(pid)
        if fields is not None:
            kids.setdefault(int(fields[1]), []).append(pid)
    return kids


def process_tree(pid: int, kids: dict[int, list[int]] | None = None) -> list[int]:
    """`pid` and all its descendants."""
    kids = kids if kids is not None else children_map()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += kids.get(p, [])
    return out


def cpu_seconds(root: int) -> float:
    """User + system CPU time of a process tree so far (exited children included once
    they are reaped: cutime/cstime), in seconds."""
    total = 0
    for pid in process_tree(root):
        fields = _stat_fields(pid)
        if fields is not None:
            total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    return total / os.sysconf("SC_CLK_TCK")


def status_kb(pid: int, *fields: str) -> dict[str, int]:
    """Memory figures of /proc/<pid>/status in kB (VmRSS; VmHWM, its peak so far); those
    of a process that is gone are missing."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                name, _, value = line.partition(":")
                if name in fields:
                    out[name] = int(value.split()[0])
    except OSError:
        pass
    return out


def pss_kb(pid: int) -> int:
    """The process's proportional set size in kB: pages shared with others counted in
    shares (forked workers' common pages once in all); 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def command_line(pid: int) -> list[str]:
    """The process's arguments ([] if it is gone)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return [a.decode(errors="replace") for a in fh.read().split(b"\0") if a]
    except OSError:
        return []


def describe(pid: int, root: int | None = None) -> str:
    """A short name for a report: `gunicorn master`/`gunicorn worker` (the master is the
    tree's `root`), the script or module a Python runs, else the program and its first
    argument."""
    words = [Path(a).name for a in command_line(pid)]
    if words and words[0].startswith("python") and len(words) > 1:
        words = ["python -c"] if words[1] == "-c" else words[1:]
    if words and words[0] == "gunicorn":
        return "gunicorn master" if pid == root else "gunicorn worker"
    return " ".join(words[:2])[:40] or "?"


def processes_mentioning(text: str) -> list[int]:
    """Processes whose command line mentions `text` (an ffmpeg working on a video)."""
    found = []
    for pid in pids():
        try:
            if text.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
        except OSError:
            continue
    return found


def processes_with_environment(markers: set[bytes]) -> list[tuple[int, str]]:
    """(pid, command line) of the live processes, this one and zombies aside, whose
    environment holds every `NAME=value` of `markers` (a service's, its children's)."""
    found = []
    for pid in pids():
        if pid == os.getpid():
            continue
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = next(
                (ln for ln in Path(f"/proc/{pid}/status").read_text().splitlines() if ln.startswith("State:")), ""
            )
        except OSError:
            continue
        if markers <= set(environ.split(b"\0")) and "zombie" not in state:
            found.append((pid, cmdline.strip()))
    return found
