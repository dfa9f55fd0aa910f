"""upload-webapp: the upload page and API; streams files through to file-svc."""

from __future__ import annotations

from flask import Flask

from vs_common.app import service_app
from vs_common.assets import assets_blueprint
from vs_common.auth_client import AuthClient, install_auth
from vs_common.file_client import FileClient
from vs_common.health import health_blueprint
from vs_common.settings import Settings, load_settings
from vs_common.web_security import install_web_security


def create_app(settings: Settings | None = None) -> Flask:
    """Build the upload app: auth on every route but the public ones."""
    settings = settings or load_settings()
    app = service_app(__name__, "upload-webapp", settings, secrets=("INTERNAL_TOKEN",))
    app.extensions["files"] = FileClient(settings.file_svc_url, settings.internal_token)
    install_web_security(app, settings)
    install_auth(
        app,
        AuthClient(settings.auth_svc_url),
        settings.auth_public_url,
        settings.upload_public_url,
    )
    from .routes import bp
    from .tus import bp as tus_bp

    app.register_blueprint(bp)
    app.register_blueprint(tus_bp)
    app.register_blueprint(assets_blueprint())
    app.register_blueprint(health_blueprint({"database": app.extensions["db"].ping}))
    return app
