"""Share links: a link viewer's segment requests (`/s/<token>/hls/...`, no account: the
link is looked up through its 2 s cache, plus the guessing throttle's count query)
against a signed-in viewer's (`/videos/<id>/hls/...` with the session cookie: the auth
cache, plus who may watch), on the same stack, the same segments.

One keep-alive connection per kind; the two kinds alternate request by request (which
goes first swaps each round), so that a shared machine's drift hits both; medians, p95
and the ratio (link / signed-in) of one run.

    .venv/bin/python -m bench.share_segments [--requests 300] [--clip-seconds 12]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import requests

from .common import bench_stack, capped_clip, segment_files, upload_ready_video, workdir
from .report import describe_env, env_argument, heading, median, output_arguments, percentile, run_and_write


def _timed(session: requests.Session, url: str) -> float:
    """Milliseconds for one GET, the whole body read; a non-200 stops the benchmark."""
    t0 = time.perf_counter()
    resp = session.get(url, timeout=30)
    body = resp.content
    ms = 1000 * (time.perf_counter() - t0)
    if resp.status_code != 200 or not body:
        raise RuntimeError(f"{url}: {resp.status_code} {resp.text[:200]}")
    return ms


def run(args: argparse.Namespace) -> dict:
    env = dict(args.env)
    results: dict = {"env": env, "link": [], "signed_in": []}
    with workdir(args.keep) as base:
        clip = capped_clip(base / "clip.mp4", args.clip_seconds, args.size, args.bitrate)
        with bench_stack(base / "stack", env) as st:
            token = st.login()
            vid = upload_ready_video(st, token, clip, "share bench")["id"]
            rung, segs = segment_files(st, vid)
            names = [p.name for p in segs]
            results["segment_count"] = len(names)
            results["segment_mean_bytes"] = sum(p.stat().st_size for p in segs) / len(segs)
            made = requests.post(
                f"{st.url('streaming')}/api/videos/{vid}/shares",
                json={},
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )
            made.raise_for_status()
            link_base = f"{made.json()['url']}/hls/{rung}/"
            signed_base = f"{st.url('streaming')}/videos/{vid}/hls/{rung}/"
            signed = requests.Session()
            signed.cookies.set("auth_token", token)
            anonymous = requests.Session()
            kinds = {"link": (anonymous, link_base), "signed_in": (signed, signed_base)}
            for name in names:  # warm both (page cache, pools, the caches) and check each answers
                for session, url in kinds.values():
                    _timed(session, url + name)
            for i in range(args.requests):
                name = names[i % len(names)]
                for kind in ("link", "signed_in") if i % 2 == 0 else ("signed_in", "link"):
                    session, url = kinds[kind]
                    results[kind].append(_timed(session, url + name))
    return results


def render(results: dict, args: argparse.Namespace, command: str, started, info: dict) -> str:
    link, signed = results["link"], results["signed_in"]
    ratio = median(link) / median(signed)
    lines = [
        *heading(
            "Share links: a link viewer's segments against a signed-in viewer's",
            info,
            command,
            started,
            {
                "Setup": (
                    f"one stack ({describe_env(results['env'])}); one ready video, {results['segment_count']} "
                    f"segments of {results['segment_mean_bytes'] / 1000:.0f} kB mean ({args.size}, {args.bitrate}); "
                    f"{args.requests} GETs of each kind on one keep-alive connection each, alternating request by "
                    "request (the order swapped each round), after one warm-up pass over every segment"
                ),
            },
        ),
        "",
        "| viewer | path | requests | median ms | p95 ms |",
        "|---|---|---:|---:|---:|",
        f"| link (no account) | `/s/<token>/hls/...` | {len(link)} | {median(link):.2f} | {percentile(link, 95):.2f} |",
        f"| signed in (cookie) | `/videos/<id>/hls/...` | {len(signed)} | {median(signed):.2f} "
        f"| {percentile(signed, 95):.2f} |",
        "",
        f"Link / signed-in, medians: **{ratio:.2f}**; p95: {percentile(link, 95) / percentile(signed, 95):.2f}. "
        "A link's request costs the link's cached read (≤2 s) and one indexed `share_attempts` count (the "
        "guessing throttle, checked on every request); a signed-in one the auth cache and the cached audience.",
    ]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.share_segments", description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=300, help="GETs of each kind")
    ap.add_argument("--clip-seconds", type=float, default=12)
    ap.add_argument("--size", default="640x360")
    ap.add_argument("--bitrate", default="1M")
    env_argument(ap)
    output_arguments(ap, "share-segments")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    run_and_write("bench.share_segments", parse_args(argv), argv, run, render)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
