"""The auth check both web apps make: one implementation, shared.

`AuthClient.verify(token)` asks auth-svc's `/api/verify` (timeout 2 s) and caches a
positive answer for at most 2 s, so a logout takes effect everywhere within 2 s.
`install_auth(app, ...)` guards every route but the public ones: pages 303 to the login
page, everything else 401 JSON, 503 when auth-svc cannot be reached. Never fails open:
any answer from auth-svc but a well-formed 200 or a 401 is "unavailable".

Once the caller is known, the route's declaration (vs_common.access) is checked: the
role and the token's scopes must allow it (403 `forbidden` saying which is missing), a
page takes no API token (401 saying to use a browser session), and a route without a
declaration is refused. A disabled person's session or token is 403 `account_disabled`.

It also gives each app a same-origin `POST /logout`. The apps' pages send
`Referrer-Policy: same-origin`, under which a browser posts a cross-origin form with
`Origin: null`; a logout form aimed straight at auth-svc would be refused by the Origin
rule. So the button posts to its own app, which revokes the session at auth-svc.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from dataclasses import dataclass
from urllib.parse import quote

import requests
from flask import Flask, current_app, g, redirect, render_template, request

from . import access
from .errors import error_response
from .observe import AUTH_VERIFICATIONS, TracedSession
from .wire import COOKIE_NAME, drain

log = logging.getLogger(__name__)

CACHE_SECONDS = 2.0
VERIFY_TIMEOUT = 2.0
# auth-svc's tokens are secrets.token_urlsafe(32); anything else is refused unasked.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,200}")
API_TOKEN_PREFIX = "rh_"  # auth_svc.api_tokens: a program's token, never a browser session


# What every web app lets through without a session (each view still declares `public`).
PUBLIC_PREFIXES = ("/static/", "/healthz", "/openapi.json", "/metrics")

ROLES = ("admin", "uploader", "viewer")
SCOPES = ("read", "upload", "manage")


@dataclass(frozen=True)
class Identity:
    """Who a verified token belongs to: the user, their role, the token's scopes (None
    for a browser session: everything the role allows; a tuple for an API token), and
    the person's quotas (stored bytes, videos; None: no limit), so that the web apps need
    not read auth-svc's tables."""

    user: str
    role: str
    scopes: tuple[str, ...] | None
    quota_bytes: int | None = None
    quota_videos: int | None = None


class AuthUnavailable(RuntimeError):
    """auth-svc could not be reached or answered with an error."""


class InvalidToken(RuntimeError):
    """The token is missing, unknown, expired or revoked (`disabled`: it is valid, but
    its person is disabled)."""

    def __init__(self, reason: str, disabled: bool = False):
        super().__init__(reason)
        self.disabled = disabled


