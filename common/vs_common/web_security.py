"""Browser-facing protections shared by auth-svc and the two web apps.

- The Origin/Referer rule: a POST, PUT, PATCH or DELETE whose Origin (or, without it,
  Referer) is not one of the three public origins is refused with 403, `Origin: null`
  and unparsable values included (but for the views marked `accepts_null_origin`: a
  share link's password form, posted from its no-referrer page with `Origin: null`). Requests with neither header (scripts) and
  Bearer-token requests without the session cookie pass. The contract asks this of
  cookie-carrying requests; we also apply it to cookie-less ones, so that a foreign page
  cannot log a browser in to an account of its choosing (login CSRF: the login form has
  no hidden token, the Origin rule protects it).
- Security headers on every HTML page (CSP without inline script, nosniff,
  frame-ancestors, Referrer-Policy).
- `Cache-Control: private, no-store` on JSON answers (a user's videos, sessions, errors),
  so that no shared cache keeps one user's answer for another; only /openapi.json, the
  same for everyone, may be cached.
"""

from __future__ import annotations

import logging

from flask import Flask, request

from .errors import error_response
from .settings import Settings, origin_of
from .wire import COOKIE_NAME

log = logging.getLogger(__name__)

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def request_origin() -> str | None:
    """The origin a browser says the request comes from: Origin, else Referer's origin.

    None when neither header is present; "null" for `Origin: null`, opaque or
    unparsable values (which never match a public origin).
    """
    raw = request.headers.get("Origin")
    if raw is None:
        raw = request.headers.get("Referer")
        if raw is None:
            return None
    raw = raw.strip()
    if "://" not in raw:
        return "null"
    try:
        origin = origin_of(raw)
    except ValueError:  # e.g. a port that is not a number: "http://host:3000.evil"
        return "null"
    return origin if origin.split("://", 1)[1] else "null"


def client_address(trusted_proxies: int) -> str:
    """The client's address, believing X-Forwarded-For only for `trusted_proxies` hops
    (TRUSTED_PROXIES): what the throttles count per client (auth-svc's logins and
    invitation links, streaming-svc's share links)."""
    remote = request.remote_addr or "unknown"
    if trusted_proxies <= 0:
        return remote
    hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
    if len(hops) >= trusted_proxies:
        return hops[-trusted_proxies][:64]
    return remote


def accepts_null_origin(view):
    """Mark a view whose own form is posted from a page sent with `Referrer-Policy:
    no-referrer` (a share link's password form): browsers post it with `Origin: null`,
    which the Origin rule then accepts for this view alone. Only for a view that reads no
    session (its form is the credential, throttled): a forged post can do nothing a
    stranger holding the link cannot do from their own browser."""
    view.accepts_null_origin = True
    return view


def cross_site_refusal(settings: Settings, null_origin_ok: bool = False):
    """Return a 403 response when the current request breaks the Origin rule, else None.
    `null_origin_ok`: the view accepts `Origin: null` exactly (accepts_null_origin)."""
    if request.method not in UNSAFE_METHODS:
        return None
    has_cookie = COOKIE_NAME in request.cookies
    if not has_cookie and request.headers.get("Authorization", "")[:7].lower() == "bearer ":
        return None  # a script with a token: nothing ambient for another site to borrow
    origin = request_origin()
    if origin is None or origin in settings.public_origins:
        return None  # no header at all: a script (browsers send Origin on every such request)
    if null_origin_ok and request.headers.get("Origin", "").strip() == "null":
        return None
    log.warning("refused cross-site %s %s from origin %r", request.method, request.path, origin[:200])
    return error_response(
        403, "cross_site_request", "Cross-site request refused: the Origin is not one of this application's sites."
    )


def content_security_policy(form_targets: str, frame_ancestors: str = "'none'", media_origins: str = "") -> str:
    """The CSP of every HTML page: no inline script; blob: for media and workers (hls.js).
    `media_origins`: where a player page reads segments and captions besides itself
    (DELIVERY=presigned: the store's or the CDN's origin, for hls.js's requests and the
    media), and nothing else."""
    extra = f" {media_origins}" if media_origins else ""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"media-src 'self' blob:{extra}; worker-src 'self' blob:; connect-src 'self'{extra}; "
        f"font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self' {form_targets}; "
        f"frame-ancestors {frame_ancestors}"
    )


def install_web_security(app: Flask, settings: Settings) -> None:
    """Register the Origin rule and the security headers on a browser-facing app.

    A view may set `request.frame_ancestors` (a CSP source list) to allow framing, and
    `request.media_origins` (an origin) for a player reading the store (vs_common.delivery).
    """
    form_targets = " ".join(sorted(settings.public_origins))

    @app.before_request
    def _origin_rule():
        view = app.view_functions.get(request.endpoint) if request.endpoint else None
        return cross_site_refusal(settings, getattr(view, "accepts_null_origin", False))

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            ancestors = getattr(request, "frame_ancestors", None) or "'none'"
            media = getattr(request, "media_origins", "")
            response.headers.setdefault(
                "Content-Security-Policy", content_security_policy(form_targets, ancestors, media)
            )
            if ancestors == "'none'":
                response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault("Cache-Control", "no-store")
        elif response.mimetype == "application/json" and request.path != "/openapi.json":
            response.headers.setdefault("Cache-Control", "private, no-store")
        return response
