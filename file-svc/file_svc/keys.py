"""Storage keys, built in one place. Ids and names inside keys are checked here."""

from __future__ import annotations

import re

# captions/<language>.<version>.vtt|m3u8: a caption track (videos.new_caption_file_name).
_HLS_PATH = re.compile(
    r"^(?:master\.m3u8|[0-9]{2,4}p/(?:index\.m3u8|seg_[0-9]{5}\.ts)"
    r"|captions/[A-Za-z0-9-]{2,35}\.[ue][0-9a-f]{8}\.(?:vtt|m3u8))$"
)
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
    ".vtt": "text/vtt; charset=utf-8",
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


def caption(video_id: str, file_name: str, ext: str) -> str:
    """A caption track's WebVTT (`.vtt`) or media playlist (`.m3u8`)."""
    return f"videos/{video_id}/hls/captions/{file_name}{ext}"


def cache_control(key: str) -> str:
    """Segments never change; playlists do while renditions are added (revalidated with
    the ETag every time); a poster or thumbnail is made again by a retry. A caption's
    WebVTT never changes either: a replaced track gets files of a new name."""
    if key.endswith(".m3u8"):
        return "private, no-cache"
    if key.endswith(".jpg"):
        return "private, max-age=3600"
    return "private, max-age=31536000, immutable"
