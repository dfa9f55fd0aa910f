"""Packaging benchmark (not a test): `python -m bench.packaging [--runs 3] [--only single|queue]`.

For a 60 s 720p H.264/AAC clip, through a local stack (the four services as gunicorn
processes, SQLite, local storage), the time from upload-complete (the 201 of
`POST /api/upload`) to `ready`, against a bare `ffmpeg -c copy -f hls` of the same file;
the transcode path (the same clip with rotation metadata, so it must be re-encoded)
against the bare equivalent ffmpeg command; and the whole ladder's wall time
(HLS_LADDER=360,720,1080: the 720p rung copied, 360p transcoded); and the copy path for a
10 min clip (the 60 s one ten times over, joined without re-encoding). Median of N runs each.
The figures go to BENCHMARKS.md between the `<!-- packaging -->` markers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
# This tree's file-svc and vs_common (not whatever the virtualenv has installed).
sys.path[:0] = [str(ROOT / "file-svc"), str(ROOT / "common")]

from file_svc.media.planning import SEGMENT_SECONDS, Rendition, maxrate_kbps  # noqa: E402
from harness import Stack  # noqa: E402

BEGIN, END = "<!-- packaging -->", "<!-- /packaging -->"
SECONDS = 60
HLS = "-f hls -hls_time 4 -hls_playlist_type vod".split()


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def make_long(h264: Path, times: int) -> Path:
    """The 60 s clip `times` times over, joined with the concat demuxer (no re-encoding):
    a 10 min H.264/AAC clip in seconds instead of minutes of x264 on a small machine."""
    long = h264.with_name(f"h264_720p_{times}min.mp4")
    if not long.is_file():
        listing = h264.with_name(f"concat_{times}.txt")
        listing.write_text(f"file '{h264}'\n" * times)
        ffmpeg("-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy", str(long))
        listing.unlink()
    return long


def make_sources(base: Path) -> dict[str, Path]:
    """A 60 s 720p30 H.264/AAC clip (a keyframe every 2 s), the same with rotation
    metadata, and a 10 min clip (the 60 s one ten times); made once and kept in `base`
    (they take a while on a small machine)."""
    base.mkdir(parents=True, exist_ok=True)
    h264 = base / "h264_720p.mp4"
    rotated = base / "rotated_720p.mp4"
    if h264.is_file() and rotated.is_file():
        return {"h264": h264, "rotated": rotated, "h264_10min": make_long(h264, 10)}
    ffmpeg(
        *f"-f lavfi -i testsrc2=size=1280x720:rate=30:duration={SECONDS}".split(),
        *f"-f lavfi -i sine=frequency=440:duration={SECONDS}".split(),
        *"-c:v libx264 -preset veryfast -g 60 -pix_fmt yuv420p -c:a aac -b:a 128k -shortest".split(),
        str(h264),
    )
    ffmpeg("-i", str(h264), "-c", "copy", "-metadata:s:v:0", "rotate=90", str(rotated))
    return {"h264": h264, "rotated": rotated, "h264_10min": make_long(h264, 10)}


def children_cpu() -> float:
    """CPU seconds (user + system) of this process's finished children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(fn) -> dict[str, float]:
    """Wall time and CPU time of a bare ffmpeg command."""
    start, cpu = time.monotonic(), children_cpu()
    fn()
    return {"wall_s": time.monotonic() - start, "cpu_s": children_cpu() - cpu}


