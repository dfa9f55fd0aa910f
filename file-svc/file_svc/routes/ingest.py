"""Ingest: an upload's body received (`POST /videos`), or a resumable upload taken from the
temp volume (`POST /videos/import`); probed, stored as the video's original."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify, request

from vs_common import layout
from vs_common.app import app_settings
from vs_common.errors import error_response
from vs_common.wire import valid_video_id

from .. import ingest
from ..media.errors import NotAVideo
from .common import budget, refuse_mid_body, storage

log = logging.getLogger("file_svc.routes")
bp = Blueprint("ingest", __name__)


@bp.post("/videos")
def upload():
    """Receive the raw file, probe it, store it as the original: 201 {id, size_bytes, probe}."""
    settings = app_settings()
    expected = request.content_length
    if expected is not None and expected > settings.max_upload_bytes:
        return error_response(
            413, "file_too_large", f"The file is larger than the limit of {settings.max_upload_bytes} bytes."
        )
    wanted = request.args.get("id")
    if wanted is not None and not valid_video_id(wanted):
        return error_response(400, "bad_id", "The id must be 12 to 32 URL-safe characters.")
    try:
        video_id, size = ingest.receive(request.stream, settings.temp_dir, settings.max_upload_bytes, expected, wanted)
    except FileExistsError:
        return error_response(409, "id_taken", "An upload with this id is already in progress.")
    except ingest.TooLarge as exc:
        return refuse_mid_body(413, "file_too_large", str(exc))
    except ingest.TempFull as exc:
        return refuse_mid_body(507, "temp_storage_full", str(exc), {"Retry-After": "60"})
    except ingest.IncompleteUpload as exc:
        return error_response(400, "incomplete_upload", str(exc))
    except NotAVideo as exc:
        return error_response(415, exc.code, str(exc))
    try:
        probe, source = ingest.validate(settings.temp_dir, video_id, budget())
    except NotAVideo as exc:
        log.info("upload refused: %s", exc)
        return error_response(415, exc.code, str(exc))
    key = ingest.original_key(video_id, probe)
    try:
        storage().put_file(key, str(source))
    except BaseException:
        source.unlink(missing_ok=True)
        raise
    log.info("stored %s (%d bytes, %s %dx%d)", key, size, probe.video_codec, probe.width, probe.height)
    return jsonify(id=video_id, size_bytes=size, original_key=key, probe=probe.summary()), 201


@bp.post("/videos/import")
def import_upload():
    """Take the file of a resumable upload that upload-webapp received into the shared temp
    volume (JSON `id`: the upload's id, its file TEMP_DIR/uploads/<id>/data), probe it where
    it is, store it as the original of the video of that id: 201 as `POST /videos`.
    Refused: 415, and the file is left to its owner, upload-webapp."""
    settings = app_settings()
    body = request.get_json(silent=True)
    video_id = body.get("id") if isinstance(body, dict) else None
    if not isinstance(video_id, str) or not valid_video_id(video_id):
        return error_response(400, "bad_id", "The id must be 12 to 32 URL-safe characters.")
    src = layout.upload_data(settings.temp_dir, video_id)
    if not src.is_file():
        return error_response(404, "not_found", "No such file in the temp volume.")
    try:
        probe, source = ingest.adopt(video_id, src, settings.temp_dir, budget())
    except NotAVideo as exc:
        log.info("import refused: %s", exc)
        return error_response(415, exc.code, str(exc))
    key = ingest.original_key(video_id, probe)
    storage().put_file(key, str(source))
    size = source.stat().st_size
    log.info("stored %s (%d bytes, %s %dx%d, imported)", key, size, probe.video_codec, probe.width, probe.height)
    return jsonify(id=video_id, size_bytes=size, original_key=key, probe=probe.summary()), 201
