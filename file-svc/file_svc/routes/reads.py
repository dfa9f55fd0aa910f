"""Object reads: a video's HLS files, poster, thumbnails and original, with Range and
ETag (the store answers them), and the cache rules of each kind (vs_common.objects)."""

from __future__ import annotations

from flask import Blueprint, Response, request
from werkzeug.wsgi import wrap_file

from vs_common import layout
from vs_common.delivery import PRESIGN_HEADER
from vs_common.errors import error_response
from vs_common.objects import cache_control

from .. import presigned
from ..storage import ObjectNotFound
from .common import bad_id, storage

bp = Blueprint("reads", __name__)


def _serve(key: str):
    """The object under `key` as the answer to this GET or HEAD (its Range and If-None-Match honoured)."""
    stream = storage().open_object(key, request.headers.get("Range"), request.headers.get("If-None-Match"))
    headers = dict(stream.headers)
    headers["Cache-Control"] = cache_control(key)
    if stream.status in (304, 416):
        headers.pop("Content-Length", None)
        return Response(status=stream.status, headers=headers)
    if request.method == "HEAD":
        return Response(status=stream.status, headers=headers)
    if stream.path is not None:
        # Local file: sendfile through the WSGI file wrapper, no copy in Python.
        fh = open(stream.path, "rb")
        fh.seek(stream.offset)
        body = wrap_file(request.environ, fh, 256 * 1024)
        return Response(body, status=stream.status, headers=headers, direct_passthrough=True)
    return Response(stream.body, status=stream.status, headers=headers, direct_passthrough=True)


@bp.route("/videos/<video_id>/hls/<path:path>", methods=["GET", "HEAD"])
def hls(video_id: str, path: str):
    if (bad := bad_id(video_id)) or not layout.valid_hls_path(path):
        return bad or error_response(404, "not_found", "No such file.")
    try:
        if PRESIGN_HEADER in request.headers and path.endswith(".m3u8"):
            return presigned.playlist(storage(), video_id, path)  # DELIVERY=presigned: streaming-svc asks
        return _serve(layout.hls(video_id, path))
    except ObjectNotFound:
        return error_response(404, "not_found", "No such file.")


@bp.route("/videos/<video_id>/poster.jpg", methods=["GET", "HEAD"])
def poster(video_id: str):
    if bad := bad_id(video_id):
        return bad
    try:
        return _serve(layout.poster(video_id))
    except ObjectNotFound:
        return error_response(404, "not_found", "No poster yet.")


@bp.route("/videos/<video_id>/thumbs/<name>", methods=["GET", "HEAD"])
def thumb(video_id: str, name: str):
    if (bad := bad_id(video_id)) or not layout.valid_thumb(name):
        return bad or error_response(404, "not_found", "No such thumbnail.")
    try:
        return _serve(layout.thumb(video_id, name))
    except ObjectNotFound:
        return error_response(404, "not_found", "No such thumbnail.")


@bp.route("/videos/<video_id>/original", methods=["GET", "HEAD"])
def original(video_id: str):
    if bad := bad_id(video_id):
        return bad
    for key in storage().list_keys(layout.prefix(video_id)):
        if layout.is_original(video_id, key):
            return _serve(key)
    return error_response(404, "not_found", "No such video.")
