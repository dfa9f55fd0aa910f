"""GET /api/videos?sort= (issue 24): newest (the default), oldest, name (case-insensitive),
longest (unprobed last); anything else 400 `bad_sort` naming the values."""

from __future__ import annotations

import pytest

from .in_process import video_of

pytestmark = pytest.mark.fast


def _names(client, token, **params):
    resp = client.get("/api/videos", query_string=params, headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return [v["video_name"] for v in resp.get_json()["videos"]]


def test_each_order_and_a_bad_one(streaming_app, tokens):
    db = streaming_app.extensions["db"]
    for name, seconds in (("banana", 30.0), ("Apple", 5.0), ("cherry", None)):
        vid = video_of(streaming_app, "alice", name)
        db.execute("UPDATE videos SET duration_s = ? WHERE id = ?", (seconds, vid))
    client, token = streaming_app.test_client(), tokens["alice"]
    assert _names(client, token) == ["cherry", "Apple", "banana"]
    assert _names(client, token, sort="newest") == ["cherry", "Apple", "banana"]
    assert _names(client, token, sort="oldest") == ["banana", "Apple", "cherry"]
    assert _names(client, token, sort="name") == ["Apple", "banana", "cherry"]
    assert _names(client, token, sort="longest") == ["banana", "Apple", "cherry"]
    assert _names(client, token, sort="name", per_page=2, page=2) == ["cherry"]
    bad = client.get("/api/videos?sort=size", headers={"Authorization": f"Bearer {token}"})
    assert bad.status_code == 400 and bad.get_json()["error"] == "bad_sort"
    assert "newest, oldest, name, longest" in bad.get_json()["message"]
    spec = client.get("/openapi.json").get_json()
    sort = [p for p in spec["paths"]["/api/videos"]["get"]["parameters"] if p["name"] == "sort"][0]
    assert sort["schema"]["enum"] == ["newest", "oldest", "name", "longest"]
