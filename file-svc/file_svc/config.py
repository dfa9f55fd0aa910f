"""file-svc settings: the shared Settings plus what storage needs."""

from __future__ import annotations

from pathlib import Path

from vs_common.settings import ConfigError, Settings, check_secrets, load_settings


def load() -> Settings:
    """Settings for file-svc; S3 needs a bucket."""
    settings = load_settings()
    check_secrets(settings, "file-svc", ("INTERNAL_TOKEN",))
    if settings.storage_backend == "s3" and not settings.s3_bucket:
        raise ConfigError("STORAGE_BACKEND=s3 needs S3_BUCKET")
    Path(settings.temp_dir).mkdir(parents=True, exist_ok=True)
    return settings
