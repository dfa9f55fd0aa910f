"""upload-webapp routes: GET / (page), POST /api/upload, GET /api/uploads."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import unquote_to_bytes

from flask import Blueprint, current_app, g, jsonify, render_template, request
from werkzeug.sansio.multipart import File

from vs_common import access, catalogue, names, quotas, video_json
from vs_common.app import app_db, app_settings
from vs_common.db import Cursor, utcnow
from vs_common.errors import error_response, storage_unavailable
from vs_common.file_client import FileSvcRejected, FileSvcUnavailable
from vs_common.observe import CountedBody, upload_view
from vs_common.wire import drain, new_video_id

from . import finish
from .multipart import BadForm, ClientGone, FileTooLarge, MultipartStream, OverQuota
from .openapi import OPENAPI

log = logging.getLogger(__name__)
bp = Blueprint("upload", __name__)

FORM_OVERHEAD = 1024 * 1024  # the request may exceed the file's limit by this much


@bp.get("/")
@access.page("upload")
def index():
    settings = app_settings()
    return render_template(
        "upload.html",
        user=g.user,
        logout_url="/logout",
        max_bytes=settings.max_upload_bytes,
        chunk_bytes=settings.upload_chunk_mb * 1024 * 1024,
        default_visibility=settings.default_visibility,
        nav_upload_url=settings.upload_public_url + "/",
        nav_links=[
            ("Upload", settings.upload_public_url + "/", True),
            ("Library", settings.streaming_public_url + "/", False),
            ("Account", settings.auth_public_url.rstrip("/") + "/account", False),
        ],
    )


def _early_error(status: int, code: str, message: str):
    return _early(error_response(status, code, message))


def _early(response):
    """An answer before the body was read: the rest of the body is drained (bounded)
    after it, so the client, still sending, can read it; then the connection closes."""
    response.headers["Connection"] = "close"
    stream = request.environ["wsgi.input"]
    response.call_on_close(lambda: drain(stream))
    return response


def _discard(video_id: str) -> None:
    """Remove whatever file-svc holds of a failed upload (objects, temp files).

    Best effort: when file-svc or its store is down, the sweep removes it later."""
    try:
        current_app.extensions["files"].delete_video(video_id)
    except Exception as exc:  # noqa: BLE001 - logged; the sweep is the safety net
        log.error("could not remove the failed upload %s (the sweep will): %s", video_id, exc)


class _Outcome:
    kept = False

    def keep(self) -> None:
        self.kept = True


@contextmanager
def _discarded_unless_kept(video_id: str) -> Iterator[_Outcome]:
    """What file-svc holds of `video_id` is discarded when the block ends, by an answer
    or an exception, unless the block called `keep()` (recorded, or nothing was sent)."""
    outcome = _Outcome()
    try:
        yield outcome
    except BaseException as exc:
        log.warning("upload %s failed (%s); removing what file-svc holds", video_id, type(exc).__name__)
        _discard(video_id)
        raise  # DatabaseUnavailable becomes a 503, anything else a 500
    if not outcome.kept:
        _discard(video_id)


def _client_gone(exc: ClientGone, video_id: str):
    log.info("upload %s abandoned by the client: %s", video_id, exc)
    return error_response(400, "incomplete_upload", "The upload was interrupted before it was complete.")


def _file_svc_rejected(exc: FileSvcRejected, video_id: str):
    if exc.status == 507:  # file-svc's temp folder is full: a clear, retryable refusal
        response = _early_error(507, "temp_storage_full", exc.message)
        response.headers["Retry-After"] = "60"
        return response
    return _early_error(exc.status if exc.status in (400, 413, 415) else 502, exc.code, exc.message)


def _file_svc_unavailable(exc: FileSvcUnavailable, video_id: str):
    log.warning("file-svc unavailable during upload %s: %s", video_id, exc)
    return _early(storage_unavailable())


# How each failure while the form is read is answered (the upload is discarded for all).
_FORM_ERRORS: dict[type[Exception], Callable] = {
    names.InvalidName: lambda exc, _id: _early_error(400, "invalid_name", str(exc)),
    access.BadVisibility: lambda exc, _id: _early_error(400, "bad_visibility", str(exc)),
    FileTooLarge: lambda exc, _id: _early_error(413, "file_too_large", str(exc)),
    BadForm: lambda exc, _id: _early_error(400, "bad_request", str(exc)),
    ClientGone: _client_gone,
    FileSvcRejected: _file_svc_rejected,
    FileSvcUnavailable: _file_svc_unavailable,
}


def _form_error(exc: Exception, video_id: str):
    return next(answer for kind, answer in _FORM_ERRORS.items() if isinstance(exc, kind))(exc, video_id)


class _Form:
    """What the form said beside the file: the `name` and `visibility` fields (None:
    not given, or empty), the file's name."""

    name: str | None = None
    visibility: str | None = None
    filename: str = ""


def _read_form(form: MultipartStream, video_id: str) -> tuple[dict | None, _Form]:
    """Read the parts: stream the first `file` part to file-svc, keep `name` and
    `visibility` (each checked as it arrives, before the file when it comes first).

    Returns (what file-svc stored or None, the other fields)."""
    files = current_app.extensions["files"]
    stored: dict | None = None
    started = False
    fields = _Form()
    for part in form.parts():
        if isinstance(part, File) and part.name == "file" and not started:
            fields.filename = _filename(part)
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
            fields.name = form.field_value()
            if fields.name.strip():
                names.clean_name(fields.name)  # refuse a bad name early, before storing if it comes first
        elif part.name == "visibility":
            value = form.field_value()
            fields.visibility = access.parse_visibility(value) if value else None
        else:
            form.field_bytes()  # a field we do not use: read past it
    return stored, fields


