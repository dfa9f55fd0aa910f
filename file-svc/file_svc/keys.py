"""Storage keys, built in one place. Ids and names inside keys are checked here."""

from __future__ import annotations

import re

from vs_common.wire import valid_video_id

# TEMPORARY alias: storage.py and routes.py (being changed in another branch) still
# call keys.valid_id; the definition is vs_common.wire's.
valid_id = valid_video_id
_HLS_PATH = re.compile(r"^(?:master\.m3u8|[0-9]{2,4}p/(?:index\.m3u8|seg_[0-9]{5}\.ts))$")
_THUMB = re.compile(r"^[0-9]\.jpg$")


def valid_hls_path(path: str) -> bool:
    return bool(_HLS_PATH.match(path or ""))


def valid_thumb(name: str) -> bool:
    return bool(_THUMB.match(name or ""))


def prefix(video_id: str) -> str:
    return f"videos/{video_id}/"


def original(video_id: str, ext: str) -> str:
    return f"videos/{video_id}/original{ext}"


def hls(video_id: str, path: str) -> str:
    return f"videos/{video_id}/hls/{path}"


def poster(video_id: str) -> str:
    return f"videos/{video_id}/poster.jpg"


def thumb(video_id: str, name: str) -> str:
    return f"videos/{video_id}/thumbs/{name}"


CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".jpg": "image/jpeg",
    ".mp4": "video/mp4",
    ".mov": "video/quicktime",
    ".mkv": "video/x-matroska",
    ".webm": "video/webm",
    ".avi": "video/x-msvideo",
}


def content_type(key: str) -> str:
    for ext, ctype in CONTENT_TYPES.items():
        if key.endswith(ext):
            return ctype
    return "application/octet-stream"


def cache_control(key: str) -> str:
    """Segments never change; playlists do while renditions are added (revalidated with
    the ETag every time); a poster or thumbnail is made again by a retry."""
    if key.endswith(".m3u8"):
        return "private, no-cache"
    if key.endswith(".jpg"):
        return "private, max-age=3600"
    return "private, max-age=31536000, immutable"
