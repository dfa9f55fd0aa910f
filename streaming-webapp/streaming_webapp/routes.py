"""streaming-svc routes: pages, the video API (caption tracks included), and HLS/poster
reads through file-svc."""

from __future__ import annotations

import logging
from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, g, jsonify, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

from vs_common import captions, catalogue, layout, names, tables, video_json
from vs_common.app import app_db, app_settings
from vs_common.errors import error_response, storage_unavailable
from vs_common.file_client import FileSvcRejected, FileSvcUnavailable, NotFound
from vs_common.observe import HLS_RESPONSES, counted, hls_kind
from vs_common.settings import origin_of
from vs_common.wire import drain, valid_video_id

from .openapi import OPENAPI

log = logging.getLogger(__name__)
bp = Blueprint("streaming", __name__)
PASS_HEADERS = (
    "Content-Type",
    "Content-Length",
    "Content-Range",
    "ETag",
    "Cache-Control",
    "Accept-Ranges",
    "Last-Modified",
)


_s, _db = app_settings, app_db


def _page_context(current: str) -> dict:
    s = _s()
    return {
        "user": g.user,
        "logout_url": "/logout",
        "nav_upload_url": s.upload_public_url + "/",
        "nav_links": [
            ("Upload", s.upload_public_url + "/", current == "upload"),
            ("Library", s.streaming_public_url + "/", current == "library"),
        ],
    }


@bp.get("/")
def library():
    return render_template("library.html", **_page_context("library"))


@bp.get("/videos/<video_id>")
def player(video_id: str):
    row = catalogue.get_video(_db(), video_id) if valid_video_id(video_id) else None
    if row is None:
        return render_template("notfound.html", **_page_context("")), 404
    video = video_json.to_json(row, _s().streaming_public_url)
    # The player may be framed by the apps' own origins (embedding); nothing else.
    request.frame_ancestors = " ".join(
        sorted({origin_of(_s().upload_public_url), origin_of(_s().streaming_public_url)})
    )
    return render_template("player.html", video=video, first_segment=layout.FIRST_SEGMENT, **_page_context(""))


def _int_arg(name: str, default: int, low: int, high: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        abort(error_response(400, "bad_parameter", f"'{name}' must be a whole number."))
    value = int(raw)
    if value < low or (high is not None and value > high):
        limit = f"from {low} to {high}" if high is not None else f"at least {low}"
        abort(error_response(400, "bad_parameter", f"'{name}' must be {limit}."))
    return value


@bp.get("/api/videos")
def list_videos():
    """Newest first, paged; `q` matches names case-insensitively as a literal substring."""
    page = _int_arg("page", 1, 1)
    per_page = _int_arg("per_page", 24, 1, 100)
    q = request.args.get("q", "")
    if len(q) > 200:
        return error_response(400, "bad_parameter", "'q' is longer than 200 characters.")
    rows, total = catalogue.list_videos(_db(), q=q, limit=per_page, offset=(page - 1) * per_page)
    pages = (total + per_page - 1) // per_page
    return jsonify(
        videos=[video_json.to_json(r, _s().streaming_public_url) for r in rows], page=page, pages=pages, total=total
    )


def _own_video(video_id: str):
    row = catalogue.get_video(_db(), video_id) if valid_video_id(video_id) else None
    if row is None:
        abort(error_response(404, "not_found", "No such video."))
    if row["owner"] != g.user:
        abort(error_response(403, "forbidden", "Only the video's owner can change it."))
    return row


@bp.get("/api/videos/<video_id>")
def get_video(video_id: str):
    row = catalogue.get_video(_db(), video_id) if valid_video_id(video_id) else None
    if row is None:
        return error_response(404, "not_found", "No such video.")
    return jsonify(video_json.to_json(row, _s().streaming_public_url))


@bp.patch("/api/videos/<video_id>")
def rename_video(video_id: str):
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("video_name"), str):
        return error_response(400, "bad_request", 'Send JSON {"video_name": "..."}.')
    try:
        name = names.clean_name(body["video_name"])
    except names.InvalidName as exc:
        return error_response(400, "invalid_name", str(exc))
    _own_video(video_id)
    tables.videos.rename(_db(), video_id, name)
    row = catalogue.get_video(_db(), video_id)
    if row is None:  # deleted meanwhile
        return error_response(404, "not_found", "No such video.")
    return jsonify(video_json.to_json(row, _s().streaming_public_url))


@bp.delete("/api/videos/<video_id>")
def delete_video(video_id: str):
    """Remove every object, then the row (a failure to reach the store leaves the row, and
    the delete can be tried again), then the objects once more: a packager that was
    publishing while the first pass ran may have added some (the row's tombstone lets the
    packager's sweep do this last pass if the store is unreachable now)."""
    _own_video(video_id)
    files = current_app.extensions["files"]
    try:
        files.delete_video(video_id)
    except FileSvcUnavailable as exc:
        log.warning("delete of %s: %s", video_id, exc)
        return storage_unavailable()
    if not catalogue.delete_video(_db(), video_id):
        return error_response(404, "not_found", "No such video.")  # a concurrent delete won
    try:
        files.delete_video(video_id)
        tables.deleted_videos.forget(_db(), video_id)
    except FileSvcUnavailable as exc:
        log.warning("second pass of the delete of %s left to the sweep: %s", video_id, exc)
    log.info("video %s deleted by %s", video_id, g.user)
    return Response(status=204)


@bp.post("/api/videos/<video_id>/retry")
def retry_video(video_id: str):
    """A failed video is packaged again; a ready one has its failed renditions re-queued."""
    _own_video(video_id)
    if not catalogue.retry_video(_db(), video_id):
        return error_response(
            409, "not_failed", "Only a failed video, or a ready one with failed renditions, can be retried."
        )
    row = catalogue.get_video(_db(), video_id)
    if row is None:  # deleted meanwhile
        return error_response(404, "not_found", "No such video.")
    return jsonify(video_json.to_json(row, _s().streaming_public_url)), 202


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
def add_caption(video_id: str):
    """Add a caption track, or replace the one of its language (owner only): multipart
    `file` (.vtt or .srt), `language`, `label`, optional `default`; 201 with the track."""
    _own_video(video_id)
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
    base = _s().streaming_public_url.rstrip("/")
    return jsonify(
        language=track["language"],
        label=track["label"],
        default=track["default"],
        url=f"{base}/videos/{video_id}/hls/{track['file']}",
    ), 201


@bp.delete("/api/videos/<video_id>/captions/<language>")
def delete_caption(video_id: str, language: str):
    """Remove the caption track of a language (owner only): 204."""
    _own_video(video_id)
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


def _proxy(video_id: str, rest: str):
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


@bp.route("/videos/<video_id>/hls/<path:path>", methods=["GET", "HEAD"])
def hls(video_id: str, path: str):
    return _proxy(video_id, f"hls/{path}")


@bp.route("/videos/<video_id>/poster.jpg", methods=["GET", "HEAD"])
def poster(video_id: str):
    return _proxy(video_id, "poster.jpg")


@bp.route("/videos/<video_id>/thumbs/<name>", methods=["GET", "HEAD"])
def thumb(video_id: str, name: str):
    return _proxy(video_id, f"thumbs/{name}")


@bp.get("/openapi.json")
def openapi():
    return jsonify(OPENAPI)
