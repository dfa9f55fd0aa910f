"""auth-svc: login page, login/logout API, token verification for the other services."""

from __future__ import annotations

import logging

from flask import Flask

from vs_common.assets import assets_blueprint
from vs_common.db import Database
from vs_common.errors import register_error_handlers
from vs_common.health import health_blueprint
from vs_common.logs import setup_logging
from vs_common.observe import install_observability
from vs_common.schema import migrate
from vs_common.settings import Settings
from vs_common.web_security import install_web_security

from . import config
from .users import UserDirectory

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> Flask:
    """Build the auth-svc app; migrates the database schema on start."""
    settings = settings or config.load()
    setup_logging("auth-svc", settings.log_level, settings.log_format)
    app = Flask(__name__)
    install_observability(app, "auth-svc", settings.metrics_token)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    app.extensions["settings"] = settings
    db = Database(settings)
    app.extensions["db"] = db
    app.extensions["users"] = UserDirectory(settings.auth_username, settings.auth_password, settings.auth_users_file)
    try:
        migrate(db)
    except Exception as exc:  # noqa: BLE001 - start anyway; /healthz reports the database
        log.error("schema migration failed at start-up (will answer 503 until the database is back): %s", exc)
    register_error_handlers(app)
    install_web_security(app, settings)
    from .routes import bp

    app.register_blueprint(bp)
    app.register_blueprint(assets_blueprint())
    app.register_blueprint(health_blueprint({"database": db.ping}))
    app.teardown_appcontext(lambda exc: None)
    return app
