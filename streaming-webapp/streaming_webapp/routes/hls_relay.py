"""The HLS relay: a video's playlists, segments and caption files (`/videos/<id>/hls/...`),
its poster and thumbnails, streamed from file-svc to a logged-in viewer who may watch it
(another person's private video is 404, as a missing file). Range and If-None-Match pass
through; nothing is buffered. A share link's routes (share_pages) relay through `relay`."""

from __future__ import annotations

import logging
from urllib.parse import quote

from flask import Blueprint, Response, current_app, request

from vs_common import access
from vs_common.errors import error_response, storage_unavailable
from vs_common.file_client import FileSvcUnavailable, NotFound
from vs_common.observe import HLS_RESPONSES, counted, hls_kind
from vs_common.wire import valid_video_id

from .common import may_watch_files

log = logging.getLogger(__name__)
bp = Blueprint("hls_relay", __name__)
PASS_HEADERS = (
    "Content-Type",
    "Content-Length",
    "Content-Range",
    "ETag",
    "Cache-Control",
    "Accept-Ranges",
    "Last-Modified",
)
# The original's file name ends as its container does (file-svc says which, by its type).
ORIGINAL_EXTENSIONS = {
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/x-matroska": ".mkv",
    "video/webm": ".webm",
    "video/x-msvideo": ".avi",
}


def _relay(upstream, size: int = 256 * 1024):
    """The upstream body as it arrives: read1 puts each socket read straight into the bytes
    handed to gunicorn (read(n) copies every chunk once more). 256 KiB: with 1 MiB a worker's
    RSS grew by ~40 MB under load (a buffer per busy thread) for no measurable CPU gain.
    The upstream is closed when the body ends or the viewer goes away (a passthrough
    response's own close callbacks are never called by werkzeug)."""
    try:
        while data := upstream.raw.read1(size, decode_content=False):
            yield data
    finally:
        upstream.close()


def relay(video_id: str, rest: str):
    """Stream an object from file-svc: Range and ETag pass through, nothing is buffered."""
    segments = rest.split("/")
    if not valid_video_id(video_id) or any(seg in ("", ".", "..") for seg in segments) or "\\" in rest:
        return error_response(404, "not_found", "No such file.")
    path = f"videos/{quote(video_id, safe='')}/" + "/".join(quote(seg, safe="") for seg in segments)
    headers = {k: request.headers[k] for k in ("Range", "If-None-Match") if k in request.headers}
    try:
        upstream = current_app.extensions["files"].open(path, headers)
    except NotFound:
        HLS_RESPONSES.labels(hls_kind(segments[-1]), "404").inc()
        return error_response(404, "not_found", "No such file.")
    except FileSvcUnavailable as exc:
        log.warning("file-svc unavailable for %s: %s", path, exc)
        return storage_unavailable()
    out = {k: upstream.headers[k] for k in PASS_HEADERS if k in upstream.headers}
    kind = hls_kind(segments[-1])
    HLS_RESPONSES.labels(kind, str(upstream.status_code)).inc()
    if request.method == "HEAD" or upstream.status_code in (304, 416):
        upstream.close()
        return Response(status=upstream.status_code, headers=out)
    body = counted(_relay(upstream), kind)
    return Response(body, status=upstream.status_code, headers=out, direct_passthrough=True)


def original(video_id: str, video_name: str):
    """The original upload, relayed as an attachment named after the video (a browser
    saves it under the name its owner gave it, not "original")."""
    response = relay(video_id, "original")
    if response.status_code in (200, 206):
        name = (video_name or "video") + ORIGINAL_EXTENSIONS.get(response.mimetype, "")
        response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name, safe='')}"
    return response


def _watched(video_id: str, rest: str):
    """relay() for a caller who may watch the video; 404 to anyone else."""
    if not may_watch_files(video_id):
        return error_response(404, "not_found", "No such file.")
    return relay(video_id, rest)


@bp.route("/videos/<video_id>/hls/<path:path>", methods=["GET", "HEAD"])
@access.needs("read")
def hls(video_id: str, path: str):
    return _watched(video_id, f"hls/{path}")


@bp.route("/videos/<video_id>/poster.jpg", methods=["GET", "HEAD"])
@access.needs("read")
def poster(video_id: str):
    return _watched(video_id, "poster.jpg")


@bp.route("/videos/<video_id>/thumbs/<name>", methods=["GET", "HEAD"])
@access.needs("read")
def thumb(video_id: str, name: str):
    return _watched(video_id, f"thumbs/{name}")
