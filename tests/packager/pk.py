"""Helpers of the packager tests: jobs by stage, timestamps, the API, the master."""

from __future__ import annotations

from datetime import datetime

import m3u8
import requests

from harness import wait_until


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def at(value) -> datetime | None:
    """A job timestamp (datetime from MariaDB, text from SQLite) as a datetime."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def job(st, video_id: str, stage: str, label: int = 0) -> dict:
    (found,) = [j for j in st.jobs(video_id) if j["stage"] == stage and j["label"] == label]
    return found


def wait_job(st, video_id: str, stage: str, label: int, status: str, timeout: float = 60) -> dict:
    return wait_until(
        lambda: (j := job(st, video_id, stage, label))["status"] == status and j,
        timeout,
        f"the {stage} {label} job of {video_id} {status}",
        st["packager"].log,
        interval=0.05,
    )


def upload(st, token: str, path, name: str) -> str:
    resp = st.upload(token, path, name=name)
    assert resp.status_code == 201, resp.text
    return resp.json()["id"]


def master(st, token: str, video_id: str) -> m3u8.M3U8:
    resp = requests.get(f"{st.url('streaming')}/videos/{video_id}/hls/master.m3u8", headers=auth(token), timeout=10)
    assert resp.status_code == 200, resp.text
    return m3u8.loads(resp.text)


def heights(playlist: m3u8.M3U8) -> list[int]:
    """The master's variants by their short side, best first."""
    return [min(p.stream_info.resolution) for p in playlist.playlists]


def pid_of(claimed_by: str) -> int:
    """The packager's pid in a job's claimed_by (`host-pid-lane-token`)."""
    return int(claimed_by.split("-")[-3])
