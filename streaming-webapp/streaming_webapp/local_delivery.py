"""Local delivery (DELIVERY=local, the default with the local store): streaming-svc sends
a video's HLS files, poster and thumbnails from the local store's folder itself, with
sendfile (gunicorn's wsgi.file_wrapper), instead of relaying file-svc, which would read
the same file: one Python process on the path of a segment, not two.

Only once the route has checked the viewer (cookie, token or share link), exactly as the
relay does; only keys that packaging makes (vs_common.layout's patterns after a checked
video id: no `..`, no absolute path, no other object), and never through a symbolic link
as the file itself (O_NOFOLLOW; the folders are file-svc's own). The file is opened once
and that descriptor is what is measured and sent, so a file replaced meanwhile is sent
whole, old or new. A file that is not in streaming-svc's folder (another machine's, or
none) is relayed from file-svc: the answer is the same, only slower; the metrics say
which path served it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from flask import Response, request
from werkzeug.wsgi import wrap_file

from vs_common import layout
from vs_common.objects import cache_control, local_etag, respond
from vs_common.observe import HLS_BYTES, HLS_RESPONSES, hls_kind

CHUNK = 256 * 1024  # what the file wrapper reads at a time where sendfile cannot be used
OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC


def object_key(video_id: str, rest: str) -> str | None:
    """The storage key of a video's file as its URL names it (`hls/...`, `poster.jpg`,
    `thumbs/<n>.jpg`), or None for anything else (the original is left to file-svc,
    which knows its extension). `video_id` is already checked."""
    if rest.startswith("hls/") and layout.valid_hls_path(rest[4:]):
        return layout.hls(video_id, rest[4:])
    if rest == layout.POSTER:
        return layout.poster(video_id)
    if rest.startswith("thumbs/") and layout.valid_thumb(rest[7:]):
        return layout.thumb(video_id, rest[7:])
    return None


def _open_regular(path: str) -> tuple[int, os.stat_result] | None:
    """A descriptor of the regular file at `path` and its stat, or None: no such file, a
    symbolic link, or not a regular file."""
    try:
        fd = os.open(path, OPEN_FLAGS)
    except OSError:  # ENOENT, ENOTDIR, ELOOP (a symbolic link), EACCES
        return None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        return None
    return fd, st


class LocalDelivery:
    """Reads of the local store's folder `root` as answers to a viewer's GET or HEAD
    (counted with delivery="local")."""

    def __init__(self, root: str):
        self.root = str(Path(root).resolve())

    def serve(self, video_id: str, rest: str) -> Response | None:
        """The answer for the file `rest` of the video (Range and If-None-Match honoured;
        file-svc's headers and ETag), or None when it is not a file of the folder: the
        caller relays it then."""
        key = object_key(video_id, rest)
        if key is None:
            return None
        opened = _open_regular(os.path.join(self.root, key))
        if opened is None:
            return None
        fd, st = opened
        environ = request.environ
        try:
            stream = respond(
                key, st.st_size, local_etag(key, st), environ.get("HTTP_RANGE"), environ.get("HTTP_IF_NONE_MATCH")
            )
        except BaseException:
            os.close(fd)
            raise
        kind = hls_kind(key)
        headers = {**stream.headers, "Cache-Control": cache_control(key)}
        HLS_RESPONSES.labels(kind, str(stream.status), "local").inc()
        if stream.status in (304, 416) or environ["REQUEST_METHOD"] == "HEAD":
            os.close(fd)
            if stream.status in (304, 416):
                headers.pop("Content-Length", None)
            return Response(status=stream.status, headers=headers)
        fh = os.fdopen(fd, "rb")
        fh.seek(stream.offset)  # gunicorn's sendfile starts at the file's position
        HLS_BYTES.labels(kind, "local").inc(stream.length)
        return Response(wrap_file(environ, fh, CHUNK), status=stream.status, headers=headers, direct_passthrough=True)
