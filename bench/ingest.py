"""Ingest benchmark: one large upload through the local stack (as `make run` runs it:
SQLite, local storage), against the same file sent to a trivial sink on the same disk.

    python -m bench.ingest [--size 2GiB] [--dir /var/tmp] [--no-write]

Records the wall time of each upload and the peak memory (RSS) of every process tree:
each service's gunicorn master, workers and children, sampled from /proc every 50 ms,
and each process's own high-water mark (VmHWM). The packager is off: this measures
ingest (receive, probe, store), not packaging. Writes its table into BENCHMARKS.md.
Everything goes to a temp folder under --dir, deleted afterwards.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from harness import Stack, free_port, wait_until  # noqa: E402

MiB = 1024**2
GiB = 1024**3
WIDTH, HEIGHT = 1280, 720  # raw yuv420p frames of 1.32 MiB: a big valid video, quickly made


def parse_size(text: str) -> int:
    m = re.fullmatch(r"\s*([\d.]+)\s*([KMGT]i?B?|B?)\s*", text, re.I)
    if not m:
        raise argparse.ArgumentTypeError(f"not a size: {text!r}")
    unit = m.group(2).upper().rstrip("B").rstrip("I")
    return int(float(m.group(1)) * {"": 1, "K": 1024, "M": MiB, "G": GiB, "T": 1024 * GiB}[unit])


def make_video(path: Path, size: int) -> None:
    """A raw-video Matroska file of about `size` bytes (a valid, playable video)."""
    frames = max(2, -(-size // (WIDTH * HEIGHT * 3 // 2)))
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size={WIDTH}x{HEIGHT}:rate=25",
         "-frames:v", str(frames), "-c:v", "rawvideo", "-pix_fmt", "yuv420p", "-f", "matroska", str(path)],
        check=True,
    )


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def _tree(pid: int, kids: dict[int, list[int]]) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += kids.get(p, [])
    return out


def _status(pid: int) -> dict[str, int]:
    fields = {}
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    fields[key] = int(value.split()[0]) * 1024
    except OSError:
        pass
    return fields


class MemorySampler:
    """Peak RSS of each named process tree, sampled every `interval` seconds."""

    def __init__(self, roots: dict[str, int], interval: float = 0.05):
        self.roots = roots
        self.interval = interval
        self.peak_tree = dict.fromkeys(roots, 0)
        self.peak_process = dict.fromkeys(roots, 0)
        self.start_tree = self.sample()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> dict[str, int]:
        kids = _children()
        now = {}
        for name, pid in self.roots.items():
            total = 0
            for p in _tree(pid, kids):
                st = _status(p)
                total += st.get("VmRSS", 0)
                self.peak_process[name] = max(self.peak_process.get(name, 0), st.get("VmHWM", 0))
            now[name] = total
            self.peak_tree[name] = max(self.peak_tree.get(name, 0), total)
        return now

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.sample()


def curl_upload(url: str, src: Path, headers: list[str], fields: list[str]) -> tuple[int, float, str]:
    cmd = ["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", "-F", f"file=@{src}"]
    for f in fields:
        cmd += ["-F", f]
    for h in headers:
        cmd += ["-H", h]
    started = time.monotonic()
    out = subprocess.run([*cmd, url], check=True, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    body, _, status = out.stdout.rpartition("\n")
    return int(status), elapsed, body


def run_sink(work: Path, src: Path) -> dict:
    folder = work / "sink"
    folder.mkdir()
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bench.sink", str(port), str(folder)], cwd=ROOT)
    try:
        wait_until(lambda: subprocess.run(["curl", "-s", f"http://127.0.0.1:{port}/"], capture_output=True).returncode
                   == 0, 10, "the sink")
        with MemorySampler({"sink": proc.pid}) as mem:
            status, elapsed, _ = curl_upload(f"http://127.0.0.1:{port}/upload", src, [], ["name=bench"])
        assert status == 201, status
        written = (folder / "upload.bin").stat().st_size
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(folder, ignore_errors=True)
    return {"seconds": elapsed, "written": written, "peak_tree": mem.peak_tree, "peak_process": mem.peak_process,
            "idle": mem.start_tree}


def run_stack(work: Path, src: Path, size: int) -> dict:
    st = Stack(work / "stack", {"STORAGE_BACKEND": "local", "MAX_UPLOAD_BYTES": str(max(size * 2, 10 * GiB)),
                                "PACKAGER": "0", "ACCESS_LOG": "0", "WEB_CONCURRENCY": "2"})
    st.start()
    try:
        token = st.login()
        roots = {name: svc.proc.pid for name, svc in st.services.items()}
        with MemorySampler(roots) as mem:
            status, elapsed, body = curl_upload(st.url("upload") + "/api/upload", src,
                                                [f"Authorization: Bearer {token}"], ["name=bench"])
        assert status == 201, f"{status} {body}"
        video_id = json.loads(body)["id"]
        stored = next((st.storage_dir / "videos" / video_id).glob("original*"))
        assert stored.stat().st_size == src.stat().st_size
    finally:
        st.stop()
    return {"seconds": elapsed, "peak_tree": mem.peak_tree, "peak_process": mem.peak_process, "idle": mem.start_tree}


def machine() -> str:
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GiB
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, Linux {platform.release()}, Python {platform.python_version()}"


def mib(n: int) -> str:
    return f"{n / MiB:.0f} MiB"


def table(size: int, sink: dict, stack: dict, command: str) -> str:
    rate = lambda s: f"{size / MiB / s:.0f} MiB/s"  # noqa: E731
    lines = [
        "## Ingest: one large upload, streamed",
        "",
        f"- Date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {machine()} (shared with other work while it ran)",
        f"- Command: `{command}`",
        f"- File: {size / GiB:.2f} GiB raw-video Matroska, sent with `curl -F file=@...` (multipart, from the page cache)",
        "- Reelhouse: upload-webapp -> file-svc -> temp folder -> probe -> local storage (a hard link), as `make run`"
        " (SQLite, local storage), packager off; time until the 201.",
        "- Baseline: the same curl command to a trivial Python sink (bench/sink.py) writing the body to the same disk.",
        "",
        "| upload | time | throughput |",
        "| --- | ---: | ---: |",
        f"| bare sink | {sink['seconds']:.1f} s | {rate(sink['seconds'])} |",
        f"| Reelhouse | {stack['seconds']:.1f} s | {rate(stack['seconds'])} |",
        "",
        "| process tree | idle RSS | peak RSS (tree, sampled) | peak RSS (largest process, VmHWM) |",
        "| --- | ---: | ---: | ---: |",
        f"| sink | {mib(sink['idle']['sink'])} | {mib(sink['peak_tree']['sink'])} | {mib(sink['peak_process']['sink'])} |",
    ]
    for name in ("upload", "file", "auth", "streaming"):
        lines.append(f"| {name} ({'gunicorn master + 2 workers'}) | {mib(stack['idle'][name])} | "
                     f"{mib(stack['peak_tree'][name])} | {mib(stack['peak_process'][name])} |")
    lines += ["", "Memory does not grow with the file: each process reads and writes it in 1 MiB pieces. file-svc's tree peak includes the ffprobe/ffmpeg children that check the file (they read it, never all of it at once).", ""]
    return "\n".join(lines)


def write_benchmarks(section: str) -> Path:
    path = ROOT / "BENCHMARKS.md"
    start, end = "<!-- bench.ingest:start -->", "<!-- bench.ingest:end -->"
    block = f"{start}\n{section}\n{end}\n"
    text = path.read_text() if path.exists() else "# Benchmarks\n\nMeasured, not tested: figures from one run each.\n\n"
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) + 1 :]
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=parse_size, default=2 * GiB, help="file size, e.g. 2GiB, 512MiB (default 2GiB)")
    parser.add_argument("--dir", default="/var/tmp", help="where the temp folder goes (default /var/tmp)")
    parser.add_argument("--no-write", action="store_true", help="print the table, leave BENCHMARKS.md alone")
    args = parser.parse_args()
    args.size_text = next((a.split("=", 1)[1] if "=" in a else sys.argv[i + 2]
                           for i, a in enumerate(sys.argv[1:]) if a.startswith("--size")), "2GiB")
    work = Path(tempfile.mkdtemp(prefix="reelhouse-bench-", dir=args.dir))
    try:
        src = work / "source.mkv"
        print(f"making a {args.size / GiB:.2f} GiB video in {work} ...", flush=True)
        make_video(src, args.size)
        size = src.stat().st_size
        print("uploading to the bare sink ...", flush=True)
        sink = run_sink(work, src)
        assert sink["written"] > size, sink
        print(f"  {sink['seconds']:.1f} s", flush=True)
        print("uploading through the local stack ...", flush=True)
        stack = run_stack(work, src, size)
        print(f"  {stack['seconds']:.1f} s", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    command = "python -m bench.ingest" + ("" if args.size == 2 * GiB else f" --size {args.size_text}")
    section = table(size, sink, stack, command)
    print(section)
    if not args.no_write:
        print(f"written to {write_benchmarks(section)}")


if __name__ == "__main__":
    main()
