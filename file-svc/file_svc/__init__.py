"""file-svc: stores uploads (probed), serves a video's objects (HLS, poster, thumbnails,
original), deletes them, and writes caption tracks. The packaging workers are a process
of their own (`python -m file_svc.packager`), from the same package."""

from __future__ import annotations

import hashlib
import hmac
import logging

from flask import Flask, request

from vs_common.app import service_app
from vs_common.errors import error_response, storage_unavailable
from vs_common.health import health_blueprint
from vs_common.settings import Settings

from . import config, presigned
from .media.budget import Budget
from .storage import StorageUnavailable, make_storage

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> Flask:
    """Build the file-svc app. Every route but /healthz and /metrics (its own token) needs the internal token."""
    settings = settings or config.load()
    # file-svc does not migrate: the apps and the packager do (it only reads and writes rows).
    app = service_app(__name__, "file-svc", settings, migrate_schema=False)
    app.extensions["budget"] = Budget.from_settings(settings)
    app.extensions["storage"] = make_storage(settings)
    # Compare digests, so that neither the content nor the length of the token leaks.
    expected = hashlib.sha256(f"Bearer {settings.internal_token}".encode()).digest()

    @app.before_request
    def _internal_token():
        if request.path in ("/healthz", "/metrics"):  # /metrics checks METRICS_TOKEN itself
            return None
        given = hashlib.sha256(request.headers.get("Authorization", "").encode("utf-8", "replace")).digest()
        if not hmac.compare_digest(given, expected):
            return error_response(401, "unauthorized", "file-svc is internal: the internal token is missing or wrong.")
        return None

    @app.errorhandler(StorageUnavailable)
    def _storage_down(exc):
        log.warning("storage unavailable: %s", exc)
        return storage_unavailable({"Retry-After": "5"})

    from . import routes

    routes.register(app)
    storage = app.extensions["storage"]
    if settings.delivery == "presigned":  # the browser reads the bucket: its CORS rule for the streaming origin
        presigned.keep_cors_applied(storage, settings)
    app.register_blueprint(health_blueprint({"storage": storage.check, "database": app.extensions["db"].ping}))
    return app
