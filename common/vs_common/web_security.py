"""Browser-facing protections shared by auth-svc and the two web apps.

- The Origin/Referer rule: a cookie-carrying POST, PATCH or DELETE whose Origin (or,
  without it, Referer) is not one of the three public origins is refused with 403.
  Requests with neither header (scripts) and Bearer-token requests pass.
- Security headers on every HTML page (CSP without inline script, nosniff,
  frame-ancestors, Referrer-Policy).
"""

from __future__ import annotations

from flask import Flask, request

from .errors import error_response
from .settings import Settings, origin_of

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
COOKIE_NAME = "auth_token"


def cross_site_refusal(settings: Settings):
    """Return a 403 response when the current request breaks the Origin rule, else None."""
    if request.method not in UNSAFE_METHODS:
        return None
    if request.headers.get("Authorization", "").startswith("Bearer ") and COOKIE_NAME not in request.cookies:
        return None
    if COOKIE_NAME not in request.cookies:
        return None
    origin = request.headers.get("Origin")
    if origin is None:
        referer = request.headers.get("Referer")
        if referer is None:
            return None  # a script: no browser sends a cookie-carrying POST without either
        origin = origin_of(referer) if "://" in referer else "null"
    else:
        origin = origin.strip()
        origin = "null" if origin.lower() == "null" or "://" not in origin else origin_of(origin)
    if origin in settings.public_origins:
        return None
    return error_response(403, "cross_site_request", "Cross-site request refused: the Origin is not this application.")


def content_security_policy(frame_ancestors: str = "'none'") -> str:
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "media-src 'self' blob:; worker-src 'self' blob:; connect-src 'self'; "
        f"font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self' {{form_targets}}; "
        f"frame-ancestors {frame_ancestors}"
    )


def install_web_security(app: Flask, settings: Settings) -> None:
    """Register the Origin rule and the security headers on a browser-facing app."""
    form_targets = " ".join(sorted(settings.public_origins))

    @app.before_request
    def _origin_rule():
        return cross_site_refusal(settings)

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            ancestors = getattr(request, "frame_ancestors", None) or "'none'"
            csp = content_security_policy(ancestors).replace("{form_targets}", form_targets)
            response.headers.setdefault("Content-Security-Policy", csp)
            if ancestors == "'none'":
                response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault("Cache-Control", "no-store")
        return response
