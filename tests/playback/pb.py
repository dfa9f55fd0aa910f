"""Helpers for the playback tests: the playback stack's database, bucket and routes."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import requests

from harness import wait_until


def query(st, sql: str, params=()) -> list[dict]:
    """A query on the playback stack's own database."""
    with st.mariadb.root() as conn, conn.cursor() as c:
        c.execute(f"USE {st.db_name}")
        c.execute(sql, params)
        return list(c.fetchall())


def s3_keys(st, prefix: str) -> list[str]:
    out = []
    for page in st.s3.client().get_paginator("list_objects_v2").paginate(Bucket=st.bucket, Prefix=prefix):
        out += [o["Key"] for o in page.get("Contents", [])]
    return sorted(out)


def get(st, token: str, path: str, headers: dict | None = None) -> requests.Response:
    return requests.get(st.url("streaming") + path, cookies={"auth_token": token}, headers=headers or {}, timeout=15)


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def packager_pids(st) -> list[int]:
    """The packager processes the file-svc gunicorn master started (its children)."""
    master = st["file"].proc.pid
    pids = []
    for task in Path(f"/proc/{master}/task").iterdir():
        for child in (task / "children").read_text().split():
            try:
                cmd = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
            except FileNotFoundError:
                continue
            if b"file_svc.packager" in cmd:
                pids.append(int(child))
    return pids


def processes_mentioning(text: str) -> list[int]:
    """Processes whose command line mentions `text` (an ffmpeg working on a video)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if text.encode() in (proc / "cmdline").read_bytes():
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def kill_packager(st) -> int:
    """SIGKILL the running packager (by its pid); returns the pid."""
    pids = wait_until(lambda: packager_pids(st), 20, "packager process")
    assert len(pids) == 1, pids
    os.kill(pids[0], signal.SIGKILL)
    return pids[0]
