"""Presigned delivery's rules without a store: the settings (DELIVERY, PRESIGN_TTL_SECONDS,
S3_PUBLIC_ENDPOINT_URL, CDN_BASE_URL) and their refusals, a service refusing to start with
presigned delivery on the local store, the URLs the signer writes (botocore's own, at the
same instant; windows; a share link's expiry) and the player's Content-Security-Policy.
The store's side (signatures checked, CORS) is tests/delivery's."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys

import boto3
import botocore.auth
import pytest
from botocore.config import Config

from harness import ROOT
from vs_common.delivery import Credentials, Signer, media_origin, public_bucket
from vs_common.settings import ConfigError, Settings, delivery_mode, load_settings
from vs_common.web_security import content_security_policy

KEY = "videos/abcdefghijklmnopqrstuv/hls/360p/seg_00002.ts"
START = 1_765_150_000  # a Unix time


def s3_settings(**fields) -> Settings:
    base = {"storage_backend": "s3", "s3_bucket": "reelhouse", "delivery": "presigned", "s3_region": "eu-west-3"}
    return Settings(**{**base, **fields})


def botocore_url(settings: Settings, expires: int) -> str:
    """What boto3's presigner writes for `KEY` at START (its clock set there)."""
    client = boto3.client(
        "s3",
        endpoint_url=settings.s3_public_endpoint or None,
        region_name=settings.s3_region,
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret/with+odd=chars",
        config=Config(signature_version="s3v4", s3={"addressing_style": settings.s3_addressing_style}),
    )
    return client.generate_presigned_url("get_object", Params={"Bucket": "reelhouse", "Key": KEY}, ExpiresIn=expires)


def signer(settings: Settings, **kwargs) -> Signer:
    creds = Credentials("AKIDEXAMPLE", "secret/with+odd=chars")
    return Signer(public_bucket(settings), settings.s3_region, settings.presign_ttl_seconds, lambda: creds, **kwargs)


@pytest.mark.parametrize(
    "fields",
    [
        {"s3_endpoint_url": "http://127.0.0.1:8333", "s3_addressing_style": "path"},
        {"s3_endpoint_url": "http://s3:8333", "s3_public_endpoint_url": "https://media.example.org"},
        {"s3_addressing_style": "virtual"},  # AWS itself
        {"s3_addressing_style": "path"},
    ],
)
def test_the_signer_writes_botocores_url(monkeypatch, fields):
    settings = s3_settings(**fields)
    at = datetime.datetime.fromtimestamp(START, datetime.UTC).replace(tzinfo=None)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: at)
    assert signer(settings).sign(KEY, START, 1234) == botocore_url(settings, 1234)


def test_urls_are_signed_once_per_window_of_half_the_ttl_and_never_past_until():
    settings = s3_settings(s3_endpoint_url="http://127.0.0.1:8333", presign_ttl_seconds=3600)
    signs = []
    s = signer(settings, on_sign=lambda: signs.append(1))
    window = START - START % 1800
    first = s.url(KEY, now=window + 5)
    assert s.url(KEY, now=window + 1799) == first and len(signs) == 1  # cached, at least half its life left
    assert (
        "X-Amz-Expires=3600" in first
        and f"X-Amz-Date={datetime.datetime.fromtimestamp(window, datetime.UTC):%Y%m%dT%H%M%SZ}" in first
    )
    later = s.url(KEY, now=window + 1800)
    assert later != first and len(signs) == 2
    # Another process signing in the same window writes the same URL (the page's preload is hls.js's).
    assert signer(settings, cache=False).url(KEY, now=window + 900) == first
    # A share link ending in 10 minutes: its URLs end with it.
    capped = s.url(KEY, until=window + 600, now=window + 10)
    assert "X-Amz-Expires=600" in capped
    assert s.lifetime(window + 10, window + 5) == (window, 5)  # never past until, never less than 1 s
    assert s.lifetime(window + 10, window - 100) == (window, 1)


def test_cdn_base_url_names_the_cdn_and_signs_for_the_store():
    settings = s3_settings(
        s3_endpoint_url="http://s3:8333",
        s3_public_endpoint_url="https://store.example.org",
        s3_addressing_style="path",
        cdn_base_url="https://cdn.example.org",
    )
    url = signer(settings).sign(KEY, START, 60)
    assert url.startswith(f"https://cdn.example.org/{KEY}?X-Amz-Algorithm=")
    assert media_origin(settings) == "https://cdn.example.org"
    assert media_origin(s3_settings(s3_endpoint_url="http://127.0.0.1:8333/")) == "http://127.0.0.1:8333"
    aws = s3_settings(s3_addressing_style="auto")
    assert media_origin(aws) == "https://reelhouse.s3.eu-west-3.amazonaws.com"


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    from dataclasses import fields

    for f in fields(Settings):
        monkeypatch.delenv(f.name.upper(), raising=False)
    monkeypatch.setenv("ENV_FILE", os.devnull)
    return monkeypatch


