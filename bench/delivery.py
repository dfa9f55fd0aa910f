"""Delivery: HLS segment throughput and latency through streaming-svc in each delivery
mode (DELIVERY: `relay`, through file-svc; `local`, streaming-svc reading the storage
folder itself with sendfile), with a valid session token (so the auth check is on the
path), against Debian's nginx serving the same files from the same storage folder with
sendfile; and playlist requests/s.

One stack; a second streaming-svc beside the first runs the other mode (same file-svc,
same folder). wrk drives every target, on loopback, at 1, 16 and 64 connections; the
targets take turns within each repetition (the order rotates) so that noise from a shared
machine hits all, and each mode's ratio to nginx is taken per repetition before the
median. CPU time is charged to the target whose run it was spent in.

A mode is a function in MODES that adds a target to a started stack. `presigned` starts
SeaweedFS (with an identity: it checks signatures) and a second stack on it with
DELIVERY=presigned, uploads the same clip, and takes the segment URLs from its media
playlist as a player would: wrk's paths are the signed URLs' paths and queries, its
address the store's. The services then see only playlists: its segment throughput is the
store's, and streaming-svc's CPU per segment is 0 (measured, not assumed).

    .venv/bin/python -m bench.delivery [--seconds 5] [--repeat 3] [--connections 1,16,64] [--modes relay,local,presigned]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests

from harness import S3Server, free_port, stop_process, wait_until
from harness.procfs import cpu_seconds
from harness.stack import Service, Stack

from .common import REPORT_NAMES, bench_stack, capped_clip, segment_files, stack_roots, upload_ready_video, workdir
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


def _check_same_bytes(target: Target, nginx_url: str, nginx_paths: list[str]) -> int:
    """The target's segments are the very files nginx sends, in the same order (a wrong
    setup measures nothing; the presigned stack packaged the same clip on its own)."""
    for ours, theirs in zip(target.segments, nginx_paths, strict=True):
        a = requests.get(target.url + ours, headers=target.headers, timeout=30)
        b = requests.get(nginx_url + theirs, timeout=30)
        if a.status_code != 200 or b.status_code != 200 or a.content != b.content:
            raise RuntimeError(f"{target.name} and nginx disagree on {theirs}: {a.status_code} {b.status_code}")
    return len(target.segments)


@dataclass
class Target:
    """What wrk loads: an address, the paths of its segments and playlists (signed URLs'
    paths and queries for a store), the request headers, and the process trees that do
    its work (their CPU time is charged to it)."""

    name: str
    url: str
    segments: list[str]
    playlists: list[str]
    headers: dict[str, str] = field(default_factory=dict)
    roots: dict[str, int] = field(default_factory=dict)
    # Where its playlists are asked for, when not at `url` (presigned: streaming-svc, not the store).
    playlist_url: str = ""
    playlist_headers: dict[str, str] | None = None

    def playlist_target(self) -> tuple[str, dict[str, str]]:
        """(address, headers) of its playlist requests."""
        if self.playlist_url:
            return self.playlist_url, self.playlist_headers or {}
        return self.url, self.headers


@dataclass
class Video:
    """The measured video: its id, the rendition's folder, its segment files and the clip
    it was packaged from."""

    id: str
    rung: str
    files: list[Path]
    clip: Path

    def paths(self, prefix: str) -> tuple[list[str], list[str]]:
        """(segment paths, playlist paths) under a URL prefix (`/videos/<id>` or a link's)."""
        segs = [f"{prefix}/hls/{self.rung}/{p.name}" for p in self.files]
        return segs, [f"{prefix}/hls/master.m3u8", f"{prefix}/hls/{self.rung}/index.m3u8"]


@contextlib.contextmanager
def streaming_in_mode(st: Stack, mode: str, base: Path) -> Iterator[Service]:
    """A second streaming-svc on the stack, with DELIVERY=`mode`."""
    svc = Service(f"streaming-{mode}", free_port(), {**st.env, "DELIVERY": mode}, base, kind="streaming")
    svc.start()
    try:
        yield svc
    finally:
        svc.stop()


def _service_target(mode: str) -> Callable:
    """A mode that is a DELIVERY value of streaming-svc: the stack's own streaming-svc when
    it runs that mode (the bench's local store: `local` unless --env DELIVERY= says
    otherwise), else a second one beside it."""

    @contextlib.contextmanager
    def make(st: Stack, video: Video, token: str, base: Path) -> Iterator[Target]:
        segs, playlists = video.paths(f"/videos/{video.id}")
        headers = {"Cookie": f"auth_token={token}"}
        helpers = {REPORT_NAMES[n]: st[n].pid for n in ("auth", "file")}
        if (st.env.get("DELIVERY") or "local") == mode:
            yield Target(
                mode, st.url("streaming"), segs, playlists, headers, {"streaming-svc": st["streaming"].pid, **helpers}
            )
            return
        with streaming_in_mode(st, mode, base) as svc:
            yield Target(mode, svc.url, segs, playlists, headers, {"streaming-svc": svc.pid, **helpers})

    return make


PRESIGNED_BUCKET = "bench-presigned"


def presigned_env(s3: S3Server) -> dict[str, str]:
    """A stack on `s3` with DELIVERY=presigned: the services and the viewer reach the
    store at the same address (loopback)."""
    url = f"http://127.0.0.1:{s3.port}"
    return {
        "STORAGE_BACKEND": "s3",
        "DELIVERY": "presigned",
        "S3_ENDPOINT_URL": url,
        "S3_PUBLIC_ENDPOINT_URL": url,
        "S3_BUCKET": s3.create_bucket(PRESIGNED_BUCKET),
        "S3_REGION": s3.region,
        "AWS_ACCESS_KEY_ID": s3.key,
        "AWS_SECRET_ACCESS_KEY": s3.secret,
        "S3_ADDRESSING_STYLE": "path",
    }


@contextlib.contextmanager
def presigned_stack(base: Path, clip: Path) -> Iterator[tuple[Stack, S3Server, str, str]]:
    """SeaweedFS with an identity (it checks signatures) and a stack on it with
    DELIVERY=presigned, the bench's clip uploaded and ready: (stack, store, token, video id)."""
    s3 = S3Server(base / "s3")
    s3.start()
    try:
        with bench_stack(base / "stack-presigned", presigned_env(s3)) as st:
            token = st.login()
            vid = upload_ready_video(st, token, clip, "delivery bench (presigned)")["id"]
            yield st, s3, token, vid
    finally:
        s3.stop()


def signed_segments(st: Stack, token: str, vid: str) -> tuple[str, list[str], list[str]]:
    """What a player gets: the master playlist, its first rendition's media playlist, and
    in it the presigned segment URLs; (the store's origin, the URLs' paths and queries,
    the two playlists' paths)."""
    cookie = {"Cookie": f"auth_token={token}"}
    master_path = f"/videos/{vid}/hls/master.m3u8"
    master = requests.get(st.url("streaming") + master_path, headers=cookie, timeout=30)
    master.raise_for_status()
    rung = next(ln for ln in master.text.splitlines() if ln and not ln.startswith("#"))
    media_path = f"/videos/{vid}/hls/{rung}"
    media = requests.get(st.url("streaming") + media_path, headers=cookie, timeout=30)
    media.raise_for_status()
    urls = [urlsplit(ln) for ln in media.text.splitlines() if ln.startswith("http") and ".ts?" in ln]
    if not urls or len({(u.scheme, u.netloc) for u in urls}) != 1:
        raise RuntimeError(f"no presigned segment URLs on one origin in {media_path}:\n{media.text[:500]}")
    return f"{urls[0].scheme}://{urls[0].netloc}", [f"{u.path}?{u.query}" for u in urls], [master_path, media_path]


@contextlib.contextmanager
def _presigned_target(st: Stack, video: Video, token: str, base: Path) -> Iterator[Target]:
    """DELIVERY=presigned: a second stack on SeaweedFS holding the same clip; wrk fetches
    the presigned segment URLs of its media playlist from the store itself, so the
    services see no segment request (streaming-svc's CPU per segment is ~0: what the
    store spends is charged to `SeaweedFS`). Its playlists are streaming-svc's (signed)."""
    with presigned_stack(base / "presigned", video.clip) as (pst, s3, ptoken, pvid):
        origin, segs, playlists = signed_segments(pst, ptoken, pvid)
        roots = {**{REPORT_NAMES[n]: pst[n].pid for n in ("streaming", "auth", "file")}, "SeaweedFS": s3.proc.pid}
        target = Target("presigned", origin, segs, playlists, {}, roots)
        target.playlist_url = pst.url("streaming")
        target.playlist_headers = {"Cookie": f"auth_token={ptoken}"}
        yield target


# mode -> a context manager (stack, video, token, work folder) -> Target.
MODES: dict[str, Callable] = {
    "relay": _service_target("relay"),
    "local": _service_target("local"),
    "presigned": _presigned_target,
}


def _cpu(roots: dict[str, int]) -> dict[str, float]:
    return {n: cpu_seconds(pid) for n, pid in roots.items()}


def _measure(
    target: Target, paths: list[str], conns: int, seconds: float, base: Path, spent: dict, playlists: bool = False
) -> dict:
    """One wrk run of `target` (its segments, or its `playlists` at their own address),
    its CPU time per process tree added to `spent`."""
    url, headers = target.playlist_target() if playlists else (target.url, target.headers)
    before = _cpu(target.roots)
    r = wrk(url, paths, conns, seconds, base, headers)
    after = _cpu(target.roots)
    for n in target.roots:
        spent[n] = spent.get(n, 0.0) + after[n] - before[n]
    return r


def _rotation(names: list[str], rep: int) -> list[str]:
    """The order of the targets in repetition `rep`: each goes first in turn."""
    k = rep % len(names)
    return names[k:] + names[:k]


def run(args: argparse.Namespace) -> dict:
    """Start the stack, each mode's target and nginx, then measure; returns every run's figures."""
    env = dict(args.env)
    levels = [int(c) for c in args.connections.split(",")]
    modes = [m for m in args.modes.split(",") if m]
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        raise SystemExit(f"unknown mode(s) {', '.join(unknown)}; known: {', '.join(MODES)}")
    results: dict = {"segments": {}, "playlists": [], "env": env, "modes": modes}
    with workdir(args.keep) as base, contextlib.ExitStack() as stack:
        clip = capped_clip(base / "clip.mp4", args.clip_seconds, args.size, args.bitrate)
        st = stack.enter_context(bench_stack(base / "stack", env))
        token = st.login()
        vid = upload_ready_video(st, token, clip, "delivery bench")["id"]
        rung, files = segment_files(st, vid)
        video = Video(vid, rung, files, clip)
        sizes = [p.stat().st_size for p in files]
        results["segment_count"], results["segment_mean_bytes"] = len(sizes), sum(sizes) / len(sizes)
        results["rung"] = rung
        targets = {m: stack.enter_context(MODES[m](st, video, token, base)) for m in modes}
        ngx = stack.enter_context(Nginx(base / "nginx", st.storage_dir))
        segs, playlists = video.paths(f"/videos/{vid}")
        targets["nginx"] = Target("nginx", ngx.url, segs, playlists, {}, {"nginx": ngx.proc.pid})
        for m in modes:
            _check_same_bytes(targets[m], ngx.url, segs)
        names = list(targets)
        trees = {**stack_roots(st), **_other_processes(targets, st), "nginx": ngx.proc.pid}
        spent: dict[str, dict[str, float]] = {n: {} for n in names}
        served = dict.fromkeys(names, 0)
        pl_spent: dict[str, dict[str, float]] = {n: {} for n in names}
        pl_served = dict.fromkeys(names, 0)
        with TreeSampler(trees, interval=0.5, pss=False) as rss:
            for t in targets.values():  # warm each: page cache, connection pools, the auth cache
                wrk(t.url, t.segments, 4, 1, base, t.headers)
            for conns in levels:
                runs = results["segments"][conns] = {n: [] for n in names}
                for rep in range(args.repeat):
                    for name in _rotation(names, rep):
                        t = targets[name]
                        r = _measure(t, t.segments, conns, args.seconds, base, spent[name])
                        runs[name].append(r)
                        served[name] += r["requests"]
                        print(
                            f"segments c={conns:<3} {name:<7} {r['mb_s']:8.1f} MB/s {r['rps']:8.1f} req/s "
                            f"p50 {r['p50_us'] / 1000:7.1f} ms p99 {r['p99_us'] / 1000:7.1f} ms "
                            f"errors {r['errors']} {_error_kinds(r)}",
                            flush=True,
                        )
            for rep in range(args.repeat):
                round_ = {}
                for name in _rotation(names, rep):
                    t = targets[name]
                    round_[name] = _measure(
                        t, t.playlists, args.playlist_connections, args.playlist_seconds, base, pl_spent[name], True
                    )
                    pl_served[name] += round_[name]["requests"]
                    print(
                        f"playlists c={args.playlist_connections} {name:<7} {round_[name]['rps']:8.1f} req/s "
                        f"p99 {round_[name]['p99_us'] / 1000:7.1f} ms errors {round_[name]['errors']}",
                        flush=True,
                    )
                results["playlists"].append(round_)
        results["rss"] = rss.table()
        # CPU milliseconds per segment request, per process tree, in each target's own runs.
        results["cpu_ms_per_request"] = {
            n: {p: 1000 * s / max(1, served[n]) for p, s in spent[n].items()} for n in names
        }
        results["cpu_ms_per_playlist"] = {
            n: {p: 1000 * s / max(1, pl_served[n]) for p, s in pl_spent[n].items()} for n in names
        }
        results["gb"] = {
            n: sum(r["bytes"] for runs in results["segments"].values() for r in runs[n]) / 1e9 for n in names
        }
    return results


def _other_processes(targets: dict[str, Target], st: Stack) -> dict[str, int]:
    """The processes of each target that are not the stack's own (a second streaming-svc;
    the presigned stack's services and store), by a report name."""
    own = set(stack_roots(st).values())
    return {
        f"{n} ({t.name})": pid
        for t in targets.values()
        if t.name != "nginx"
        for n, pid in t.roots.items()
        if pid not in own
    }


def summarize(results: dict) -> dict:
    """Medians per level and target, and the median of each mode's per-repetition ratios
    to nginx."""
    out = {}
    modes = results["modes"]
    for conns, runs in results["segments"].items():
        row = {}
        for name, rs in runs.items():
            row[name] = {k: median([r[k] for r in rs]) for k in ("mb_s", "rps", "p50_us", "p99_us")}
            row[name]["errors"] = sum(r["errors"] for r in rs)
            row[name]["kinds"] = _error_kinds({k: sum(r[k] for r in rs) for k in ERROR_KINDS})
        for m in modes:
            pairs = list(zip(runs[m], runs["nginx"], strict=True))
            row[m]["ratio_mb_s"] = median([s["mb_s"] / n["mb_s"] for s, n in pairs if n["mb_s"]])
        out[conns] = row
    pl = results["playlists"]
    out["playlists"] = {
        name: {
            "rps": median([p[name]["rps"] for p in pl]),
            "p99_us": median([p[name]["p99_us"] for p in pl]),
            "errors": sum(p[name]["errors"] for p in pl),
        }
        for name in [*modes, "nginx"]
    }
    return out


def render(results: dict, args: argparse.Namespace, command: str, started, info: dict) -> str:
    summary = summarize(results)
    env = describe_env(results["env"])
    modes = results["modes"]
    lines = [
        *heading(
            f"Delivery{(' — ' + args.title) if args.title else ''}",
            info,
            command,
            started,
            {
                "Setup": (
                    f"local backend (SQLite + storage folder); stack env: {env}; modes {', '.join(modes)} "
                    "(DELIVERY; `relay`: streaming-svc relays file-svc, `local`: streaming-svc sends the "
                    "folder's file itself with sendfile"
                    + (
                        "; `presigned`: a second stack on SeaweedFS (`weed mini`, with an identity: it checks "
                        "signatures) with the same clip, its segments fetched by the presigned URLs of its media "
                        "playlist straight from the store — **the services see only the playlists, so this "
                        "throughput is the store's**"
                        if "presigned" in modes
                        else ""
                    )
                    + f"); {results['segment_count']} segments of "
                    f"{results['segment_mean_bytes'] / 1e6:.2f} MB mean ({results['rung']}, {args.size} at "
                    f"{args.bitrate}), cycled; token in a cookie"
                ),
                "Load": (
                    f"{tool_version(['wrk', '-v'])}; `-t 2` (`-t 1` at one connection), {args.seconds} s per run, "
                    f"{args.repeat} runs per target and level, the targets taking turns (order rotating); medians"
                ),
                "Limit": f"{tool_version(['nginx', '-v'])} serving the same storage folder, sendfile on, access log on",
            },
        ),
        "",
        "| connections | target | MB/s | **ratio to nginx** | req/s | p50 ms | p99 ms | errors |",
        "|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for conns in results["segments"]:
        for name in [*modes, "nginx"]:
            r = summary[conns][name]
            ratio = f"**{r['ratio_mb_s']:.2f}**" if name in modes else "1"
            errors = f"{r['errors']}{' (' + r['kinds'] + ')' if r['kinds'] else ''}"
            lines.append(
                f"| {conns} | {name} | {r['mb_s']:.0f} | {ratio} | {r['rps']:.0f} | {r['p50_us'] / 1000:.1f} "
                f"| {r['p99_us'] / 1000:.1f} | {errors} |"
            )
    p = summary["playlists"]
    lines += [
        "",
        f"Playlists (master + media, alternating, {args.playlist_connections} connections, "
        f"{args.playlist_seconds} s × {args.repeat}): "
        + "; ".join(
            f"{name} **{p[name]['rps']:.0f} req/s** (p99 {p[name]['p99_us'] / 1000:.1f} ms, errors {p[name]['errors']})"
            for name in [*modes, "nginx"]
        )
        + ("; presigned: streaming-svc's master and media playlists (signed URLs)" if "presigned" in modes else "")
        + ".",
        "",
        "CPU time per segment request in each target's own runs (user + system, from /proc; "
        + ", ".join(f"{n} {gb:.1f} GB" for n, gb in results["gb"].items())
        + "):",
        "",
    ]
    for name, per in results["cpu_ms_per_request"].items():
        lines.append(
            f"- {name}: "
            + ", ".join(f"{p} {ms:.2f} ms" for p, ms in per.items())
            + f"; total {sum(per.values()):.2f} ms"
        )
    lines += ["", "CPU time per playlist request (master or media), in each target's own playlist runs:", ""]
    for name, per in results.get("cpu_ms_per_playlist", {}).items():
        lines.append(
            f"- {name}: "
            + ", ".join(f"{p} {ms:.2f} ms" for p, ms in per.items())
            + f"; total {sum(per.values()):.2f} ms"
        )
    lines += ["", "streaming-svc's CPU per segment: " + _streaming_cpu(results["cpu_ms_per_request"]) + "."]
    lines += ["", "Peak memory during the whole run:", "", results["rss"]]
    return "\n".join(lines)


def _streaming_cpu(cpu: dict[str, dict[str, float]]) -> str:
    """streaming-svc's share of each mode's CPU per segment, e.g. 'local 1.23 ms, presigned 0'."""
    return ", ".join(
        f"{name} {per.get('streaming-svc', 0.0):.2f} ms" for name, per in cpu.items() if "streaming-svc" in per
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.delivery", description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=int, default=5, help="length of each wrk run")
    ap.add_argument("--repeat", type=int, default=3, help="runs per target and level (median)")
    ap.add_argument("--connections", default="1,16,64", help="comma-separated wrk -c levels")
    ap.add_argument(
        "--modes", default="relay,local,presigned", help=f"comma-separated delivery modes ({', '.join(MODES)})"
    )
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
