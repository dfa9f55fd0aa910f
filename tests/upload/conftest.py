"""Fixtures for the upload tests: generated media of every kind, counters of what an
upload may leave behind, and a dedicated small stack (its own MariaDB, its own bucket,
a tiny MAX_UPLOAD_BYTES) for the tests that stop the database or hit the limit."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from harness import MariaDB, Stack, make_clip
from upload.upload_helpers import SMALL_BUCKET, SMALL_LIMIT


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True, capture_output=True)


@pytest.fixture(scope="session")
def media(tmp_path_factory) -> dict[str, Path]:
    """Tiny files of every kind an upload may be: accepted videos and refused others."""
    d = tmp_path_factory.mktemp("media")
    m: dict[str, Path] = {}
    tiny = {"seconds": 1, "size": "160x120", "rate": 10}
    m["mp4"] = make_clip(d / "clip.mp4", **tiny)
    m["mov"] = make_clip(d / "clip.mov", **tiny)
    m["mkv"] = make_clip(d / "clip.mkv", **tiny, acodec="libvorbis")
    m["webm"] = make_clip(
        d / "clip.webm", **tiny, vcodec="libvpx", acodec="libopus", extra=["-deadline", "realtime", "-b:v", "200k"]
    )
    m["avi"] = make_clip(d / "clip.avi", **tiny, vcodec="mpeg4", acodec="libmp3lame")
    # Over five S3 parts' worth of bytes quickly: raw video in AVI (about 12 MiB).
    m["big"] = make_clip(d / "big.avi", seconds=4, size="320x240", rate=25, vcodec="rawvideo", acodec=None)
    # Over the 1 MiB that upload-webapp reads at a time, under the small stack's limit.
    m["medium"] = make_clip(d / "medium.avi", seconds=2, size="320x240", rate=10, vcodec="rawvideo", acodec=None)
    # Refused kinds.
    m["random"] = d / "random.mp4"
    m["random"].write_bytes(os.urandom(256 * 1024))
    faststart = make_clip(d / "faststart.mp4", seconds=2, size="160x120", rate=10, extra=["-movflags", "+faststart"])
    m["truncated"] = d / "truncated.mp4"
    m["truncated"].write_bytes(faststart.read_bytes()[: faststart.stat().st_size // 2])
    m["truncated_moov"] = d / "truncated-moov.mp4"  # the index (at the end) is missing
    m["truncated_moov"].write_bytes(m["mp4"].read_bytes()[: m["mp4"].stat().st_size * 2 // 3])
    m["empty"] = d / "empty.mp4"
    m["empty"].write_bytes(b"")
    m["png"] = d / "image.png"
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=160x120", "-frames:v", "1", str(m["png"]))
    m["jpeg"] = d / "image.jpg"
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=160x120", "-frames:v", "1", str(m["jpeg"]))
    m["m4a"] = d / "audio.m4a"
    _ffmpeg("-f", "lavfi", "-i", "sine=duration=1", "-c:a", "aac", str(m["m4a"]))
    m["mp3"] = d / "audio.mp3"
    _ffmpeg("-f", "lavfi", "-i", "sine=duration=1", "-c:a", "libmp3lame", str(m["mp3"]))
    m["playlist"] = d / "playlist.m3u8"
    m["playlist"].write_text("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n")
    m["text"] = d / "notes.mp4"
    m["text"].write_text("These are not the frames you are looking for.\n" * 50)
    return m


@pytest.fixture(scope="session")
def upload_token(stack) -> str:
    return stack.login()


@pytest.fixture(scope="session")
def small_stack(tmp_path_factory, stack, s3):
    """Its own MariaDB (stopped by a test), its own bucket, MAX_UPLOAD_BYTES = 3 MiB."""
    db = MariaDB(tmp_path_factory.mktemp("small-mariadb"))
    db.install()
    db.start()
    db.bootstrap()
    s3.client().create_bucket(Bucket=SMALL_BUCKET)
    wiring = {k: v for k, v in stack.env.items() if k.startswith(("S3_", "AWS_", "STORAGE_"))}
    env = {
        **wiring,
        **db.env(),
        "S3_BUCKET": SMALL_BUCKET,
        "MAX_UPLOAD_BYTES": str(SMALL_LIMIT),
    }
    st = Stack(tmp_path_factory.mktemp("small"), env)
    st.mariadb, st.s3, st.bucket = db, s3, SMALL_BUCKET
    st.start()
    st.token = st.login()
    yield st
    st.stop()
    db.stop()


@pytest.fixture(scope="session")
def pair(tmp_path_factory, mariadb, s3):
    """Two users (alice, bob) on MariaDB + S3, for what only concurrency or a shared
    browser shows: three unfinished uploads and 10 MiB of them at most per user."""
    from harness import own_stack

    yield from own_stack(
        tmp_path_factory.mktemp("pair"),
        mariadb,
        s3,
        "pair",
        UPLOAD_MAX_UNFINISHED="3",
        UPLOAD_MAX_UNFINISHED_BYTES=str(10 * 1024 * 1024),
        MAX_UPLOAD_BYTES=str(64 * 1024 * 1024),
    )