def test_delivery_settings_and_their_refusals(clean_env):
    s = load_settings()
    assert (s.delivery, s.presign_ttl_seconds, s.s3_public_endpoint, s.cdn_base_url) == ("", 21600, "", "")
    assert delivery_mode(s) == "local"  # empty: local with the local store (relay with S3)
    clean_env.setenv("STORAGE_BACKEND", "s3")
    clean_env.setenv("S3_ENDPOINT_URL", "http://s3:8333/")
    clean_env.setenv("DELIVERY", "Presigned")
    assert load_settings().delivery == "presigned"
    assert load_settings().s3_public_endpoint == "http://s3:8333"  # S3_ENDPOINT_URL's, by default
    clean_env.setenv("S3_PUBLIC_ENDPOINT_URL", "http://localhost:8333/")
    assert load_settings().s3_public_endpoint == "http://localhost:8333"
    refusals = {
        "DELIVERY": ("cdn", "DELIVERY must be 'relay', 'local' or 'presigned', got 'cdn'"),
        "PRESIGN_TTL_SECONDS": ("60", "PRESIGN_TTL_SECONDS must be at least 300, got 60"),
        "S3_PUBLIC_ENDPOINT_URL": ("localhost:8333", "S3_PUBLIC_ENDPOINT_URL must be an http(s) URL"),
        "CDN_BASE_URL": ("https://cdn.example.org/?a=1", "CDN_BASE_URL must be an http(s) URL"),
    }
    for name, (raw, message) in refusals.items():
        with clean_env.context() as env:
            env.setenv(name, raw)
            with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
                load_settings()
    with clean_env.context() as env:
        env.setenv("PRESIGN_TTL_SECONDS", "604801")
        with pytest.raises(ConfigError, match="at most 604800"):
            load_settings()
    clean_env.setenv("DELIVERY", "relay")
    clean_env.setenv("CDN_BASE_URL", "https://cdn.example.org")
    with pytest.raises(ConfigError, match="CDN_BASE_URL is for DELIVERY=presigned"):
        load_settings()


@pytest.mark.parametrize("folder,module", [("streaming-webapp", "streaming_webapp"), ("file-svc", "file_svc")])
def test_presigned_delivery_on_the_local_store_is_refused_at_start(tmp_path, folder, module):
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT / "common"),
        "ENV_FILE": os.devnull,
        "DELIVERY": "presigned",
        "STORAGE_BACKEND": "local",
        "DB_PATH": str(tmp_path / "db.sqlite3"),
        "TEMP_DIR": str(tmp_path / "temp"),
        "STORAGE_DIR": str(tmp_path / "storage"),
    }
    run = subprocess.run(
        [sys.executable, "-c", f"import {module}; {module}.create_app()"],
        cwd=ROOT / folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode != 0
    assert "DELIVERY=presigned needs STORAGE_BACKEND=s3" in run.stderr, run.stderr[-2000:]
    assert "set DELIVERY=local or relay (or leave it empty)" in run.stderr


def test_the_csp_admits_the_media_origin_in_two_directives_only():
    relayed = content_security_policy("http://a.test")
    assert "media-src 'self' blob:;" in relayed and "connect-src 'self';" in relayed
    presigned = content_security_policy("http://a.test", media_origins="https://store.example.org")
    assert "media-src 'self' blob: https://store.example.org;" in presigned
    assert "connect-src 'self' https://store.example.org;" in presigned
    assert presigned.count("store.example.org") == 2


def test_file_svc_on_the_local_store_refuses_a_presigned_playlist_and_a_bad_limit(tmp_path):
    """A file-svc whose store cannot sign (a local folder: only a misconfigured caller can
    ask) says so, and a malformed X-Presign-Until is refused before the store is read."""
    from harness import in_process_app

    app = in_process_app("file-svc", "file_svc", tmp_path)
    video = "abcdefghijklmnopqrstuv"
    folder = tmp_path / "storage" / "videos" / video / "hls" / "360p"
    folder.mkdir(parents=True)
    (folder / "index.m3u8").write_text("#EXTM3U\n#EXTINF:4.0,\nseg_00000.ts\n#EXT-X-ENDLIST\n")
    client = app.test_client()
    auth = {"Authorization": "Bearer " + "x" * 32}
    url = f"/videos/{video}/hls/360p/index.m3u8"
    assert client.get(url, headers=auth).status_code == 200  # relayed as it is
    refused = client.get(url, headers={**auth, "X-Presign-Until": "0"})
    assert refused.status_code == 409 and refused.json["error"] == "presign_unavailable"
    assert "DELIVERY=presigned needs STORAGE_BACKEND=s3" in refused.json["message"]
    for bad in ("soon", "-5", "1.5"):
        resp = client.get(url, headers={**auth, "X-Presign-Until": bad})
        assert resp.status_code == 400 and resp.json["error"] == "bad_presign_until", bad
