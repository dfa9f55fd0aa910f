"""The pages: the library (`/`) and the player (`/videos/<id>`)."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request

from vs_common import access, captions
from vs_common.access import may_manage
from vs_common.app import app_settings
from vs_common.settings import origin_of

from .. import view_counts
from .common import as_json, watchable_video
from .hls_relay import first_segment

bp = Blueprint("pages", __name__)


def _page_context(current: str) -> dict:
    settings = app_settings()
    return {
        "user": g.user,
        "role": g.role,
        "logout_url": "/logout",
        "nav_upload_url": settings.upload_public_url + "/",
        "nav_links": [
            ("Upload", settings.upload_public_url + "/", current == "upload"),
            ("Library", settings.streaming_public_url + "/", current == "library"),
            ("Account", settings.auth_public_url.rstrip("/") + "/account", False),
        ],
    }


@bp.get("/")
@access.page("read")
def library():
    return render_template("library.html", **_page_context("library"))


@bp.get("/videos/<video_id>")
@access.page("read")
def player(video_id: str):
    row = watchable_video(video_id)
    if row is None:  # no such video, or another person's private one: the same page
        return render_template("notfound.html", **_page_context("")), 404
    settings = app_settings()
    # The player may be framed by the apps' own origins (embedding); nothing else.
    request.frame_ancestors = " ".join(
        sorted({origin_of(settings.upload_public_url), origin_of(settings.streaming_public_url)})
    )
    views = {"url": f"/api/videos/{row['id']}/views", "ticket": view_counts.ticket(row["id"])}
    owner = may_manage(row["owner"], g.user, g.role)  # the owner's (and admins'): the tools, the chart
    video = as_json(row)
    return render_template(
        "player.html",
        video=video,
        first_segment_url=first_segment(video, f"/videos/{row['id']}/hls/", 0) if row["status"] == "ready" else None,
        views=views,
        views_stats=view_counts.stats(row["id"], int(row["views"])) if owner else None,
        manage=owner,  # the owner's tools: name, captions, download, delete, visibility, links
        caption_languages=captions.FORM_LANGUAGES,
        **_page_context(""),
    )
