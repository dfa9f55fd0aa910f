"""The video's description and the trash (issue 24), on the live services (MariaDB, S3,
gunicorn, a packager sweeping every second): PATCH's `description` checked with nothing
written on a bad one; DELETE puts a video in the trash (404 to everyone on every route,
objects kept, counted in the quota), restore brings it back whole, `?purge=true`
removes it at once, and the sweep purges it past TRASH_HOURS (rows, objects, shares,
views, with the `video.deleted` event)."""

from __future__ import annotations

from datetime import timedelta

import requests

from harness import bearer, wait_until
from vs_common.db import utcnow


def _api(st, token, method, path, **kwargs):
    return requests.request(method, st.url("streaming") + path, headers=bearer(token), timeout=30, **kwargs)


def _video(st, people, clip, name):
    vid = st.api.upload_id(people["owner"], clip, name)
    st.wait_packaged(people["owner"], vid)
    return vid


def test_description_is_written_and_checked(page_stack, page_people, page_clip):
    st, owner = page_stack, page_people["owner"]
    vid = _video(st, page_people, page_clip, "Described")
    assert _api(st, owner, "GET", f"/api/videos/{vid}").json()["description"] == ""
    text = "First line\n\tindented, café\r\nthird"
    resp = _api(st, owner, "PATCH", f"/api/videos/{vid}", json={"description": text})
    assert resp.status_code == 200, resp.text
    assert resp.json()["description"] == "First line\n\tindented, café\nthird"
    assert resp.json()["deleted_at"] is None
    for bad, words in (
        ("x" * 5001, "5001 characters long; the limit is 5000"),
        ("bell\x07", "control character (U+0007)"),
        ("spoof\u202e", "bidirectional control"),
        (42, "must be text"),
    ):
        # With a good name beside it: nothing of the request is written.
        resp = _api(st, owner, "PATCH", f"/api/videos/{vid}", json={"video_name": "Renamed", "description": bad})
        assert resp.status_code == 400 and resp.json()["error"] == "bad_description", resp.text
        assert words in resp.json()["message"]
    page = requests.get(f"{st.url('streaming')}/videos/{vid}", cookies={"auth_token": owner}, timeout=30)
    assert page.status_code == 200 and "indented, café" in page.text and 'id="rename-form"' in page.text
    row = st.query("SELECT video_name, description FROM videos WHERE id = ?", (vid,))[0]
    assert row == {"video_name": "Described", "description": "First line\n\tindented, café\nthird"}
    other = _api(st, page_people["other"], "PATCH", f"/api/videos/{vid}", json={"description": "mine"})
    assert other.status_code == 403


