"""Settings read from the environment (and `.env`), shared by every service.

Precedence: process environment > `.env` file > embedded defaults. The embedded
defaults make `make run` work with no configuration: SQLite and a local storage folder.

Each setting is declared once, as a field of `Settings`: its name, its variable, how the
variable's text is read (`_env` text, `_int`, `_float`, `_bool`: a value out of range,
or that is not one, refuses to start naming the variable), its default and what it is
for. `load_settings()` reads every field from its declaration. A variable that is set
is stripped of spaces (AUTH_PASSWORD and HLS_LADDER are taken as they are); set but
empty, it is the empty text, except where its declaration says `blank_is_default` (and
for numbers and true/false, where empty always means the default).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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
# PRESIGN_TTL_SECONDS: 6 h by default; from 5 min to SigV4's own limit, 7 days.
PRESIGN_TTL_DEFAULT = 6 * 3600
PRESIGN_TTL_MIN = 300
PRESIGN_TTL_MAX = 7 * 24 * 3600
# METRICS_TOKEN is the one secret Prometheus sends, through the Ingress that routes
# /metrics: a guessable one would publish the metrics. Empty turns metrics off.
MIN_METRICS_TOKEN_CHARS = 24


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the service refuses to start."""


# -- how a variable is read ------------------------------------------------------------


@dataclass(frozen=True)
class Read:
    """How one setting's variable is read: `parse(text, variable)` makes the value of
    the text (ConfigError naming the variable when it is not one); `strip`: spaces
    around it dropped first; `blank_is_default`: set but empty means the default."""

    variable: str
    parse: Callable[[str, str], Any] | None = None
    strip: bool = True
    blank_is_default: bool = False


def _declare(read: Read, default: Any, doc: str):
    """A field of Settings: its default, and in its metadata how it is read and what it is for."""
    return field(default=default, metadata={"read": read, "doc": doc})


def _env(
    name: str,
    default: str | tuple = "",
    parse: Callable[[str, str], Any] | None = None,
    *,
    doc: str,
    strip: bool = True,
    blank_is_default: bool = False,
):
    """A setting read as text (`parse` makes something else of it, or checks it)."""
    return _declare(Read(name, parse, strip, blank_is_default), default, doc)


def _int(name: str, default: int, minimum: int | None = None, maximum: int | None = None, *, doc: str):
    """A whole number from `minimum` to `maximum` (either may be None: no bound)."""
    return _declare(
        Read(name, lambda raw, var: _parse_int(raw, var, minimum, maximum), blank_is_default=True), default, doc
    )


def _float(name: str, default: float, minimum: float, *, doc: str):
    """A number of at least `minimum`."""
    return _declare(Read(name, lambda raw, var: _parse_float(raw, var, minimum), blank_is_default=True), default, doc)


def _bool(name: str, default: bool, *, doc: str):
    """true/false (also 1/0, yes/no, on/off), in any case."""
    return _declare(Read(name, _parse_bool, blank_is_default=True), default, doc)


def _parse_int(raw: str, name: str, minimum: int | None, maximum: int | None) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{name} must be at most {maximum}, got {value}")
    return value


def _parse_float(raw: str, name: str, minimum: float) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if not value >= minimum:  # NaN included
        raise ConfigError(f"{name} must be at least {minimum}, got {raw!r}")
    return value


def _parse_bool(raw: str, name: str) -> bool:
    raw = raw.lower()
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _quota(kind: type):
    """A quota's parser: a number of at least 0 (`kind` int or float); empty means none."""

    def parse(raw: str, name: str):
        return _parse_int(raw, name, 0, None) if kind is int else _parse_float(raw, name, 0.0)

    return parse


def _lower(raw: str, _name: str) -> str:
    return raw.lower()


def _upper(raw: str, _name: str) -> str:
    return raw.upper()


def _url(raw: str, _name: str) -> str:
    return raw.rstrip("/")


def _one_of(*choices: str, said: str) -> Callable[[str, str], str]:
    """Lower-cased, and one of `choices` (`said`: them, as the refusal words them)."""

    def parse(raw: str, name: str) -> str:
        value = raw.lower()
        if value not in choices:
            raise ConfigError(f"{name} must be {said}, got {value!r}")
        return value

    return parse


