"""What the video and caption routes share: a video the caller may change, and a video's JSON."""

from __future__ import annotations

from flask import abort, g

from vs_common import access, catalogue, video_json
from vs_common.app import app_db, app_settings
from vs_common.errors import error_response
from vs_common.wire import valid_video_id


def video_or_none(video_id: str) -> dict | None:
    """The video (with what the catalogue attaches), or None for an unknown or malformed id."""
    return catalogue.get_video(app_db(), video_id) if valid_video_id(video_id) else None


def manageable_video(video_id: str) -> dict:
    """The video, if the caller may change it (its owner, or an admin: the route's
    `manage` declaration has checked the role and the token's scope already): else 404
    (no such video) or 403 (another's)."""
    row = video_or_none(video_id)
    if row is None:
        abort(error_response(404, "not_found", "No such video."))
    if not access.may_manage(row["owner"], g.user, g.role):
        abort(error_response(403, "forbidden", "Only the video's owner or an administrator can change it."))
    return row


def as_json(row: dict) -> dict:
    """The VIDEO object of a row, its URLs on this service."""
    return video_json.to_json(row, app_settings().streaming_public_url)