_FILENAME_STAR = re.compile(r"filename\*\s*=\s*([^']*)'[^']*'([^;\s]*)", re.IGNORECASE)


def _filename(part: File) -> str:
    """The part's file name. werkzeug decodes an RFC 5987 `filename*` leniently (bad
    bytes become U+FFFD): a UTF-8 one that is not UTF-8 is refused here instead."""
    star = _FILENAME_STAR.search(part.headers.get("Content-Disposition", ""))
    if star and star.group(1).strip().lower() in ("utf-8", "utf8"):
        names.decode_utf8(unquote_to_bytes(star.group(2)), "The file name")
    return part.filename or ""


class _Quota:
    """The caller's quotas and usage, read before the body (`used` None: no quota)."""

    def __init__(self):
        self.limits = quotas.of_caller()
        self.used = None if self.limits.unlimited else quotas.usage(app_db(), g.user, utcnow())

    def refusal(self, content_length: int | None) -> str | None:
        """Why the request cannot fit, told before its body is read: no room for one more
        video, or a Content-Length past the room by more than a form's overhead (the
        file itself is counted exactly as it arrives: `room`)."""
        if self.used is None:
            return None
        if content_length is None:
            return quotas.refusal(self.limits, self.used, 0)
        return quotas.refusal(self.limits, self.used, content_length, slack=FORM_OVERHEAD)

    @property
    def room(self) -> int | None:
        return None if self.used is None else quotas.room(self.limits, self.used)

    def cut(self, file_bytes: int) -> str:
        """The refusal of a file cut at `file_bytes`, past the room."""
        return quotas.refusal(self.limits, self.used, file_bytes, more=True) or "The file does not fit your quota."

    def last_check(self, size_bytes: int):
        """The check made again as the row is inserted, under the owner's creation lock:
        uploads that ran together each fitted alone, and only as many as fit together
        are kept (None: no quota)."""
        if self.used is None:
            return None

        def fits(cur: Cursor) -> None:
            quotas.check(self.limits, quotas.usage(cur, g.user, utcnow()), size_bytes)

        return fits


@bp.post("/api/upload")
@access.needs("upload")
@upload_view("multipart")
def upload():
    """Stream the `file` part to file-svc, then insert the row and its job in one
    transaction. Nothing is left behind by any failure. The quotas are checked before
    the body is read (Content-Length), as the file arrives, and as the row is inserted."""
    settings = app_settings()
    limit = settings.max_upload_bytes
    if request.content_length is not None and request.content_length > limit + FORM_OVERHEAD:
        return _early_error(413, "file_too_large", f"The file is larger than the limit of {limit} bytes.")
    if request.mimetype != "multipart/form-data" or not request.mimetype_params.get("boundary"):
        return _early_error(400, "bad_request", "Send the video as multipart/form-data with a 'file' field.")
    quota = _Quota()
    if (why := quota.refusal(request.content_length)) is not None:
        return _early_error(403, "quota_exceeded", why)
    boundary = request.mimetype_params["boundary"].encode("latin-1", "replace")
    form = MultipartStream(
        CountedBody(request.stream, "multipart"),
        boundary,
        limit,
        max_body_bytes=limit + FORM_OVERHEAD,
        expected_bytes=request.content_length,
        room=quota.room,
    )
    # Our id for the upload: file-svc stores under it, so that whatever happens we can
    # remove what it holds, even when its answer never reaches us.
    video_id = new_video_id()
    with _discarded_unless_kept(video_id) as outcome:
        try:
            stored, fields = _read_form(form, video_id)
        except OverQuota as exc:
            return _early_error(403, "quota_exceeded", quota.cut(exc.file_bytes))
        except tuple(_FORM_ERRORS) as exc:
            return _form_error(exc, video_id)
        if stored is None:
            outcome.keep()  # no file part: nothing reached file-svc
            return error_response(400, "missing_file", "The form has no 'file' part: choose a video to upload.")
        try:
            video_name = finish.video_name(fields.name, fields.filename)
        except names.InvalidName as exc:
            return error_response(400, "invalid_name", str(exc))
        try:
            row = catalogue.insert_video(
                app_db(),
                settings,
                video_id=video_id,
                name=video_name,
                owner=g.user,
                size_bytes=stored["size_bytes"],
                original_key=stored["original_key"],
                probe=stored.get("probe"),
                visibility=fields.visibility,
                within=quota.last_check(stored["size_bytes"]),
            )
        except quotas.QuotaExceeded as exc:
            return error_response(403, "quota_exceeded", str(exc))  # what file-svc stored is discarded
        outcome.keep()
    log.info("upload %s (%r, %d bytes) by %s", row["id"], video_name, stored["size_bytes"], g.user)
    return jsonify(id=row["id"], video_name=row["video_name"], status=row["status"]), 201


@bp.get("/api/uploads")
@access.needs("read")
def uploads():
    """This user's 50 most recent uploads, newest first."""
    settings = app_settings()
    rows, _ = catalogue.list_videos(app_db(), owner=g.user, limit=50)
    return jsonify(uploads=[video_json.to_json(r, settings.streaming_public_url) for r in rows])


@bp.get("/openapi.json")
@access.public
def openapi():
    return jsonify(OPENAPI)