def _public_url(raw: str, name: str) -> str:
    """An http(s) URL with a host and nothing after its path (no query, no fragment, no
    user): the base of URLs a browser is given. Without its final slash."""
    parsed = urlsplit(raw)
    try:
        ok = parsed.scheme in ("http", "https") and bool(parsed.hostname) and parsed.port != 0
    except ValueError:  # a port that is not a number
        ok = False
    if not ok or parsed.query or parsed.fragment or "@" in parsed.netloc:
        raise ConfigError(f"{name} must be an http(s) URL such as https://media.example.org, got {raw!r}")
    return raw.rstrip("/")


def _ladder(raw: str, _name: str) -> tuple[int, ...]:
    if not raw.strip():
        return ()
    try:
        heights = sorted({int(part) for part in raw.replace(" ", "").split(",") if part})
    except ValueError:
        raise ConfigError(f"HLS_LADDER must be heights separated by commas, got {raw!r}") from None
    if any(h < 64 or h > 4320 or h % 2 for h in heights):
        raise ConfigError(f"HLS_LADDER heights must be even numbers from 64 to 4320, got {raw!r}")
    return tuple(heights)


def _retries(raw: str, name: str) -> tuple[int, ...]:
    """Seconds to wait before each retry, in order: whole numbers of at least 1."""
    try:
        waits = tuple(int(part) for part in raw.replace(" ", "").split(",") if part)
    except ValueError:
        raise ConfigError(f"{name} must be seconds separated by commas, got {raw!r}") from None
    if not waits or min(waits) < 1:
        raise ConfigError(f"{name} must list at least one wait, each of at least 1 second, got {raw!r}")
    return waits


def _frame_origins(raw: str, name: str) -> tuple[str, ...]:
    """`*` (any site), or origins (`https://host[:port]`) separated by spaces or commas,
    each checked and written as origin_of writes it: they go into a CSP header as they
    are, so nothing but an origin may pass."""
    parts = [p for p in raw.replace(",", " ").split() if p]
    if parts == ["*"]:
        return ("*",)
    if not parts:
        raise ConfigError(f"{name} must be * or origins such as https://example.org, got {raw!r}")
    origins = []
    for part in parts:
        parsed = urlsplit(part)
        try:
            ok = parsed.scheme in ("http", "https") and bool(parsed.hostname) and parsed.port != 0
        except ValueError:  # a port that is not a number
            ok = False
        if not ok or parsed.path not in ("", "/") or parsed.query or parsed.fragment or "@" in part:
            raise ConfigError(f"{name}: {part!r} is not an origin such as https://example.org (or * for any site)")
        if not re.fullmatch(r"https?://[a-z0-9.\-\[\]:]+", origin_of(part)):
            raise ConfigError(f"{name}: {part!r} has characters an origin cannot have")
        origins.append(origin_of(part))
    return tuple(dict.fromkeys(origins))


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL, lower-cased, default ports dropped."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port is None or (scheme, port) in {("http", 80), ("https", 443)}:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


