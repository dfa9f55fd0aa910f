"""A stack for the media-budget tests (the embedded defaults, the default ladder, one
attempt per job) and the hostile or unusual inputs, made by ffmpeg's lavfi sources."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from harness import Stack


def _ffmpeg(out: Path, *args: str) -> Path:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args, str(out)], check=True, capture_output=True)
    return out


X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]


@pytest.fixture(scope="session")
def budget_stack(tmp_path_factory):
    st = Stack(
        tmp_path_factory.mktemp("budgets"),
        {"STORAGE_BACKEND": "local", "HLS_LADDER": "360,720,1080", "JOB_MAX_ATTEMPTS": "1", "JOB_LEASE_SECONDS": "5"},
    )
    st.start()
    yield st
    st.stop()


@pytest.fixture(scope="session")
def hostile_media(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("hostile-media")
    lavfi = ["-f", "lavfi", "-i"]
    return {
        # Two 9000x9000 frames (81 megapixels) in 240 KB: decoded, 120 MB a frame.
        "huge": _ffmpeg(d / "huge.mp4", *lavfi, "color=c=blue:s=9000x9000:r=25", "-frames:v", "2", *X264),
        # 8K UHD, the largest accepted: five frames.
        "8k": _ffmpeg(d / "8k.mp4", *lavfi, "testsrc2=s=7680x4320:r=5:d=1", *X264),
        # Tiny frames at 1000 a second, and 120 a second.
        "fps1000": _ffmpeg(d / "fps1000.mp4", *lavfi, "testsrc2=s=64x64:r=1000:d=2", *X264),
        "fps120": _ffmpeg(d / "fps120.mp4", *lavfi, "testsrc2=s=320x240:r=120:d=2", *X264),
        # H.264 that says level 6.2 (no browser's decoder takes it), at 320x240.
        "level62": _ffmpeg(d / "level62.mp4", *lavfi, "testsrc2=s=320x240:r=25:d=2", *X264, "-level", "6.2"),
        # Slideshows: a frame a second for 5 s; a frame every 10 s for 30 s (mp4 and mkv).
        "fps1": _ffmpeg(d / "fps1.mp4", *lavfi, "testsrc2=s=320x240:r=1:d=5", *X264),
        "fps01": _ffmpeg(d / "fps01.mp4", *lavfi, "testsrc2=s=320x240:r=0.1:d=30", *X264),
        "fps01_mkv": _ffmpeg(d / "fps01.mkv", *lavfi, "testsrc2=s=320x240:r=0.1:d=30", *X264),
    }


def _tight(tmp_path_factory, ratio: str):
    st = Stack(
        tmp_path_factory.mktemp(f"budget-{ratio}"),
        {
            "STORAGE_BACKEND": "local",
            "HLS_LADDER": "180,360",
            "JOB_MAX_ATTEMPTS": "1",
            "OUTPUT_BUDGET_RATIO": ratio,
            "OUTPUT_BUDGET_MB": "0",
        },
    )
    st.start()
    return st


@pytest.fixture(scope="module")
def tight_stacks(tmp_path_factory):
    """Output budgets of 1x and 1.2x the original and nothing more: a copied 360p rendition
    (MPEG-TS weighs a little more than MP4) fits the second, not the first; a 180p rendition
    on top of it fits neither."""
    stacks = {ratio: _tight(tmp_path_factory, ratio) for ratio in ("1", "1.2")}
    yield stacks
    for st in stacks.values():
        st.stop()
