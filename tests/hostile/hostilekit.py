"""Shared pieces of the hostile-input suite: one stack with its own database and bucket
(on the session's MariaDB and S3 server) so that failed logins, odd names and fuzzing
never touch the session-wide `stack`, plus raw HTTP helpers that send paths unnormalised.

(No conftest.py in this folder: see tests/faults/faultkit.py.)
"""

from __future__ import annotations

import http.client
import socket
import time

import requests

from harness import Stack, make_clip, stack_env

_cache: dict[str, object] = {}
INTERNAL = "test-internal-token-0123456789"  # harness.Stack's INTERNAL_TOKEN


def hostile_stack(tmp_path_factory, config, mariadb, s3) -> Stack:
    """The stack the hostile suite attacks (one per session), with one ready video."""
    if "stack" not in _cache:
        database = mariadb.create_database("video_db_hostile")
        bucket = s3.create_bucket("reelhouse-hostile")
        env = stack_env(mariadb, s3, database, bucket)
        st = Stack(tmp_path_factory.mktemp("stack-hostile"), env)
        st.mariadb, st.s3 = mariadb, s3
        config.add_cleanup(st.stop)
        st.start()
        _cache["stack"] = st
    return _cache["stack"]


def ready_video(st: Stack, tmp_path_factory, name: str = "hostile target") -> tuple[str, str]:
    """(token, id) of a ready video on `st`, made once per stack."""
    key = f"video-{id(st)}"
    if key not in _cache:
        token = st.login()
        clip = make_clip(tmp_path_factory.mktemp("hostile-clip") / "target.mp4", seconds=2)
        # Every job over, not only `ready`: its thumbnails and other renditions would
        # otherwise change the counts a test compares before and after.
        video = st.api.upload_ready(token, clip, name, packaged=True)
        _cache[key] = (token, video["id"])
    return _cache[key]


def raw_get(
    port: int,
    path: str,
    headers: dict[str, str] | None = None,
    method: str = "GET",
    body: bytes | None = None,
    timeout: float = 15,
) -> tuple[int, bytes, dict[str, str]]:
    """One request with the path sent byte for byte (no dot-segment removal, no quoting)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_host=False, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        return resp.status, resp.read(), {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()


def raw_exchange(port: int, data: bytes, *, shut_write: bool = True, timeout: float = 15) -> bytes:
    """Raw bytes in, everything the server answers until it closes (or the timeout) out."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        if shut_write:
            try:
                sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        chunks = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except (TimeoutError, ConnectionResetError):
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def status_of(raw: bytes) -> int:
    """The status code of the first response in raw bytes (0 if none)."""
    try:
        return int(raw.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0


def statuses_of(raw: bytes) -> list[int]:
    """Status codes of every response in raw bytes (pipelined answers included)."""
    out = []
    for line in raw.split(b"\r\n"):
        if line.startswith(b"HTTP/1.") and len(line.split(b" ")) >= 2 and line.split(b" ")[1].isdigit():
            out.append(int(line.split(b" ")[1]))
    return out


def all_alive(st: Stack) -> None:
    for name in ("auth", "file", "upload", "streaming"):
        assert st[name].proc.poll() is None, f"{name} died"
        assert requests.get(st.url(name) + "/healthz", timeout=15).status_code == 200, name
