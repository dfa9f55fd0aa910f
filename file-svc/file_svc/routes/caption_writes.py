"""Caption tracks' writes: `PUT`/`DELETE /videos/<id>/captions/<language>` (streaming-svc
checked the owner and the file; the track is checked again here, stored under
`hls/captions/` and named in the master: caption_tracks.py)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from vs_common import captions, layout
from vs_common.app import app_db
from vs_common.errors import error_response

from .. import caption_tracks
from .common import bad_id, refuse_mid_body, storage

bp = Blueprint("caption_writes", __name__)

CAPTION_BODY_MAX = 6 * captions.MAX_BYTES  # escaped WebVTT of a 2 MiB upload: `<` becomes `&lt;`


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
    if bad := bad_id(video_id):
        return bad
    if request.content_length is not None and request.content_length > CAPTION_BODY_MAX:
        return error_response(413, "file_too_large", "The caption track is too large.")
    body = request.stream.read(CAPTION_BODY_MAX + 1)
    if len(body) > CAPTION_BODY_MAX:
        return refuse_mid_body(413, "file_too_large", "The caption track is too large.")
    default = request.args.get("default", "false")
    if default not in ("true", "false"):
        return error_response(400, "bad_default", "'default' must be true or false.")
    try:
        text = captions.decode(body, CAPTION_BODY_MAX)
        track = caption_tracks.store_track(
            app_db(),
            storage(),
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
    if bad := bad_id(video_id):
        return bad
    try:
        tag = captions.normalize_language(language)
    except captions.CaptionError:
        return error_response(404, "not_found", "No such caption track.")
    try:
        if not caption_tracks.remove_track(app_db(), storage(), video_id, tag):
            return error_response(404, "not_found", "No such caption track.")
    except caption_tracks.VideoGone:
        return error_response(404, "not_found", "No such video.")
    return Response(status=204)