# -- the settings ------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """Every variable of .env.example, typed; each declared once (see the module's doc).
    Built once by `load_settings()`; tests build one directly, with the fields they need."""

    app_env: str = _env("APP_ENV", "development", _lower, doc="production refuses placeholder secrets; else a warning")
    log_level: str = _env("LOG_LEVEL", "INFO", _upper, doc="DEBUG, INFO, WARNING or ERROR")
    log_format: str = _env(
        "LOG_FORMAT", "text", _one_of("text", "json", said="'text' or 'json'"), doc="one line per record, or JSON"
    )
    metrics_token: str = _env("METRICS_TOKEN", doc="what Prometheus sends to read /metrics; empty: /metrics is 404")
    # Database
    db_host: str = _env("DB_HOST", doc="MariaDB's host; empty: SQLite at DB_PATH")
    db_port: int = _int("DB_PORT", 3306, 1, doc="MariaDB's port")
    db_name: str = _env("DB_NAME", "video_db", blank_is_default=True, doc="the database")
    db_user: str = _env("DB_USER", doc="MariaDB's application user")
    db_pass: str = _env("DB_PASS", doc="that user's password")
    db_path: str = _env("DB_PATH", "data/video_db.sqlite3", doc="the SQLite file, when DB_HOST is empty")
    # Storage
    storage_backend: str = _env(
        "STORAGE_BACKEND", "local", _one_of("local", "s3", said="'local' or 's3'"), doc="a local folder, or S3"
    )
    storage_dir: str = _env("STORAGE_DIR", "data/storage", doc="the local store's folder")
    temp_dir: str = _env("TEMP_DIR", "data/temp", doc="uploads being received, probed and packaged")
    s3_bucket: str = _env("S3_BUCKET", doc="the bucket of the videos (made at start if missing)")
    s3_region: str = _env("S3_REGION", doc="the bucket's region")
    s3_endpoint_url: str = _env("S3_ENDPOINT_URL", doc="an S3-protocol store's endpoint; empty: AWS")
    s3_addressing_style: str = _env(
        "S3_ADDRESSING_STYLE",
        "auto",
        _one_of("auto", "path", "virtual", said="auto, path or virtual"),
        doc="how bucket names go in S3 URLs",
    )
    s3_part_size_mb: int = _int("S3_PART_SIZE_MB", 16, 5, doc="multipart part size, MiB")
    s3_timeout_seconds: int = _int("S3_TIMEOUT_SECONDS", 30, 1, doc="S3 connect and read timeout")
    s3_max_attempts: int = _int("S3_MAX_ATTEMPTS", 3, 1, doc="S3 attempts per request, retries included")
    aws_access_key_id: str = _env("AWS_ACCESS_KEY_ID", doc="S3 access key; empty: boto3's credential chain")
    aws_secret_access_key: str = _env("AWS_SECRET_ACCESS_KEY", doc="S3 secret key")
    # Delivery (design.md "Delivery"): how a viewer's browser gets the segments
    delivery: str = _env(
        "DELIVERY",
        "",
        _one_of("", "relay", "local", "presigned", said="'relay', 'local' or 'presigned'"),
        blank_is_default=True,
        doc="segments through streaming-svc: relay (from file-svc) or local (streaming-svc reads STORAGE_DIR itself, "
        "with sendfile); or presigned (straight from the S3 store). Empty: local with the local store, relay with S3",
    )
    s3_public_endpoint_url: str = _env(
        "S3_PUBLIC_ENDPOINT_URL",
        "",
        _public_url,
        doc="the S3 store as the browser reaches it (presigned URLs); empty: S3_ENDPOINT_URL",
    )
    presign_ttl_seconds: int = _int(
        "PRESIGN_TTL_SECONDS",
        PRESIGN_TTL_DEFAULT,
        PRESIGN_TTL_MIN,
        PRESIGN_TTL_MAX,
        doc="a presigned URL's life; a playlist names URLs with at least half of it left (6 h: a pause of 3 h resumes)",
    )
    cdn_base_url: str = _env(
        "CDN_BASE_URL", "", _public_url, doc="a CDN in front of the store: presigned URLs name it instead of the store"
    )
    # Wiring
    auth_svc_url: str = _env("AUTH_SVC_URL", "http://127.0.0.1:8000", _url, doc="auth-svc, from the services")
    file_svc_url: str = _env("FILE_SVC_URL", "http://127.0.0.1:4000", _url, doc="file-svc, from the services")
    auth_public_url: str = _env("AUTH_PUBLIC_URL", "http://localhost:8000", _url, doc="auth-svc, from the browser")
    upload_public_url: str = _env(
        "UPLOAD_PUBLIC_URL", "http://localhost:3000", _url, doc="upload-webapp, from the browser"
    )
    streaming_public_url: str = _env(
        "STREAMING_PUBLIC_URL", "http://localhost:3100", _url, doc="streaming-svc, from the browser"
    )
    # Secrets
    secret_key: str = _env(
        "SECRET_KEY", "change-me-secret-key", blank_is_default=True, doc="auth-svc's key of the session hashes"
    )
    internal_token: str = _env(
        "INTERNAL_TOKEN", "change-me-internal-token", blank_is_default=True, doc="what the services send to file-svc"
    )
    # Auth
    auth_username: str = _env("AUTH_USERNAME", doc="the user who logs in")
    auth_password: str = _env("AUTH_PASSWORD", strip=False, doc="that user's password, spaces and all")
    auth_users_file: str = _env("AUTH_USERS_FILE", doc="more users: a file of name:hash lines")
    token_ttl_seconds: int = _int("TOKEN_TTL_SECONDS", 8 * 3600, 60, doc="a session's lifetime")
    cookie_secure: bool = _bool("COOKIE_SECURE", False, doc="the cookie only over HTTPS")
    cookie_domain: str = _env("COOKIE_DOMAIN", doc="the cookie's domain; empty: the host the browser used")
    trusted_proxies: int = _int("TRUSTED_PROXIES", 0, 0, doc="X-Forwarded-For hops believed")
    # Limits and behaviour
    max_upload_bytes: int = _int("MAX_UPLOAD_BYTES", 10 * GiB, 1, doc="the largest file accepted")
    hls_ladder: tuple[int, ...] = _env(
        "HLS_LADDER", (360, 720, 1080), _ladder, strip=False, doc="rendition heights; empty: one rendition"
    )
    packaging_workers: int = _int("PACKAGING_WORKERS", 1, 1, doc="a packager's lanes for jobs of any stage")
    packaging_first_workers: int = _int("PACKAGING_FIRST_WORKERS", 2, 1, doc="its lanes for first stages only")
    packaging_background_nice: int = _int("PACKAGING_BACKGROUND_NICE", 19, 0, 19, doc="background ffmpeg's nice")
    packager_port: int = _int("PACKAGER_PORT", 4001, 1, 65535, doc="the packager's /healthz and /metrics")
    upload_chunk_mb: int = _int("UPLOAD_CHUNK_MB", 16, 1, 50, doc="the upload page's tus chunks, MiB")
    upload_expiry_hours: float = _float("UPLOAD_EXPIRY_HOURS", 24.0, 0.0001, doc="an unfinished upload's life")
    upload_max_unfinished: int = _int("UPLOAD_MAX_UNFINISHED", 10, 1, doc="unfinished uploads per user")
    upload_max_unfinished_bytes: int = _int("UPLOAD_MAX_UNFINISHED_BYTES", 20 * GiB, 1, doc="their bytes per user")
    upload_read_timeout_seconds: int = _int("UPLOAD_READ_TIMEOUT_SECONDS", 20, 1, doc="a silent tus PATCH's end")
    sweep_interval_seconds: int = _int("SWEEP_INTERVAL_SECONDS", 300, 1, doc="how often the packager sweeps")
    max_source_pixels: int = _int("MAX_SOURCE_PIXELS", 7680 * 4320, 64 * 64, doc="the largest source picture")
    ffmpeg_memory_mb: int = _int("FFMPEG_MEMORY_MB", 3072, 256, doc="each ffmpeg's address space")
    ffmpeg_threads: int = _int("FFMPEG_THREADS", 4, 1, 64, doc="each ffmpeg's threads")
    output_budget_ratio: float = _float("OUTPUT_BUDGET_RATIO", 10.0, 1.0, doc="a video's output per byte of original")
    output_budget_mb: int = _int("OUTPUT_BUDGET_MB", 64, 0, doc="and that many MiB more")
    job_lease_seconds: int = _int("JOB_LEASE_SECONDS", 60, 2, doc="a packaging job's lease")
    job_max_attempts: int = _int("JOB_MAX_ATTEMPTS", 3, 1, doc="attempts before a job gives up")
    # People and programs
    default_quota_gb: float | None = _env(
        "DEFAULT_QUOTA_GB", None, _quota(float), blank_is_default=True, doc="a user's stored GiB; empty: no limit"
    )
    default_quota_videos: int | None = _env(
        "DEFAULT_QUOTA_VIDEOS", None, _quota(int), blank_is_default=True, doc="a user's videos; empty: no limit"
    )
    invite_ttl_hours: float = _float("INVITE_TTL_HOURS", 72.0, 0.01, doc="an invitation or reset link's life")
    webhook_allow_private: bool = _bool(
        "WEBHOOK_ALLOW_PRIVATE", False, doc="webhooks to loopback and private addresses (never link-local)"
    )
    webhook_retry_seconds: tuple[int, ...] = _env(
        "WEBHOOK_RETRY_SECONDS",
        (5, 30, 120, 600, 3600, 21600),
        _retries,
        blank_is_default=True,
        doc="a failed webhook delivery's waits before each retry; then it is failed",
    )

    trash_hours: float = _float(
        "TRASH_HOURS", 24.0, 0.0, doc="a deleted video's time in its owner's trash (restorable); 0: purged at once"
    )

    # Sharing
    default_visibility: str = _env(
        "DEFAULT_VISIBILITY",
        "internal",
        _one_of("private", "internal", said="'private' or 'internal'"),
        blank_is_default=True,
        doc="a new video's visibility when its upload names none: its owner and admins, or every signed-in user",
    )
    embed_allowed_origins: tuple[str, ...] = _env(
        "EMBED_ALLOWED_ORIGINS",
        ("*",),
        _frame_origins,
        blank_is_default=True,
        doc="the sites that may frame a share link's embed page: * (any) or origins",
    )

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
    def s3_public_endpoint(self) -> str:
        """The S3 store as the browser reaches it: S3_PUBLIC_ENDPOINT_URL, else S3_ENDPOINT_URL
        ("" for AWS itself)."""
        return self.s3_public_endpoint_url or self.s3_endpoint_url.rstrip("/")

    @property
    def webapp_origins(self) -> frozenset[str]:
        """Origins a login may redirect to: the two web apps."""
        return frozenset(origin_of(u) for u in (self.upload_public_url, self.streaming_public_url))


def _read(read: Read, default: Any) -> Any:
    """One setting's value from its variable, as its declaration says."""
    raw = os.environ.get(read.variable)
    if raw is None:
        return default
    if read.strip:
        raw = raw.strip()
    if raw == "" and read.blank_is_default:
        return default
    return read.parse(raw, read.variable) if read.parse else raw


