"""Presigned delivery's two parts in file-svc, which holds the store's credentials
(vs_common.delivery says why the signing is here):

- `playlist`: a media playlist whose segment and WebVTT lines are presigned GET URLs on
  the store's public endpoint (streaming-svc asks for it with `X-Presign-Until`, once it
  has checked the viewer); the master and any other line stay as written (relative:
  the playlists themselves are always streaming-svc's).
- `keep_cors_applied`: the bucket's CORS rule for the streaming origin, set at start
  and retried while the store is down.
"""

from __future__ import annotations

import hashlib
import logging
import posixpath
import threading
import time

from flask import Response, request

from vs_common import layout
from vs_common.delivery import PRESIGN_HEADER
from vs_common.errors import error_response
from vs_common.objects import content_type
from vs_common.observe import PRESIGNED_URLS, hls_kind
from vs_common.settings import Settings, origin_of

from .storage import CannotPresign

log = logging.getLogger(__name__)

# Waits between attempts at the bucket's CORS rule while the store cannot be reached.
CORS_RETRY_SECONDS = (1, 2, 5, 10, 30, 60)


def _until(raw: str) -> float | None:
    """`X-Presign-Until`'s Unix time (None for 0: PRESIGN_TTL_SECONDS alone); ValueError if it is not one."""
    until = int(raw)
    if until < 0:
        raise ValueError(raw)
    return until or None


def _signed_line(storage, video_id: str, folder: str, line: str, until: float | None) -> str:
    """A playlist line: a segment's or WebVTT's name (relative to the playlist's folder)
    as its presigned URL; any other line (a tag, a playlist's name) as it is."""
    if not line or line.startswith("#"):
        return line
    path = posixpath.normpath(posixpath.join(folder, line))
    if not layout.valid_hls_path(path) or not path.endswith((".ts", ".vtt")):
        return line
    url = storage.presigned_url(layout.hls(video_id, path), until)
    PRESIGNED_URLS.labels(hls_kind(path)).inc()
    return url


def _text(stream) -> str:
    """A whole (small) object's text, from a local file or the store's body."""
    if stream.path is not None:
        with open(stream.path, "rb") as fh:
            return fh.read().decode("utf-8")
    return b"".join(stream.body or ()).decode("utf-8")


def playlist(storage, video_id: str, path: str):
    """The answer to a presigned playlist read: the playlist's text with presigned URLs
    (200, its own ETag: a 304 while they stay the same), 409 when the store cannot sign
    (a local folder); ObjectNotFound (the caller's 404)."""
    try:
        until = _until(request.headers.get(PRESIGN_HEADER, ""))
    except ValueError:
        return error_response(400, "bad_presign_until", "X-Presign-Until must be a Unix time in seconds, or 0.")
    stream = storage.open_object(layout.hls(video_id, path))  # ObjectNotFound: the caller's 404
    text = _text(stream)
    folder = posixpath.dirname(path)
    try:
        body = "\n".join(_signed_line(storage, video_id, folder, line, until) for line in text.split("\n"))
    except CannotPresign as exc:
        return error_response(409, "presign_unavailable", f"This store cannot presign URLs: {exc}.")
    data = body.encode()
    etag = f'"{hashlib.md5(data, usedforsecurity=False).hexdigest()}"'
    headers = {"Content-Type": content_type(path), "ETag": etag, "Cache-Control": "private, no-cache"}
    if request.headers.get("If-None-Match") == etag:
        return Response(status=304, headers=headers)
    return Response(b"" if request.method == "HEAD" else data, headers={**headers, "Content-Length": str(len(data))})


def cors_rule(settings: Settings) -> dict:
    """The bucket's one CORS rule: the streaming origin may GET and HEAD (with Range),
    and read the lengths and ranges of the answers (hls.js and the browser's cache)."""
    return {
        "AllowedOrigins": [origin_of(settings.streaming_public_url)],
        "AllowedMethods": ["GET", "HEAD"],
        "AllowedHeaders": ["Range"],
        "ExposeHeaders": ["Content-Length", "Content-Range", "ETag"],
        "MaxAgeSeconds": 3600,
    }


def apply_cors(storage, settings: Settings) -> bool:
    """Set the bucket's CORS rule unless it is set already (idempotent: the same rule
    from every process and replica); True when it was written."""
    wanted = [cors_rule(settings)]
    if storage.cors_rules() == wanted:
        return False
    storage.put_cors_rules(wanted)
    return True


def keep_cors_applied(storage, settings: Settings, waits=CORS_RETRY_SECONDS) -> threading.Thread:
    """apply_cors in a thread of its own, tried again (after 1, 2, 5, 10, 30 s, then every
    minute) while the store cannot be reached, so that file-svc starts whether or not the
    store is up; each failure is logged with what it means for the viewers."""

    def run() -> None:
        attempt = 0
        while True:
            try:
                written = apply_cors(storage, settings)
                log.info(
                    "bucket %s CORS %s for %s (GET, HEAD, Range)",
                    settings.s3_bucket,
                    "set" if written else "already set",
                    origin_of(settings.streaming_public_url),
                )
                return
            except Exception as exc:  # noqa: BLE001 - the store may be down: tried again
                wait = waits[min(attempt, len(waits) - 1)]
                attempt += 1
                log.warning(
                    "bucket %s CORS not set (%s: %s); browsers cannot read presigned segments until it is; "
                    "trying again in %d s",
                    settings.s3_bucket,
                    exc.__class__.__name__,
                    str(exc)[:200],
                    wait,
                )
                time.sleep(wait)

    thread = threading.Thread(target=run, name="bucket-cors", daemon=True)
    thread.start()
    return thread
