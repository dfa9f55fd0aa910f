"""Test media: short clips made by ffmpeg (never committed), and ffprobe of a stream
as a player would fetch it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path


def make_clip(
    path: Path,
    seconds: float = 2,
    size: str = "320x240",
    vcodec: str = "libx264",
    acodec: str | None = "aac",
    extra: list[str] | None = None,
    rate: int = 25,
    pix_fmt: str = "yuv420p",
    fmt: str | None = None,
) -> Path:
    """A short test video from ffmpeg's lavfi sources (never committed)."""
    cmd = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds}"]
    if acodec:
        cmd += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    cmd += ["-c:v", vcodec]
    if vcodec == "libx264":
        cmd += ["-preset", "ultrafast", "-g", str(rate * 2)]
    if pix_fmt:
        cmd += ["-pix_fmt", pix_fmt]
    if acodec:
        cmd += ["-c:a", acodec, "-shortest"]
    cmd += extra or []
    if fmt:
        cmd += ["-f", fmt]
    cmd.append(str(path))
    subprocess.run(cmd, check=True, capture_output=True)
    return path


def ffprobe_url(url: str, cookie: str) -> dict:
    """ffprobe an HLS URL with the session cookie; returns its JSON."""
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-headers",
            f"Cookie: auth_token={cookie}\r\n",
            "-show_format",
            "-show_streams",
            "-of",
            "json",
            url,
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return json.loads(out.stdout)
