"""The video API: `GET /api/videos` (newest first, paged, searched by name),
`GET`/`PATCH`/`DELETE /api/videos/<id>` and `POST /api/videos/<id>/retry`. Another
person's private video is never listed and is 404 on every route (routes.common)."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, current_app, g, jsonify, request

from vs_common import access, catalogue, names, tables
from vs_common.app import app_db, app_settings
from vs_common.errors import error_response, storage_unavailable
from vs_common.file_client import FileSvcUnavailable

from .common import as_json, manageable_video, watchable_video
from .hls_relay import original

log = logging.getLogger(__name__)
bp = Blueprint("video_api", __name__)


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
@access.needs("read")
def list_videos():
    """Paged, in the order `sort` names (newest by default, oldest, name, longest); `q`
    matches names case-insensitively as a literal substring. What the caller may watch
    only: an admin every video, anyone else the internal ones and their own."""
    page = _int_arg("page", 1, 1)
    per_page = _int_arg("per_page", 24, 1, 100)
    q = request.args.get("q", "")
    if len(q) > 200:
        return error_response(400, "bad_parameter", "'q' is longer than 200 characters.")
    sort = request.args.get("sort") or "newest"
    if sort not in tables.videos.ORDERS:
        known = ", ".join(tables.videos.ORDERS)
        return error_response(400, "bad_sort", f"'sort' must be one of: {known}.")
    watcher = None if g.role == "admin" else g.user
    rows, total = catalogue.list_videos(
        app_db(), q=q, watcher=watcher, limit=per_page, offset=(page - 1) * per_page, sort=sort
    )
    pages = (total + per_page - 1) // per_page
    return jsonify(videos=[as_json(r) for r in rows], page=page, pages=pages, total=total)


@bp.get("/api/videos/<video_id>")
@access.needs("read")
def get_video(video_id: str):
    row = watchable_video(video_id)
    if row is None:
        return error_response(404, "not_found", "No such video.")
    return jsonify(as_json(row))


_PATCH_FIELDS = ("video_name", "visibility", "description")


@bp.patch("/api/videos/<video_id>")
@access.needs("manage")
def change_video(video_id: str):
    """Rename, describe, or set who may watch (owner or admin): JSON with `video_name`,
    `visibility`, `description` or several, each checked before any is written."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not any(k in body for k in _PATCH_FIELDS):
        return error_response(
            400,
            "bad_request",
            'Send JSON with one or more of {"video_name": "...", "visibility": "private" or "internal", '
            '"description": "..."}.',
        )
    name = visibility = description = None
    try:
        if "video_name" in body:
            if not isinstance(body["video_name"], str):
                return error_response(400, "bad_request", "'video_name' must be text.")
            name = names.clean_name(body["video_name"])
        if "visibility" in body:
            visibility = access.parse_visibility(body["visibility"])
    except names.InvalidName as exc:
        return error_response(400, "invalid_name", str(exc))
    except access.BadVisibility as exc:
        return error_response(400, "bad_visibility", str(exc))
    try:
        if "description" in body:
            description = _description(body["description"])
    except names.InvalidName as exc:
        return error_response(400, "bad_description", str(exc))
    manageable_video(video_id)
    tables.videos.change(app_db(), video_id, name=name, visibility=visibility, description=description)
    row = catalogue.get_video(app_db(), video_id)
    if row is None:  # deleted meanwhile
        return error_response(404, "not_found", "No such video.")
    return jsonify(as_json(row))


def _description(raw) -> str:
    """The PATCH's `description`, checked (names.clean_description); InvalidName if not text."""
    if not isinstance(raw, str):
        raise names.InvalidName("The description must be text.")
    return names.clean_description(raw)


@bp.delete("/api/videos/<video_id>")
@access.needs("manage")
def delete_video(video_id: str):
    """Into the owner's trash (204): from now on 404 to everyone, restorable for
    TRASH_HOURS, then purged by the packager's sweep. `?purge=true`, or TRASH_HOURS=0,
    removes it at once (204), as a delete always did before the trash."""
    purge = request.args.get("purge", "false")
    if purge not in ("true", "false"):
        return error_response(400, "bad_parameter", "'purge' must be true or false.")
    manageable_video(video_id, trashed=purge == "true")  # a trashed video can be purged
    if purge == "true" or app_settings().trash_hours == 0:
        return purge_video(video_id)
    if not catalogue.trash_video(app_db(), video_id):
        return error_response(404, "not_found", "No such video.")  # a concurrent delete won
    log.info("video %s moved to the trash by %s", video_id, g.user)
    return Response(status=204)


def purge_video(video_id: str) -> Response:
    """Remove every object, then the row (a failure to reach the store leaves the row, and
    the delete can be tried again), then the objects once more: a packager that was
    publishing while the first pass ran may have added some (the row's tombstone lets the
    packager's sweep do this last pass if the store is unreachable now)."""
    files = current_app.extensions["files"]
    try:
        files.delete_video(video_id)
    except FileSvcUnavailable as exc:
        log.warning("delete of %s: %s", video_id, exc)
        return storage_unavailable()
    if not catalogue.delete_video(app_db(), video_id):
        return error_response(404, "not_found", "No such video.")  # a concurrent delete won
    try:
        files.delete_video(video_id)
        tables.deleted_videos.forget(app_db(), video_id)
    except FileSvcUnavailable as exc:
        log.warning("second pass of the delete of %s left to the sweep: %s", video_id, exc)
    log.info("video %s deleted by %s", video_id, g.user)
    return Response(status=204)


@bp.post("/api/videos/<video_id>/restore")
@access.needs("manage")
def restore_video(video_id: str):
    """Out of the trash (owner or admin): 200 VIDEO. 404 for a video not in the trash
    (or another's private one), 403 for another's internal one."""
    manageable_video(video_id, trashed=True)
    if not catalogue.restore_video(app_db(), video_id):
        return error_response(404, "not_found", "No such video in the trash.")  # restored or purged meanwhile
    log.info("video %s restored from the trash by %s", video_id, g.user)
    return jsonify(as_json(catalogue.get_video(app_db(), video_id, trashed=True)))


@bp.get("/api/trash")
@access.needs("read")
def list_trash():
    """The caller's own videos in the trash, last deleted first, and how long one stays."""
    rows = catalogue.list_trash(app_db(), g.user)
    return jsonify(videos=[as_json(r) for r in rows], trash_hours=app_settings().trash_hours)


@bp.route("/api/videos/<video_id>/original", methods=["GET", "HEAD"])
@access.needs("manage")
def download_original(video_id: str):
    """The upload as received, as an attachment named after the video (owner or admin;
    Range passes through): 404 for another's private video, 403 for another's internal one."""
    row = manageable_video(video_id)
    return original(video_id, row["video_name"])


@bp.post("/api/videos/<video_id>/retry")
@access.needs("manage")
def retry_video(video_id: str):
    """A failed video is packaged again; a ready one has its failed renditions re-queued."""
    manageable_video(video_id)
    if not catalogue.retry_video(app_db(), video_id):
        return error_response(
            409, "not_failed", "Only a failed video, or a ready one with failed renditions, can be retried."
        )
    row = catalogue.get_video(app_db(), video_id)
    if row is None:  # deleted meanwhile
        return error_response(404, "not_found", "No such video.")
    return jsonify(as_json(row)), 202
