"""A finished resumable upload becomes a video exactly as `POST /api/upload` makes one:
file-svc takes the file from the temp volume (no second trip over HTTP for the bytes),
probes it and stores the original; then the row and its first packaging job are made.

Idempotent, so that a HEAD can finish what a PATCH could not (the store was down): the
upload's id is the video's id, and each step checks what an earlier try did.
"""

from __future__ import annotations

import logging
import os
import shutil

from flask import current_app

from vs_common import catalogue, layout, tables
from vs_common.errors import STORAGE_UNAVAILABLE
from vs_common.file_client import FileSvcRejected, FileSvcUnavailable
from vs_common.names import NAME_MAX, InvalidName, clean_name

from . import uploads

log = logging.getLogger(__name__)


class FinishFailed(RuntimeError):
    """The upload could not become a video: `status`, `code`, `message` for the answer."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def default_name(filename: str) -> str:
    """The file name without folders or extension, cut to the longest name allowed (the
    name of a video uploaded without one, by either path)."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    stem = os.path.splitext(base)[0].strip() or base.strip()
    return stem[:NAME_MAX].strip() or "Untitled video"


def video_name(name: str | None, filename: str) -> str:
    """The name a video gets, by either path: the name given, or else the file's name (the
    same rules, said of the file name). InvalidName saying which rule it breaks: checked
    when a resumable upload is created, so that no byte is sent for a name refused."""
    if name and name.strip():
        return clean_name(name)
    return clean_name(default_name(filename), "The file name")


def finish_upload(upload: dict) -> dict:
    """Make the video of a fully received upload; the upload with its `video_id`."""
    db = current_app.extensions["db"]
    settings = current_app.extensions["settings"]
    upload_id = upload["id"]
    try:
        token = uploads.lock(db, upload_id, wait=uploads.FINISH_WAIT_SECONDS)
    except uploads.Locked:
        raise FinishFailed(
            423, "locked", "This upload is being finished; ask again shortly.", {"Retry-After": "2"}
        ) from None
    try:
        if catalogue.get_video(db, upload_id) is None:
            try:
                name = video_name(upload["name"], upload["filename"])  # checked at creation too
            except InvalidName as exc:
                _discard(upload_id)
                raise FinishFailed(400, "invalid_name", str(exc)) from None
            stored = _import(upload_id)
            catalogue.insert_video(
                db,
                settings,
                video_id=upload_id,
                name=name,
                owner=upload["owner"],
                size_bytes=stored["size_bytes"],
                original_key=stored["original_key"],
                probe=stored.get("probe"),
                visibility=upload.get("visibility"),
            )
            log.info(
                "tus upload %s is video %r (%d bytes) of %s", upload_id, name, stored["size_bytes"], upload["owner"]
            )
        tables.uploads.set_video(db, upload_id)
        shutil.rmtree(layout.upload_folder(settings.temp_dir, upload_id), ignore_errors=True)
    finally:
        uploads.unlock(db, upload_id, token)
    return {**upload, "video_id": upload_id}


def _import(upload_id: str) -> dict:
    """file-svc probes the received file in place and stores it; a refusal removes it."""
    files = current_app.extensions["files"]
    try:
        return files.import_upload(upload_id)
    except FileSvcRejected as exc:
        if exc.status == 507:
            raise FinishFailed(507, exc.code, exc.message, {"Retry-After": "60"}) from None
        _discard(upload_id)
        status = exc.status if exc.status in (400, 413, 415) else 502
        raise FinishFailed(status, exc.code, exc.message) from None
    except FileSvcUnavailable as exc:
        log.warning("could not finish tus upload %s (kept for a retry): %s", upload_id, exc)
        raise FinishFailed(
            STORAGE_UNAVAILABLE.status,
            STORAGE_UNAVAILABLE.code,
            "The video storage is unavailable; the upload is kept: try again shortly.",
            {"Retry-After": "5"},
        ) from None


def _discard(upload_id: str) -> None:
    """Nothing of a refused upload is kept: its bytes, its row, whatever file-svc holds."""
    settings = current_app.extensions["settings"]
    shutil.rmtree(layout.upload_folder(settings.temp_dir, upload_id), ignore_errors=True)
    tables.uploads.delete(current_app.extensions["db"], upload_id)
    try:
        current_app.extensions["files"].delete_video(upload_id)
    except Exception as exc:  # noqa: BLE001 - the sweep is the safety net
        log.error("could not remove what file-svc holds of %s (the sweep will): %s", upload_id, exc)