def test_trash_hides_keeps_and_restores(page_stack, page_people, page_clip):
    st, owner, other = page_stack, page_people["owner"], page_people["other"]
    vid = _video(st, page_people, page_clip, "Trashed then restored")
    share = _api(st, owner, "POST", f"/api/videos/{vid}/shares", json={}).json()
    objects = st.state.objects(f"videos/{vid}/")
    usage = st.query("SELECT COUNT(*) AS n FROM videos WHERE owner = 'uma'")[0]["n"]
    assert _api(st, owner, "DELETE", f"/api/videos/{vid}?purge=maybe").status_code == 400
    assert _api(st, other, "DELETE", f"/api/videos/{vid}").status_code == 403
    assert _api(st, owner, "DELETE", f"/api/videos/{vid}").status_code == 204
    # Gone for everyone, its owner included, on every route; kept behind.
    for token in (owner, other, page_people["admin"]):
        for path in (f"/api/videos/{vid}", f"/videos/{vid}", f"/videos/{vid}/poster.jpg", f"/api/videos/{vid}/shares"):
            wait_until(lambda p=path, t=token: _api(st, t, "GET", p).status_code == 404, 5, path)
        assert vid not in [v["id"] for v in _api(st, token, "GET", "/api/videos?q=Trashed").json()["videos"]]
    wait_until(lambda: requests.get(share["url"], timeout=10).status_code == 404, 5, "the link refused")
    assert requests.get(share["url"] + "/hls/master.m3u8", timeout=10).status_code == 404
    assert _api(st, owner, "PATCH", f"/api/videos/{vid}", json={"video_name": "x"}).status_code == 404
    assert _api(st, owner, "DELETE", f"/api/videos/{vid}").status_code == 404  # in the trash already
    assert st.state.objects(f"videos/{vid}/") == objects
    assert st.query("SELECT COUNT(*) AS n FROM videos WHERE owner = 'uma'")[0]["n"] == usage  # in the quota
    trash = _api(st, owner, "GET", "/api/trash").json()
    assert [v["id"] for v in trash["videos"]] == [vid] and trash["trash_hours"] == 24
    assert trash["videos"][0]["deleted_at"].endswith("Z")
    assert _api(st, other, "GET", "/api/trash").json()["videos"] == []
    assert _api(st, other, "POST", f"/api/videos/{vid}/restore").status_code == 403
    # Restored whole: the page, the API, the link.
    resp = _api(st, owner, "POST", f"/api/videos/{vid}/restore")
    assert resp.status_code == 200 and resp.json()["id"] == vid and resp.json()["deleted_at"] is None, resp.text
    assert _api(st, owner, "POST", f"/api/videos/{vid}/restore").status_code == 404  # not in the trash
    assert _api(st, owner, "GET", f"/api/videos/{vid}").status_code == 200
    wait_until(lambda: requests.get(share["url"], timeout=10).status_code == 200, 5, "the link back")
    assert _api(st, owner, "GET", "/api/trash").json()["videos"] == []


def test_purge_and_the_sweep_remove_everything(page_stack, page_people, page_clip):
    st, owner = page_stack, page_people["owner"]
    now_gone = _video(st, page_people, page_clip, "Purged at once")
    swept = _video(st, page_people, page_clip, "Swept from the trash")
    kept = _video(st, page_people, page_clip, "Trashed recently")
    for vid in (swept, kept):
        assert _api(st, owner, "POST", f"/api/videos/{vid}/shares", json={}).status_code == 201
        assert _api(st, owner, "DELETE", f"/api/videos/{vid}").status_code == 204
    assert _api(st, owner, "DELETE", f"/api/videos/{now_gone}?purge=true").status_code == 204
    assert st.query("SELECT id FROM videos WHERE id = ?", (now_gone,)) == []
    assert st.state.objects(f"videos/{now_gone}/") == []
    # A trashed video can be purged too (the trash page's "delete for good").
    assert _api(st, owner, "DELETE", f"/api/videos/{kept}?purge=true").status_code == 204
    kept = _video(st, page_people, page_clip, "Trashed recently again")
    assert _api(st, owner, "DELETE", f"/api/videos/{kept}").status_code == 204
    # Past TRASH_HOURS (24): the next sweep purges it, and leaves the recent one.
    st.query("UPDATE videos SET deleted_at = ? WHERE id = ?", (utcnow() - timedelta(hours=24, minutes=1), swept))
    wait_until(lambda: not st.query("SELECT id FROM videos WHERE id = ?", (swept,)), 20, "the sweep's purge")
    wait_until(lambda: st.state.objects(f"videos/{swept}/") == [], 20, "the objects gone")
    for table in ("shares", "renditions", "packaging_jobs", "captions", "views"):
        assert st.query(f"SELECT video_id FROM {table} WHERE video_id = ?", (swept,)) == [], table
    assert st.query("SELECT video_id FROM deleted_videos WHERE video_id = ?", (swept,)) == []
    assert st.query("SELECT deleted_at FROM videos WHERE id = ?", (kept,))[0]["deleted_at"] is not None
    assert st.state.objects(f"videos/{kept}/")
