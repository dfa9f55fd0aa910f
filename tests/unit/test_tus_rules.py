"""tus 1.0.0 (upload-webapp/upload_webapp/tus.py) rule by rule, as a table: each row is
one request against an upload of alice's (10,000 bytes, 1,000 received), the answer it
gets (status, error code, headers) and what it leaves (the upload as it was, moved on,
or gone). Flask's test client on upload-webapp's app, SQLite and a temp folder; the
session checked by a real auth-svc app (conftest.py). The same rules through gunicorn,
tuspy and a real store: tests/upload/test_tus.py."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from vs_common.db import utcnow

from .in_process import web_app

pytestmark = pytest.mark.fast

LENGTH, RECEIVED, MAX = 10_000, 1_000, 64 * 1024
OFFSET_TYPE = "application/offset+octet-stream"
MP4_START = b"\x00\x00\x00\x20ftypisom" + bytes(RECEIVED - 12)  # a video's first bytes
VIDEO_ID = "finishedvideo0001"


@pytest.fixture
def app(tmp_path, auth_service):
    """upload-webapp with a 64 KiB limit and two unfinished uploads a user at most."""
    return web_app(
        "upload-webapp",
        "upload_webapp",
        tmp_path,
        auth_service[1],
        max_upload_bytes=MAX,
        upload_max_unfinished=2,
    )


def _meta(**values: bytes) -> str:
    return ",".join(f"{k} {base64.b64encode(v).decode()}" for k, v in values.items())


def _tus(token: str | None, **headers: str) -> dict[str, str]:
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    return {**auth, "Tus-Resumable": "1.0.0", **headers}


def _state(app) -> dict:
    """Every upload's row (id, received, video_id) and the folders in the temp volume."""
    rows = app.extensions["db"].query("SELECT id, received, video_id FROM uploads ORDER BY id")
    temp = app.extensions["settings"].temp_dir
    from pathlib import Path

    folders = sorted(p.name for p in (Path(temp) / "uploads").iterdir()) if (Path(temp) / "uploads").exists() else []
    return {"rows": [(r["id"], int(r["received"]), r["video_id"]) for r in rows], "folders": folders}


def _alices_upload(client, token: str) -> str:
    """A new upload of LENGTH bytes with RECEIVED of them written; its id."""
    made = client.post("/api/tus/", headers=_tus(token, **{"Upload-Length": str(LENGTH)}))
    assert made.status_code == 201, made.get_data(as_text=True)
    upload_id = made.headers["Location"].rsplit("/", 1)[1]
    patch = client.patch(
        f"/api/tus/{upload_id}",
        data=MP4_START,
        headers=_tus(token, **{"Upload-Offset": "0", "Content-Type": OFFSET_TYPE}),
    )
    assert patch.status_code == 204, patch.get_data(as_text=True)
    return upload_id


# What a row's `prepare` does to the upload first (straight in the database).
def _expired(db, upload_id: str) -> None:
    db.execute("UPDATE uploads SET expires_at = ? WHERE id = ?", (utcnow() - timedelta(minutes=1), upload_id))


def _locked(db, upload_id: str) -> None:
    """Another request is writing it (its lock's lease runs)."""
    db.execute(
        "UPDATE uploads SET lock_token = 'another', lock_until = ? WHERE id = ?",
        (utcnow() + timedelta(seconds=30), upload_id),
    )


def _finished(db, upload_id: str) -> None:
    """Its last byte made a video (finish.py)."""
    db.execute("UPDATE uploads SET received = size_bytes, video_id = ? WHERE id = ?", (VIDEO_ID, upload_id))


@dataclass
class Rule:
    """One request and what it must get. `target`: the collection, alice's upload, an
    unknown id or a malformed one; `who`: alice, bob or nobody; `leaves`: the upload
    `same`, `moved` (by this request's bytes) or `gone`."""

    name: str
    method: str
    target: str = "upload"
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    who: str | None = "alice"
    version: bool = True
    prepare: object = None
    status: int = 0
    error: str | None = None
    answer: dict[str, str] = field(default_factory=dict)
    leaves: str = "same"


def _patch(offset: int | str, **headers: str) -> dict[str, str]:
    return {"Upload-Offset": str(offset), "Content-Type": OFFSET_TYPE, **headers}


