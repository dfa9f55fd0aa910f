"""streaming-svc: the library, the player, the video API and HLS (from the local store's folder
itself, or relayed from file-svc: local_delivery, routes/hls_relay)."""

from __future__ import annotations

from flask import Flask

from vs_common.app import service_app
from vs_common.assets import assets_blueprint
from vs_common.auth_client import PUBLIC_PREFIXES, AuthClient, install_auth
from vs_common.file_client import FileClient
from vs_common.health import health_blueprint
from vs_common.settings import Settings, delivery_mode, load_settings
from vs_common.web_security import install_web_security

from .local_delivery import LocalDelivery
from .shortcache import ShortCache


def create_app(settings: Settings | None = None) -> Flask:
    """Build the streaming app: auth on every route but the public ones."""
    settings = settings or load_settings()
    app = service_app(
        __name__, "streaming-svc", settings, secrets=("INTERNAL_TOKEN", "SECRET_KEY"), max_content_length=64 * 1024
    )
    app.extensions["files"] = FileClient(settings.file_svc_url, settings.internal_token, pool_size=64)
    app.extensions["audiences"] = ShortCache()  # who may watch a video, for its HLS routes
    app.extensions["links"] = ShortCache()  # share links by their token's hash (sharing.find)
    if delivery_mode(settings) == "local":
        app.extensions["local_delivery"] = LocalDelivery(settings.storage_dir)
    install_web_security(app, settings)
    from . import routes

    install_auth(
        app,
        AuthClient(settings.auth_svc_url),
        settings.auth_public_url,
        settings.streaming_public_url,
        public_prefixes=(*PUBLIC_PREFIXES, "/s/"),  # share links: the token is the credential (share_pages)
    )
    routes.register(app)
    app.register_blueprint(assets_blueprint())
    app.register_blueprint(health_blueprint({"database": app.extensions["db"].ping}))
    return app