def load_settings(env_file: str | None = None) -> Settings:
    """Read settings: the environment wins over `.env` (ENV_FILE, else ./.env)."""
    path = env_file or os.environ.get("ENV_FILE") or ".env"
    if Path(path).is_file():
        load_dotenv(path, override=False)
    settings = Settings(**{f.name: _read(f.metadata["read"], f.default) for f in fields(Settings)})
    _check_metrics_token(settings)
    check_delivery(settings)
    return settings


def delivery_mode(settings: Settings) -> str:
    """How streaming-svc sends a video's files: DELIVERY when set; else `local` for the
    local store (it reads the store's folder itself, with sendfile, after the same viewer
    check: one Python hop instead of two) and `relay` (through file-svc) for S3."""
    if settings.delivery:
        return settings.delivery
    return "local" if settings.storage_backend == "local" else "relay"


def check_delivery(settings: Settings) -> None:
    """DELIVERY=local reads STORAGE_DIR and DELIVERY=presigned signs S3 URLs: each needs its
    store. CDN_BASE_URL only means something with presigned. Refused at start, in every
    service, so that no page names URLs nothing serves."""
    if settings.delivery == "local" and settings.storage_backend != "local":
        raise ConfigError(
            "DELIVERY=local reads the local store's folder, but STORAGE_BACKEND is "
            f"{settings.storage_backend!r}: use DELIVERY=relay or presigned (or leave it empty) with S3"
        )
    if settings.delivery == "presigned" and settings.storage_backend != "s3":
        raise ConfigError(
            "DELIVERY=presigned needs STORAGE_BACKEND=s3 (the browser reads the segments from the S3 store "
            f"with presigned URLs; the {settings.storage_backend} store has none): "
            "set DELIVERY=local or relay (or leave it empty)"
        )
    if settings.cdn_base_url and settings.delivery != "presigned":
        raise ConfigError("CDN_BASE_URL is for DELIVERY=presigned (segments from the store behind the CDN); unset it")


