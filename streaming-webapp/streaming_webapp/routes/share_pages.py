"""A share link's routes, for anyone holding it (no login, no auth-svc call: each is
declared `access.public` and checks the link itself):

- `/s/<token>`: the page, the player alone (title, poster, captions, quality, speed);
  a password link first asks for its password (a form posting `password` to the same
  URL). `/s/<token>/embed`: the same player for a frame on another site (the sites
  EMBED_ALLOWED_ORIGINS names; every other page refuses to be framed).
- `/s/<token>/hls/<path>`: the video's playlists, segments and captions, relayed from
  file-svc as hls_relay relays them. The master is `master.m3u8`, and the relative URLs
  inside the playlists keep the link's path; a password link's path carries its grant
  (`hls/~<grant>/master.m3u8`). The path must be one packaging makes
  (vs_common.layout.valid_hls_path: no `..`, no other video); the video is the link's.
- `/s/<token>/views`: the player's playback started (view_counts; its page's ticket).
- `/s/<token>/poster.jpg`, and `/s/<token>/original` when the link allows downloads
  (a password link's with `?grant=`).

Unknown or revoked: 404 (an unknown one counted against the address), expired: 410, too
many guesses from the address: 429 for every link (share_guard). Every answer is `Cache-Control:
private` (no shared cache keeps a revoked video) and `Referrer-Policy: no-referrer` (the
token never leaves in a Referer).
"""

from __future__ import annotations

import calendar
import logging

from flask import Blueprint, make_response, redirect, render_template, request

from vs_common import access, catalogue, layout
from vs_common.app import app_db, app_settings
from vs_common.db import utcnow
from vs_common.errors import error_response
from vs_common.web_security import accepts_null_origin

from .. import share_guard, sharing, view_counts
from ..sharing import Link
from .common import as_json
from .hls_relay import first_segment, original, presigning, relay
from .view_api import count_view

log = logging.getLogger(__name__)
bp = Blueprint("share_pages", __name__)

GRANT_COOKIE = "share_grant"
_REFUSALS = {
    404: ("not_found", "Link not valid", "This link is not valid: it may have been revoked, or copied incompletely."),
    410: ("link_expired", "Link expired", "This link has expired. Ask the person who sent it for a new one."),
}


@bp.after_request
def _private(response):
    """No shared cache keeps a link's answers, and no Referer carries the token away."""
    response.headers["Referrer-Policy"] = "no-referrer"
    cache = response.headers.get("Cache-Control", "")
    if not cache.startswith("private"):
        response.headers["Cache-Control"] = (
            "private, no-store" if not cache or "no-store" in cache else "private, no-cache"
        )
    response.headers.setdefault("X-Robots-Tag", "noindex, nofollow")
    return response


# -- refusals ------------------------------------------------------------------------------


def _refusal(status: int, html: bool, wait: int = 0):
    """404 (unknown, revoked), 410 (expired) or 429 (`wait` seconds): a page or JSON."""
    headers = {"Retry-After": str(wait)} if status == 429 else {}
    if status == 429:
        code, title = "too_many_attempts", "Too many attempts"
        message = f"Too many attempts from your address; try again in {wait} seconds."
    else:
        code, title, message = _REFUSALS[status]
    if not html:
        return error_response(status, code, message, headers)
    page = render_template("share_message.html", title=title, message=message, embed=False)
    return page, status, headers


def _open(token: str, html: bool, fresh: bool = False) -> tuple[Link | None, object]:
    """The link of `token`, or the refusal to answer: 429 once the address guessed too
    many tokens (before the link is looked at: a valid one gets it too), 404 for an
    unknown one (counted as a guess) or a revoked one (not counted: its viewer's player
    asking again is no guess, and must not lock its address out of other links), 410
    for an expired one. `fresh`: the link read from the database now, not the 2 s cache
    (a presigned playlist: a revoked link stops new ones at once)."""
    wait = share_guard.guessing_wait()
    if wait:
        log.warning("share links throttled for %s", share_guard.client())
        return None, _refusal(429, html, wait)
    link = sharing.find(token, fresh)
    if link is None:
        share_guard.record_failure()
        return None, _refusal(404, html)
    if link.revoked:
        return None, _refusal(404, html)
    if link.expired(utcnow()):
        return None, _refusal(410, html)
    return link, None


