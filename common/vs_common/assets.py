"""The shared look: one stylesheet, a favicon and the base template, served by every
browser-facing app; and versioned URLs for static files.

`asset_url(endpoint, filename)` (a template global) is `url_for` with `?v=` the first
12 hex digits of the file's SHA-256. A static answer asked for with the file's current
version is `Cache-Control: public, max-age=31536000, immutable`: a browser keeps hls.js
and the pages' scripts and asks again only when a new version changes the URL. Without
it (or with another version) the answer keeps Flask's `no-cache` (revalidated each time).
"""

from __future__ import annotations

import hashlib
import os
import threading

from flask import Blueprint, current_app, request, url_for

IMMUTABLE = "public, max-age=31536000, immutable"
_versions: dict[str, tuple[float, str]] = {}
_lock = threading.Lock()


def _folder(endpoint: str) -> str | None:
    if endpoint == "static":
        return current_app.static_folder
    bp = current_app.blueprints.get(endpoint.rsplit(".", 1)[0])
    return bp.static_folder if bp is not None else None


def file_version(endpoint: str, filename: str) -> str | None:
    """The version of a static file (hash of its bytes, cached by modification time)."""
    folder = _folder(endpoint)
    if folder is None:
        return None
    path = os.path.join(folder, filename)
    try:
        mtime = os.stat(path).st_mtime
    except OSError:
        return None
    with _lock:
        hit = _versions.get(path)
    if hit and hit[0] == mtime:
        return hit[1]
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    version = digest.hexdigest()[:12]
    with _lock:
        _versions[path] = (mtime, version)
    return version


def asset_url(endpoint: str, filename: str) -> str:
    version = file_version(endpoint, filename)
    return url_for(endpoint, filename=filename, **({"v": version} if version else {}))


def assets_blueprint() -> Blueprint:
    """`/static/common/*` (app.css, favicon.svg), the `base.html` template, `asset_url`."""
    bp = Blueprint(
        "common_assets",
        __name__,
        static_folder="static",
        static_url_path="/static/common",
        template_folder="templates",
    )
    bp.add_app_template_global(asset_url, "asset_url")

    @bp.after_app_request
    def _cache_versioned(response):
        endpoint = request.endpoint or ""
        wanted = request.args.get("v")
        if (
            wanted
            and (endpoint == "static" or endpoint.endswith(".static"))
            and response.status_code in (200, 304)
            and request.view_args
            and wanted == file_version(endpoint, request.view_args.get("filename", ""))
        ):
            response.headers["Cache-Control"] = IMMUTABLE
        return response

    return bp
