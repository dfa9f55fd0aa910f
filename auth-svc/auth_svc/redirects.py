"""Where a login may send the browser: only absolute URLs on the two web apps' origins,
and auth-svc's own account and admin pages (`/account`, `/admin/...` on AUTH_PUBLIC_URL)."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

# auth-svc's pages a login may return to: plain path segments, nothing a browser would
# rewrite (no dot segments, no percent escapes), so the path is the page it names.
_OWN_PAGES = re.compile(r"/(?:account|admin)(?:/[A-Za-z0-9_-]+)*")


def _suspect_char(c: str) -> bool:
    """Characters a browser might strip, fold or reinterpret: whitespace, controls,
    invisible format characters, line separators, and the backslash (read as '/')."""
    return c == "\\" or ord(c) <= 32 or unicodedata.category(c)[0] in "CZ"


def safe_redirect(
    target: str | None, allowed_origins: frozenset[str], fallback: str, own_origin: str | None = None
) -> str:
    """`target` if it is an absolute http(s) URL on an allowed origin, or on `own_origin`
    (auth-svc's) with the path of one of its account or admin pages; else `fallback`.

    Relative paths go to `fallback` too (the login contract, ARCHITECTURE.md). The check is an exact match of
    `scheme://host[:port]`, so look-alike, encoded and userinfo forms cannot pass.
    """
    if not target or len(target) > 2000:
        return fallback
    if any(_suspect_char(c) for c in target):
        return fallback
    try:
        parts = urlsplit(target)
        port = parts.port
    except ValueError:
        return fallback
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.username or parts.password:
        return fallback
    if "@" in parts.netloc or "%" in parts.netloc or not parts.netloc.isascii():
        return fallback
    host = parts.hostname or ""
    if port is None or (parts.scheme, port) in {("http", 80), ("https", 443)}:
        origin = f"{parts.scheme}://{host}"
    else:
        origin = f"{parts.scheme}://{host}:{port}"
    # The authority must be exactly what the origin says (no "host:" or ":0080" tricks).
    if origin.split("://", 1)[1] != parts.netloc.lower():
        return fallback
    if origin in allowed_origins:
        return target
    if own_origin and origin == own_origin and _OWN_PAGES.fullmatch(parts.path) and not parts.fragment:
        return target
    return fallback