# -- the pages --------------------------------------------------------------------------------


def link_until(link: Link) -> int:
    """The Unix time a link's presigned URLs may live to: its expiry (0: none)."""
    return calendar.timegm(link.expires_at.timetuple()) if link.expires_at is not None else 0


def preview(link: Link, token: str, video: dict) -> dict:
    """The link preview's tags: the title, the poster's absolute URL and the size for a
    link without a password; a password link's preview shows nothing of the video (its
    name may say what the password keeps)."""
    base = f"{app_settings().streaming_public_url.rstrip('/')}/s/{token}"
    if link.password_hash is not None:
        return {"url": base, "title": "A shared video (password required)", "image": None, "width": None}
    ready = video["status"] == "ready"
    return {
        "url": base,
        "embed_url": f"{base}/embed",
        "title": video["video_name"],
        "image": f"{base}/poster.jpg" if ready else None,
        "width": video["width"] if ready else None,
        "height": video["height"],
    }


def _player(link: Link, token: str, grant: str | None, embed: bool):
    """The player page of the link's video (`grant`: a password link's, carried in its URLs)."""
    row = catalogue.get_video(app_db(), link.video_id)
    if row is None:  # deleted since the link was read
        return _refusal(404, True)
    video = as_json(row)  # its own URLs are not shown: the link's are
    shown = None if embed else preview(link, token, video)
    if video["status"] != "ready":
        failed = video["status"] == "failed"
        message = (
            "This video cannot be played." if failed else "This video is still being prepared; this page will refresh."
        )
        page = render_template(
            "share_message.html",
            title=video["video_name"],
            message=message,
            refresh=None if failed else 5,
            preview=shown,
            embed=embed,
        )
        return make_response(page, 200)
    base = f"/s/{token}"
    query = f"?grant={grant}" if grant else ""
    views = {"url": f"{base}/views{query}", "ticket": view_counts.ticket(link.video_id, link.id)}
    hls_base = f"{base}/hls/{share_guard.GRANT_PREFIX}{grant}/" if grant else f"{base}/hls/"
    page = render_template(
        "share.html",
        video=video,
        hls_base=hls_base,
        poster_url=f"{base}/poster.jpg{query}",
        download_url=f"{base}/original{query}" if link.allow_download else None,
        first_segment_url=first_segment(video, hls_base, link_until(link)),
        views=views,
        preview=shown,
        embed=embed,
    )
    return make_response(page, 200)


def _password_form(link: Link, token: str, embed: bool, error: str | None = None, status: int = 200):
    shown = None if embed else preview(link, token, {})  # a password link's: nothing of the video
    page = render_template("share_password.html", error=error, preview=shown, embed=embed)
    return make_response(page, status)


def _page(token: str, embed: bool):
    link, refused = _open(token, html=True)
    if refused is not None:
        return refused
    if link.password_hash is None:
        return _player(link, token, None, embed)
    wait = share_guard.password_wait(link)
    if wait:
        return _refusal(429, True, wait)
    remembered = request.cookies.get(GRANT_COOKIE)
    if share_guard.granted(link, remembered):
        return _player(link, token, remembered, embed)
    return _password_form(link, token, embed)


def _unlock(token: str, embed: bool):
    """The password form's post: the player (with a new grant) or the form again. A post
    without the field is refused before the link is looked at (no guess counted)."""
    password = request.form.get("password")
    if password is None:
        return error_response(400, "bad_request", "Send the password as the form field 'password'.")
    link, refused = _open(token, html=True)
    if refused is not None:
        return refused
    if link.password_hash is None:
        return redirect(request.path, code=303)
    wait = share_guard.password_wait(link)
    if wait:
        return _refusal(429, True, wait)
    if not share_guard.password_ok(link, password):
        share_guard.record_failure(link.id)
        return _password_form(link, token, embed, "That password is not the right one.", 403)
    grant = share_guard.grant(link)
    response = _player(link, token, grant, embed)
    settings = app_settings()
    response.set_cookie(
        GRANT_COOKIE,
        grant,
        max_age=share_guard.GRANT_SECONDS,
        path=f"/s/{token}",
        secure=settings.cookie_secure,
        httponly=True,
        samesite="Lax",
    )
    return response


