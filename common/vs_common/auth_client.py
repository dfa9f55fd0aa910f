"""The auth check both web apps make: one implementation, shared.

`AuthClient.verify(token)` asks auth-svc's `/api/verify` (timeout 2 s) and caches a
positive answer for at most 2 s, so a logout takes effect everywhere within 2 s.
`install_auth(app, ...)` guards every route but the public ones: pages 303 to the login
page, everything else 401 JSON, 503 when auth-svc cannot be reached. Never fails open.
"""

from __future__ import annotations

import hashlib
import threading
import time
from urllib.parse import quote

import requests
from flask import Flask, g, redirect, request

from .errors import error_response

CACHE_SECONDS = 2.0
VERIFY_TIMEOUT = 2.0


class AuthUnavailable(RuntimeError):
    """auth-svc could not be reached or answered with an error."""


class InvalidToken(RuntimeError):
    """The token is missing, unknown, expired or revoked."""


def token_from_request() -> str | None:
    """The session token from `Authorization: Bearer` or the `auth_token` cookie."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        token = header[7:].strip()
        return token or None
    return request.cookies.get("auth_token") or None


class AuthClient:
    """Verifies session tokens with auth-svc, with a 2-second positive cache."""

    def __init__(self, auth_svc_url: str, cache_seconds: float = CACHE_SECONDS):
        self.url = auth_svc_url.rstrip("/") + "/api/verify"
        self.cache_seconds = min(cache_seconds, CACHE_SECONDS)
        self._cache: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()
        self._session = requests.Session()
        self._session.trust_env = False  # internal call: no proxy or .netrc lookups

    def verify(self, token: str) -> str:
        """Return the user the token belongs to; raise InvalidToken or AuthUnavailable."""
        key = hashlib.sha256(token.encode()).hexdigest()
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
            if hit and hit[0] > now:
                return hit[1]
        try:
            resp = self._session.get(
                self.url, headers={"Authorization": f"Bearer {token}"}, timeout=VERIFY_TIMEOUT
            )
        except requests.RequestException as exc:
            raise AuthUnavailable(f"auth-svc unreachable: {exc.__class__.__name__}") from exc
        if resp.status_code == 401:
            raise InvalidToken("token refused")
        if resp.status_code != 200:
            raise AuthUnavailable(f"auth-svc answered {resp.status_code}")
        try:
            user = resp.json()["user"]
        except (ValueError, KeyError, TypeError) as exc:
            raise AuthUnavailable("auth-svc answered malformed JSON") from exc
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key] = (now + self.cache_seconds, user)
        return user


def install_auth(
    app: Flask,
    client: AuthClient,
    auth_public_url: str,
    public_base_url: str,
    page_endpoints: set[str],
    public_prefixes: tuple[str, ...] = ("/static/", "/healthz", "/openapi.json"),
) -> None:
    """Guard every route of `app` except the public prefixes; sets `g.user`."""

    @app.before_request
    def _require_auth():
        path = request.path
        if any(path == p or path.startswith(p) for p in public_prefixes):
            return None
        is_page = request.method == "GET" and request.endpoint in page_endpoints
        token = token_from_request()
        try:
            if token is None:
                raise InvalidToken("no token")
            g.user = client.verify(token)
            return None
        except InvalidToken:
            if is_page:
                target = public_base_url.rstrip("/") + request.full_path.rstrip("?")
                login = f"{auth_public_url.rstrip('/')}/login?redirect={quote(target, safe='')}"
                return redirect(login, code=303)
            return error_response(401, "unauthorized", "Log in first: no valid session token.")
        except AuthUnavailable:
            return error_response(
                503, "auth_unavailable", "The authentication service is unavailable; try again shortly.",
                {"Retry-After": "5"},
            )
