"""upload-webapp routes: GET / (page), POST /api/upload, GET /api/uploads."""

from __future__ import annotations

import logging
import re
import time
from urllib.parse import unquote_to_bytes

from flask import Blueprint, current_app, g, jsonify, render_template, request
from werkzeug.sansio.multipart import File

from vs_common import names, videos
from vs_common.errors import error_response
from vs_common.file_client import FileSvcRejected, FileSvcUnavailable
from vs_common.observe import CountedBody, upload_view

from .finish import default_name
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
        logout_url="/logout",
        max_bytes=s.max_upload_bytes,
        chunk_bytes=s.upload_chunk_mb * 1024 * 1024,
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


def _discard(video_id: str) -> None:
    """Remove whatever file-svc holds of a failed upload (objects, temp files).

    Best effort: when file-svc or its store is down, the sweep removes it later."""
    try:
        current_app.extensions["files"].delete_video(video_id)
    except Exception as exc:  # noqa: BLE001 - logged; the sweep is the safety net
        log.error("could not remove the failed upload %s (the sweep will): %s", video_id, exc)


def _read_form(form: MultipartStream, video_id: str) -> tuple[dict | None, str | None, str]:
    """Read the parts: stream the first `file` part to file-svc, keep `name`.

    Returns (what file-svc stored or None, the name field or None, the file name)."""
    files = current_app.extensions["files"]
    stored: dict | None = None
    started = False
    name: str | None = None
    filename = ""
    for part in form.parts():
        if isinstance(part, File) and part.name == "file" and not started:
            filename = _filename(part)
            started = True
            try:
                stored = files.upload(form.file_chunks(), video_id=video_id)
            except Exception:
                # When the client (not file-svc) stopped the upload, requests reports our
                # generator's exception, or its own: either way, say what really happened.
                if form.failure is not None:
                    raise form.failure from None
                raise
        elif isinstance(part, File):
            form.skip_file()
        elif part.name == "name":
            name = form.field_value()
            if name.strip():
                names.clean_name(name)  # refuse a bad name early, before storing if it comes first
        else:
            form.field_bytes()  # a field we do not use: read past it
    return stored, name, filename


_FILENAME_STAR = re.compile(r"filename\*\s*=\s*([^']*)'[^']*'([^;\s]*)", re.IGNORECASE)


def _filename(part: File) -> str:
    """The part's file name. werkzeug decodes an RFC 5987 `filename*` leniently (bad
    bytes become U+FFFD): a UTF-8 one that is not UTF-8 is refused here instead."""
    star = _FILENAME_STAR.search(part.headers.get("Content-Disposition", ""))
    if star and star.group(1).strip().lower() in ("utf-8", "utf8"):
        names.decode_utf8(unquote_to_bytes(star.group(2)), "The file name")
    return part.filename or ""


@bp.post("/api/upload")
@upload_view("multipart")
def upload():
    """Stream the `file` part to file-svc, then insert the row and its job in one
    transaction. Nothing is left behind by any failure."""
    s = _s()
    limit = s.max_upload_bytes
    if request.content_length is not None and request.content_length > limit + FORM_OVERHEAD:
        return _early_error(413, "file_too_large", f"The file is larger than the limit of {limit} bytes.")
    if request.mimetype != "multipart/form-data" or not request.mimetype_params.get("boundary"):
        return _early_error(400, "bad_request", "Send the video as multipart/form-data with a 'file' field.")
    boundary = request.mimetype_params["boundary"].encode("latin-1", "replace")
    form = MultipartStream(
        CountedBody(request.stream, "multipart"),
        boundary,
        limit,
        max_body_bytes=limit + FORM_OVERHEAD,
        expected_bytes=request.content_length,
    )
    # Our id for the upload: file-svc stores under it, so that whatever happens we can
    # remove what it holds, even when its answer never reaches us.
    video_id = videos.new_video_id()
    try:
        stored, name, filename = _read_form(form, video_id)
    except names.InvalidName as exc:
        _discard(video_id)
        return _early_error(400, "invalid_name", str(exc))
    except FileTooLarge as exc:
        _discard(video_id)
        return _early_error(413, "file_too_large", str(exc))
    except BadForm as exc:
        _discard(video_id)
        return _early_error(400, "bad_request", str(exc))
    except ClientGone as exc:
        log.info("upload %s abandoned by the client: %s", video_id, exc)
        _discard(video_id)
        return error_response(400, "incomplete_upload", "The upload was interrupted before it was complete.")
    except FileSvcRejected as exc:
        _discard(video_id)
        if exc.status == 507:  # file-svc's temp folder is full: a clear, retryable refusal
            response = _early_error(507, "temp_storage_full", exc.message)
            response.headers["Retry-After"] = "60"
            return response
        status = exc.status if exc.status in (400, 413, 415) else 502
        return _early_error(status, exc.code, exc.message)
    except FileSvcUnavailable as exc:
        log.warning("file-svc unavailable during upload %s: %s", video_id, exc)
        _discard(video_id)
        return _early_error(503, "storage_unavailable", "The video storage is unavailable; try again shortly.")
    except BaseException:
        _discard(video_id)
        raise
    if stored is None:
        return error_response(400, "missing_file", "The form has no 'file' part: choose a video to upload.")
    try:
        if name and name.strip():
            video_name = names.clean_name(name)
        else:  # the file's name becomes the video's: the same rules, said of the file name
            video_name = names.clean_name(default_name(filename), "The file name")
        row = videos.insert_video(
            current_app.extensions["db"],
            s,
            video_id=video_id,
            name=video_name,
            owner=g.user,
            size_bytes=stored["size_bytes"],
            original_key=stored["original_key"],
            probe=stored.get("probe"),
        )
    except names.InvalidName as exc:
        _discard(video_id)
        return error_response(400, "invalid_name", str(exc))
    except BaseException:
        log.warning("could not record upload %s; removing the stored file", video_id)
        _discard(video_id)
        raise  # DatabaseUnavailable becomes a 503
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
