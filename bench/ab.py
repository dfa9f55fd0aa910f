"""Before/after: the delivery path of an older revision and of this checkout, as two
stacks side by side, measured alternately with the same wrk load; requests/s, latency
and the CPU time each service spends per request.

    .venv/bin/python -m bench.ab --old <git revision> [--seconds 5] [--repeat 3]

The older revision is exported with `git archive` into a temp folder and run with this
checkout's virtualenv; its stack imports its own shared package (PYTHONPATH). Running
both at once and alternating cancels most of a shared machine's drift, which separate
runs of bench.delivery cannot.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from harness import ROOT, wait_until
from harness.procfs import cpu_seconds

from .common import export_revision, workdir
from .delivery import wrk
from .report import heading, median, output_arguments, run_and_write

# Runs in a child process per tree: a stack of that tree with one ready video.
SERVE = """
import json, sys, time
from pathlib import Path
root, base, info_path, stop_path = sys.argv[1:5]
sys.path.insert(0, root)
from bench.common import bench_stack, segment_files, upload_ready_video
from harness import make_clip  # in older revisions, tests/harness.py (bench.common puts tests/ on the path)
base = Path(base)
clip = make_clip(base / "clip.mp4", seconds=20, size="1280x720", extra=["-b:v", "3M", "-maxrate", "3M", "-bufsize", "3M"])
with bench_stack(base / "stack", {}) as st:
    token = st.login()
    v = upload_ready_video(st, token, clip, "ab bench")
    rung, segs = segment_files(st, v["id"])
    hls = f"/videos/{v['id']}/hls/"
    Path(info_path).write_text(json.dumps({
        "url": st.url("streaming"), "token": token,
        "segments": [f"{hls}{rung}/{p.name}" for p in segs],
        "playlists": [hls + "master.m3u8", f"{hls}{rung}/index.m3u8"],
        "roots": {n: s.proc.pid for n, s in st.services.items()}}))
    while not Path(stop_path).exists():
        time.sleep(0.2)
"""


def start_tree(name: str, root: Path, base: Path) -> tuple[subprocess.Popen, Path, Path]:
    (base / name).mkdir(parents=True, exist_ok=True)
    info, stop = base / f"{name}.json", base / f"{name}.stop"
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(root), str(base / name), str(info), str(stop)],
        stdout=open(base / f"{name}.log", "ab"),
        stderr=subprocess.STDOUT,
    )
    return proc, info, stop


def run(args: argparse.Namespace) -> dict:
    results: dict = {}
    with workdir(args.keep) as base:
        old_root = export_revision(args.old, base / "old-tree")
        results["old_rev"] = subprocess.run(
            ["git", "rev-parse", "--short", args.old], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        results["new_rev"] = subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        trees = {"before": start_tree("before", old_root, base), "after": start_tree("after", ROOT, base)}
        try:
            infos = {}
            for name, (proc, info, _stop) in trees.items():

                def ready(proc=proc, info=info, name=name):
                    if proc.poll() is not None:
                        raise RuntimeError(f"{name} stack exited: see {base / (name + '.log')}")
                    return info.exists()

                wait_until(ready, 180, f"{name} stack", base / f"{name}.log", interval=0.5)
                infos[name] = json.loads(info.read_text())
            loads = [("segments", c) for c in args.connections] + [("playlists", args.playlist_connections)]
            for kind, conns in loads:
                key = f"{kind} c={conns}"
                results[key] = {"before": [], "after": []}
                for rep in range(args.repeat):
                    for name in ("before", "after") if rep % 2 == 0 else ("after", "before"):
                        i = infos[name]
                        roots = {"streaming-svc": i["roots"]["streaming"], "file-svc": i["roots"]["file"]}
                        c0 = {n: cpu_seconds(p) for n, p in roots.items()}
                        r = wrk(i["url"], i[kind], conns, args.seconds, base, {"Cookie": f"auth_token={i['token']}"})
                        c1 = {n: cpu_seconds(p) for n, p in roots.items()}
                        r["cpu_ms"] = {n: 1000 * (c1[n] - c0[n]) / max(1, r["requests"]) for n in roots}
                        results[key][name].append(r)
                        print(
                            f"{key:<16} {name:<6} {r['rps']:7.0f} req/s p50 {r['p50_us'] / 1000:6.1f} ms "
                            + " ".join(f"{n} {ms:.2f} ms/req" for n, ms in r["cpu_ms"].items())
                            + f" errors {r['errors']}",
                            flush=True,
                        )
        finally:
            for _proc, _info, stop in trees.values():
                stop.touch()
            for proc, _info, _stop in trees.values():
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    proc.kill()
    return results


def render(results: dict, args: argparse.Namespace, command: str, started, info: dict) -> str:
    lines = [
        *heading(
            f"Before/after: delivery of {results['old_rev']} vs {results['new_rev']}",
            info,
            command,
            started,
            {
                "Setup": (
                    "two stacks at once (local backend, production gunicorn settings), one per revision, the "
                    "same 720p clip (4 s segments of ~1.7 MB); wrk with a cookie, runs alternating between the "
                    f"two, {args.seconds} s each, {args.repeat} per revision and load; medians"
                ),
            },
        ),
        "",
        "| load | req/s before | req/s after | after/before | p50 ms before | p50 ms after "
        "| streaming-svc CPU ms/req before → after | file-svc CPU ms/req before → after | errors |",
        "|---|---:|---:|---:|---:|---:|---|---|---|",
    ]
    for key, runs in results.items():
        if not isinstance(runs, dict):
            continue
        b, a = runs["before"], runs["after"]

        def m(rs, k):
            return median([r[k] for r in rs])

        def cpu(rs, n):
            return median([r["cpu_ms"][n] for r in rs])

        lines.append(
            f"| {key} | {m(b, 'rps'):.0f} | {m(a, 'rps'):.0f} | **{m(a, 'rps') / m(b, 'rps'):.2f}** "
            f"| {m(b, 'p50_us') / 1000:.1f} | {m(a, 'p50_us') / 1000:.1f} "
            f"| {cpu(b, 'streaming-svc'):.2f} → **{cpu(a, 'streaming-svc'):.2f}** "
            f"| {cpu(b, 'file-svc'):.2f} → {cpu(a, 'file-svc'):.2f} "
            f"| {sum(r['errors'] for r in b)}/{sum(r['errors'] for r in a)} |"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.ab", description=__doc__.split("\n\n")[0])
    ap.add_argument("--old", required=True, help="git revision to compare this checkout with")
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--connections", type=lambda s: [int(c) for c in s.split(",")], default=[1, 16, 64])
    ap.add_argument("--playlist-connections", type=int, default=16)
    output_arguments(ap, "delivery-ab")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    run_and_write("bench.ab", parse_args(argv), argv, run, render)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
