"""What the services agree on over the wire, defined once: the session cookie's name, the
shape of a video id (and how a new one is made), the size of an upload body's chunks, and how a refused body is
drained so that its sender can read the answer."""

from __future__ import annotations

import re
import secrets
import time

# The session cookie auth-svc sets and the web apps read (with `Authorization: Bearer`).
COOKIE_NAME = "auth_token"

# Video ids (also tus upload ids): URL-safe, 12 to 32 characters. New ones are
# secrets.token_urlsafe(12), 16 characters; the columns are VARCHAR(32).
VIDEO_ID_MIN, VIDEO_ID_MAX = 12, 32
VIDEO_ID = re.compile(rf"[A-Za-z0-9_-]{{{VIDEO_ID_MIN},{VIDEO_ID_MAX}}}")


def new_video_id() -> str:
    """A random URL-safe id (16 characters, 96 bits), never sequential."""
    return secrets.token_urlsafe(12)


def valid_video_id(value: object) -> bool:
    """True for a string of the video id's shape (checked before any query or key)."""
    return isinstance(value, str) and VIDEO_ID.fullmatch(value) is not None


# The chunks of an upload body between upload-webapp and file-svc: the sender cuts the
# body in pieces of this size and file-svc reads pieces of the same size. When the two
# match, gunicorn's chunked-body reader hands each chunk over whole; when they do not, it
# slices and re-buffers almost every byte twice more.
UPLOAD_CHUNK = 1024 * 1024

# After refusing a body that is still arriving: read at most this much, for at most this
# long, before closing.
DRAIN_BYTES = 64 * 1024 * 1024
DRAIN_SECONDS = 10.0


def drain(stream, budget: int = DRAIN_BYTES, seconds: float = DRAIN_SECONDS) -> None:
    """Read and drop what the sender still sends (bounded in bytes and time), so that it
    gets to read our answer instead of a reset connection. A sender that went away ends it."""
    deadline = time.monotonic() + seconds
    left = budget
    try:
        while left > 0 and time.monotonic() < deadline:
            chunk = stream.read(min(left, 256 * 1024))
            if not chunk:
                return
            left -= len(chunk)
    except Exception:  # noqa: BLE001 - the sender went away: nothing more to read
        return
