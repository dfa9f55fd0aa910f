"""`POST /videos/import` takes a resumable upload by its id: file-svc finds the file in the
temp volume itself (vs_common.layout), so upload-webapp never tells it a path (on file-svc's
own Flask app, SQLite and a local store; real ffprobe)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from vs_common import layout
from vs_common.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "file-svc"))

from file_svc import create_app  # noqa: E402

TOKEN = "t" * 32
UPLOAD_ID = "importedUpload01"


@pytest.fixture
def client(tmp_path):
    settings = Settings(
        db_path=str(tmp_path / "db.sqlite3"),
        storage_dir=str(tmp_path / "storage"),
        temp_dir=str(tmp_path / "temp"),
        internal_token=TOKEN,
    )
    app = create_app(settings)
    return app.test_client(), settings


def _received(settings: Settings) -> Path:
    """A clip where upload-webapp leaves a finished resumable upload."""
    data = layout.upload_data(settings.temp_dir, UPLOAD_ID)
    data.parent.mkdir(parents=True)
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1"]
        + ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-f", "mp4", str(data)],
        check=True,
        timeout=60,
    )
    return data


def _import(test_client, body):
    return test_client.post("/videos/import", json=body, headers={"Authorization": f"Bearer {TOKEN}"})


def test_an_upload_is_imported_by_its_id(client):
    test_client, settings = client
    data = _received(settings)
    resp = _import(test_client, {"id": UPLOAD_ID})
    assert resp.status_code == 201, resp.get_json()
    got = resp.get_json()
    assert (got["id"], got["original_key"]) == (UPLOAD_ID, layout.original(UPLOAD_ID, ".mp4"))
    assert got["size_bytes"] == data.stat().st_size and got["probe"]["width"] == 64
    assert (Path(settings.storage_dir) / got["original_key"]).stat().st_size == data.stat().st_size
    assert layout.source_path(settings.temp_dir, UPLOAD_ID, ".mp4").is_file()  # the packager's source
    assert data.is_file()  # the upload's own name for it stays, for upload-webapp to remove


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"id": UPLOAD_ID}, 404, "not_found"),  # nothing received under that id
        ({"id": "../../etc"}, 400, "bad_id"),
        ({"id": 12}, 400, "bad_id"),
        ({}, 400, "bad_id"),
        (["x"], 400, "bad_id"),
    ],
)
def test_what_is_refused(client, body, status, code):
    test_client, _settings = client
    resp = _import(test_client, body)
    assert (resp.status_code, resp.get_json()["error"]) == (status, code)
