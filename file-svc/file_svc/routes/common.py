"""What file-svc's route modules share: the app's store and budget, the id check of
object routes, and the refusal of a body that is still arriving."""

from __future__ import annotations

from flask import current_app, request

from vs_common.errors import error_response
from vs_common.wire import drain, valid_video_id

from ..media.budget import Budget
from ..storage import Storage


def storage() -> Storage:
    return current_app.extensions["storage"]


def budget() -> Budget:
    return current_app.extensions["budget"]


def bad_id(video_id: str):
    """A 404 for an id that cannot be a video's (checked before any key is built), else None."""
    if not valid_video_id(video_id):
        return error_response(404, "not_found", "No such video.")
    return None


def refuse_mid_body(status: int, code: str, message: str, headers: dict | None = None):
    """An error found while the body still arrives: read (and drop) the rest first, bounded,
    so the sender, still writing, gets to read the answer instead of a reset connection."""
    drain(request.stream)
    response = error_response(status, code, message, headers)
    response.headers["Connection"] = "close"
    return response
