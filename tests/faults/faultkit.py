"""Shared pieces of the fault suite: a dedicated MariaDB, S3 server and stack that the
tests may break (never the session-wide `stack`), and helpers to count what is left.

Test modules get the stack through their own `fault_stack` fixture, which calls
`fault_stack()` here: one stack for the whole session, stopped at the end of it.
(No conftest.py in this folder: a second module named `conftest` would shadow
tests/conftest.py for the modules that import from it.)
"""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import requests

import harness
from harness import MariaDB, S3Server, Stack, bearer, make_clip, wait_until
from harness.procfs import processes_with_environment

# A short lease, so that a job whose worker was killed is claimed again within seconds.
FAULT_ENV = {"JOB_LEASE_SECONDS": "3", "JOB_MAX_ATTEMPTS": "3"}
_cache: dict[str, object] = {}


def stack_env(mariadb: MariaDB, s3: S3Server, database: str, bucket: str) -> dict[str, str]:
    """The environment of a stack on `database` and `bucket` of the given servers."""
    return harness.stack_env(mariadb, s3, database, bucket, S3_TIMEOUT_SECONDS="3")


def _install(db: MariaDB) -> None:
    """mariadb-install-db, tried twice: it has failed once, rarely, on a busy shared box."""
    import shutil

    try:
        db.install()
    except subprocess.CalledProcessError as exc:
        print(f"mariadb-install-db failed ({exc.returncode}): {exc.stderr!r}; trying again")
        shutil.rmtree(db.datadir, ignore_errors=True)
        db.install()


def servers(tmp_path_factory, config) -> tuple[MariaDB, S3Server]:
    """The fault suite's own MariaDB and S3 server (started once, stopped at the end)."""
    if "servers" not in _cache:
        db = MariaDB(tmp_path_factory.mktemp("fault-mariadb"))
        _install(db)
        db.start()
        db.bootstrap()
        config.add_cleanup(db.stop)
        s3 = S3Server(tmp_path_factory.mktemp("fault-s3"), bucket="reelhouse-faults")
        s3.start()
        config.add_cleanup(s3.stop)
        _cache["servers"] = (db, s3)
    return _cache["servers"]


def isolated_stack(tmp_path_factory, config, name: str, env: dict[str, str] | None = None, before_start=None) -> Stack:
    """A stack with its own database and bucket on the fault servers, stopped at the end."""
    db, s3 = servers(tmp_path_factory, config)
    database = db.create_database(f"video_db_{name}")
    bucket = s3.bucket if name == "faults" else s3.create_bucket(f"reelhouse-{name}")
    st = Stack(
        tmp_path_factory.mktemp(f"stack-{name}"), {**stack_env(db, s3, database, bucket), **FAULT_ENV, **(env or {})}
    )
    st.mariadb, st.s3 = db, s3
    if before_start is not None:
        before_start(st)
    config.add_cleanup(st.stop)
    st.start()
    return st


def fault_stack(tmp_path_factory, config) -> Stack:
    """The stack the fault tests break and mend (one per session)."""
    if "stack" not in _cache:
        _cache["stack"] = isolated_stack(tmp_path_factory, config, "faults")
    st = _cache["stack"]
    assert_all_healthy(st)
    return st


def clip(tmp_path_factory, kind: str) -> Path:
    """Test inputs, made once: `small` (3 s H.264), `big` (~14 MB, 3 multipart parts),
    `long_vp9` (20 s VP9 that must be transcoded: a few seconds of ffmpeg)."""
    key = f"clip-{kind}"
    if key not in _cache:
        base = tmp_path_factory.mktemp(key)
        if kind == "small":
            path = make_clip(base / "small.mp4", seconds=3)
        elif kind == "big":
            path = base / "big.mp4"
            subprocess.run(
                [
                    "ffmpeg",
                    "-v",
                    "error",
                    "-y",
                    "-f",
                    "lavfi",
                    "-i",
                    "testsrc2=size=640x360:rate=25:duration=4,noise=alls=30:allf=t",
                    "-c:v",
                    "libx264",
                    "-preset",
                    "ultrafast",
                    "-qp",
                    "24",
                    "-pix_fmt",
                    "yuv420p",
                    str(path),
                ],
                check=True,
                capture_output=True,
            )
        elif kind == "long_vp9":
            path = make_clip(
                base / "long.webm",
                seconds=20,
                size="640x360",
                vcodec="libvpx-vp9",
                acodec="libopus",
                extra=["-deadline", "realtime", "-cpu-used", "8", "-b:v", "400k"],
            )
        else:
            raise ValueError(kind)
        _cache[key] = path
    return _cache[key]


def assert_all_healthy(st: Stack) -> None:
    for name in ("auth", "file", "packager", "upload", "streaming"):
        resp = requests.get(st.url(name) + "/healthz", timeout=10)
        assert resp.status_code == 200, (name, resp.text)


def assert_clean(st: Stack, before: dict[str, int], timeout: float = 30) -> dict[str, int]:
    """Wait until the counts are back to `before` (a failure left nothing); return them."""
    try:
        return wait_until(lambda: (c := st.counts()) == before and c, timeout, "leftovers gone")
    except TimeoutError:
        after = st.counts()
        assert after == before, f"leftovers after the failure: {after} (before: {before})"
        raise


def play(st: Stack, token: str, video_id: str) -> None:
    """Fetch the master playlist, the media playlist and a segment through streaming-svc."""
    base = f"{st.url('streaming')}/videos/{video_id}/hls/"
    master = requests.get(base + "master.m3u8", headers=bearer(token), timeout=15)
    assert master.status_code == 200, master.text
    rung = next(line for line in master.text.splitlines() if line and not line.startswith("#"))
    media = requests.get(base + rung, headers=bearer(token), timeout=15)
    assert media.status_code == 200, media.text
    seg = next(line for line in media.text.splitlines() if line and not line.startswith("#"))
    segment = requests.get(base + rung.rsplit("/", 1)[0] + "/" + seg, headers=bearer(token), timeout=15)
    assert segment.status_code == 200 and segment.content[:1] == b"\x47"


def upload_and_play(st: Stack, token: str, path: Path, name: str) -> str:
    """The whole happy path: upload, wait for ready, play. Returns the id."""
    video = st.api.upload_ready(token, path, name, timeout=120, packaged=True)
    play(st, token, video["id"])
    return video["id"]


def processes_of(st: Stack, service: str = "file") -> list[tuple[int, str]]:
    """Live processes of one service of this stack, children included (workers, ffmpeg):
    found by the service's PORT and the stack's TEMP_DIR in their environment."""
    return processes_with_environment({f"TEMP_DIR={st.env['TEMP_DIR']}".encode(), f"PORT={st[service].port}".encode()})


def wait_port_free(port: int, timeout: float = 30) -> None:
    """Wait until nothing listens on `port` (old workers gone) before starting a service again."""

    def free():
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                return False
            return True

    wait_until(free, timeout, f"port {port} free")
