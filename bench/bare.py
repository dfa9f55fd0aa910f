"""The floor the packager is compared with: the same work as one plain ffmpeg command
(a remux to HLS, a transcode with the packager's x264 settings, a ladder), timed; and
the benchmarks' source clips, made once by ffmpeg and kept between runs."""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

from harness import ROOT

# This tree's file-svc and vs_common (not whatever the virtualenv has installed), for the
# packager's own encoder settings.
sys.path[:0] = [str(ROOT / "file-svc"), str(ROOT / "common")]
from file_svc.media.planning import SEGMENT_SECONDS, Rendition, maxrate_kbps  # noqa: E402

SECONDS = 60  # the source clip's length
HLS = "-f hls -hls_time 4 -hls_playlist_type vod".split()


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def make_h264(path: Path, seconds: int, size: str = "1280x720") -> Path:
    """A 30 fps H.264/AAC clip of `seconds` (a keyframe every 2 s), made once."""
    if not path.is_file():
        ffmpeg(
            *f"-f lavfi -i testsrc2=size={size}:rate=30:duration={seconds}".split(),
            *f"-f lavfi -i sine=frequency=440:duration={seconds}".split(),
            *"-c:v libx264 -preset veryfast -g 60 -pix_fmt yuv420p -c:a aac -b:a 128k -shortest".split(),
            str(path),
        )
    return path


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
    h264 = make_h264(base / "h264_720p.mp4", SECONDS)
    rotated = base / "rotated_720p.mp4"
    if not rotated.is_file():
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


def _hls_out(out: Path) -> list[str]:
    return ["-hls_segment_filename", str(out / "seg_%05d.ts"), str(out / "index.m3u8")]


def bare_copy(src: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    ffmpeg("-i", str(src), "-c", "copy", *HLS, *_hls_out(out))


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
    ffmpeg("-i", str(src), *x264(720, 1280), *HLS, *_hls_out(out))


def bare_ladder(src: Path, out: Path) -> None:
    """720p copied and 360p transcoded in one command."""
    outputs = []
    for rung, codec in (("720p", ["-c", "copy"]), ("360p", ["-vf", "scale=640:360", *x264(640, 360)])):
        (out / rung).mkdir(parents=True, exist_ok=True)
        outputs += ["-map", "0:v", "-map", "0:a", *codec, *HLS, *_hls_out(out / rung)]
    ffmpeg("-i", str(src), *outputs)


def rung_outputs(rungs: list[tuple[int, int]], work: Path) -> list[str]:
    """ffmpeg's output arguments for the renditions (height, width) with the packager's x264
    settings, each in its own folder of `work`."""
    args = []
    for h, w in rungs:
        d = work / f"r{h}"
        d.mkdir(parents=True, exist_ok=True)
        args += ["-map", "0:v", "-map", "0:a", "-vf", f"scale={w}:{h}", *x264(w, h), *HLS, *_hls_out(d)]
    return args
