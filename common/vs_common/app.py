"""The start every service's Flask app shares: logs, request ids and metrics, the
settings and the database in `app.extensions`, the schema migrated, JSON errors."""

from __future__ import annotations

import logging

from flask import Flask, current_app

from .db import Database
from .errors import register_error_handlers
from .logs import setup_logging
from .observe import install_observability
from .schema import migrate
from .settings import Settings, check_secrets

log = logging.getLogger(__name__)


def service_app(
    import_name: str,
    service: str,
    settings: Settings,
    *,
    secrets: tuple[str, ...] = (),
    migrate_schema: bool = True,
    max_content_length: int | None = None,
) -> Flask:
    """A Flask app for `service` with what every service has. `secrets`: the settings
    that must not be placeholders (check_secrets). `migrate_schema`: bring
    the database to the latest schema first; a failure is logged and the service starts
    anyway (its /healthz reports the database, its requests answer 503 until it is back)."""
    setup_logging(service, settings.log_level, settings.log_format)
    check_secrets(settings, service, secrets)
    app = Flask(import_name)
    install_observability(app, service, settings.metrics_token)  # first: the request id
    if max_content_length is not None:
        app.config["MAX_CONTENT_LENGTH"] = max_content_length
    app.extensions["settings"] = settings
    db = app.extensions["db"] = Database(settings)
    if migrate_schema:
        try:
            migrate(db)
        except Exception as exc:  # noqa: BLE001 - start anyway; /healthz reports the database
            log.error("%s: schema migration failed at start-up (503 until the database is back): %s", service, exc)
    register_error_handlers(app)
    return app


def app_settings() -> Settings:
    """The settings of the app serving the current request."""
    return current_app.extensions["settings"]


def app_db() -> Database:
    """The database of the app serving the current request."""
    return current_app.extensions["db"]
