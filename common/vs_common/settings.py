"""Settings read from the environment (and `.env`), shared by every service.

Precedence: process environment > `.env` file > embedded defaults. The embedded
defaults make `make run` work with no configuration: SQLite and a local storage folder.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from dotenv import load_dotenv

log = logging.getLogger(__name__)

GiB = 1024**3
MiB = 1024**2

# Placeholders shipped in .env.example: they work for a local trial, never in production.
PLACEHOLDER_SECRETS = {
    "change-me-secret-key",
    "change-me-internal-token",
    "change-me",
    "",
}
# METRICS_TOKEN is the one secret Prometheus sends, through the Ingress that routes
# /metrics: a guessable one would publish the metrics. Empty turns metrics off.
MIN_METRICS_TOKEN_CHARS = 24


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the service refuses to start."""


def _env(name: str, default: str = "") -> str:
    value = os.environ.get(name)
    return default if value is None else value.strip()


def _int(name: str, default: int, minimum: int | None = None, maximum: int | None = None) -> int:
    raw = _env(name)
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{name} must be at most {maximum}, got {value}")
    return value


def _float(name: str, default: float, minimum: float) -> float:
    raw = _env(name)
    if raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if not value >= minimum:  # NaN included
        raise ConfigError(f"{name} must be at least {minimum}, got {raw!r}")
    return value


def _bool(name: str, default: bool) -> bool:
    raw = _env(name).lower()
    if raw == "":
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _ladder(raw: str) -> tuple[int, ...]:
    if not raw.strip():
        return ()
    try:
        heights = sorted({int(part) for part in raw.replace(" ", "").split(",") if part})
    except ValueError:
        raise ConfigError(f"HLS_LADDER must be heights separated by commas, got {raw!r}") from None
    if any(h < 64 or h > 4320 or h % 2 for h in heights):
        raise ConfigError(f"HLS_LADDER heights must be even numbers from 64 to 4320, got {raw!r}")
    return tuple(heights)


def _is_placeholder(value: str) -> bool:
    """An empty secret or one shipped in .env.example (any `change-me...`)."""
    return value in PLACEHOLDER_SECRETS or value.lower().startswith("change-me")


def _refuse_in_production(app_env: str, message: str) -> None:
    """Refuse to start with APP_ENV=production; only warn for a local trial."""
    if app_env == "production":
        raise ConfigError(message + "; refusing to start with APP_ENV=production")
    log.warning("%s; set a random value before exposing this service", message)


