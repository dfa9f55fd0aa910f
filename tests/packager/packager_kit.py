"""What the packager tests share beyond the harness: a video's jobs by stage, their
timestamps, the master's variants, the packager that claimed a job."""

from __future__ import annotations

from datetime import datetime

import m3u8

from harness import wait_until


def at(value) -> datetime | None:
    """A job timestamp (datetime from MariaDB, text from SQLite) as a datetime."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def job(st, video_id: str, stage: str, height: int = 0) -> dict:
    (found,) = [j for j in st.jobs(video_id) if j["stage"] == stage and j["height"] == height]
    return found


def wait_job(st, video_id: str, stage: str, height: int, status: str, timeout: float = 60) -> dict:
    return wait_until(
        lambda: (j := job(st, video_id, stage, height))["status"] == status and j,
        timeout,
        f"the {stage} {height} job of {video_id} {status}",
        st["packager"].log,
        interval=0.05,
    )


def heights(playlist: m3u8.M3U8) -> list[int]:
    """The master's variants by their short side, best first."""
    return [min(p.stream_info.resolution) for p in playlist.playlists]


def pid_of(claimed_by: str) -> int:
    """The packager's pid in a job's claimed_by (`host-pid-lane-token`)."""
    return int(claimed_by.split("-")[-3])
