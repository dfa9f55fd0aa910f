"""auth-svc settings: the shared Settings plus the checks this service needs."""

from __future__ import annotations

from pathlib import Path

from vs_common.settings import ConfigError, Settings, check_secrets, load_settings


def load() -> Settings:
    """Settings for auth-svc; refuses to start without any user to log in."""
    settings = load_settings()
    if not (settings.auth_username and settings.auth_password) and not settings.auth_users_file:
        raise ConfigError("auth-svc needs AUTH_USERNAME and AUTH_PASSWORD (or AUTH_USERS_FILE)")
    if settings.auth_users_file and not Path(settings.auth_users_file).is_file():
        raise ConfigError(f"AUTH_USERS_FILE {settings.auth_users_file!r} does not exist")
    check_secrets(settings, "auth-svc", ("SECRET_KEY",))
    if settings.auth_password in {"change-me", "admin", "password"}:
        check_secrets(settings, "auth-svc", ("AUTH_PASSWORD",))
    return settings