def token_from_request() -> str | None:
    """The session token from `Authorization: Bearer` or the `auth_token` cookie."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return request.cookies.get(COOKIE_NAME) or None


class AuthClient:
    """Verifies session tokens with auth-svc, with a positive cache of at most 2 s."""

    def __init__(self, auth_svc_url: str, cache_seconds: float = CACHE_SECONDS):
        self.base = auth_svc_url.rstrip("/")
        self.cache_seconds = min(cache_seconds, CACHE_SECONDS)
        self._cache: dict[str, tuple[float, Identity]] = {}
        self._lock = threading.Lock()
        self._session = TracedSession()
        self._session.trust_env = False  # internal call: no proxy or .netrc lookups

    @staticmethod
    def _key(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def _call(self, method: str, path: str, token: str) -> requests.Response:
        """One request to auth-svc; a dropped pooled connection is retried once."""
        for attempt in (1, 2):
            try:
                return self._session.request(
                    method,
                    self.base + path,
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=VERIFY_TIMEOUT,
                    allow_redirects=False,
                )
            except requests.ConnectionError as exc:
                if attempt == 2 or isinstance(exc, requests.ConnectTimeout):
                    raise AuthUnavailable(f"auth-svc unreachable: {exc.__class__.__name__}") from exc
            except requests.RequestException as exc:
                raise AuthUnavailable(f"auth-svc unreachable: {exc.__class__.__name__}") from exc
        raise AssertionError("unreachable")

    def verify(self, token: str) -> Identity:
        """Who the token belongs to; raise InvalidToken or AuthUnavailable."""
        if not TOKEN_SHAPE.fullmatch(token):
            AUTH_VERIFICATIONS.labels("invalid", "shape").inc()
            raise InvalidToken("malformed token")
        key = self._key(token)
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
            if hit and hit[0] > now:
                AUTH_VERIFICATIONS.labels("valid", "cache").inc()
                return hit[1]
        try:
            resp = self._call("GET", "/api/verify", token)
        except AuthUnavailable:
            AUTH_VERIFICATIONS.labels("unavailable", "auth_svc").inc()
            raise
        if resp.status_code == 401:
            AUTH_VERIFICATIONS.labels("invalid", "auth_svc").inc()
            raise InvalidToken("token refused", disabled=_error_code(resp) == "account_disabled")
        if resp.status_code != 200:
            AUTH_VERIFICATIONS.labels("unavailable", "auth_svc").inc()
            raise AuthUnavailable(f"auth-svc answered {resp.status_code}")
        who = _identity(resp)
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key] = (now + self.cache_seconds, who)
        AUTH_VERIFICATIONS.labels("valid", "auth_svc").inc()
        return who

    def logout(self, token: str) -> None:
        """Revoke the session at auth-svc (and forget it here); raise AuthUnavailable."""
        with self._lock:
            self._cache.pop(self._key(token), None)
        if not TOKEN_SHAPE.fullmatch(token) or token.startswith(API_TOKEN_PREFIX):
            return  # no such session can exist; an API token is no session (its owner revokes it)
        resp = self._call("POST", "/api/logout", token)
        if resp.status_code >= 400:
            raise AuthUnavailable(f"auth-svc answered {resp.status_code} to the logout")


def _error_code(resp: requests.Response) -> str | None:
    """The `error` of auth-svc's JSON refusal, if it has one."""
    try:
        body = resp.json()
    except ValueError:
        return None
    return body.get("error") if isinstance(body, dict) else None


def _quota(value) -> int | None:
    """A quota of auth-svc's answer: None (no limit) or a whole number of at least 0."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise AuthUnavailable("auth-svc answered a malformed quota")
    return value


def _identity(resp: requests.Response) -> Identity:
    """auth-svc's 200 answer, checked: anything malformed is AuthUnavailable (never open).
    The quotas must be in it (null for none): an answer without them is not trusted to
    mean "no limit"."""
    try:
        body = resp.json()
        user, role, scopes = body["user"], body["role"], body.get("scopes")
        quota_bytes, quota_videos = body["quota_bytes"], body["quota_videos"]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise AuthUnavailable("auth-svc answered malformed JSON") from exc
    if not isinstance(user, str) or not user or role not in ROLES:
        raise AuthUnavailable("auth-svc answered without a user or a known role")
    if scopes is not None:
        if not isinstance(scopes, list) or any(s not in SCOPES for s in scopes):
            raise AuthUnavailable("auth-svc answered unknown scopes")
        scopes = tuple(scopes)
    return Identity(user, role, scopes, _quota(quota_bytes), _quota(quota_videos))


def _unavailable():
    return error_response(
        503,
        "auth_unavailable",
        "The authentication service is unavailable; try again shortly.",
        {"Retry-After": "5"},
    )


def _with_body() -> bool:
    """Whether the request still has a body coming (a length, or chunks)."""
    return bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def _refused(response):
    """A refusal before the body was read: the rest is drained (bounded) after the answer
    and the connection closed, so that a client still sending reads the answer instead of
    a reset connection."""
    if _with_body():
        response.headers["Connection"] = "close"
        stream = request.environ["wsgi.input"]
        response.call_on_close(lambda: drain(stream))
    return response


def _wants_html() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html" and request.accept_mimetypes["text/html"] > request.accept_mimetypes["application/json"]


def _page_refusal(status: int, code: str, title: str, message: str):
    """A page's refusal: HTML that says why (JSON when that is what the client asks for)."""
    if not _wants_html():
        return error_response(status, code, message)
    settings = current_app.extensions.get("settings")
    links = []
    if settings is not None:
        links = [
            ("Upload", settings.upload_public_url + "/", False),
            ("Library", settings.streaming_public_url + "/", False),
        ]
    html = render_template(
        "refused.html",
        title=title,
        message=message,
        user=getattr(g, "user", None),
        logout_url="/logout",
        nav_links=links,
        nav_upload_url=links[0][1] if links else "/",
    )
    return html, status, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}


