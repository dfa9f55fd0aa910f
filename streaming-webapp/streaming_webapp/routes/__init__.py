"""streaming-svc's routes, a blueprint per concern:
- `pages`: the library (`/`) and the player (`/videos/<id>`);
- `video_api`: `/api/videos` (list, search) and `/api/videos/<id>` (get, rename,
  delete, retry);
- `caption_api`: `/api/videos/<id>/captions` (add, replace, remove a track);
- `hls_relay`: a video's HLS files, poster and thumbnails, streamed from file-svc;
- `share_api`: `/api/videos/<id>/shares` (make, list, revoke a video's share links);
- `view_api`: `/api/videos/<id>/views` (a signed-in viewer's view) and `/stats` (the owner's);
- `share_pages`: a share link's page, embed, HLS, poster and original (`/s/<token>...`),
  for anyone holding the link;
and `/openapi.json`, which describes them all. `common` holds what two of them share.
"""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify

from vs_common import access

from ..openapi import OPENAPI
from . import caption_api, hls_relay, pages, share_api, share_pages, video_api, view_api

docs = Blueprint("docs", __name__)


@docs.get("/openapi.json")
@access.public
def openapi():
    return jsonify(OPENAPI)


def register(app: Flask) -> None:
    for bp in (pages.bp, video_api.bp, caption_api.bp, hls_relay.bp, share_api.bp, share_pages.bp, view_api.bp, docs):
        app.register_blueprint(bp)
