"""Deletes: every object of a video, and its temp files."""

from __future__ import annotations

import logging

from flask import Blueprint, Response

from vs_common import layout
from vs_common.app import app_settings

from .. import ingest
from .common import bad_id, storage

log = logging.getLogger("file_svc.routes")
bp = Blueprint("deletes", __name__)


@bp.delete("/videos/<video_id>")
def delete(video_id: str):
    """Every object of the video, and its temp files: 204 (also when nothing was there)."""
    if bad := bad_id(video_id):
        return bad
    settings = app_settings()
    # Objects first: if the store is down this fails (503) with the temp file still
    # there, and the sweep, which keys on that file, removes the objects later.
    removed = storage().delete_prefix(layout.prefix(video_id))
    for path in ingest.temp_files_of(settings.temp_dir, video_id):
        path.unlink(missing_ok=True)  # an upload still being received fails and ends there
    log.info("deleted video %s (%d objects)", video_id, removed)
    return Response(status=204)