def check_access(app: Flask, who: Identity):
    """The answer refusing `who` the current request under its route's declaration
    (vs_common.access), or None when it may go on."""
    declared = access.declared(app, request.endpoint)
    if declared is None:
        log.error("route %s (%s) declares no access rule: refused", request.endpoint, request.path)
        return _refused(error_response(403, "forbidden", "This route declares no access rule; it is refused."))
    if declared.page and who.scopes is not None:
        return _page_refusal(
            401,
            "unauthorized",
            "Log in with your browser",
            "Pages need a browser session: log in with your password. API tokens work only with the API.",
        )
    why = access.refusal(declared, who.role, who.scopes)
    if why is None:
        return None
    log.info("%s %s refused to %s (%s): %s", request.method, request.path, who.user, who.role, why)
    if declared.page:
        return _page_refusal(403, "forbidden", "Not allowed", why)
    return _refused(error_response(403, "forbidden", why))


def install_auth(
    app: Flask,
    client: AuthClient,
    auth_public_url: str,
    public_base_url: str,
    public_prefixes: tuple[str, ...] = PUBLIC_PREFIXES,
) -> None:
    """Guard every route of `app` except the public prefixes; sets `g.user`.

    `g.role` (admin, uploader, viewer), `g.scopes` (None for a browser session, the API
    token's scopes otherwise) and `g.identity` (with the quotas) are set beside it; then
    the route's declaration is checked (`check_access`). The pages are the routes
    declared `access.page`. Also registers `POST /logout` (endpoint `auth_logout`) for
    the page's logout button.
    """
    login_url = auth_public_url.rstrip("/") + "/login"

    @app.before_request
    def _require_auth():
        path = request.path
        if request.endpoint == "auth_logout" or any(path == p or path.startswith(p) for p in public_prefixes):
            return None
        declared = access.declared(app, request.endpoint)
        is_page = request.method == "GET" and declared is not None and declared.page
        token = token_from_request()
        try:
            if token is None:
                raise InvalidToken("no token")
            who = client.verify(token)
        except InvalidToken as exc:
            if is_page:
                target = public_base_url.rstrip("/") + request.full_path.rstrip("?")
                return redirect(f"{login_url}?redirect={quote(target, safe='')}", code=303)
            if exc.disabled:
                return _refused(
                    error_response(403, "account_disabled", "This account is disabled; ask an administrator.")
                )
            return error_response(401, "unauthorized", "Log in first: no valid session token.")
        except AuthUnavailable as exc:
            log.warning("auth check failed closed: %s", exc)
            return _unavailable()
        g.user, g.role, g.scopes, g.identity = who.user, who.role, who.scopes, who
        if request.endpoint is None:
            return None  # no route matched: the 404 or 405 follows
        return check_access(app, who)

    def logout():
        """Revoke the session at auth-svc, clear the cookie, 303 to the login page."""
        token = token_from_request()
        if token:
            try:
                client.logout(token)
            except AuthUnavailable as exc:
                log.warning("logout could not reach auth-svc: %s", exc)
                return _unavailable()  # the cookie stays, so the person can try again
        settings = current_app.extensions.get("settings")
        response = redirect(login_url, code=303)
        response.delete_cookie(
            COOKIE_NAME,
            path="/",
            domain=(getattr(settings, "cookie_domain", "") or None),
            secure=bool(getattr(settings, "cookie_secure", False)),
            httponly=True,
            samesite="Lax",
        )
        return response

    app.add_url_rule("/logout", endpoint="auth_logout", view_func=access.public(logout), methods=["POST"])
