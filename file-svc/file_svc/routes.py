"""file-svc routes: POST /videos, object reads (HLS, poster, thumbnails, original), DELETE,
and the caption tracks' writes (PUT/DELETE /videos/<id>/captions/<language>)."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.wsgi import wrap_file

from vs_common import captions, layout
from vs_common.app import app_db, app_settings
from vs_common.errors import error_response
from vs_common.wire import drain, valid_video_id

from . import caption_tracks, ingest
from .media.errors import NotAVideo
from .openapi import OPENAPI
from .serving import cache_control
from .storage import ObjectNotFound

log = logging.getLogger(__name__)
bp = Blueprint("files", __name__)


_settings = app_settings


def _storage():
    return current_app.extensions["storage"]


@bp.post("/videos")
def upload():
    """Receive the raw file, probe it, store it as the original: 201 {id, size_bytes, probe}."""
    s = _settings()
    expected = request.content_length
    if expected is not None and expected > s.max_upload_bytes:
        return error_response(
            413, "file_too_large", f"The file is larger than the limit of {s.max_upload_bytes} bytes."
        )
    wanted = request.args.get("id")
    if wanted is not None and not valid_video_id(wanted):
        return error_response(400, "bad_id", "The id must be 12 to 32 URL-safe characters.")
    try:
        video_id, size = ingest.receive(request.stream, s.temp_dir, s.max_upload_bytes, expected, wanted)
    except FileExistsError:
        return error_response(409, "id_taken", "An upload with this id is already in progress.")
    except ingest.TooLarge as exc:
        return _refuse_mid_body(413, "file_too_large", str(exc))
    except ingest.TempFull as exc:
        return _refuse_mid_body(507, "temp_storage_full", str(exc), {"Retry-After": "60"})
    except ingest.IncompleteUpload as exc:
        return error_response(400, "incomplete_upload", str(exc))
    except NotAVideo as exc:
        return error_response(415, exc.code, str(exc))
    try:
        probe, source = ingest.validate(s.temp_dir, video_id, current_app.extensions["budget"])
    except NotAVideo as exc:
        log.info("upload refused: %s", exc)
        return error_response(415, exc.code, str(exc))
    key = ingest.original_key(video_id, probe)
    try:
        _storage().put_file(key, str(source))
    except BaseException:
        source.unlink(missing_ok=True)
        raise
    log.info("stored %s (%d bytes, %s %dx%d)", key, size, probe.video_codec, probe.width, probe.height)
    return jsonify(id=video_id, size_bytes=size, original_key=key, probe=probe.summary()), 201


@bp.post("/videos/import")
def import_upload():
    """Take a file that upload-webapp received into the shared temp volume (`path`, under
    TEMP_DIR/uploads/), probe it where it is, store it as the original of `id`: 201 as
    `POST /videos`. Refused: 415, and the file is left to its owner, upload-webapp."""
    s = _settings()
    body = request.get_json(silent=True) or {}
    video_id, path = body.get("id"), body.get("path")
    if not isinstance(video_id, str) or not valid_video_id(video_id):
        return error_response(400, "bad_id", "The id must be 12 to 32 URL-safe characters.")
    if not isinstance(path, str) or path != f"uploads/{video_id}/data":
        return error_response(400, "bad_path", "The path must be uploads/<id>/data in the temp volume.")
    src = layout.upload_data(s.temp_dir, video_id)
    if not src.is_file():
        return error_response(404, "not_found", "No such file in the temp volume.")
    try:
        probe, source = ingest.adopt(video_id, src, s.temp_dir, current_app.extensions["budget"])
    except NotAVideo as exc:
        log.info("import refused: %s", exc)
        return error_response(415, exc.code, str(exc))
    key = ingest.original_key(video_id, probe)
    _storage().put_file(key, str(source))
    size = source.stat().st_size
    log.info("stored %s (%d bytes, %s %dx%d, imported)", key, size, probe.video_codec, probe.width, probe.height)
    return jsonify(id=video_id, size_bytes=size, original_key=key, probe=probe.summary()), 201


def _refuse_mid_body(status: int, code: str, message: str, headers: dict | None = None):
    """An error found while the body still arrives: read (and drop) the rest first, bounded,
    so the sender, still writing, gets to read the answer instead of a reset connection."""
    drain(request.stream)
    response = error_response(status, code, message, headers)
    response.headers["Connection"] = "close"
    return response


def _serve(key: str):
    stream = _storage().open_object(key, request.headers.get("Range"), request.headers.get("If-None-Match"))
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


def _check_id(video_id: str):
    if not valid_video_id(video_id):
        return error_response(404, "not_found", "No such video.")
    return None


@bp.route("/videos/<video_id>/hls/<path:path>", methods=["GET", "HEAD"])
def hls(video_id: str, path: str):
    if (bad := _check_id(video_id)) or not layout.valid_hls_path(path):
        return bad or error_response(404, "not_found", "No such file.")
    try:
        return _serve(layout.hls(video_id, path))
    except ObjectNotFound:
        return error_response(404, "not_found", "No such file.")


@bp.route("/videos/<video_id>/poster.jpg", methods=["GET", "HEAD"])
def poster(video_id: str):
    if bad := _check_id(video_id):
        return bad
    try:
        return _serve(layout.poster(video_id))
    except ObjectNotFound:
        return error_response(404, "not_found", "No poster yet.")


@bp.route("/videos/<video_id>/thumbs/<name>", methods=["GET", "HEAD"])
def thumb(video_id: str, name: str):
    if (bad := _check_id(video_id)) or not layout.valid_thumb(name):
        return bad or error_response(404, "not_found", "No such thumbnail.")
    try:
        return _serve(layout.thumb(video_id, name))
    except ObjectNotFound:
        return error_response(404, "not_found", "No such thumbnail.")


@bp.route("/videos/<video_id>/original", methods=["GET", "HEAD"])
def original(video_id: str):
    if bad := _check_id(video_id):
        return bad
    storage = _storage()
    for key in storage.list_keys(layout.prefix(video_id)):
        if layout.is_original(video_id, key):
            return _serve(key)
    return error_response(404, "not_found", "No such video.")


@bp.delete("/videos/<video_id>")
def delete(video_id: str):
    """Every object of the video, and its temp files: 204 (also when nothing was there)."""
    if bad := _check_id(video_id):
        return bad
    s = _settings()
    # Objects first: if the store is down this fails (503) with the temp file still
    # there, and the sweep, which keys on that file, removes the objects later.
    removed = _storage().delete_prefix(layout.prefix(video_id))
    for path in ingest.temp_files_of(s.temp_dir, video_id):
        path.unlink(missing_ok=True)  # an upload still being received fails and ends there
    log.info("deleted video %s (%d objects)", video_id, removed)
    return Response(status=204)


CAPTION_BODY_MAX = 6 * captions.MAX_BYTES  # escaped WebVTT of a 2 MiB upload: `<` becomes `&lt;`


_db = app_db


def _track_json(track: dict) -> dict:
    return {
        "language": track["language"],
        "label": track["label"],
        "default": bool(track["is_default"]),
        "file": layout.caption_file(track["file_name"]),
    }


@bp.put("/videos/<video_id>/captions/<language>")
def put_caption(video_id: str, language: str):
    """Add or replace a caption track: the body is its WebVTT (as vs_common.captions
    writes it: checked again), `label` and `default` in the query. Stored under
    hls/captions/, named in the master. 200 with the track."""
    if bad := _check_id(video_id):
        return bad
    if request.content_length is not None and request.content_length > CAPTION_BODY_MAX:
        return error_response(413, "file_too_large", "The caption track is too large.")
    body = request.stream.read(CAPTION_BODY_MAX + 1)
    if len(body) > CAPTION_BODY_MAX:
        return _refuse_mid_body(413, "file_too_large", "The caption track is too large.")
    default = request.args.get("default", "false")
    if default not in ("true", "false"):
        return error_response(400, "bad_default", "'default' must be true or false.")
    try:
        text = captions.decode(body, CAPTION_BODY_MAX)
        track = caption_tracks.store_track(
            _db(),
            _storage(),
            video_id,
            language,
            vtt=text,
            label=request.args.get("label"),
            is_default=default == "true",
            limit=CAPTION_BODY_MAX,
        )
    except captions.CaptionError as exc:
        return error_response(exc.status, exc.code, exc.message)
    except caption_tracks.VideoGone:
        return error_response(404, "not_found", "No such video.")
    return jsonify(_track_json(track))


@bp.delete("/videos/<video_id>/captions/<language>")
def delete_caption(video_id: str, language: str):
    """Remove a caption track (and its line in the master): 204; 404 if there is none."""
    if bad := _check_id(video_id):
        return bad
    try:
        tag = captions.normalize_language(language)
    except captions.CaptionError:
        return error_response(404, "not_found", "No such caption track.")
    try:
        if not caption_tracks.remove_track(_db(), _storage(), video_id, tag):
            return error_response(404, "not_found", "No such caption track.")
    except caption_tracks.VideoGone:
        return error_response(404, "not_found", "No such video.")
    return Response(status=204)


@bp.get("/openapi.json")
def openapi():
    return jsonify(OPENAPI)
