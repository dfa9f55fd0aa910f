"""What the caption tests share beyond the harness: the caption API's two calls, the
master's SUBTITLES entries, a video's caption rows and stored objects."""

from __future__ import annotations

import m3u8
import requests

from harness import bearer


def add(st, token: str, video_id: str, data: bytes, filename: str = "subs.srt", **fields) -> requests.Response:
    return requests.post(
        f"{st.url('streaming')}/api/videos/{video_id}/captions",
        files={"file": (filename, data)},
        data=fields,
        headers=bearer(token),
        timeout=30,
    )


def remove(st, token: str, video_id: str, language: str) -> requests.Response:
    return requests.delete(
        f"{st.url('streaming')}/api/videos/{video_id}/captions/{language}", headers=bearer(token), timeout=30
    )


def subtitles(playlist: m3u8.M3U8) -> list:
    return [m for m in playlist.media if m.type == "SUBTITLES"]


def caption_rows(st, video_id: str) -> list[dict]:
    return st.query("SELECT * FROM captions WHERE video_id = ? ORDER BY language", (video_id,))


def caption_objects(st, video_id: str) -> list[str]:
    return st.state.objects(f"videos/{video_id}/hls/captions/")
