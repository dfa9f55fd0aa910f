"""Fast unit tests of the shared package: settings, names, the VIDEO shape, byte ranges."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime

import pytest

from vs_common import catalogue, layout, names, video_json, wire
from vs_common.openapi_parts import VIDEO
from vs_common.settings import ConfigError, Settings, delivery_mode, load_settings, origin_of

pytestmark = pytest.mark.fast


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env here
    for name in (
        "HLS_LADDER",
        "STORAGE_BACKEND",
        "MAX_UPLOAD_BYTES",
        "COOKIE_SECURE",
        "DB_HOST",
        "ENV_FILE",
        "S3_PART_SIZE_MB",
        "DEFAULT_VISIBILITY",
        "EMBED_ALLOWED_ORIGINS",
        "DELIVERY",
    ):
        # setenv first, so that monkeypatch restores the variable's absence even after
        # load_dotenv() put a value from a test's .env into os.environ.
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    return monkeypatch


def test_defaults_are_the_embedded_ones(clean_env):
    s = load_settings()
    assert s.storage_backend == "local" and not s.uses_mariadb
    assert s.hls_ladder == (360, 720, 1080)
    assert s.max_upload_bytes == 10 * 1024**3


def test_each_setting_is_declared_once(monkeypatch, tmp_path):
    """A field of Settings states its variable, how it is read, its default and its
    meaning; load_settings() reads them from there, so with no variable set it builds
    what Settings() is."""
    from dataclasses import fields

    for f in fields(Settings):
        assert f.metadata["read"].variable == f.name.upper() and f.metadata["doc"], f.name
        monkeypatch.delenv(f.name.upper(), raising=False)
    monkeypatch.delenv("ENV_FILE", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    assert load_settings() == Settings()


def test_environment_wins_over_env_file(clean_env, tmp_path):
    (tmp_path / ".env").write_text("HLS_LADDER=240\nMAX_UPLOAD_BYTES=5\n")
    clean_env.setenv("HLS_LADDER", "480,720")
    s = load_settings()
    assert s.hls_ladder == (480, 720)
    assert s.max_upload_bytes == 5


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("STORAGE_BACKEND", "ftp", "STORAGE_BACKEND"),
        ("HLS_LADDER", "720,abc", "HLS_LADDER"),
        ("HLS_LADDER", "721", "even"),
        ("MAX_UPLOAD_BYTES", "lots", "integer"),
        ("COOKIE_SECURE", "maybe", "true or false"),
        ("S3_PART_SIZE_MB", "1", "at least 5"),
        ("DEFAULT_VISIBILITY", "public", "DEFAULT_VISIBILITY must be 'private' or 'internal'"),
        ("EMBED_ALLOWED_ORIGINS", "https://blog.example/path", "is not an origin"),
        ("EMBED_ALLOWED_ORIGINS", "https://a.example 'unsafe-inline'", "is not an origin"),
        ("EMBED_ALLOWED_ORIGINS", "https://a.example;script-src", "characters an origin cannot have"),
        ("EMBED_ALLOWED_ORIGINS", "* https://a.example", "is not an origin"),
        ("DELIVERY", "nginx", "DELIVERY must be 'relay', 'local' or 'presigned'"),
    ],
)
def test_bad_settings_refuse_to_start_with_a_reason(clean_env, name, value, message):
    clean_env.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        load_settings()


def test_delivery_is_local_for_the_local_store_and_relay_for_s3(clean_env):
    """DELIVERY: empty means streaming-svc reads the local store's folder itself, and
    relays file-svc with S3; DELIVERY=local with S3 is refused at start with a reason."""
    assert delivery_mode(load_settings()) == "local"
    clean_env.setenv("DELIVERY", "relay")
    assert delivery_mode(load_settings()) == "relay"
    clean_env.setenv("DELIVERY", "")
    clean_env.setenv("STORAGE_BACKEND", "s3")
    assert delivery_mode(load_settings()) == "relay"
    clean_env.setenv("DELIVERY", "Local")
    with pytest.raises(ConfigError, match="DELIVERY=local reads the local store's folder, but STORAGE_BACKEND is 's3'"):
        load_settings()


def test_sharing_settings(clean_env):
    """DEFAULT_VISIBILITY: internal unless set; EMBED_ALLOWED_ORIGINS: any site (*) unless
    origins are listed, which are kept as origins (they go into a CSP header as they are)."""
    s = load_settings()
    assert (s.default_visibility, s.embed_allowed_origins) == ("internal", ("*",))
    clean_env.setenv("DEFAULT_VISIBILITY", "Private")
    clean_env.setenv("EMBED_ALLOWED_ORIGINS", "https://Blog.Example:443/, http://intranet:8080")
    s = load_settings()
    assert s.default_visibility == "private"
    assert s.embed_allowed_origins == ("https://blog.example", "http://intranet:8080")


@pytest.mark.parametrize(
    "token", ["change-me-metrics-token", "change-me", "Change-Me-Please-0123456789", "short-token-1234"]
)
def test_placeholder_or_short_metrics_token_is_refused_in_production(clean_env, caplog, token):
    clean_env.setenv("METRICS_TOKEN", token)
    clean_env.setenv("APP_ENV", "production")
    with pytest.raises(ConfigError, match="METRICS_TOKEN.*refusing to start with APP_ENV=production"):
        load_settings()
    # A local trial only warns, as for the other secrets.
    clean_env.setenv("APP_ENV", "development")
    with caplog.at_level(logging.WARNING, logger="vs_common.settings"):
        assert load_settings().metrics_token == token
    assert "METRICS_TOKEN" in caplog.text


def test_production_takes_a_random_metrics_token_or_none(clean_env):
    clean_env.setenv("APP_ENV", "production")
    clean_env.setenv("METRICS_TOKEN", "")
    assert load_settings().metrics_token == ""  # metrics off: /metrics answers 404
    token = secrets.token_urlsafe(32)
    clean_env.setenv("METRICS_TOKEN", token)
    assert load_settings().metrics_token == token


def test_origins():
    assert origin_of("HTTP://LocalHost:3000/x?y") == "http://localhost:3000"
    assert origin_of("https://example.org:443/") == "https://example.org"
    s = Settings(
        upload_public_url="http://a:3000", streaming_public_url="http://a:3100", auth_public_url="http://a:8000"
    )
    assert s.webapp_origins == {"http://a:3000", "http://a:3100"}
    assert "http://a:8000" in s.public_origins


@pytest.mark.parametrize("raw", ["  ok  ", "é" * 200, "🎬 clip", "a\tb", "<script>alert(1)</script>"])
def test_good_names_are_trimmed_and_kept(raw):
    assert names.clean_name(raw) == raw.strip()


@pytest.mark.parametrize("raw", ["", "   ", "x" * 201, "a\x00b", "line\nbreak"])
def test_bad_names_are_refused(raw):
    with pytest.raises(names.InvalidName):
        names.clean_name(raw)


def test_ids_are_random_and_url_safe():
    ids = {wire.new_video_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(i) >= 12 and i.replace("-", "").replace("_", "").isalnum() for i in ids)


def test_video_json_shape():
    now = datetime(2026, 1, 2, 3, 4, 5, 678000)
    row = {
        "id": "abcdefghijklmnop",
        "video_name": "n",
        "video_path": "local://videos/abcdefghijklmnop/hls/master.m3u8",
        "owner": "alice",
        "visibility": "private",
        "status": "ready",
        "error": "stale",
        "duration_s": 3.0,
        "width": 320,
        "height": 240,
        "size_bytes": 10,
        "renditions": [
            {"height": 240, "status": "ready", "error": None},
            {"height": 120, "status": "failed", "error": "x"},
        ],
        "phase": "packaging",
        "created_at": now,
        "updated_at": str(now),
    }
    out = video_json.to_json(row, "http://h:3100/")
    assert out["error"] is None  # only failed videos carry an error
    assert out["created_at"] == "2026-01-02T03:04:05.678Z" == out["updated_at"]
    assert out["poster_url"] == "http://h:3100/videos/abcdefghijklmnop/poster.jpg"
    assert out["watch_url"] == "http://h:3100/videos/abcdefghijklmnop"
    assert out["renditions"] == [
        {"height": 240, "status": "ready", "error": None},
        {"height": 120, "status": "failed", "error": "x"},
    ]
    assert out["phase"] is None  # only while processing
    assert (out["visibility"], out["views"]) == ("private", 0)  # no views attached: none counted
    # The shape design.md names, as the OpenAPI documents describe it.
    assert set(out) == set(VIDEO["required"]) == set(VIDEO["properties"])


def test_video_path_per_backend():
    assert layout.video_path(Settings(storage_backend="s3", s3_bucket="b"), "x" * 16) == (
        "s3://b/videos/xxxxxxxxxxxxxxxx/hls/master.m3u8"
    )
    assert layout.video_path(Settings(), "y" * 16) == "local://videos/yyyyyyyyyyyyyyyy/hls/master.m3u8"


def test_search_treats_percent_and_underscore_literally(tmp_path):
    from vs_common.db import Database
    from vs_common.schema import migrate

    s = Settings(db_path=str(tmp_path / "v.sqlite3"))
    db = Database(s)
    migrate(db)
    for i, name in enumerate(["100% fun", "100 fun", "a_b", "axb", "Case TEST"]):
        catalogue.insert_video(db, s, video_id=f"id{i:014d}", name=name, owner="o", size_bytes=1, original_key="k")
    names = lambda q: sorted(r["video_name"] for r in catalogue.list_videos(db, q=q)[0])  # noqa: E731
    assert names("100%") == ["100% fun"]
    assert names("a_b") == ["a_b"]
    assert names("case test") == ["Case TEST"]
    rows, total = catalogue.list_videos(db, limit=2, offset=0)
    assert total == 5 and len(rows) == 2


@pytest.mark.parametrize(
    "sizes",
    [[1024 * 1024 - 70] * 5, [3] * 100 + [2_000_000], [1024 * 1024] * 3 + [1], [], [5]],
)
def test_upload_body_goes_in_pieces_of_exactly_one_mib(sizes):
    from vs_common.file_client import UPLOAD_CHUNK, fixed_pieces

    data = bytes(range(256)) * (sum(sizes) // 256 + 1)
    pieces, at = [], 0
    for n in sizes:
        pieces.append(data[at : at + n])
        at += n
    out = list(fixed_pieces(iter(pieces)))
    assert b"".join(out) == b"".join(pieces)
    assert all(len(p) == UPLOAD_CHUNK for p in out[:-1]) and all(0 < len(p) <= UPLOAD_CHUNK for p in out)
