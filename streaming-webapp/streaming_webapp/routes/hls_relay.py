"""The HLS relay: a video's playlists, segments and caption files (`/videos/<id>/hls/...`),
its poster and thumbnails, streamed from file-svc to a logged-in viewer who may watch it
(another person's private video is 404, as a missing file). Range and If-None-Match pass
through; nothing is buffered. A share link's routes (share_pages) relay through `relay`.
With local delivery (local_delivery), `relay` sends a file of the local store's folder
itself, once the route has checked the viewer, and relays only what is not there.

With DELIVERY=presigned the media playlists come from file-svc with their segment and
caption lines made presigned URLs on the store (vs_common.delivery), so the player reads
those from the store; who may watch is then read afresh for each playlist (not through
the 2 s cache): a video trashed or made private, a link revoked, stops new playlists at
once. The segments' own routes stay (a page of before, a script), relayed."""

from __future__ import annotations

import logging
from urllib.parse import quote

from flask import Blueprint, Response, current_app, request

from vs_common import access, layout
from vs_common.app import app_settings
from vs_common.delivery import PRESIGN_HEADER, media_origin
from vs_common.errors import error_response, storage_unavailable
from vs_common.file_client import FileSvcRejected, FileSvcUnavailable, NotFound
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


def presigning(path: str) -> bool:
    """Whether `path` is a playlist to be asked for presigned (DELIVERY=presigned)."""
    return path.endswith(".m3u8") and app_settings().delivery == "presigned"


def _file_path(video_id: str, rest: str) -> str | None:
    """file-svc's path of a video's object, or None for a name that cannot be one."""
    segments = rest.split("/")
    if not valid_video_id(video_id) or any(seg in ("", ".", "..") for seg in segments) or "\\" in rest:
        return None
    return f"videos/{quote(video_id, safe='')}/" + "/".join(quote(seg, safe="") for seg in segments)


def relay(video_id: str, rest: str, presign_until: int | None = None):
    """Stream an object from file-svc: Range and ETag pass through, nothing is buffered.
    `presign_until` (a playlist in presigned mode): ask file-svc for its presigned
    version, no URL living past that Unix time (0: PRESIGN_TTL_SECONDS alone)."""
    path = _file_path(video_id, rest)
    if path is None:
        return error_response(404, "not_found", "No such file.")
    local = current_app.extensions.get("local_delivery")
    if local is not None and presign_until is None and (sent := local.serve(video_id, rest)) is not None:
        return sent
    kind = hls_kind(rest)
    delivery = "relay" if presign_until is None else "presigned"
    headers = {k: request.headers[k] for k in ("Range", "If-None-Match") if k in request.headers}
    if presign_until is not None:
        headers[PRESIGN_HEADER] = str(presign_until)
    try:
        upstream = current_app.extensions["files"].open(path, headers)
    except NotFound:
        HLS_RESPONSES.labels(kind, "404", delivery).inc()
        return error_response(404, "not_found", "No such file.")
    except FileSvcUnavailable as exc:
        log.warning("file-svc unavailable for %s: %s", path, exc)
        return storage_unavailable()
    except FileSvcRejected as exc:  # a presigned playlist its store cannot sign (409): said, not a 500
        log.error("file-svc refused %s: %s %s", path, exc.code, exc.message)
        return error_response(exc.status, exc.code, exc.message)
    out = {k: upstream.headers[k] for k in PASS_HEADERS if k in upstream.headers}
    HLS_RESPONSES.labels(kind, str(upstream.status_code), delivery).inc()
    if request.method == "HEAD" or upstream.status_code in (304, 416):
        upstream.close()
        return Response(status=upstream.status_code, headers=out)
    body = counted(_relay(upstream), kind, delivery)
    return Response(body, status=upstream.status_code, headers=out, direct_passthrough=True)


def first_segment_url(video_id: str, height: int, presign_until: int) -> str | None:
    """The presigned URL of the first segment of a rendition, as its presigned playlist
    names it (the same URL hls.js will be given, signed in the same window): what the
    player page preloads. None when it cannot be had now (the page then preloads the
    playlists alone)."""
    path = _file_path(video_id, f"hls/{height}p/index.m3u8")
    try:
        upstream = current_app.extensions["files"].open(path, {PRESIGN_HEADER: str(presign_until)}, read_timeout=5)
    except (NotFound, FileSvcUnavailable, FileSvcRejected) as exc:
        log.info("no first segment to preload for %s: %s", video_id, exc)
        return None
    try:
        text = upstream.raw.read(256 * 1024).decode("utf-8", "replace")
    finally:
        upstream.close()
    return next((line for line in text.splitlines() if line and not line.startswith("#")), None)


def first_segment(video: dict, hls_base: str, presign_until: int) -> str | None:
    """The URL the player page preloads for the first frame: the first segment of the
    smallest ready rendition (the one the player starts on), as the player will ask for
    it: under `hls_base` when relayed, the presigned URL when presigned (its page then
    admits the store's origin: admit_media_origin). None: nothing to preload."""
    heights = [r["height"] for r in video["renditions"] if r["status"] == "ready"]
    if not heights:
        return None
    if app_settings().delivery != "presigned":
        return f"{hls_base}{min(heights)}p/{layout.FIRST_SEGMENT}"
    request.media_origins = media_origin(app_settings())
    return first_segment_url(video["id"], min(heights), presign_until)


def original(video_id: str, video_name: str):
    """The original upload, relayed as an attachment named after the video (a browser
    saves it under the name its owner gave it, not "original")."""
    response = relay(video_id, "original")
    if response.status_code in (200, 206):
        name = (video_name or "video") + ORIGINAL_EXTENSIONS.get(response.mimetype, "")
        response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name, safe='')}"
    return response


def _watched(video_id: str, rest: str):
    """relay() for a caller who may watch the video; 404 to anyone else. A presigned
    playlist reads who may watch afresh."""
    presign = presigning(rest)
    if not may_watch_files(video_id, fresh=presign):
        return error_response(404, "not_found", "No such file.")
    return relay(video_id, rest, 0 if presign else None)


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
