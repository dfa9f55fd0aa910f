"""The caption API: `POST /api/videos/<id>/captions` adds a track (or replaces the one
of its language), `DELETE /api/videos/<id>/captions/<language>` removes one; owner or admin.
The file is checked and made WebVTT here (vs_common.captions), then stored by file-svc."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, g, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from vs_common import access, captions
from vs_common.app import app_settings
from vs_common.errors import error_response, storage_unavailable
from vs_common.file_client import FileSvcRejected, FileSvcUnavailable, NotFound
from vs_common.wire import drain

from .common import manageable_video

log = logging.getLogger(__name__)
bp = Blueprint("caption_api", __name__)

CAPTION_REQUEST_MAX = captions.MAX_BYTES + 64 * 1024  # the file and the form around it
CAPTION_DRAIN_BYTES = 8 * 1024 * 1024


def _too_large_caption():
    """413 for a body past CAPTION_REQUEST_MAX, once a bounded rest of it is read (so that
    the sender, still writing, reads the answer instead of a reset connection)."""
    stream = request.environ.get("wsgi.input")
    if stream is not None:
        drain(stream, CAPTION_DRAIN_BYTES)
    response = error_response(
        413, "file_too_large", f"The caption file is larger than {captions.MAX_BYTES} bytes (2 MiB)."
    )
    response.headers["Connection"] = "close"
    return response


@bp.post("/api/videos/<video_id>/captions")
@access.needs("manage")
def add_caption(video_id: str):
    """Add a caption track, or replace the one of its language (owner or admin): multipart
    `file` (.vtt or .srt), `language`, `label`, optional `default`; 201 with the track."""
    manageable_video(video_id)
    request.max_content_length = CAPTION_REQUEST_MAX
    try:
        form, upload = request.form, request.files.get("file")
    except RequestEntityTooLarge:
        return _too_large_caption()
    if upload is None:
        return error_response(400, "missing_file", "Send the caption file as the multipart field 'file'.")
    default = form.get("default", "false")
    try:
        language = captions.normalize_language(form.get("language"))
        label = captions.check_label(form.get("label"))
        if default not in ("true", "false"):
            raise captions.CaptionError("'default' must be true or false.", "bad_default")
        vtt, _ = captions.to_webvtt(upload.stream.read(captions.MAX_BYTES + 1), upload.filename)
    except captions.CaptionError as exc:
        return error_response(exc.status, exc.code, exc.message)
    try:
        track = current_app.extensions["files"].put_caption(video_id, language, vtt, label, default == "true")
    except NotFound:
        return error_response(404, "not_found", "No such video.")  # deleted meanwhile
    except FileSvcRejected as exc:
        return error_response(exc.status, exc.code, exc.message)
    except FileSvcUnavailable as exc:
        log.warning("caption of %s: %s", video_id, exc)
        return storage_unavailable()
    log.info("video %s: caption track %s added by %s", video_id, language, g.user)
    base = app_settings().streaming_public_url.rstrip("/")
    return jsonify(
        language=track["language"],
        label=track["label"],
        default=track["default"],
        url=f"{base}/videos/{video_id}/hls/{track['file']}",
    ), 201


@bp.delete("/api/videos/<video_id>/captions/<language>")
@access.needs("manage")
def delete_caption(video_id: str, language: str):
    """Remove the caption track of a language (owner or admin): 204."""
    manageable_video(video_id)
    try:
        tag = captions.normalize_language(language)
    except captions.CaptionError:
        return error_response(404, "not_found", "This video has no caption track of that language.")
    try:
        removed = current_app.extensions["files"].delete_caption(video_id, tag)
    except (FileSvcUnavailable, FileSvcRejected) as exc:
        log.warning("caption delete of %s: %s", video_id, exc)
        return storage_unavailable()
    if not removed:
        return error_response(404, "not_found", "This video has no caption track of that language.")
    return Response(status=204)
