"""One stack for the playback tests: MariaDB (its own database) and S3 (its own bucket),
the full ladder, short leases, two users; and the test inputs, made once by ffmpeg."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from harness import own_stack

LADDER = "360,720,1080"


@pytest.fixture(scope="session")
def pb_stack(tmp_path_factory, mariadb, s3):
    """The four services with HLS_LADDER=360,720,1080, a 4 s lease and a second user (bob)."""
    yield from own_stack(
        tmp_path_factory.mktemp("playback"),
        mariadb,
        s3,
        "playback",
        HLS_LADDER=LADDER,
        PACKAGING_WORKERS="2",
        JOB_LEASE_SECONDS="4",
        JOB_MAX_ATTEMPTS="2",
    )


@pytest.fixture(scope="session")
def pb_tokens(pb_stack):
    return {"alice": pb_stack.login("alice"), "bob": pb_stack.login("bob")}


def _lavfi(size: str, seconds: float, rate: int, audio: bool) -> list[str]:
    cmd = ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds}"]
    if audio:
        cmd += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    return cmd


X264 = "-c:v libx264 -preset ultrafast -pix_fmt yuv420p".split()
AAC = "-c:a aac -shortest".split()

# name -> (file name, ffmpeg arguments after the inputs); each a few seconds long.
INPUTS = {
    # ffmpeg's default mp4 puts the moov atom at the end.
    "h264_aac": ("h264_aac.mp4", _lavfi("320x240", 3, 25, True) + X264 + ["-g", "50", *AAC]),
    "h264_faststart": ("h264_fast.mp4", _lavfi("320x240", 3, 25, True) + X264 + AAC + ["-movflags", "+faststart"]),
    "h264_silent": ("h264_silent.mp4", _lavfi("320x240", 3, 25, False) + X264),
    "h264_mp3": ("h264_mp3.mkv", _lavfi("320x240", 3, 25, True) + X264 + "-c:a libmp3lame -shortest".split()),
    # VP9 at odd dimensions.
    "vp9_opus": (
        "vp9_opus.webm",
        _lavfi("321x181", 3, 25, True)
        + "-c:v libvpx-vp9 -deadline realtime -cpu-used 8 -b:v 300k -c:a libopus -shortest".split(),
    ),
    "mpeg4_mp3": (
        "mpeg4_mp3.avi",
        _lavfi("320x240", 3, 25, True) + "-c:v mpeg4 -q:v 5 -c:a libmp3lame -shortest".split(),
    ),
    "h264_10bit": (
        "h264_10bit.mp4",
        _lavfi("320x240", 3, 25, True) + "-c:v libx264 -preset ultrafast -pix_fmt yuv420p10le".split() + AAC,
    ),
    "h264_444": (
        "h264_444.mp4",
        _lavfi("320x240", 3, 25, True) + "-c:v libx264 -preset ultrafast -pix_fmt yuv444p".split() + AAC,
    ),
    "hevc_aac": (
        "hevc_aac.mp4",
        _lavfi("320x240", 3, 25, True)
        + "-c:v libx265 -preset ultrafast -x265-params log-level=error -tag:v hvc1 -pix_fmt yuv420p".split()
        + AAC,
    ),
    "prores_pcm": (
        "prores_pcm.mov",
        _lavfi("320x240", 3, 25, True) + "-c:v prores_ks -profile:v 0 -c:a pcm_s16le -shortest".split(),
    ),
    # 1080p, low frame rate, a keyframe every 1.5 s (so the copied rendition's segments are
    # 4.5 s, not the 4 s asked for: the transcoded renditions must follow it), B-frames.
    "h264_1080p": (
        "h264_1080p.mp4",
        _lavfi("1920x1080", 10, 10, True)
        + "-c:v libx264 -preset veryfast -pix_fmt yuv420p -g 15 -keyint_min 15 -sc_threshold 0".split()
        + AAC,
    ),
    # Long enough to be killed mid-job: 1080p VP9, every rendition transcoded.
    "vp9_1080p": (
        "vp9_1080p.webm",
        _lavfi("1920x1080", 6, 10, False) + "-c:v libvpx-vp9 -deadline realtime -cpu-used 8 -b:v 1M".split(),
    ),
}


def _rotate(src: Path, dest: Path) -> None:
    """Portrait by metadata: a 320x180 picture that says 'turn me 90 degrees'."""
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(src), "-c", "copy", "-metadata:s:v:0", "rotate=90", str(dest)],
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="session")
def inputs(tmp_path_factory) -> dict[str, Path]:
    """Every test input, generated in parallel (ffmpeg's lavfi sources; never committed)."""
    base = tmp_path_factory.mktemp("inputs")
    procs = {}
    for name, (filename, args) in {
        **INPUTS,
        "landscape_180": ("landscape.mp4", _lavfi("320x180", 3, 25, True) + X264 + ["-c:a", "aac", "-shortest"]),
    }.items():
        procs[name] = (
            base / filename,
            subprocess.Popen(
                ["ffmpeg", "-v", "error", "-y", "-threads", "1", *args, str(base / filename)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env={**os.environ},
            ),
        )
    out = {}
    for name, (path, proc) in procs.items():
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, f"making {name}: {err.decode(errors='replace')[-500:]}"
        out[name] = path
    out["rotated"] = base / "rotated.mp4"
    _rotate(out.pop("landscape_180"), out["rotated"])
    return out
