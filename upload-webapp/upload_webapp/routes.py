"""upload-webapp routes: GET / (page), POST /api/upload, GET /api/uploads."""

from __future__ import annotations

import logging
import os
import time

from flask import Blueprint, current_app, g, jsonify, render_template, request

from vs_common import videos
from vs_common.db import DatabaseUnavailable
from vs_common.errors import error_response
from vs_common.file_client import FileSvcRejected, FileSvcUnavailable

from .multipart import BadForm, ClientGone, FileTooLarge, MultipartStream
from .openapi import OPENAPI

log = logging.getLogger(__name__)
bp = Blueprint("upload", __name__)

FORM_OVERHEAD = 1024 * 1024  # the request may exceed the file's limit by this much
DRAIN_BYTES = 64 * 1024 * 1024  # after an early 413, read at most this much before closing
DRAIN_SECONDS = 10


def _s():
    return current_app.extensions["settings"]


@bp.get("/")
def index():
    s = _s()
    return render_template(
        "upload.html",
        user=g.user,
        logout_url=s.auth_public_url + "/api/logout",
        max_bytes=s.max_upload_bytes,
        nav_upload_url=s.upload_public_url + "/",
        nav_links=[("Upload", s.upload_public_url + "/", True), ("Library", s.streaming_public_url + "/", False)],
    )


def _drain_then_close(stream, budget: int):
    """Read and discard what the client still sends (bounded), so it can read our answer."""

    def drain():
        deadline = time.monotonic() + DRAIN_SECONDS
        left = budget
        try:
            while left > 0 and time.monotonic() < deadline:
                chunk = stream.read(min(left, 256 * 1024))
                if not chunk:
                    break
                left -= len(chunk)
        except Exception:  # noqa: BLE001 - the client went away: nothing more to drain
            return

    return drain


def _early_error(status: int, code: str, message: str):
    response = error_response(status, code, message)
    response.headers["Connection"] = "close"
    response.call_on_close(_drain_then_close(request.environ["wsgi.input"], DRAIN_BYTES))
    return response


@bp.post("/api/upload")
def upload():
    """Stream the `file` part to file-svc, then insert the row and its job in one
    transaction. Nothing is left behind by any failure."""
    s = _s()
    limit = s.max_upload_bytes
    if request.content_length is not None and request.content_length > limit + FORM_OVERHEAD:
        return _early_error(413, "file_too_large", f"The file is larger than the limit of {limit} bytes.")
    if request.mimetype != "multipart/form-data" or not request.mimetype_params.get("boundary"):
        return _early_error(400, "bad_request", "Send the video as multipart/form-data with a 'file' field.")
    form = MultipartStream(request.stream, request.mimetype_params["boundary"].encode("latin-1"), limit)
    files = current_app.extensions["files"]
    name: str | None = None
    filename = ""
    stored: dict | None = None
    try:
        for part in form.parts():
            if part.name == "name" and not hasattr(part, "filename"):
                name = form.field_value()
                if name.strip():
                    videos.clean_name(name)  # refuse a bad name before storing anything
            elif part.name == "file" and hasattr(part, "filename") and stored is None:
                filename = part.filename or ""
                try:
                    stored = files.upload(form.file_chunks())
                except FileSvcRejected:
                    raise
                except Exception:
                    if form.failure is not None:
                        raise form.failure from None
                    raise
            elif hasattr(part, "filename"):
                for _ in form.file_chunks(limit=False):
                    pass
            else:
                form.field_value()
    except videos.InvalidName as exc:
        if stored:
            files.delete_video(stored["id"])
        return _early_error(400, "invalid_name", str(exc))
    except FileTooLarge as exc:
        return _early_error(413, "file_too_large", str(exc))
    except BadForm as exc:
        if stored:
            files.delete_video(stored["id"])
        return _early_error(400, "bad_request", str(exc))
    except ClientGone as exc:
        log.info("upload abandoned by the client: %s", exc)
        if stored:
            files.delete_video(stored["id"])
        return error_response(400, "incomplete_upload", "The upload was interrupted before it was complete.")
    except FileSvcRejected as exc:
        if exc.status == 507:  # file-svc's temp folder is full: a clear, retryable refusal
            response = _early_error(507, "temp_storage_full", exc.message)
            response.headers["Retry-After"] = "60"
            return response
        status = exc.status if exc.status in (400, 413, 415) else 502
        return _early_error(status, exc.code, exc.message)
    except FileSvcUnavailable as exc:
        log.warning("file-svc unavailable during upload: %s", exc)
        return _early_error(503, "storage_unavailable", "The video storage is unavailable; try again shortly.")
    if stored is None:
        return error_response(400, "missing_file", "The form has no 'file' part: choose a video to upload.")
    try:
        video_name = videos.clean_name(name if name and name.strip() else os.path.splitext(filename)[0] or "Untitled video")
    except videos.InvalidName as exc:
        files.delete_video(stored["id"])
        return error_response(400, "invalid_name", str(exc))
    try:
        row = videos.insert_video(
            current_app.extensions["db"], s, video_id=stored["id"], name=video_name, owner=g.user,
            size_bytes=stored["size_bytes"], original_key=stored["original_key"],
        )
    except DatabaseUnavailable:
        log.warning("database down after storing %s; removing the stored file", stored["id"])
        try:
            files.delete_video(stored["id"])
        except FileSvcUnavailable as exc:
            log.error("could not remove %s after a failed insert (the sweep will): %s", stored["id"], exc)
        raise
    except Exception:
        files.delete_video(stored["id"])
        raise
    log.info("upload %s (%r, %d bytes) by %s", row["id"], video_name, stored["size_bytes"], g.user)
    return jsonify(id=row["id"], video_name=row["video_name"], status=row["status"]), 201


@bp.get("/api/uploads")
def uploads():
    """This user's 50 most recent uploads, newest first."""
    s = _s()
    rows, _ = videos.list_videos(current_app.extensions["db"], owner=g.user, limit=50)
    return jsonify(uploads=[videos.to_json(r, s.streaming_public_url) for r in rows])


@bp.get("/openapi.json")
def openapi():
    return jsonify(OPENAPI)
