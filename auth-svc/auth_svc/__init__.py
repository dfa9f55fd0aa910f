"""auth-svc: login page, login/logout API, token verification for the other services."""

from __future__ import annotations

from flask import Flask

from vs_common.app import service_app
from vs_common.assets import assets_blueprint
from vs_common.health import health_blueprint
from vs_common.settings import Settings
from vs_common.web_security import install_web_security

from . import config
from .people import Directory


def create_app(settings: Settings | None = None) -> Flask:
    """Build the auth-svc app; migrates the database schema on start."""
    settings = settings or config.load()
    app = service_app(__name__, "auth-svc", settings, max_content_length=64 * 1024)
    app.extensions["people"] = Directory(settings, app.extensions["db"])
    install_web_security(app, settings)
    from . import admin, invite_routes
    from .account import bp as account_bp
    from .routes import bp
    from .webhooks import bp as webhooks_bp

    app.register_blueprint(bp)
    app.register_blueprint(webhooks_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(invite_routes.bp)
    app.register_blueprint(assets_blueprint())
    app.register_blueprint(health_blueprint({"database": app.extensions["db"].ping}))
    return app