RULES = [
    # The version: every request but OPTIONS names it.
    Rule("POST without Tus-Resumable", "POST", "collection", {"Upload-Length": "10"}, version=False, status=412,
         error="tus_version", answer={"Tus-Version": "1.0.0"}),
    Rule("POST with another version", "POST", "collection", {"Upload-Length": "10", "Tus-Resumable": "0.2.2"},
         status=412, error="tus_version"),
    Rule("HEAD without Tus-Resumable", "HEAD", version=False, status=412),
    Rule("PATCH without Tus-Resumable", "PATCH", headers=_patch(RECEIVED), body=b"x", version=False, status=412,
         error="tus_version"),
    Rule("DELETE without Tus-Resumable", "DELETE", version=False, status=412, error="tus_version"),
    Rule("OPTIONS needs no version", "OPTIONS", "collection", version=False, status=204,
         answer={"Tus-Version": "1.0.0", "Tus-Extension": "creation,termination,expiration", "Tus-Max-Size": str(MAX)}),
    # A session, as for every other API route.
    Rule("POST without a session", "POST", "collection", {"Upload-Length": "10"}, who=None, status=401,
         error="unauthorized"),
    Rule("PATCH without a session", "PATCH", headers=_patch(RECEIVED), body=b"x", who=None, status=401),
    # Creation.
    Rule("POST without Upload-Length", "POST", "collection", status=400, error="bad_upload_length"),
    Rule("Upload-Length not a number", "POST", "collection", {"Upload-Length": "ten"}, status=400,
         error="bad_upload_length"),
    Rule("Upload-Length negative", "POST", "collection", {"Upload-Length": "-1"}, status=400,
         error="bad_upload_length"),
    Rule("Upload-Length in other digits", "POST", "collection", {"Upload-Length": "\u0661\u0660"}, status=400,
         error="bad_upload_length"),
    Rule("Upload-Length over the limit", "POST", "collection", {"Upload-Length": str(MAX + 1)}, status=413,
         error="file_too_large"),
    Rule("Upload-Length zero", "POST", "collection", {"Upload-Length": "0"}, status=415, error="not_a_video"),
    Rule("Upload-Metadata not base64", "POST", "collection", {"Upload-Length": "10", "Upload-Metadata": "name !!"},
         status=400, error="bad_metadata"),
    Rule("a name that is not UTF-8", "POST", "collection",
         {"Upload-Length": "10", "Upload-Metadata": _meta(name=b"\xff\xfe")}, status=400, error="invalid_name"),
    Rule("a name that spoofs", "POST", "collection",
         {"Upload-Length": "10", "Upload-Metadata": _meta(name="evil\u202egpj.exe".encode())}, status=400,
         error="invalid_name"),
    Rule("a good creation", "POST", "collection",
         {"Upload-Length": "10", "Upload-Metadata": _meta(name=b"Holiday", filename=b"a.mp4")}, status=201,
         answer={"Cache-Control": "no-store"}, leaves="one more"),
    # HEAD: where to resume.
    Rule("HEAD of one's upload", "HEAD", status=200,
         answer={"Upload-Offset": str(RECEIVED), "Upload-Length": str(LENGTH), "Cache-Control": "no-store"}),
    Rule("HEAD of someone else's", "HEAD", who="bob", status=404),
    Rule("HEAD of an unknown id", "HEAD", "unknown", status=404),
    Rule("HEAD of a malformed id", "HEAD", "malformed", status=404),
    Rule("HEAD of an expired upload", "HEAD", prepare=_expired, status=410, leaves="gone"),
    Rule("HEAD of a finished upload", "HEAD", prepare=_finished, status=200,
         answer={"Upload-Offset": str(LENGTH), "Video-Id": VIDEO_ID}),
    # PATCH: bytes at the offset the server has.
    Rule("PATCH at the offset", "PATCH", headers=_patch(RECEIVED), body=b"y" * 500, status=204,
         answer={"Upload-Offset": str(RECEIVED + 500)}, leaves="moved"),
    Rule("PATCH of another type", "PATCH", headers=_patch(RECEIVED, **{"Content-Type": "application/octet-stream"}),
         body=b"y", status=415, error="bad_content_type"),
    Rule("PATCH without Upload-Offset", "PATCH", headers={"Content-Type": OFFSET_TYPE}, body=b"y", status=400,
         error="bad_upload_offset"),
    Rule("PATCH at a negative offset", "PATCH", headers=_patch(-5), body=b"y", status=400, error="bad_upload_offset"),
    Rule("PATCH behind the offset", "PATCH", headers=_patch(0), body=b"y", status=409, error="offset_mismatch",
         answer={"Upload-Offset": str(RECEIVED)}),
    Rule("PATCH ahead of the offset", "PATCH", headers=_patch(RECEIVED + 1), body=b"y", status=409,
         error="offset_mismatch", answer={"Upload-Offset": str(RECEIVED)}),
    Rule("PATCH past Upload-Length", "PATCH", headers=_patch(RECEIVED), body=b"y" * (LENGTH - RECEIVED + 1),
         status=413, error="past_upload_length"),
    Rule("PATCH of someone else's", "PATCH", headers=_patch(RECEIVED), body=b"y", who="bob", status=404,
         error="not_found"),
    Rule("PATCH of an unknown id", "PATCH", "unknown", _patch(0), b"y", status=404, error="not_found"),
    Rule("PATCH of an expired upload", "PATCH", headers=_patch(RECEIVED), body=b"y", prepare=_expired, status=410,
         error="expired", leaves="gone"),
    Rule("PATCH while another writes", "PATCH", headers=_patch(RECEIVED), body=b"y", prepare=_locked, status=423,
         error="locked", answer={"Retry-After": "2"}),
    Rule("PATCH of a finished upload", "PATCH", headers=_patch(LENGTH), body=b"y", prepare=_finished, status=409,
         error="finished", answer={"Video-Id": VIDEO_ID, "Upload-Offset": str(LENGTH)}),
    # Termination.
    Rule("DELETE of one's upload", "DELETE", status=204, leaves="gone"),
    Rule("DELETE of someone else's", "DELETE", who="bob", status=404, error="not_found"),
    Rule("DELETE of an expired upload", "DELETE", prepare=_expired, status=410, error="expired", leaves="gone"),
]  # fmt: skip