def _is_placeholder(value: str) -> bool:
    """An empty secret or one shipped in .env.example (any `change-me...`)."""
    return value in PLACEHOLDER_SECRETS or value.lower().startswith("change-me")


def _first_of_its_kind() -> bool:
    """Whether this process is the first worker of its service (gunicorn_conf.post_fork
    numbers them), or no gunicorn worker at all: a warning at start is said once per
    kind of process, not once per worker (WEB_CONCURRENCY of them)."""
    return os.environ.get("GUNICORN_WORKER_AGE", "1") == "1"


def _refuse_in_production(app_env: str, message: str) -> None:
    """Refuse to start with APP_ENV=production (in every worker); only warn for a local
    trial, in the first worker of the service alone."""
    if app_env == "production":
        raise ConfigError(message + "; refusing to start with APP_ENV=production")
    if _first_of_its_kind():
        log.warning("%s; set a random value before exposing this service", message)


def _check_metrics_token(settings: Settings) -> None:
    """METRICS_TOKEN: empty (metrics off), or a random value of its own; a placeholder
    or a short one is refused in production, as the other secrets' placeholders are.
    Checked here, so that every service and the packager, which all serve /metrics, do."""
    token = settings.metrics_token
    if token and _is_placeholder(token):
        _refuse_in_production(settings.app_env, "METRICS_TOKEN is a placeholder (change-me...)")
    elif token and len(token) < MIN_METRICS_TOKEN_CHARS:
        _refuse_in_production(
            settings.app_env, f"METRICS_TOKEN has {len(token)} characters, fewer than {MIN_METRICS_TOKEN_CHARS}"
        )


def check_secrets(settings: Settings, service: str, names: tuple[str, ...]) -> None:
    """Warn about placeholder secrets; refuse them when APP_ENV=production."""
    for name in names:
        if _is_placeholder(getattr(settings, name.lower())):
            _refuse_in_production(settings.app_env, f"{service}: {name} is empty or a placeholder from .env.example")