def _metrics_token(app_env: str) -> str:
    """METRICS_TOKEN: empty (metrics off), or a random value of its own; a placeholder
    or a short one is refused in production, as the other secrets' placeholders are.
    Checked here, so that every service and the packager, which all serve /metrics, do."""
    token = _env("METRICS_TOKEN")
    if token and _is_placeholder(token):
        _refuse_in_production(app_env, "METRICS_TOKEN is a placeholder (change-me...)")
    elif token and len(token) < MIN_METRICS_TOKEN_CHARS:
        _refuse_in_production(
            app_env, f"METRICS_TOKEN has {len(token)} characters, fewer than {MIN_METRICS_TOKEN_CHARS}"
        )
    return token


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL, lower-cased, default ports dropped."""
    from urllib.parse import urlsplit

    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port is None or (scheme, port) in {("http", 80), ("https", 443)}:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


@dataclass(frozen=True)
class Settings:
    """Every variable of .env.example, typed. Built once by `load_settings()`."""

    app_env: str = "development"
    log_level: str = "INFO"
    log_format: str = "text"
    metrics_token: str = ""
    # Database
    db_host: str = ""
    db_port: int = 3306
    db_name: str = "video_db"
    db_user: str = ""
    db_pass: str = ""
    db_path: str = "data/video_db.sqlite3"
    # Storage
    storage_backend: str = "local"
    storage_dir: str = "data/storage"
    temp_dir: str = "data/temp"
    s3_bucket: str = ""
    s3_region: str = ""
    s3_endpoint_url: str = ""
    s3_addressing_style: str = "auto"
    s3_part_size_mb: int = 16
    s3_timeout_seconds: int = 30
    s3_max_attempts: int = 3
    aws_access_key_id: str = ""
    aws_secret_access_key: str = ""
    # Wiring
    auth_svc_url: str = "http://127.0.0.1:8000"
    file_svc_url: str = "http://127.0.0.1:4000"
    auth_public_url: str = "http://localhost:8000"
    upload_public_url: str = "http://localhost:3000"
    streaming_public_url: str = "http://localhost:3100"
    # Secrets
    secret_key: str = ""
    internal_token: str = ""
    # Auth
    auth_username: str = ""
    auth_password: str = ""
    auth_users_file: str = ""
    token_ttl_seconds: int = 8 * 3600
    cookie_secure: bool = False
    cookie_domain: str = ""
    trusted_proxies: int = 0
    # Limits and behaviour
    max_upload_bytes: int = 10 * GiB
    hls_ladder: tuple[int, ...] = (360, 720, 1080)
    packaging_workers: int = 1
    packaging_first_workers: int = 2
    packaging_background_nice: int = 19
    packager_port: int = 4001
    upload_chunk_mb: int = 16
    upload_expiry_hours: float = 24.0
    upload_max_unfinished: int = 10
    upload_max_unfinished_bytes: int = 20 * GiB
    upload_read_timeout_seconds: int = 20
    sweep_interval_seconds: int = 300
    max_source_pixels: int = 7680 * 4320
    ffmpeg_memory_mb: int = 3072
    ffmpeg_threads: int = 4
    output_budget_ratio: float = 10.0
    output_budget_mb: int = 64
    job_lease_seconds: int = 60
    job_max_attempts: int = 3

    @property
    def uses_mariadb(self) -> bool:
        return bool(self.db_host)

    @property
    def public_origins(self) -> frozenset[str]:
        """The three browser-facing origins (for the Origin/Referer rule)."""
        return frozenset(
            origin_of(u) for u in (self.auth_public_url, self.upload_public_url, self.streaming_public_url)
        )

    @property
    def webapp_origins(self) -> frozenset[str]:
        """Origins a login may redirect to: the two web apps."""
        return frozenset(origin_of(u) for u in (self.upload_public_url, self.streaming_public_url))


def load_settings(env_file: str | None = None) -> Settings:
    """Read settings: the environment wins over `.env` (ENV_FILE, else ./.env)."""
    path = env_file or os.environ.get("ENV_FILE") or ".env"
    if Path(path).is_file():
        load_dotenv(path, override=False)
    backend = _env("STORAGE_BACKEND", "local").lower()
    if backend not in {"local", "s3"}:
        raise ConfigError(f"STORAGE_BACKEND must be 'local' or 's3', got {backend!r}")
    style = _env("S3_ADDRESSING_STYLE", "auto").lower()
    if style not in {"auto", "path", "virtual"}:
        raise ConfigError(f"S3_ADDRESSING_STYLE must be auto, path or virtual, got {style!r}")
    app_env = _env("APP_ENV", "development").lower()
    log_format = _env("LOG_FORMAT", "text").lower()
    if log_format not in {"text", "json"}:
        raise ConfigError(f"LOG_FORMAT must be 'text' or 'json', got {log_format!r}")
    return Settings(
        app_env=app_env,
        log_level=_env("LOG_LEVEL", "INFO").upper(),
        log_format=log_format,
        metrics_token=_metrics_token(app_env),
        db_host=_env("DB_HOST"),
        db_port=_int("DB_PORT", 3306, 1),
        db_name=_env("DB_NAME", "video_db") or "video_db",
        db_user=_env("DB_USER"),
        db_pass=_env("DB_PASS"),
        db_path=_env("DB_PATH", "data/video_db.sqlite3"),
        storage_backend=backend,
        storage_dir=_env("STORAGE_DIR", "data/storage"),
        temp_dir=_env("TEMP_DIR", "data/temp"),
        s3_bucket=_env("S3_BUCKET"),
        s3_region=_env("S3_REGION"),
        s3_endpoint_url=_env("S3_ENDPOINT_URL"),
        s3_addressing_style=style,
        s3_part_size_mb=_int("S3_PART_SIZE_MB", 16, 5),
        s3_timeout_seconds=_int("S3_TIMEOUT_SECONDS", 30, 1),
        s3_max_attempts=_int("S3_MAX_ATTEMPTS", 3, 1),
        aws_access_key_id=_env("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=_env("AWS_SECRET_ACCESS_KEY"),
        auth_svc_url=_env("AUTH_SVC_URL", "http://127.0.0.1:8000").rstrip("/"),
        file_svc_url=_env("FILE_SVC_URL", "http://127.0.0.1:4000").rstrip("/"),
        auth_public_url=_env("AUTH_PUBLIC_URL", "http://localhost:8000").rstrip("/"),
        upload_public_url=_env("UPLOAD_PUBLIC_URL", "http://localhost:3000").rstrip("/"),
        streaming_public_url=_env("STREAMING_PUBLIC_URL", "http://localhost:3100").rstrip("/"),
        secret_key=_env("SECRET_KEY") or "change-me-secret-key",
        internal_token=_env("INTERNAL_TOKEN") or "change-me-internal-token",
        auth_username=_env("AUTH_USERNAME"),
        auth_password=os.environ.get("AUTH_PASSWORD", ""),
        auth_users_file=_env("AUTH_USERS_FILE"),
        token_ttl_seconds=_int("TOKEN_TTL_SECONDS", 8 * 3600, 60),
        cookie_secure=_bool("COOKIE_SECURE", False),
        cookie_domain=_env("COOKIE_DOMAIN"),
        trusted_proxies=_int("TRUSTED_PROXIES", 0, 0),
        max_upload_bytes=_int("MAX_UPLOAD_BYTES", 10 * GiB, 1),
        hls_ladder=_ladder(os.environ.get("HLS_LADDER", "360,720,1080")),
        packaging_workers=_int("PACKAGING_WORKERS", 1, 1),
        packaging_first_workers=_int("PACKAGING_FIRST_WORKERS", 2, 1),
        packaging_background_nice=_int("PACKAGING_BACKGROUND_NICE", 19, 0, 19),
        packager_port=_int("PACKAGER_PORT", 4001, 1, 65535),
        upload_chunk_mb=_int("UPLOAD_CHUNK_MB", 16, 1, 50),
        upload_expiry_hours=_float("UPLOAD_EXPIRY_HOURS", 24.0, 0.0001),
        upload_max_unfinished=_int("UPLOAD_MAX_UNFINISHED", 10, 1),
        upload_max_unfinished_bytes=_int("UPLOAD_MAX_UNFINISHED_BYTES", 20 * GiB, 1),
        upload_read_timeout_seconds=_int("UPLOAD_READ_TIMEOUT_SECONDS", 20, 1),
        sweep_interval_seconds=_int("SWEEP_INTERVAL_SECONDS", 300, 1),
        max_source_pixels=_int("MAX_SOURCE_PIXELS", 7680 * 4320, 64 * 64),
        ffmpeg_memory_mb=_int("FFMPEG_MEMORY_MB", 3072, 256),
        ffmpeg_threads=_int("FFMPEG_THREADS", 4, 1, 64),
        output_budget_ratio=_float("OUTPUT_BUDGET_RATIO", 10.0, 1.0),
        output_budget_mb=_int("OUTPUT_BUDGET_MB", 64, 0),
        job_lease_seconds=_int("JOB_LEASE_SECONDS", 60, 2),
        job_max_attempts=_int("JOB_MAX_ATTEMPTS", 3, 1),
    )


def check_secrets(settings: Settings, service: str, names: tuple[str, ...]) -> None:
    """Warn about placeholder secrets; refuse them when APP_ENV=production."""
    for name in names:
        if _is_placeholder(getattr(settings, name.lower())):
            _refuse_in_production(settings.app_env, f"{service}: {name} is empty or a placeholder from .env.example")
