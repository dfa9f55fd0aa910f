"""file-svc settings: the shared Settings plus what storage needs."""

from __future__ import annotations

from pathlib import Path

from vs_common.settings import ConfigError, Settings, check_secrets, load_settings


def load(secrets: tuple[str, ...] = ("INTERNAL_TOKEN",)) -> Settings:
    """Settings for file-svc; S3 needs a bucket. `secrets`: those that must not be
    placeholders. The packager passes none: it serves no internal API and calls no
    service, so it is not given INTERNAL_TOKEN (deploy/kubernetes leaves it out)."""
    settings = load_settings()
    check_secrets(settings, "file-svc", secrets)
    if settings.storage_backend == "s3" and not settings.s3_bucket:
        raise ConfigError("STORAGE_BACKEND=s3 needs S3_BUCKET")
    Path(settings.temp_dir).mkdir(parents=True, exist_ok=True)
    return settings