@bp.get("/s/<token>")
@access.public  # the link is the credential (throttled per address)
def share_page(token: str):
    return _page(token, embed=False)


@bp.post("/s/<token>")
@access.public
@accepts_null_origin  # its own no-referrer page posts with Origin: null
def share_unlock(token: str):
    return _unlock(token, embed=False)


def _frameable() -> None:
    """The embed's answers, whatever they say (the player, its form, expired...), may
    be framed by the sites EMBED_ALLOWED_ORIGINS names (vs_common.web_security reads it)."""
    request.frame_ancestors = " ".join(app_settings().embed_allowed_origins)


@bp.get("/s/<token>/embed")
@access.public
def share_embed(token: str):
    _frameable()
    return _page(token, embed=True)


@bp.post("/s/<token>/embed")
@access.public
@accepts_null_origin
def share_embed_unlock(token: str):
    _frameable()
    return _unlock(token, embed=True)


# -- the files ----------------------------------------------------------------------------


def _password_required():
    return error_response(403, "password_required", "This link asks for a password: open its page and give it first.")


def _open_file(token: str) -> tuple[Link | None, object]:
    """The link of a file route (poster, original, the view report): as _open, and a
    password link's grant from `?grant=` (the HLS files carry theirs in the path)."""
    link, refused = _open(token, html=False)
    if refused is None and link.password_hash is not None and not share_guard.granted(link, request.args.get("grant")):
        return None, _password_required()
    return link, refused


@bp.route("/s/<token>/hls/<path:path>", methods=["GET", "HEAD"])
@access.public
def share_hls(token: str, path: str):
    """A playlist, segment or caption file of the link's video, and of no other. A
    presigned playlist's URLs live no longer than the link."""
    presigned = presigning(path)
    link, refused = _open(token, html=False, fresh=presigned)
    if refused is not None:
        return refused
    if link.password_hash is not None:
        first, _, path = path.partition("/")
        if not first.startswith(share_guard.GRANT_PREFIX) or not share_guard.granted(link, first[1:]):
            return _password_required()
    if not layout.valid_hls_path(path):
        return error_response(404, "not_found", "No such file.")
    return relay(link.video_id, f"hls/{path}", link_until(link) if presigned else None)


@bp.post("/s/<token>/views")
@access.public
@accepts_null_origin  # a fetch from its no-referrer page carries Origin: null
def share_view(token: str):
    """A link viewer's playback started: counted on the link and the video, once per ticket.
    A body without a ticket is refused before the link is looked up (no guess counted)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("ticket"), str):
        return error_response(400, "bad_ticket", 'Send JSON {"ticket": "..."}: the view ticket of the page.')
    link, refused = _open_file(token)
    if refused is not None:
        return refused
    return count_view(link.video_id, link.id)


@bp.route("/s/<token>/poster.jpg", methods=["GET", "HEAD"])
@access.public
def share_poster(token: str):
    link, refused = _open_file(token)
    if refused is not None:
        return refused
    return relay(link.video_id, "poster.jpg")


@bp.route("/s/<token>/original", methods=["GET", "HEAD"])
@access.public
def share_original(token: str):
    """The original upload, as an attachment, when the link allows downloads."""
    link, refused = _open_file(token)
    if refused is not None:
        return refused
    if not link.allow_download:
        return error_response(403, "download_not_allowed", "This link does not allow downloading the video.")
    row = catalogue.get_video(app_db(), link.video_id)
    return original(link.video_id, row["video_name"] if row else "video")