def _path(rule: Rule, upload_id: str) -> str:
    return {
        "collection": "/api/tus/",
        "upload": f"/api/tus/{upload_id}",
        "unknown": "/api/tus/abcdefghijklmnop",
        "malformed": "/api/tus/no.such!id",
    }[rule.target]


def _expected_state(before: dict, rule: Rule, upload_id: str, after: dict) -> dict:
    if rule.leaves == "same":
        return before
    if rule.leaves == "gone":
        return {"rows": [r for r in before["rows"] if r[0] != upload_id], "folders": []}
    if rule.leaves == "moved":
        return {"rows": [(upload_id, RECEIVED + len(rule.body), None)], "folders": [upload_id]}
    new = [r for r in after["rows"] if r[0] != upload_id]  # "one more": an empty upload of its own
    assert len(new) == 1 and new[0][1:] == (0, None), after
    return {"rows": sorted(before["rows"] + new), "folders": sorted(before["folders"] + [new[0][0]])}


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
def test_tus_rule(app, tokens, rule):
    client = app.test_client()
    upload_id = _alices_upload(client, tokens["alice"])
    if rule.prepare is not None:
        rule.prepare(app.extensions["db"], upload_id)
    before = _state(app)
    headers = _tus(tokens.get(rule.who), **rule.headers) if rule.version else dict(rule.headers)
    if not rule.version and rule.who:
        headers["Authorization"] = f"Bearer {tokens[rule.who]}"
    resp = client.open(_path(rule, upload_id), method=rule.method, headers=headers, data=rule.body)

    assert resp.status_code == rule.status, resp.get_data(as_text=True)
    if rule.error is not None:
        assert resp.get_json()["error"] == rule.error, resp.get_json()
        assert resp.get_json()["message"]
    for name, value in rule.answer.items():
        assert resp.headers.get(name) == value, (name, dict(resp.headers))
    if rule.status != 401:  # the auth check answers before the tus blueprint
        assert resp.headers["Tus-Resumable"] == "1.0.0"
    if rule.status in (200, 204) and rule.method in ("HEAD", "PATCH") and rule.prepare is None:
        assert "Upload-Expires" in resp.headers
    after = _state(app)
    assert after == _expected_state(before, rule, upload_id, after)


def test_creation_answers_the_public_location_not_the_host(app, tokens):
    resp = app.test_client().post(
        "/api/tus/", headers=_tus(tokens["alice"], **{"Upload-Length": "10", "Host": "evil.example"})
    )
    assert resp.status_code == 201
    assert resp.headers["Location"].startswith("http://app.test:3000/api/tus/")
    assert "Upload-Expires" in resp.headers


def test_a_user_has_two_unfinished_uploads_at_most(app, tokens):
    client = app.test_client()
    _alices_upload(client, tokens["alice"])
    assert client.post("/api/tus/", headers=_tus(tokens["alice"], **{"Upload-Length": "10"})).status_code == 201
    before = _state(app)
    refused = client.post("/api/tus/", headers=_tus(tokens["alice"], **{"Upload-Length": "10"}))
    assert refused.status_code == 429 and refused.get_json()["error"] == "too_many_uploads"
    assert refused.headers["Retry-After"] == "60"
    assert _state(app) == before
    assert client.post("/api/tus/", headers=_tus(tokens["bob"], **{"Upload-Length": "10"})).status_code == 201


def test_a_first_chunk_that_is_plainly_not_a_video_ends_the_upload(app, tokens):
    client = app.test_client()
    made = client.post("/api/tus/", headers=_tus(tokens["alice"], **{"Upload-Length": str(MAX)}))
    url = "/api/tus/" + made.headers["Location"].rsplit("/", 1)[1]
    html = b"<!doctype html><html><body>not a video</body></html>" * 100
    resp = client.patch(url, data=html, headers=_tus(tokens["alice"], **_patch(0)))
    assert resp.status_code == 415 and resp.get_json()["error"] == "not_a_video"
    assert client.head(url, headers=_tus(tokens["alice"])).status_code == 404
    assert _state(app) == {"rows": [], "folders": []}
