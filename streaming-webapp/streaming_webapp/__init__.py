"""streaming-svc: the library, the player, the video API and HLS through file-svc."""

from __future__ import annotations

import logging

from flask import Flask

from vs_common.assets import assets_blueprint
from vs_common.auth_client import AuthClient, install_auth
from vs_common.db import Database
from vs_common.errors import register_error_handlers
from vs_common.file_client import FileClient
from vs_common.health import health_blueprint
from vs_common.logs import setup_logging
from vs_common.observe import install_observability
from vs_common.schema import migrate
from vs_common.settings import Settings, check_secrets, load_settings
from vs_common.web_security import install_web_security

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> Flask:
    """Build the streaming app: auth on every route but the public ones."""
    settings = settings or load_settings()
    setup_logging("streaming-svc", settings.log_level, settings.log_format)
    check_secrets(settings, "streaming-svc", ("INTERNAL_TOKEN",))
    app = Flask(__name__)
    install_observability(app, "streaming-svc", settings.metrics_token)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    app.extensions["settings"] = settings
    db = Database(settings)
    app.extensions["db"] = db
    app.extensions["files"] = FileClient(settings.file_svc_url, settings.internal_token, pool_size=64)
    auth = AuthClient(settings.auth_svc_url)
    try:
        migrate(db)
    except Exception as exc:  # noqa: BLE001 - start anyway; /healthz reports the database
        log.error("schema migration failed at start-up: %s", exc)
    register_error_handlers(app)
    install_web_security(app, settings)
    install_auth(
        app,
        auth,
        settings.auth_public_url,
        settings.streaming_public_url,
        page_endpoints={"streaming.library", "streaming.player"},
    )
    from .routes import bp

    app.register_blueprint(bp)
    app.register_blueprint(assets_blueprint())
    app.register_blueprint(health_blueprint({"database": db.ping}))
    return app