def stack_cpu(st: Stack) -> float:
    """CPU seconds spent so far by the stack's process trees: the services, their workers,
    the packager, and the ffmpeg runs it has waited for (counted in its cutime/cstime).
    On a shared machine wall time swings with the load; CPU time hardly does."""
    todo, seen, ticks = [svc.proc.pid for svc in st.services.values() if svc.proc], set(), 0
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
            for task in Path(f"/proc/{pid}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return ticks / os.sysconf("SC_CLK_TCK")


def bare_copy(src: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    ffmpeg(
        "-i", str(src), "-c", "copy", *HLS, "-hls_segment_filename", str(out / "seg_%05d.ts"), str(out / "index.m3u8")
    )


def x264(width: int, height: int) -> list[str]:
    """The packager's encoder settings (the same rate cap, profile and keyframe rhythm)."""
    rate = maxrate_kbps(Rendition(min(width, height), width, height, False), 30)
    return [
        *f"-c:v libx264 -preset veryfast -crf 23 -maxrate {rate}k -bufsize {2 * rate}k".split(),
        *f"-profile:v high -pix_fmt yuv420p -force_key_frames expr:gte(t,n_forced*{SEGMENT_SECONDS})".split(),
        *"-c:a aac -b:a 128k -ac 2".split(),
    ]


def bare_transcode(src: Path, out: Path) -> None:
    """What the packager's transcode does, as one plain command (autorotate is ffmpeg's default)."""
    out.mkdir(parents=True, exist_ok=True)
    ffmpeg(
        "-i",
        str(src),
        *x264(720, 1280),
        *HLS,
        "-hls_segment_filename",
        str(out / "seg_%05d.ts"),
        str(out / "index.m3u8"),
    )


def bare_ladder(src: Path, out: Path) -> None:
    """720p copied and 360p transcoded in one command."""
    outputs = []
    for rung, codec in (("720p", ["-c", "copy"]), ("360p", ["-vf", "scale=640:360", *x264(640, 360)])):
        (out / rung).mkdir(parents=True, exist_ok=True)
        outputs += ["-map", "0:v", "-map", "0:a", *codec, *HLS]
        outputs += ["-hls_segment_filename", str(out / rung / "seg_%05d.ts"), str(out / rung / "index.m3u8")]
    ffmpeg("-i", str(src), *outputs)


def through_stack(st: Stack, token: str, src: Path) -> dict[str, float]:
    """Upload; time the request, then upload-complete to `ready` and to every rendition done.

    The row is read from the stack's SQLite file every 50 ms (read-only): polling the API
    that often would spend a good part of a small machine's CPU in the web apps and
    slow down the very packaging being timed.
    """
    start = time.monotonic()
    resp = st.upload(token, src, name=f"bench {src.stem}", timeout=600)
    resp.raise_for_status()
    uploaded, cpu = time.monotonic(), stack_cpu(st)
    vid = resp.json()["id"]
    db = sqlite3.connect(f"file:{st.env['DB_PATH']}?mode=ro", uri=True, timeout=5)
    ready = None
    try:
        while True:
            status, error, renditions = db.execute(
                "SELECT status, error, renditions FROM videos WHERE id = ?", (vid,)
            ).fetchone()
            now = time.monotonic()
            if status == "failed":
                raise RuntimeError(f"{src.name} failed: {error}")
            if status == "ready" and ready is None:
                ready = now
            if ready is not None and all(r["status"] != "pending" for r in json.loads(renditions)):
                break
            time.sleep(0.05)
    finally:
        db.close()
    video = st.video(token, vid)  # and the API agrees
    assert video["status"] == "ready" and all(r["status"] == "ready" for r in video["renditions"]), video
    requests.delete(
        f"{st.url('streaming')}/api/videos/{vid}", headers={"Authorization": f"Bearer {token}"}, timeout=60
    ).raise_for_status()
    return {
        "upload_request_s": uploaded - start,
        "to_ready_s": ready - uploaded,
        "to_all_renditions_s": now - uploaded,
        "cpu_s": stack_cpu(st) - cpu,
    }


def median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    version = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout.split("\n")[0]
    return f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}, {version}"


def write_section(text: str) -> None:
    path = ROOT / "BENCHMARKS.md"
    current = path.read_text() if path.exists() else "# Benchmarks\n"
    block = f"{BEGIN}\n{text.rstrip()}\n{END}"
    if BEGIN in current and END in current:
        head, rest = current.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        current = head + block + tail
    else:
        current = current.rstrip() + "\n\n" + block + "\n"
    path.write_text(current)


def single_video(args) -> None:
    """One video at a time on an idle packager, against the bare ffmpeg commands."""
    base = Path(tempfile.mkdtemp(prefix="bench-packaging-"))
    results: dict[str, list] = {
        k: []
        for k in (
            "copy",
            "transcode",
            "ladder",
            "copy_10min",
            "bare_copy",
            "bare_transcode",
            "bare_ladder",
            "bare_copy_10min",
        )
    }
    stacks: dict[str, Stack] = {}
    try:
        load_before = load()
        print("making the 60 s 720p sources (once)...", flush=True)
        src = make_sources(Path(tempfile.gettempdir()) / "reelhouse-bench-sources")
        for name, ladder in (("single", ""), ("ladder", "360,720,1080")):
            stacks[name] = Stack(
                base / f"stack-{name}", {"STORAGE_BACKEND": "local", "HLS_LADDER": ladder, "LOG_LEVEL": "WARNING"}
            )
            stacks[name].start()
        tokens = {name: st.login() for name, st in stacks.items()}
        # Each Reelhouse run right after its bare twin: a shared machine's load drifts.
        plan = (
            ("copy", "single", "h264", bare_copy),
            ("transcode", "single", "rotated", bare_transcode),
            ("ladder", "ladder", "h264", bare_ladder),
            ("copy_10min", "single", "h264_10min", bare_copy),
        )
        for i in range(args.runs):
            for case, stack, source, bare in plan:
                out = base / f"bare-{case}-{i}"
                results[f"bare_{case}"].append(timed(lambda: bare(src[source], out)))  # noqa: B023
                shutil.rmtree(out)
                results[case].append(through_stack(stacks[stack], tokens[stack], src[source]))
                print(
                    f"run {i + 1} {case}: bare {json.dumps({k: round(v, 2) for k, v in results[f'bare_{case}'][-1].items()})}, "
                    f"reelhouse {json.dumps({k: round(v, 2) for k, v in results[case][-1].items()})}",
                    flush=True,
                )
    finally:
        for st in stacks.values():
            st.stop()
        shutil.rmtree(base, ignore_errors=True)

    load_after = load()
    bare = {case: {k: median(results[f"bare_{case}"], k) for k in ("wall_s", "cpu_s")} for case in [p[0] for p in plan]}
    cpu = {case: median(results[case], "cpu_s") for case in bare}
    copy_ready = median(results["copy"], "to_ready_s")
    tr_ready = median(results["transcode"], "to_ready_s")
    ladder_ready = median(results["ladder"], "to_ready_s")
    ladder_all = median(results["ladder"], "to_all_renditions_s")
    bare_c, bare_t, bare_l = (bare[case]["wall_s"] for case in ("copy", "transcode", "ladder"))
    upload = median(results["copy"] + results["ladder"], "upload_request_s")
    long_ready = median(results["copy_10min"], "to_ready_s")
    bare_long = bare["copy_10min"]["wall_s"]
    long_upload = median(results["copy_10min"], "upload_request_s")
    long_mb = src["h264_10min"].stat().st_size / 1e6
    summary = {
        "copy_to_ready_s": copy_ready,
        "bare_copy_s": bare_c,
        "copy_ratio": copy_ready / bare_c,
        "transcode_to_ready_s": tr_ready,
        "bare_transcode_s": bare_t,
        "transcode_ratio": tr_ready / bare_t,
        "ladder_to_ready_s": ladder_ready,
        "ladder_to_all_s": ladder_all,
        "bare_ladder_s": bare_l,
        "ladder_ratio": ladder_all / bare_l,
        "upload_request_s": upload,
        "copy_10min_to_ready_s": long_ready,
        "bare_copy_10min_s": bare_long,
        "copy_10min_ratio": long_ready / bare_long,
        "upload_request_10min_s": long_upload,
        "cpu_s": cpu,
        "bare_cpu_s": {case: b["cpu_s"] for case, b in bare.items()},
        "runs": args.runs,
    }
    print(json.dumps(summary, indent=2))
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = f"""## Packaging: upload-complete to `ready`

`python -m bench.packaging --runs {args.runs}` on {when}; {machine()}.
Source: a 60 s 1280x720 30 fps H.264 (x264 veryfast, keyframe every 2 s) + AAC clip made by
ffmpeg; the transcode case is the same file with rotation metadata (so it must be
re-encoded, to 720x1280); the 10 min clip is that 60 s clip ten times over, joined with
ffmpeg's concat demuxer without re-encoding ({long_mb:.0f} MB). Through a local stack (gunicorn services, SQLite, local storage),
timed from the upload's 201 to the row showing `ready` (read every 50 ms); the upload
request itself (streaming, probe, decode check, storing the original) took a median
{upload:.2f} s for the 60 s clip, {long_upload:.2f} s for the 10 min one, and is not included. Median of {args.runs} runs each, every Reelhouse run right
after its bare twin. The bare transcodes use the packager's x264 settings (veryfast, crf 23,
its maxrate/bufsize cap, High profile, a keyframe every 4 s). The machine was shared with
other work (load average {load_before} before, {load_after} after, on {os.cpu_count()} cores):
expect noise of tens of percent.

Wall time, upload-complete to `ready` (and to every rendition for the ladder):

| path | Reelhouse | bare ffmpeg | ratio |
| --- | ---: | ---: | ---: |
| copy (H.264/AAC, one rendition) | {copy_ready:.2f} s | {bare_c:.2f} s (`-c copy -f hls`) | {copy_ready / bare_c:.2f}x |
| copy, 10 min clip | {long_ready:.2f} s | {bare_long:.2f} s (`-c copy -f hls`) | {long_ready / bare_long:.2f}x |
| transcode (rotated H.264, one rendition) | {tr_ready:.2f} s | {bare_t:.2f} s (the same x264 and AAC settings) | {tr_ready / bare_t:.2f}x |
| ladder 360,720,1080 (720p copied, 360p encoded), to `ready` | {ladder_ready:.2f} s | | |
| ladder, to every rendition `ready` | {ladder_all:.2f} s | {bare_l:.2f} s (copy + 360p encode, one command) | {ladder_all / bare_l:.2f}x |

CPU time (user + system; for Reelhouse every process of the stack, ffmpeg included, from
the 201 to the end), which a busy shared machine disturbs far less than wall time:

| path | Reelhouse | bare ffmpeg | ratio |
| --- | ---: | ---: | ---: |
| copy | {cpu["copy"]:.2f} s | {bare["copy"]["cpu_s"]:.2f} s | {cpu["copy"] / max(bare["copy"]["cpu_s"], 0.01):.2f}x |
| copy, 10 min clip | {cpu["copy_10min"]:.2f} s | {bare["copy_10min"]["cpu_s"]:.2f} s | {cpu["copy_10min"] / max(bare["copy_10min"]["cpu_s"], 0.01):.2f}x |
| transcode | {cpu["transcode"]:.2f} s | {bare["transcode"]["cpu_s"]:.2f} s | {cpu["transcode"] / bare["transcode"]["cpu_s"]:.2f}x |
| ladder, every rendition | {cpu["ladder"]:.2f} s | {bare["ladder"]["cpu_s"]:.2f} s | {cpu["ladder"] / bare["ladder"]["cpu_s"]:.2f}x |

What Reelhouse adds to the bare command: the probe, the poster and five thumbnails, the
master playlist's bitrates and CODECS (an ffprobe of a transcoded segment), publishing to storage,
the catalogue updates, and up to 0.25 s of queue polling. The ladder's transcoded rungs
are a second ffmpeg run after the first rung is published (so the video is watchable
within seconds), where the bare command does everything in one pass.
"""
    if not args.no_write:
        write_section(text)
        print("written to BENCHMARKS.md")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", choices=("single", "queue"), help="one part: single videos, or the queue scenarios")
    parser.add_argument("--videos", type=int, default=6, help="videos per queue scenario")
    parser.add_argument("--clip-seconds", type=int, default=SECONDS, help="the queue scenarios' clip length")
    parser.add_argument("--old", default="", help="also run the queue scenarios on this revision (before/after)")
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md", help="the file to write to")
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args(argv)
    if args.only in (None, "queue"):
        from bench import packaging_queue

        packaging_queue.run(args)
    if args.only in (None, "single"):
        single_video(args)


if __name__ == "__main__":
    main()
