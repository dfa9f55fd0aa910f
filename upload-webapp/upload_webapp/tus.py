"""tus 1.0.0 resumable uploads at /api/tus/: core, creation, termination, expiration.

The protocol's rules live here, one function per method (headers checked, offsets
compared, status chosen), as in tusd's handler; where the bytes go is `uploads.py`
(a folder of its own per upload in the temp volume, its state in the database), and what
a finished upload becomes is `finish.py` (the same video `POST /api/upload` makes).
Read against https://tus.io/protocols/resumable-upload.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable
from datetime import UTC
from email.utils import format_datetime

from flask import Blueprint, Response, g, request

from vs_common import access, quotas
from vs_common.app import app_db, app_settings
from vs_common.db import as_datetime
from vs_common.errors import error_response
from vs_common.names import InvalidName, check_characters, clean_name, decode_utf8
from vs_common.observe import CountedBody, upload_view

from . import uploads
from .finish import FinishFailed, finish_upload, video_name

log = logging.getLogger(__name__)
bp = Blueprint("tus", __name__)
VERSION = "1.0.0"
EXTENSIONS = "creation,termination,expiration"
OFFSET_TYPE = "application/offset+octet-stream"
# Upload-Length and Upload-Offset are refused past this many digits before being parsed:
# any size this server takes has fewer (BIGINT: 19), and Python will not parse 4,300 (a 500).
MAX_DIGITS = 20


def _headers(extra: dict | None = None) -> dict:
    return {"Tus-Resumable": VERSION, "Cache-Control": "no-store", **(extra or {})}


def _tus_error(status: int, code: str, message: str, extra: dict | None = None):
    return error_response(status, code, message, _headers(extra))


def _expires(upload: dict) -> str:
    return format_datetime(as_datetime(upload["expires_at"]).replace(tzinfo=UTC), usegmt=True)


@bp.before_request
def _protocol_version():
    """Every request but OPTIONS names the version it speaks (412 otherwise)."""
    if request.method != "OPTIONS" and request.headers.get("Tus-Resumable") != VERSION:
        return _tus_error(
            412,
            "tus_version",
            f"Send Tus-Resumable: {VERSION}; this server speaks tus {VERSION} only.",
            {"Tus-Version": VERSION},
        )
    return None


@bp.route("/api/tus/", methods=["OPTIONS"])
@access.needs("upload")
def options():
    return Response(
        status=204,
        headers=_headers(
            {"Tus-Version": VERSION, "Tus-Extension": EXTENSIONS, "Tus-Max-Size": str(app_settings().max_upload_bytes)}
        ),
    )


def _number(header: str) -> int | None:
    """The header's whole number; None when it is missing, not ASCII digits, or longer
    than MAX_DIGITS (checked before parsing)."""
    raw = request.headers.get(header, "")
    if not 0 < len(raw) <= MAX_DIGITS or not raw.isascii() or not raw.isdigit():
        return None
    return int(raw)


# What each metadata value is called when it is refused.
_METADATA_WHAT = {"filename": "The file name", "name": "The video name", "visibility": "The visibility"}


def parse_metadata(raw: str | None) -> dict[str, str]:
    """Upload-Metadata: comma-separated `key base64value` pairs; values must be UTF-8."""
    out: dict[str, str] = {}
    for item in (raw or "").split(","):
        item = item.strip()
        if not item:
            continue
        key, _, value = item.partition(" ")
        try:
            data = base64.b64decode(value.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"Upload-Metadata: the value of {key!r} is not base64.") from None
        out[key] = decode_utf8(data, _METADATA_WHAT.get(key, f"The metadata value of {key!r}"[:80]))
    return out


@bp.post("/api/tus/")
@access.needs("upload")
def create():
    """Creation: 201 with Location (on UPLOAD_PUBLIC_URL) once the upload exists."""
    settings = app_settings()
    length = _number("Upload-Length")
    if length is None:
        return _tus_error(
            400,
            "bad_upload_length",
            f"Send Upload-Length: the size of the file in bytes, a whole number of at most {MAX_DIGITS} digits.",
        )
    if length > settings.max_upload_bytes:
        return _tus_error(
            413,
            "file_too_large",
            f"The file is larger than the limit of {settings.max_upload_bytes} bytes.",
        )
    if length == 0:
        return _tus_error(415, "not_a_video", "The file is empty: it is not a playable video.")
    try:
        meta = parse_metadata(request.headers.get("Upload-Metadata"))
        name = clean_name(meta["name"]) if meta.get("name", "").strip() else None
        filename = meta.get("filename", "")[: uploads.FILENAME_MAX]
        check_characters(filename, "The file name")  # kept, and shown, even beside a name
        video_name(name, filename)  # what the last byte would refuse, refused before the first
        visibility = access.parse_visibility(meta["visibility"]) if meta.get("visibility") else None
    except InvalidName as exc:
        return _tus_error(400, "invalid_name", str(exc))
    except access.BadVisibility as exc:
        return _tus_error(400, "bad_visibility", f"Upload-Metadata: {exc}")
    except ValueError as exc:
        return _tus_error(400, "bad_metadata", str(exc))
    try:
        upload = uploads.create(
            app_db(),
            settings,
            owner=g.user,
            length=length,
            filename=filename,
            name=name,
            visibility=visibility,
            limits=quotas.of_caller(),
        )
    except quotas.QuotaExceeded as exc:
        return _tus_error(403, "quota_exceeded", str(exc))
    except uploads.TooMany as exc:
        return _tus_error(429, "too_many_uploads", str(exc), {"Retry-After": "60"})
    except uploads.TempFull as exc:
        return _tus_error(507, "temp_storage_full", str(exc), {"Retry-After": "60"})
    location = f"{settings.upload_public_url}/api/tus/{upload['id']}"
    log.info("tus upload %s created by %s (%d bytes)", upload["id"], g.user, length)
    return Response(status=201, headers=_headers({"Location": location, "Upload-Expires": _expires(upload)}))


def _metadata(upload: dict) -> str:
    """Upload-Metadata as it was given at creation (tus: HEAD must echo it), so that a
    client resuming from a cache can check the upload is the file it holds."""
    given = {"filename": upload["filename"], "name": upload["name"], "visibility": upload.get("visibility")}
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in given.items() if v)


def _mine(upload_id: str):
    """The caller's upload, or an error response: 404 for anyone else's and unknown ids,
    410 for an expired one (swept meanwhile: 404)."""
    upload = uploads.get(app_db(), upload_id, app_settings())
    if upload is None or upload["owner"] != g.user:
        return None, _tus_error(404, "not_found", "No such upload.")
    if upload["video_id"] is None and uploads.expired(upload):
        uploads.remove(app_db(), app_settings(), upload_id)
        return None, _tus_error(410, "expired", "This upload expired before it was finished; start it again.")
    return upload, None


def _lost():
    return _tus_error(410, "gone", "The bytes received of this upload were lost on the server; start it again.")


def _locked():
    return _tus_error(423, "locked", "Another request is writing this upload; try again shortly.", {"Retry-After": "2"})


def _unless_lost(upload_id: str):
    """An upload whose acknowledged bytes seemed to have no file, read again under its
    lock (finishing removes the folder too): 410, and removed, if they are lost."""
    try:
        upload = uploads.unless_lost(app_db(), app_settings(), upload_id)
    except uploads.Lost:
        return None, _lost()
    except uploads.Locked:
        return None, _locked()
    if upload is None:
        return None, _tus_error(404, "not_found", "No such upload.")
    return upload, None


@bp.route("/api/tus/<upload_id>", methods=["HEAD"])
@access.needs("upload")
def head(upload_id: str):
    """The offset to resume from; a finished upload's Video-Id (finishing it first if its
    last PATCH could not: the store was down)."""
    upload, refused = _mine(upload_id)
    if refused is None and upload["lost"]:
        upload, refused = _unless_lost(upload_id)
    if refused is not None:
        return Response(status=refused.status_code, headers=_headers())
    headers = {
        "Upload-Offset": str(upload["received"]),
        "Upload-Length": str(upload["size_bytes"]),
        "Upload-Expires": _expires(upload),
    }
    if metadata := _metadata(upload):
        headers["Upload-Metadata"] = metadata
    if upload["video_id"] is None and upload["received"] == upload["size_bytes"]:
        try:
            upload = finish_upload(upload)
        except FinishFailed as exc:
            return Response(status=exc.status, headers=_headers(exc.headers))
    if upload["video_id"] is not None:
        headers["Video-Id"] = upload["video_id"]
    return Response(status=200, headers=_headers(headers))


def _finished(exc: uploads.Finished, _upload_id: str):
    done = exc.upload
    return _tus_error(
        409,
        "finished",
        "This upload is finished.",
        {"Upload-Offset": str(done["received"]), "Video-Id": done["video_id"]},
    )


def _not_a_video(exc: uploads.NotAVideoSignature, upload_id: str):
    uploads.remove(app_db(), app_settings(), upload_id)
    return _tus_error(415, "not_a_video", str(exc))


def _interrupted(exc: uploads.Interrupted, upload_id: str):
    log.info("tus upload %s: %s", upload_id, exc)
    return _tus_error(400, "incomplete_upload", str(exc))


# How each refusal of a PATCH's bytes is answered (uploads.check and uploads.append raise them).
_APPEND_REFUSALS: dict[type[Exception], Callable] = {
    uploads.Finished: _finished,
    uploads.OffsetMismatch: lambda exc, _id: _tus_error(
        409, "offset_mismatch", str(exc), {"Upload-Offset": str(exc.received)}
    ),
    uploads.Gone: lambda exc, _id: _tus_error(404, "not_found", "No such upload."),
    uploads.Lost: lambda exc, _id: _lost(),
    uploads.Locked: lambda exc, _id: _locked(),
    uploads.PastLength: lambda exc, _id: _tus_error(413, "past_upload_length", str(exc)),
    uploads.NotAVideoSignature: _not_a_video,
    uploads.TempFull: lambda exc, _id: _tus_error(507, "temp_storage_full", str(exc), {"Retry-After": "60"}),
    uploads.Interrupted: _interrupted,
}


def _append_refused(exc: Exception, upload_id: str):
    return next(answer for kind, answer in _APPEND_REFUSALS.items() if isinstance(exc, kind))(exc, upload_id)


@bp.route("/api/tus/<upload_id>", methods=["PATCH"])
@access.needs("upload")
@upload_view("tus")
def patch(upload_id: str):
    """Append the body at Upload-Offset; the last byte makes the video (204 Video-Id).
    The offset is compared under the upload's lock (`uploads.append`): of PATCHes racing
    at one offset, one is acknowledged and the others are 409 (or 423 while it writes)."""
    if request.mimetype != OFFSET_TYPE:
        return _tus_error(415, "bad_content_type", f"Send the bytes as Content-Type: {OFFSET_TYPE}.")
    offset = _number("Upload-Offset")
    if offset is None:
        return _tus_error(
            400,
            "bad_upload_offset",
            f"Send Upload-Offset: where these bytes go, a whole number of at most {MAX_DIGITS} digits.",
        )
    upload, refused = _mine(upload_id)
    if refused is not None:
        return refused
    sock = request.environ.get("gunicorn.socket")
    if sock is not None:
        sock.settimeout(app_settings().upload_read_timeout_seconds)  # a half-open client gives up its lock
    try:
        if not upload["lost"]:  # (that is settled under the lock)
            uploads.check(upload, offset, request.content_length)  # refused early, without the lock
        upload = uploads.append(
            app_db(), app_settings(), upload_id, offset, CountedBody(request.stream, "tus"), request.content_length
        )
    except tuple(_APPEND_REFUSALS) as exc:
        return _append_refused(exc, upload_id)
    finally:
        if sock is not None:
            sock.settimeout(None)
    headers = {"Upload-Offset": str(upload["received"]), "Upload-Expires": _expires(upload)}
    if upload["received"] == upload["size_bytes"]:
        try:
            upload = finish_upload(upload)
        except FinishFailed as exc:
            return _tus_error(exc.status, exc.code, exc.message, exc.headers)
        headers["Video-Id"] = upload["video_id"]
    return Response(status=204, headers=_headers(headers))


@bp.route("/api/tus/<upload_id>", methods=["DELETE"])
@access.needs("upload")
def terminate(upload_id: str):
    """Termination: the bytes and the row go (a finished upload's video stays). A PATCH
    still writing it finds its lock gone at its next checkpoint and stops."""
    upload, refused = _mine(upload_id)
    if refused is not None:
        return refused
    uploads.remove(app_db(), app_settings(), upload_id)
    log.info("tus upload %s terminated by %s", upload_id, g.user)
    return Response(status=204, headers=_headers())
