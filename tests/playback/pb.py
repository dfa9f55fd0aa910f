"""Helpers for the playback tests: the playback stack's database, bucket and routes."""

from __future__ import annotations

from pathlib import Path

import requests


def s3_keys(st, prefix: str) -> list[str]:
    out = []
    for page in st.s3.client().get_paginator("list_objects_v2").paginate(Bucket=st.bucket, Prefix=prefix):
        out += [o["Key"] for o in page.get("Contents", [])]
    return sorted(out)


def get(st, token: str, path: str, headers: dict | None = None) -> requests.Response:
    return requests.get(st.url("streaming") + path, cookies={"auth_token": token}, headers=headers or {}, timeout=15)


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


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


def kill_packager(st, name: str = "packager") -> int:
    """SIGKILL a packager process of the stack; returns its pid."""
    pid = st[name].pid
    st[name].kill()
    return pid
