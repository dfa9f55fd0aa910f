"""What the video and caption routes share: a video the caller may watch or change, and a
video's JSON.

Another person's private video is absent, not forbidden: every route answers 404 for it,
as for a video that does not exist, so that its existence does not show (VIDEO's
`visibility`, vs_common.access.may_watch)."""

from __future__ import annotations

from flask import abort, current_app, g

from vs_common import access, catalogue, tables, video_json
from vs_common.app import app_db, app_settings
from vs_common.errors import error_response
from vs_common.wire import valid_video_id


def video_or_none(video_id: str, trashed: bool = False) -> dict | None:
    """The video (with what the catalogue attaches), or None for an unknown or malformed
    id, or one in the trash unless `trashed` (its restore and purge)."""
    return catalogue.get_video(app_db(), video_id, trashed=trashed) if valid_video_id(video_id) else None


def watchable_video(video_id: str, trashed: bool = False) -> dict | None:
    """The video if the caller may watch it, else None: unknown, malformed, in the trash
    (unless `trashed`), or another person's private video (which must look the same as
    one that does not exist)."""
    row = video_or_none(video_id, trashed)
    if row is None or not access.may_watch(row["visibility"], row["owner"], g.user, g.role):
        return None
    return row


def may_watch_files(video_id: str, fresh: bool = False) -> bool:
    """Whether the caller may read the video's files (HLS, poster, thumbnails): who may
    watch it is read through the app's short cache (at most 2 s old), not for every
    segment; `fresh`: from the database now (a presigned playlist, whose URLs outlive
    the cache). An unknown video is False."""
    if not valid_video_id(video_id):
        return False

    def load():
        return tables.videos.audience(app_db(), video_id)

    audience = load() if fresh else current_app.extensions["audiences"].get(video_id, load)
    return audience is not None and access.may_watch(audience["visibility"], audience["owner"], g.user, g.role)


def manageable_video(video_id: str, trashed: bool = False) -> dict:
    """The video, if the caller may change it (its owner, or an admin: the route's
    `manage` declaration has checked the role and the token's scope already): else 404
    (no such video, in the trash unless `trashed`, or another's private one) or 403
    (another's internal one)."""
    row = watchable_video(video_id, trashed)
    if row is None:
        abort(error_response(404, "not_found", "No such video."))
    if not access.may_manage(row["owner"], g.user, g.role):
        abort(error_response(403, "forbidden", "Only the video's owner or an administrator can change it."))
    return row


def as_json(row: dict) -> dict:
    """The VIDEO object of a row, its URLs on this service."""
    return video_json.to_json(row, app_settings().streaming_public_url)
