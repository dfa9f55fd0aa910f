"""One stack for the caption tests: MariaDB and S3 (a database and bucket of their own),
a second user (bob) for the owner rule; and the test inputs, made once by ffmpeg: short
clips, and clips carrying subtitle streams (SubRip in Matroska, mov_text in MP4)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from harness import make_clip, own_stack

SRT_EN = """1
00:00:01,000 --> 00:00:04,000
Hello from the captions

2
00:00:04,500 --> 00:00:05,500
<i>Second</i> cue
"""
SRT_FR = """1
00:00:01,000 --> 00:00:04,000
Bonjour les sous-titres
"""
SRT_EN2 = """1
00:00:02,000 --> 00:00:03,000
A second English track
"""


@pytest.fixture(scope="session")
def cap_stack(tmp_path_factory, mariadb, s3):
    yield from own_stack(tmp_path_factory.mktemp("captions"), mariadb, s3, "captions")


@pytest.fixture(scope="session")
def cap_tokens(cap_stack):
    return {"alice": cap_stack.login("alice"), "bob": cap_stack.login("bob")}


def _mux(out: Path, video: Path, subs: list[tuple[Path, str]], codec: str) -> Path:
    cmd = ["ffmpeg", "-v", "error", "-y", "-i", str(video)]
    for path, _ in subs:
        cmd += ["-i", str(path)]
    cmd += ["-map", "0:v", "-map", "0:a"]
    for i, (_, language) in enumerate(subs):
        cmd += ["-map", f"{i + 1}:0", f"-metadata:s:s:{i}", f"language={language}"]
    cmd += ["-c:v", "copy", "-c:a", "copy", "-c:s", codec, str(out)]
    subprocess.run(cmd, check=True, capture_output=True)
    return out


@pytest.fixture(scope="session")
def cap_inputs(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("caption-inputs")
    srt = {}
    for name, text in (("en", SRT_EN), ("fr", SRT_FR), ("en2", SRT_EN2)):
        srt[name] = base / f"{name}.srt"
        srt[name].write_text(text)
    clip = make_clip(base / "six.mp4", seconds=6)
    return {
        "clip": clip,
        "short": make_clip(base / "two.mp4", seconds=2),
        # Not copyable (MPEG-4 Part 2): its rendition is encoded.
        "encoded": make_clip(base / "enc.avi", seconds=2, vcodec="mpeg4", acodec="libmp3lame", pix_fmt=""),
        # Two SubRip tracks (eng, fre) and a second English one, in Matroska.
        "mkv": _mux(base / "subs.mkv", clip, [(srt["en"], "eng"), (srt["fr"], "fre"), (srt["en2"], "eng")], "srt"),
        # mov_text in MP4, German.
        "mp4": _mux(base / "subs.mp4", clip, [(srt["fr"], "ger")], "mov_text"),
        **{f"srt_{k}": v for k, v in srt.items()},
    }
