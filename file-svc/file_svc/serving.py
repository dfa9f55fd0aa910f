"""How file-svc serves an object, by its key's extension: its Content-Type (also given to
the store when it is written) and its Cache-Control."""

from __future__ import annotations

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


def cache_control(key: str) -> str:
    """Segments never change; playlists do while renditions are added (revalidated with
    the ETag every time); a poster or thumbnail is made again by a retry. A caption's
    WebVTT never changes either: a replaced track gets files of a new name."""
    if key.endswith(".m3u8"):
        return "private, no-cache"
    if key.endswith(".jpg"):
        return "private, max-age=3600"
    return "private, max-age=31536000, immutable"
