"""The share links' API (owner or admin): `POST /api/videos/<id>/shares` makes a link
(201 SHARE, the only answer that holds its URLs: the token is stored as a hash),
`GET /api/videos/<id>/shares` lists the video's links that were not revoked,
`DELETE /api/videos/<id>/shares/<share_id>` revokes one (204). What a link is:
streaming_webapp.sharing."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, g, jsonify, request

from vs_common import access, tables
from vs_common.app import app_db
from vs_common.db import utcnow
from vs_common.errors import error_response
from vs_common.video_json import iso

from .. import sharing
from .common import manageable_video

log = logging.getLogger(__name__)
bp = Blueprint("share_api", __name__)


def share_json(row: dict, token: str | None = None) -> dict:
    """SHARE: `url` and `embed_url` only when the token is known (at its creation)."""
    url = sharing.link_url(token) if token else None
    return {
        "id": row["id"],
        "url": url,
        "embed_url": f"{url}/embed" if url else None,
        "expires_at": iso(row["expires_at"]),
        "has_password": row["password_hash"] is not None,
        "allow_download": bool(row["allow_download"]),
        "views": int(row["views"]),
        "last_viewed_at": iso(row["last_viewed_at"]),
        "created_at": iso(row["created_at"]),
    }


@bp.post("/api/videos/<video_id>/shares")
@access.needs("manage")
def create_share(video_id: str):
    """A new link of the video: checked first, then the video (404 or 403), then stored."""
    now = utcnow()
    body = request.get_json(silent=True) if request.get_data(cache=True).strip() else {}  # no body: {}
    try:
        asked = sharing.parse_request(body, now)
    except sharing.BadShare as exc:
        return error_response(400, "bad_share", str(exc))
    manageable_video(video_id)
    row, token = sharing.create(video_id, asked, g.user, now)
    log.info("video %s: share link %s made by %s", video_id, row["id"], g.user)
    return jsonify(share_json(row, token)), 201


@bp.get("/api/videos/<video_id>/shares")
@access.needs("manage")  # a video's links are the owner's business, as changing it is
def list_shares(video_id: str):
    """The video's links that were not revoked, newest first (no URLs: only their hashes are kept)."""
    manageable_video(video_id)
    return jsonify(shares=[share_json(row) for row in tables.shares.of_video(app_db(), video_id)])


@bp.delete("/api/videos/<video_id>/shares/<share_id>")
@access.needs("manage")
def revoke_share(video_id: str, share_id: str):
    """Revoke a link: every viewer's next request through it is refused within 2 s."""
    manageable_video(video_id)
    known = sharing.ID_SHAPE.fullmatch(share_id) is not None  # (another shape is no link's, and never queried)
    if not known or not tables.shares.revoke(app_db(), video_id, share_id, utcnow()):
        return error_response(404, "not_found", "This video has no such share link (or it was revoked).")
    log.info("video %s: share link %s revoked by %s", video_id, share_id, g.user)
    return Response(status=204)
