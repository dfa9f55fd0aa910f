"""Delivery: HLS segment throughput and latency through streaming-svc (with a valid
session token, so auth-svc and file-svc are on the path) against Debian's nginx serving
the same files from the same storage folder with sendfile; and playlist requests/s.

wrk drives both, on loopback, at 1, 16 and 64 connections; the two targets alternate
within each repetition so that noise from a shared machine hits both, and the ratio
(stack / nginx) of each repetition is taken before the median.

    .venv/bin/python -m bench.delivery [--seconds 5] [--repeat 3] [--connections 1,16,64]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import requests

from harness import free_port, stop_process, wait_until
from harness.procfs import cpu_seconds

from .common import bench_stack, capped_clip, segment_files, stack_roots, upload_ready_video, workdir
from .memory import TreeSampler
from .report import describe_env, env_argument, heading, median, output_arguments, run_and_write, tool_version

NGINX_CONF = """\
{user}worker_processes auto;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    sendfile on;
    tcp_nopush on;
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/tmp;
    proxy_temp_path {prefix}/tmp;
    fastcgi_temp_path {prefix}/tmp;
    uwsgi_temp_path {prefix}/tmp;
    scgi_temp_path {prefix}/tmp;
    types {{ video/mp2t ts; application/vnd.apple.mpegurl m3u8; image/jpeg jpg; }}
    server {{
        listen 127.0.0.1:{port};
        root {root};
    }}
}}
"""

WRK_SCRIPT = """\
local paths = {{{paths}}}
local n = #paths
local i = 0
{headers}
init = function(args)
  i = tonumber(args[1] or "0") or 0
