"""Stacks for the packaging tests: the embedded defaults with one packager (the order
of first stages and background work), and MariaDB + S3 with two packagers (a batch
shared, a packager killed while it encodes a rendition). On both, ffmpeg is reached through a gate that a
test can make hold or fail one rendition's encode (ffmpeg_gate.sh)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash

from harness import TEST_PASSWORD, Stack, make_clip, stack_env

GATE = Path(__file__).with_name("ffmpeg_gate.sh")


class Gate:
    """Hold or fail the ffmpeg runs whose arguments contain a text (one rendition's
    `scale=W:H`); everything else runs as usual."""

    def __init__(self, base: Path):
        self.dir = base / "gate"
        (self.dir / "bin").mkdir(parents=True)
        (self.dir / "bin" / "ffmpeg").symlink_to(GATE)

    @property
    def env(self) -> dict[str, str]:
        return {"FFMPEG_GATE_DIR": str(self.dir), "PATH": f"{self.dir / 'bin'}{os.pathsep}{os.environ['PATH']}"}

    def hold(self, text: str) -> None:
        (self.dir / "hold").write_text(text)

    def fail(self, text: str) -> None:
        (self.dir / "fail").write_text(text)

    def release(self) -> None:
        for name in ("hold", "fail"):
            (self.dir / name).unlink(missing_ok=True)


def gated_local_stack(base, **env: str):
    """For a fixture (`yield from`): the embedded defaults (SQLite, local storage), the
    ladder 180,360 and ffmpeg behind a gate (`st.gate`); released and stopped at the end."""
    gate = Gate(base)
    st = Stack(base, {"STORAGE_BACKEND": "local", "HLS_LADDER": "180,360", **env, **gate.env})
    st.gate = gate
    st.start()
    try:
        yield st
    finally:
        gate.release()
        st.stop()


@pytest.fixture(scope="session")
def local_gated(tmp_path_factory):
    """The embedded defaults (SQLite, local storage, one packager, default workers), the
    ladder 180,360, short leases, two attempts, a second user (bob), ffmpeg behind a gate."""
    base = tmp_path_factory.mktemp("packaging-local")
    users = base / "users.txt"
    users.write_text(f"bob:{generate_password_hash(TEST_PASSWORD)}\n")
    env = {"AUTH_USERS_FILE": str(users), "JOB_LEASE_SECONDS": "4", "JOB_MAX_ATTEMPTS": "2"}
    yield from gated_local_stack(base, **env)


@pytest.fixture(scope="session")
def two_packagers(tmp_path_factory, mariadb, s3):
    """MariaDB and S3 (a database and bucket of their own), two packager processes, the
    ladder 180,360,720, a 3 s lease, ffmpeg behind a gate."""
    base = tmp_path_factory.mktemp("packaging-two")
    gate = Gate(base)
    database = mariadb.create_database("video_db_packagers")
    bucket = s3.create_bucket("reelhouse-packagers")
    st = Stack(
        base,
        {**stack_env(mariadb, s3, database, bucket), "HLS_LADDER": "180,360,720", "JOB_LEASE_SECONDS": "3", **gate.env},
    )
    st.mariadb, st.s3, st.bucket, st.gate = mariadb, s3, bucket, gate
    st.add_packager("packager2")
    st.start()
    st["packager2"].start()
    yield st
    gate.release()
    st.stop()


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> dict[str, Path]:
    """H.264/AAC clips: 360p (the 180p rendition is background work), 240p, and 720p."""
    base = tmp_path_factory.mktemp("packaging-clips")
    return {
        "360p": make_clip(base / "c360.mp4", seconds=3, size="640x360"),
        "240p": make_clip(base / "c240.mp4", seconds=2, size="320x240"),
        "720p": make_clip(base / "c720.mp4", seconds=4, size="1280x720"),
    }
