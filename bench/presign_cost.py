"""Presigned delivery's CPU: what a signature costs (file-svc's SigV4 signer,
vs_common.delivery, against boto3's presigner on the same key), and what a media
playlist costs file-svc to rewrite with presigned URLs (file_svc.presigned, the code
that serves it) with the signing cache warm, and without it (every URL signed again).

In one process, no store and no HTTP: the figures are the signing work alone. The
playlist is the packager's own shape (4 s segments), `--segments` of them (150: a
10-minute video).

    .venv/bin/python -m bench.presign_cost [--segments 150] [--rounds 200]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from harness import ROOT

from .report import heading, median, output_arguments, percentile, run_and_write

# This tree's file-svc and vs_common (not whatever the virtualenv has installed).
sys.path[:0] = [str(ROOT / "file-svc"), str(ROOT / "common")]

VIDEO = "abcdefghijklmnopqrstuv"


def _settings():
    from vs_common.settings import Settings

    return Settings(
        storage_backend="s3",
        delivery="presigned",
        s3_bucket="reelhouse",
        s3_region="us-east-1",
        s3_endpoint_url="http://s3:8333",
        s3_public_endpoint_url="http://localhost:8333",
        s3_addressing_style="path",
        aws_access_key_id="bench-key",
        aws_secret_access_key="bench-secret-0123456789",
    )


def _playlist(segments: int) -> str:
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        "#EXT-X-TARGETDURATION:4",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
    ]
    for n in range(segments):
        lines += ["#EXTINF:4.000000,", f"seg_{n:05d}.ts"]
    return "\n".join([*lines, "#EXT-X-ENDLIST", ""])


class _Store:
    """What file_svc.presigned asks of a store, on one Signer."""

    def __init__(self, signer):
        self.signer = signer

    def presigned_url(self, key: str, until: float | None = None) -> str:
        return self.signer.url(key, until)


def _per_call_ms(call, rounds: int) -> list[float]:
    """CPU milliseconds of each of `rounds` calls (this process's CPU time, not the wall
    clock: on a shared machine a 20 ms measurement is preempted, a 20 µs one rarely)."""
    out = []
    for _ in range(rounds):
        t0 = time.process_time()
        call()
        out.append(1000 * (time.process_time() - t0))
    return out


def run(args: argparse.Namespace) -> dict:
    import boto3
    from botocore.config import Config

    from file_svc.presigned import _signed_line
    from vs_common.delivery import Credentials, Signer, public_bucket

    settings = _settings()
    creds = Credentials(settings.aws_access_key_id, settings.aws_secret_access_key)

    def signer(cache: bool) -> Signer:
        return Signer(
            public_bucket(settings), settings.s3_region, settings.presign_ttl_seconds, lambda: creds, cache=cache
        )

    client = boto3.client(
        "s3",
        endpoint_url=settings.s3_public_endpoint,
        region_name=settings.s3_region,
        aws_access_key_id=creds.access_key,
        aws_secret_access_key=creds.secret,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    key = f"videos/{VIDEO}/hls/360p/seg_00000.ts"
    uncached = signer(cache=False)
    now = int(time.time())
    results = {
        "sign_ms": _per_call_ms(lambda: uncached.sign(key, now, 3600), args.rounds * 10),
        "boto3_ms": _per_call_ms(
            lambda: client.generate_presigned_url(
                "get_object", Params={"Bucket": "reelhouse", "Key": key}, ExpiresIn=3600
            ),
            args.rounds * 2,
        ),
    }
    text = _playlist(args.segments)

    def rewrite(store) -> None:
        "\n".join(_signed_line(store, VIDEO, "360p", line, None) for line in text.split("\n"))

    cached = _Store(signer(cache=True))
    rewrite(cached)  # the cache warm: a playlist asked for again within its window
    results["playlist_cached_ms"] = _per_call_ms(lambda: rewrite(cached), args.rounds)
    results["playlist_uncached_ms"] = _per_call_ms(lambda: rewrite(_Store(uncached)), args.rounds)

    class _Boto3Store:
        def presigned_url(self, key: str, until: float | None = None) -> str:
            return client.generate_presigned_url(
                "get_object", Params={"Bucket": "reelhouse", "Key": key}, ExpiresIn=3600
            )

    results["playlist_boto3_ms"] = _per_call_ms(lambda: rewrite(_Boto3Store()), max(5, args.rounds // 10))
    return results


def render(results: dict, args: argparse.Namespace, command: str, started, info: dict) -> str:
    def row(name: str, what: str, values: list[float]) -> str:
        return f"| {name} | {what} | {len(values)} | {median(values):.4f} | {percentile(values, 95):.4f} |"

    n = args.segments
    cached, uncached = median(results["playlist_cached_ms"]), median(results["playlist_uncached_ms"])
    lines = [
        *heading(
            "Presigned delivery: a signature, and a media playlist with and without the signing cache",
            info,
            command,
            started,
            {
                "Setup": (
                    "one process, no store, no HTTP: file-svc's SigV4 signer (vs_common.delivery) and boto3's "
                    f"`generate_presigned_url` on the same key; a media playlist of {n} segments (4 s each) rewritten "
                    "by file_svc.presigned as it serves it, with the signing cache warm, without it, and with boto3 "
                    "signing each URL; CPU time of this process per call (time.process_time)"
                ),
            },
        ),
        "",
        "| figure | what | calls | median CPU ms | p95 CPU ms |",
        "|---|---|---:|---:|---:|",
        row("one signature", "vs_common.delivery.Signer.sign (hmac)", results["sign_ms"]),
        row("one signature", "boto3 generate_presigned_url", results["boto3_ms"]),
        row(f"playlist of {n}", "signing cache warm (a dict look-up per URL)", results["playlist_cached_ms"]),
        row(f"playlist of {n}", "no cache: every URL signed", results["playlist_uncached_ms"]),
        row(f"playlist of {n}", "no cache, boto3 signing", results["playlist_boto3_ms"]),
        "",
        f"Per URL in a playlist: {1000 * cached / n:.1f} µs with the cache, {1000 * uncached / n:.1f} µs without; "
        f"boto3 would be {1000 * median(results['playlist_boto3_ms']) / n:.0f} µs. A URL is signed once per window "
        "of half PRESIGN_TTL_SECONDS per process (3 h by default), so the cache's hit rate is near 1 for any video "
        "watched more than once a window.",
    ]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.presign_cost", description=__doc__.split("\n\n")[0])
    ap.add_argument("--segments", type=int, default=150, help="segments in the media playlist")
    ap.add_argument("--rounds", type=int, default=200, help="playlists rewritten per figure")
    output_arguments(ap, "presign-cost")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    run_and_write("bench.presign_cost", parse_args(argv), argv, run, render)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
