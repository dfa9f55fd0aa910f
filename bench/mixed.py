"""Mixed load: viewers watching (playlists, then segments, in a loop) while uploads run,
for a fixed time; counts every error (there must be none), the segment latency, and the
peak memory of each service's process tree (gunicorn master, workers, the packager and
its ffmpeg children).

    .venv/bin/python -m bench.mixed [--duration 120] [--viewers 50] [--uploads 4]

Each viewer has its own session (its own login) and HTTP connection, fetches the master
and media playlists, then the segments in order, paced at `--speed` times real time (4:
a player filling its buffer; 0: as fast as it can), and starts over at the end. Each
uploader sends the same H.264/AAC file again and again through upload-webapp, at
`--upload-rate` MB/s (a fast client; 0: as fast as loopback allows), without waiting for
packaging; the packager remuxes every upload while the viewers watch.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
import uuid
from pathlib import Path

import requests

from harness import make_clip

from .common import bench_stack, capped_clip, stack_roots, upload_ready_video, workdir
from .memory import TreeSampler
from .report import describe_env, env_argument, heading, output_arguments, percentile, run_and_write

REQUEST_TIMEOUT = 60


class PacedBody:
    """A prebuilt multipart body, read by http.client at most `rate` bytes/s (0: no limit);
    `len()` gives requests the Content-Length, so it is streamed, not chunked."""

    def __init__(self, data: bytes, rate: float):
        self.data = memoryview(data)
        self.rate = rate
        self.pos = 0
        self.t0 = time.monotonic()

    def __len__(self) -> int:
        return len(self.data) - self.pos

    def read(self, n: int = -1) -> bytes:
        if self.rate:
            ahead = self.pos / self.rate - (time.monotonic() - self.t0)
            if ahead > 0:
                time.sleep(ahead)
        n = len(self.data) - self.pos if n is None or n < 0 else max(n, 256 * 1024)
        chunk = self.data[self.pos : self.pos + n]
        self.pos += len(chunk)
        return bytes(chunk)


def multipart_body(path: Path, name: str) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\n{name}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    return head + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


class Load:
    """Shared counters of one mixed run."""

    def __init__(self):
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.segment_ms: list[float] = []
        self.playlist_ms: list[float] = []
        self.upload_s: list[float] = []
        self.errors: list[str] = []
        self.bytes = 0
        self.video_ids: list[str] = []

    def error(self, what: str) -> None:
        with self.lock:
            self.errors.append(what)


def viewer(load: Load, base_url: str, token: str, video_id: str, seg_seconds: float, speed: float) -> None:
    s = requests.Session()
    s.trust_env = False
    s.cookies.set("auth_token", token)
    hls = f"{base_url}/videos/{video_id}/hls/"

    def get(url: str, kind: str) -> requests.Response | None:
        t = time.perf_counter()
        try:
            r = s.get(url, timeout=REQUEST_TIMEOUT)
        except requests.RequestException as exc:
            load.error(f"{kind}: {exc.__class__.__name__}")
            return None
        ms = (time.perf_counter() - t) * 1000
        if r.status_code != 200:
            load.error(f"{kind}: HTTP {r.status_code}")
            return None
        with load.lock:
            (load.segment_ms if kind == "segment" else load.playlist_ms).append(ms)
            load.bytes += len(r.content)
        return r

    while not load.stop.is_set():
        master = get(hls + "master.m3u8", "playlist")
        if master is None:
            time.sleep(0.5)
            continue
        rung = next(ln for ln in master.text.splitlines() if ln and not ln.startswith("#"))
        media = get(hls + rung, "playlist")
        if media is None:
            time.sleep(0.5)
            continue
        folder = rung.rsplit("/", 1)[0]
        for seg in (ln for ln in media.text.splitlines() if ln and not ln.startswith("#")):
            t = time.monotonic()
            if load.stop.is_set() or get(f"{hls}{folder}/{seg}", "segment") is None:
                break
            if speed:
                load.stop.wait(max(0.0, seg_seconds / speed - (time.monotonic() - t)))


def uploader(load: Load, url: str, token: str, clip: Path, rate_mb: float, index: int) -> None:
    n = 0
    while not load.stop.is_set():
        n += 1
        body, ctype = multipart_body(clip, f"mixed upload {index}-{n}")
        t = time.perf_counter()
        try:
            r = requests.post(
                url + "/api/upload",
                data=PacedBody(body, rate_mb * 1e6),
                headers={"Authorization": f"Bearer {token}", "Content-Type": ctype},
                timeout=REQUEST_TIMEOUT * 5,
            )
        except requests.RequestException as exc:
            load.error(f"upload: {exc.__class__.__name__}")
            continue
        if r.status_code != 201:
            load.error(f"upload: HTTP {r.status_code} {r.text[:120]}")
            continue
        with load.lock:
            load.upload_s.append(time.perf_counter() - t)
            load.video_ids.append(r.json()["id"])


def run(args: argparse.Namespace) -> dict:
    env = dict(args.env)
    with workdir(args.keep) as base:
        watch_clip = capped_clip(base / "watch.mp4", args.clip_seconds, "1280x720", "3M")
        up_clip = make_clip(
            base / "upload.mp4", seconds=args.upload_seconds, size="640x360", extra=["-b:v", args.upload_bitrate]
        )
        upload_bytes = up_clip.stat().st_size
        with bench_stack(base / "stack", env) as st:
            token = st.login()
            video = upload_ready_video(st, token, watch_clip, "mixed bench")
            tokens = [st.login() for _ in range(args.viewers)]
            load = Load()
            threads = [
                threading.Thread(
                    target=viewer,
                    daemon=True,
                    name=f"viewer-{i}",
                    args=(load, st.url("streaming"), tokens[i], video["id"], 4.0, args.speed),
                )
                for i in range(args.viewers)
            ]
            threads += [
                threading.Thread(
                    target=uploader,
                    daemon=True,
                    name=f"uploader-{i}",
                    args=(load, st.url("upload"), token, up_clip, args.upload_rate, i),
                )
                for i in range(args.uploads)
            ]
            with TreeSampler(stack_roots(st), interval=0.5) as rss:
                t0 = time.monotonic()
                for t in threads:
                    t.start()
                load.stop.wait(args.duration)
                load.stop.set()
                for t in threads:
                    t.join(timeout=REQUEST_TIMEOUT * 5)
                elapsed = time.monotonic() - t0
                # Packaging of what was uploaded: wait a little, then count.
                statuses = _settle(st, token, load.video_ids, args.settle)
            alive = {n: svc.proc.poll() is None for n, svc in st.services.items()}
    return {
        "load": load,
        "elapsed": elapsed,
        "statuses": statuses,
        "rss": rss.table(),
        "alive": alive,
        "env": env,
        "upload_bytes": upload_bytes,
    }


def _settle(st, token: str, ids: list[str], seconds: float) -> dict[str, int]:
    deadline = time.monotonic() + seconds
    counts: dict[str, int] = {}
    while True:
        counts = {}
        for vid in ids:
            try:
                status = st.video(token, vid)["status"]
            except requests.RequestException:
                status = "unknown"
            counts[status] = counts.get(status, 0) + 1
        if set(counts) <= {"ready", "failed"} or time.monotonic() > deadline:
            return counts
        time.sleep(1)


def render(results: dict, args: argparse.Namespace, command: str, started, info: dict) -> str:
    load: Load = results["load"]
    seg, pl = load.segment_ms, load.playlist_ms
    failed = results["statuses"].get("failed", 0)
    errors = len(load.errors) + failed
    env = describe_env(results["env"])
    kinds: dict[str, int] = {}
    for e in load.errors:
        kinds[e] = kinds.get(e, 0) + 1
    lines = [
        *heading(
            "Mixed load",
            info,
            command,
            started,
            {
                "Setup": f"local backend; stack env: {env}",
                "Load": (
                    f"{args.viewers} viewers (own session each; 720p 3 Mb/s clip of {args.clip_seconds:g} s, 4 s "
                    f"segments, paced at {args.speed:g}x real time{' (unpaced)' if not args.speed else ''}) and "
                    f"{args.uploads} uploaders in a loop ({results['upload_bytes'] / 1e6:.0f} MB H.264/AAC file, "
                    f"{args.upload_rate:g} MB/s each{' (unlimited)' if not args.upload_rate else ''}), for "
                    f"{results['elapsed']:.0f} s; clients are threads of the bench process"
                ),
            },
        ),
        "",
        "| errors | segments | segment p50 ms | **segment p99 ms** | segment max ms | playlists | playlist p99 ms "
        "| MB delivered | uploads done | upload p50 s | uploads packaged (ready/failed/other) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        f"| **{errors}** | {len(seg)} | {percentile(seg, 50):.0f} | **{percentile(seg, 99):.0f}** "
        f"| {max(seg, default=float('nan')):.0f} | {len(pl)} | {percentile(pl, 99):.0f} | {load.bytes / 1e6:.0f} "
        f"| {len(load.upload_s)} | {percentile(load.upload_s, 50):.1f} "
        f"| {results['statuses'].get('ready', 0)}/{failed}/"
        f"{sum(v for k, v in results['statuses'].items() if k not in ('ready', 'failed'))} |",
        "",
        "Errors by kind: "
        + (", ".join(f"{k} × {v}" for k, v in kinds.items()) if kinds else "none")
        + f"; packaging failures: {failed}; services alive at the end: "
        + ", ".join(n for n, ok in results["alive"].items() if ok)
        + ".",
        f"Uploads still packaging {args.settle:g} s after the load stopped are counted as other.",
        "",
        "Peak memory of each service's process tree during the run (PSS counts pages shared by forked workers once):",
        "",
        results["rss"],
    ]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.mixed", description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=120, help="seconds of load")
    ap.add_argument("--viewers", type=int, default=50)
    ap.add_argument("--uploads", type=int, default=4, help="concurrent uploaders")
    ap.add_argument("--speed", type=float, default=4, help="viewer pace, times real time (0: unpaced)")
    ap.add_argument("--upload-rate", type=float, default=5, help="MB/s per uploader (0: unlimited)")
    ap.add_argument("--upload-seconds", type=float, default=30, help="length of the uploaded clip")
    ap.add_argument("--upload-bitrate", default="6M")
    ap.add_argument("--clip-seconds", type=float, default=60, help="length of the watched clip")
    ap.add_argument("--settle", type=float, default=60, help="seconds to wait for packaging afterwards")
    env_argument(ap)
    output_arguments(ap, "mixed")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    results = run_and_write("bench.mixed", parse_args(argv), argv, run, render)
    load: Load = results["load"]
    return 1 if load.errors or results["statuses"].get("failed") else 0


if __name__ == "__main__":
    sys.exit(main())