end
request = function()
  i = (i % n) + 1
  return wrk.format(nil, paths[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT {{\\"requests\\": %d, \\"bytes\\": %d, \\"duration_us\\": %d, \\"connect\\": %d, \\"read\\": %d, "
    .. "\\"write\\": %d, \\"status\\": %d, \\"timeout\\": %d, \\"p50_us\\": %d, \\"p99_us\\": %d, \\"max_us\\": %d}}\\n",
    summary.requests, summary.bytes, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


class Nginx:
    """Debian's nginx with a private config on a free port, serving `root` with sendfile."""

    def __init__(self, base: Path, root: Path, conf_template: str = NGINX_CONF):
        self.base = base
        self.root = root
        self.conf_template = conf_template
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Nginx:
        (self.base / "tmp").mkdir(parents=True, exist_ok=True)
        user = "user root root;\n" if os.geteuid() == 0 else ""  # the storage folder is private (0700)
        conf = self.base / "nginx.conf"
        conf.write_text(self.conf_template.format(user=user, prefix=self.base, port=self.port, root=self.root))
        self.proc = subprocess.Popen(
            ["nginx", "-p", str(self.base), "-c", str(conf), "-g", "daemon off;"],
            stdout=open(self.base / "stdout.log", "ab"),
            stderr=subprocess.STDOUT,
        )
        wait_until(
            lambda: requests.get(self.url + "/", timeout=1).status_code in (200, 403, 404),
            15,
            "nginx",
            self.base / "error.log",
        )
        return self

    def __exit__(self, *exc) -> None:
        stop_process(self.proc, 10)


def wrk(
    url: str,
    paths: list[str],
    connections: int,
    seconds: float,
    script_dir: Path,
    headers: dict[str, str] | None = None,
    timeout: str = "30s",
) -> dict:
    """One wrk run cycling over `paths`; returns requests, bytes, errors and latency."""
    lua_paths = ", ".join(json.dumps(p) for p in paths)
    lua_headers = "\n".join(f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in (headers or {}).items())
    script = script_dir / f"wrk-{os.getpid()}-{time.monotonic_ns()}.lua"
    script.write_text(WRK_SCRIPT.format(paths=lua_paths, headers=lua_headers))
    threads = min(2, connections)
    cmd = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{max(1, round(seconds))}s",
        "--timeout",
        timeout,
        "-s",
        str(script),
        url,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    script.unlink(missing_ok=True)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            r = json.loads(line[7:])
            secs = r["duration_us"] / 1e6
            r["errors"] = sum(r[k] for k in ("connect", "read", "write", "status", "timeout"))
            r["rps"] = r["requests"] / secs if secs else 0.0
            r["mb_s"] = r["bytes"] / secs / 1e6 if secs else 0.0
            return r
    raise RuntimeError(f"wrk printed no result: {out.stdout}\n{out.stderr}")


ERROR_KINDS = ("connect", "read", "write", "status", "timeout")


def _error_kinds(r: dict) -> str:
    """wrk's error counters that are not zero, e.g. 'status=1' (non-2xx answers)."""
    return " ".join(f"{k}={r[k]}" for k in ERROR_KINDS if r[k])


def _check_same_bytes(stack_url: str, nginx_url: str, path: str, cookie: dict) -> int:
    a = requests.get(stack_url + path, cookies=cookie, timeout=30)
    b = requests.get(nginx_url + path, timeout=30)
    if a.status_code != 200 or b.status_code != 200 or a.content != b.content:
        raise RuntimeError(f"stack and nginx disagree on {path}: {a.status_code} {b.status_code}")
    return len(a.content)


def run(args: argparse.Namespace) -> dict:
    """Start the stack and nginx, then measure; returns every run's figures."""
    env = dict(args.env)
    levels = [int(c) for c in args.connections.split(",")]
    results: dict = {"segments": {}, "playlists": [], "env": env}
    with workdir(args.keep) as base:
        clip = capped_clip(base / "clip.mp4", args.clip_seconds, args.size, args.bitrate)
        with bench_stack(base / "stack", env) as st:
            token = st.login()
            video = upload_ready_video(st, token, clip, "delivery bench")
            vid = video["id"]
            rung, segs = segment_files(st, vid)
            seg_paths = [f"/videos/{vid}/hls/{rung}/{p.name}" for p in segs]
            playlist_paths = [f"/videos/{vid}/hls/master.m3u8", f"/videos/{vid}/hls/{rung}/index.m3u8"]
            sizes = [p.stat().st_size for p in segs]
            results["segment_count"], results["segment_mean_bytes"] = len(sizes), sum(sizes) / len(sizes)
            results["rung"] = rung
            auth = {"Cookie": f"auth_token={token}"}
            stack_url = st.url("streaming")
            with Nginx(base / "nginx", st.storage_dir) as ngx:
                _check_same_bytes(stack_url, ngx.url, seg_paths[0], {"auth_token": token})
                targets = {"stack": (stack_url, auth), "nginx": (ngx.url, {})}
                roots = {**stack_roots(st), "nginx": ngx.proc.pid}
                with TreeSampler(roots, interval=0.5, pss=False) as rss:
                    # Warm both (page cache, connection pools, the auth cache).
                    for url, hdrs in targets.values():
                        wrk(url, seg_paths, 4, 1, base, hdrs)
                    cpu0 = {n: cpu_seconds(pid) for n, pid in roots.items()}
                    stack_bytes = 0
                    served = {"stack": 0, "nginx": 0}
                    for conns in levels:
                        runs = results["segments"][conns] = {"stack": [], "nginx": []}
                        for rep in range(args.repeat):
                            order = ["stack", "nginx"] if rep % 2 == 0 else ["nginx", "stack"]
                            for name in order:
                                url, hdrs = targets[name]
                                r = wrk(url, seg_paths, conns, args.seconds, base, hdrs)
                                runs[name].append(r)
                                served[name] += r["requests"]
                                if name == "stack":
                                    stack_bytes += r["bytes"]
                                print(
                                    f"segments c={conns:<3} {name:<5} {r['mb_s']:8.1f} MB/s {r['rps']:8.1f} req/s "
                                    f"p50 {r['p50_us'] / 1000:7.1f} ms p99 {r['p99_us'] / 1000:7.1f} ms "
                                    f"errors {r['errors']} {_error_kinds(r)}",
                                    flush=True,
                                )
                    cpu1 = {n: cpu_seconds(pid) for n, pid in roots.items()}
                    for rep in range(args.repeat):
                        pair = {}
                        for name in ["stack", "nginx"] if rep % 2 == 0 else ["nginx", "stack"]:
                            url, hdrs = targets[name]
                            pair[name] = wrk(
                                url, playlist_paths, args.playlist_connections, args.playlist_seconds, base, hdrs
                            )
                            print(
                                f"playlists c={args.playlist_connections} {name:<5} {pair[name]['rps']:8.1f} req/s "
                                f"p99 {pair[name]['p99_us'] / 1000:7.1f} ms errors {pair[name]['errors']}",
                                flush=True,
                            )
                        results["playlists"].append(pair)
                results["rss"] = rss.table()
                # CPU seconds each process tree spent per GB the stack delivered (nginx: its own runs).
                results["cpu_s"] = {n: cpu1[n] - cpu0[n] for n in roots}
                results["cpu_ms_per_request"] = {
                    n: 1000 * (cpu1[n] - cpu0[n]) / max(1, served["nginx" if n == "nginx" else "stack"])
                    for n in roots
                    if n != "upload-webapp"
                }
                results["stack_gb"] = stack_bytes / 1e9
    return results


def summarize(results: dict) -> dict:
    """Medians per level and target, and the median of the per-repetition ratios."""
    out = {}
    for conns, runs in results["segments"].items():
        row = {}
        for name in ("stack", "nginx"):
            rs = runs[name]
            row[name] = {k: median([r[k] for r in rs]) for k in ("mb_s", "rps", "p50_us", "p99_us")}
            row[name]["errors"] = sum(r["errors"] for r in rs)
            row[name]["kinds"] = _error_kinds({k: sum(r[k] for r in rs) for k in ERROR_KINDS})
        pairs = list(zip(runs["stack"], runs["nginx"], strict=True))
        row["ratio_mb_s"] = median([s["mb_s"] / n["mb_s"] for s, n in pairs if n["mb_s"]])
        row["ratio_p50"] = median([s["p50_us"] / n["p50_us"] for s, n in pairs if n["p50_us"]])
        row["ratio_p99"] = median([s["p99_us"] / n["p99_us"] for s, n in pairs if n["p99_us"]])
        out[conns] = row
    pl = results["playlists"]
    out["playlists"] = {
        name: {
            "rps": median([p[name]["rps"] for p in pl]),
            "p99_us": median([p[name]["p99_us"] for p in pl]),
            "errors": sum(p[name]["errors"] for p in pl),
        }
        for name in ("stack", "nginx")
    }
    out["playlists"]["ratio_rps"] = median([p["stack"]["rps"] / p["nginx"]["rps"] for p in pl if p["nginx"]["rps"]])
    return out


def render(results: dict, args: argparse.Namespace, command: str, started, info: dict) -> str:
    summary = summarize(results)
    env = describe_env(results["env"])
    lines = [
        *heading(
            f"Delivery{(' — ' + args.title) if args.title else ''}",
            info,
            command,
            started,
            {
                "Setup": (
                    f"local backend (SQLite + storage folder); stack env: {env}; {results['segment_count']} "
                    f"segments of {results['segment_mean_bytes'] / 1e6:.2f} MB mean ({results['rung']}, "
                    f"{args.size} at {args.bitrate}), cycled; token in a cookie"
                ),
                "Load": (
                    f"{tool_version(['wrk', '-v'])}; `-t 2` (`-t 1` at one connection), {args.seconds} s per run, "
                    f"{args.repeat} runs per target and level, stack and nginx alternating; medians"
                ),
                "Limit": f"{tool_version(['nginx', '-v'])} serving the same storage folder, sendfile on, access log on",
            },
        ),
        "",
        "| connections | stack MB/s | nginx MB/s | **throughput ratio** | stack req/s | stack p50 ms | nginx p50 ms "
        "| stack p99 ms | nginx p99 ms | errors (stack/nginx) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for conns in results["segments"]:
        r = summary[conns]
        s, n = r["stack"], r["nginx"]
        lines.append(
            f"| {conns} | {s['mb_s']:.0f} | {n['mb_s']:.0f} | **{r['ratio_mb_s']:.2f}** | {s['rps']:.0f} "
            f"| {s['p50_us'] / 1000:.1f} | {n['p50_us'] / 1000:.1f} | {s['p99_us'] / 1000:.1f} "
            f"| {n['p99_us'] / 1000:.1f} | {s['errors']}{' (' + s['kinds'] + ')' if s['kinds'] else ''}/{n['errors']} |"
        )
    p = summary["playlists"]
    lines += [
        "",
        f"Playlists (master + media, alternating, {args.playlist_connections} connections, "
        f"{args.playlist_seconds} s × {args.repeat}): stack **{p['stack']['rps']:.0f} req/s** "
        f"(p99 {p['stack']['p99_us'] / 1000:.1f} ms), nginx {p['nginx']['rps']:.0f} req/s "
        f"(p99 {p['nginx']['p99_us'] / 1000:.1f} ms); ratio {p['ratio_rps']:.3f}; "
        f"errors {p['stack']['errors']}/{p['nginx']['errors']}.",
        "",
        f"CPU time per segment request during the segment runs ({results['stack_gb']:.1f} GB through the stack; "
        "user + system, from /proc): "
        + ", ".join(f"{n} {ms:.2f} ms" for n, ms in results["cpu_ms_per_request"].items())
        + ".",
        "",
        "Peak memory during the whole run:",
        "",
        results["rss"],
    ]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.delivery", description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=int, default=5, help="length of each wrk run")
    ap.add_argument("--repeat", type=int, default=3, help="runs per target and level (median)")
    ap.add_argument("--connections", default="1,16,64", help="comma-separated wrk -c levels")
    ap.add_argument("--playlist-connections", type=int, default=16)
    ap.add_argument("--playlist-seconds", type=int, default=4)
    ap.add_argument("--clip-seconds", type=float, default=20, help="length of the clip (4 s segments)")
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--bitrate", default="3M", help="video bitrate of the clip (sets the segment size)")
    env_argument(ap)
    ap.add_argument("--title", default="", help="suffix of the section heading")
    output_arguments(ap, "delivery")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    run_and_write("bench.delivery", parse_args(argv), argv, run, render)
    return 0


if __name__ == "__main__":
    sys.exit(main())
