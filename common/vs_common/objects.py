"""Objects as HTTP answers, for every service that serves them: each kind's Content-Type
(also given to the store when it is written) and Cache-Control, a read of one object
(conditional on its ETag, or a byte range of it) as status, headers and body, and a read
of the local store's folder (file-svc's, and streaming-svc's when DELIVERY=local: the
same ETag whoever serves a file, so that a browser's cache holds across a change of
path). The request headers are parsed with werkzeug's own parsers."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from werkzeug.http import parse_etags, parse_range_header

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


@dataclass
class ObjectStream:
    """An object (or a byte range of it) ready to stream."""

    status: int  # 200, 206, 304 or 416
    headers: dict[str, str]
    body: Iterator[bytes] | None = None
    path: str | None = None  # local file (served with sendfile)
    offset: int = 0
    length: int = 0


def parse_range(header: str | None, size: int) -> tuple[int, int] | None | str:
    """(start, end inclusive) for a single `bytes=` range; None when there is none, it is
    malformed or asks for several (RFC 9110: ignored, the whole object is sent), 'invalid'
    when it is well formed but unsatisfiable (416)."""
    if not header:
        return None
    if header.replace(" ", "") == "bytes=-0":
        return "invalid"  # a suffix of no bytes: unsatisfiable (werkzeug calls it malformed)
    rng = parse_range_header(header.strip())
    if rng is None or rng.units != "bytes" or len(rng.ranges) != 1:
        return None
    bounds = rng.range_for_length(size)
    if bounds is None:
        return "invalid"
    return bounds[0], bounds[1] - 1


def respond(
    key: str,
    size: int,
    etag: str,
    range_header: str | None,
    if_none_match: str | None,
    *,
    path: str | None = None,
    opener: Callable[[int, int, bool], Iterator[bytes]] | None = None,
) -> ObjectStream:
    """The answer to a read of `key`: 304 when If-None-Match names its ETag (weak
    comparison, `*` included), 416 for an unsatisfiable range, else 200 or 206 with a
    local `path` (sendfile) or the body `opener(start, end, ranged)` makes."""
    headers = {
        "Content-Type": content_type(key),
        "ETag": etag,
        "Accept-Ranges": "bytes",
    }
    if if_none_match and parse_etags(if_none_match).contains_weak(etag.strip('"')):
        return ObjectStream(304, headers)
    rng = parse_range(range_header, size)
    if rng == "invalid":
        headers["Content-Range"] = f"bytes */{size}"
        return ObjectStream(416, headers)
    if rng is None:
        start, end, status = 0, size - 1, 200
    else:
        start, end = rng
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    length = max(0, end - start + 1)
    headers["Content-Length"] = str(length)
    stream = ObjectStream(status, headers, path=path, offset=start, length=length)
    if opener is not None:
        stream.body = opener(start, end, rng is not None)
    return stream


def local_path(root: Path, key: str) -> Path | None:
    """The file of `key` under the store's folder `root` (resolved), or None when the key
    would leave it (`..`, an absolute key, a symbolic link out of the folder)."""
    path = (root / key).resolve()
    return path if root in path.parents else None


def local_etag(key: str, st: os.stat_result) -> str:
    """A local object's ETag: a digest of its key, size and modification time (a rewritten
    object gets a new one), the same whichever service reads the file."""
    return '"' + hashlib.md5(f"{key}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest() + '"'


def read_local(root: Path, key: str, range_header: str | None, if_none_match: str | None) -> ObjectStream | None:
    """The read of `key` from the local store's folder `root` (resolved), or None when
    there is no such file (or the key leaves the folder)."""
    path = local_path(root, key)
    if path is None:
        return None
    try:
        st = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return respond(key, st.st_size, local_etag(key, st), range_header, if_none_match, path=str(path))
