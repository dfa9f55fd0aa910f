"""Views of a video (streaming_webapp.view_counts): `POST /api/videos/<id>/views` counts a
signed-in viewer's session once (its page's view ticket), `GET /api/videos/<id>/stats`
gives its owner (or an admin) the total and the last 30 days. A link viewer's views:
`POST /s/<token>/views` (share_pages)."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify, request

from vs_common import access
from vs_common.errors import error_response

from .. import view_counts
from .common import manageable_video, watchable_video

log = logging.getLogger(__name__)
bp = Blueprint("view_api", __name__)


def count_view(video_id: str, share_id: str = "") -> Response:
    """Count the ticket in the JSON body: 204 whether counted now or before, 400 for a bad one."""
    body = request.get_json(silent=True)
    try:
        view_counts.record(body.get("ticket") if isinstance(body, dict) else None, video_id, share_id)
    except view_counts.BadTicket as exc:
        return error_response(400, "bad_ticket", str(exc))
    return Response(status=204)


@bp.post("/api/videos/<video_id>/views")
@access.needs("read")
def post_view(video_id: str):
    """A signed-in viewer's playback started: 404 unless the caller may watch the video."""
    if watchable_video(video_id) is None:
        return error_response(404, "not_found", "No such video.")
    return count_view(video_id)


@bp.get("/api/videos/<video_id>/stats")
@access.needs("manage")  # the owner's business, as its links are (a read-only token may not see them)
def get_stats(video_id: str):
    """The total and the last 30 days, for the owner or an admin (another's private video 404, internal 403)."""
    row = manageable_video(video_id)
    return jsonify(view_counts.stats(video_id, int(row["views"])))
