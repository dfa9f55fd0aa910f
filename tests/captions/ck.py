"""Helpers of the caption tests: the API, the master, the stack's catalogue and store."""

from __future__ import annotations

from urllib.parse import urljoin

import m3u8
import requests


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def add(st, token: str, video_id: str, data: bytes, filename: str = "subs.srt", **fields) -> requests.Response:
    return requests.post(
        f"{st.url('streaming')}/api/videos/{video_id}/captions",
        files={"file": (filename, data)},
        data=fields,
        headers=auth(token),
        timeout=30,
    )


def remove(st, token: str, video_id: str, language: str) -> requests.Response:
    return requests.delete(
        f"{st.url('streaming')}/api/videos/{video_id}/captions/{language}", headers=auth(token), timeout=30
    )


def get(st, token: str, url: str) -> requests.Response:
    """A URL of the streaming app (absolute, or a path) with the session cookie."""
    return requests.get(urljoin(st.url("streaming") + "/", url), cookies={"auth_token": token}, timeout=15)


def master_url(st, video_id: str) -> str:
    return f"{st.url('streaming')}/videos/{video_id}/hls/master.m3u8"


def master(st, token: str, video_id: str) -> m3u8.M3U8:
    resp = get(st, token, master_url(st, video_id))
    assert resp.status_code == 200, resp.text
    return m3u8.loads(resp.text, uri=master_url(st, video_id))


def subtitles(playlist: m3u8.M3U8) -> list:
    return [m for m in playlist.media if m.type == "SUBTITLES"]


def upload_ready(st, token: str, path, name: str) -> dict:
    resp = st.upload(token, path, name=name)
    assert resp.status_code == 201, resp.text
    video = st.wait_status(token, resp.json()["id"])
    assert video["status"] == "ready", video
    return video


def caption_rows(st, video_id: str) -> list[dict]:
    return st.query("SELECT * FROM captions WHERE video_id = ? ORDER BY language", (video_id,))


def caption_objects(st, video_id: str) -> list[str]:
    return sorted(st.s3.keys(f"videos/{video_id}/hls/captions/", bucket=st.bucket))
