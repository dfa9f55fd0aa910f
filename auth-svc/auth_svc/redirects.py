"""Where a login may send the browser: only absolute URLs on the two web apps' origins."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_redirect(target: str | None, allowed_origins: frozenset[str], fallback: str) -> str:
    """`target` if it is an absolute http(s) URL on an allowed origin, else `fallback`."""
    if not target or len(target) > 2000:
        return fallback
    # Anything a browser might strip or reinterpret makes the value suspect: refuse it.
    if any(ord(c) <= 32 or ord(c) == 127 or c == "\\" for c in target):
        return fallback
    try:
        parts = urlsplit(target)
        port = parts.port
    except ValueError:
        return fallback
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.username or parts.password:
        return fallback
    if "@" in parts.netloc or "%" in parts.netloc:
        return fallback
    host = parts.hostname or ""
    if port is None or (parts.scheme, port) in {("http", 80), ("https", 443)}:
        origin = f"{parts.scheme}://{host}"
    else:
        origin = f"{parts.scheme}://{host}:{port}"
    # The netloc must be exactly what the origin says (no mixed case tricks in the authority).
    if origin.split("://", 1)[1] not in {parts.netloc, parts.netloc.lower()}:
        return fallback
    if origin not in allowed_origins:
        return fallback
    return target
