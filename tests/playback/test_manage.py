"""Rename, delete and retry through streaming-svc's API: the owner only; the library
listing newest first, paged and searchable."""

from __future__ import annotations

import pytest
import requests

from conftest import browser_login
from harness import bearer


def _packaged(st, token, inputs, names: tuple[str, ...]) -> list[dict]:
    """Videos of `token`'s user, packaged (every job over: what races a delete is tested
    in tests/packager/test_delete_race.py, not left to chance here)."""
    out = []
    for name in names:
        resp = st.upload(token, inputs["h264_silent"], name=name)
        assert resp.status_code == 201, resp.text
        out.append(resp.json()["id"])
    return [st.wait_packaged(token, vid) for vid in out]


@pytest.fixture(scope="module")
def owned(pb_stack, pb_tokens, inputs):
    """Two of alice's videos that stay (renamed, listed, refused a retry; never deleted:
    the delete test has its own), so that these tests pass in any order."""
    return _packaged(pb_stack, pb_tokens["alice"], inputs, ("Manage one", "Manage two"))


def _api(st, method, token, path, **kw):
    return requests.request(method, st.url("streaming") + path, headers=bearer(token), timeout=15, **kw)


def test_rename_is_for_the_owner(pb_stack, pb_tokens, owned):
    vid = owned[0]["id"]
    resp = _api(pb_stack, "PATCH", pb_tokens["alice"], f"/api/videos/{vid}", json={"video_name": "  Été 🎬  "})
    assert resp.status_code == 200, resp.text
    assert resp.json()["video_name"] == "Été 🎬"
    refused = _api(pb_stack, "PATCH", pb_tokens["bob"], f"/api/videos/{vid}", json={"video_name": "Mine"})
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    for bad in ("   ", "x" * 201):
        assert (
            _api(pb_stack, "PATCH", pb_tokens["alice"], f"/api/videos/{vid}", json={"video_name": bad}).status_code
            == 400
        )
    assert pb_stack.video(pb_tokens["bob"], vid)["video_name"] == "Été 🎬"


def test_retry_is_for_failed_videos_of_the_owner(pb_stack, pb_tokens, owned):
    vid = owned[0]["id"]
    assert _api(pb_stack, "POST", pb_tokens["bob"], f"/api/videos/{vid}/retry").status_code == 403
    resp = _api(pb_stack, "POST", pb_tokens["alice"], f"/api/videos/{vid}/retry")
    assert resp.status_code == 409 and resp.json()["error"] == "not_failed"  # ready, no rendition failed


def test_library_lists_newest_first_paged_and_searched(pb_stack, pb_tokens, owned):
    token = pb_tokens["bob"]  # the library is shared: bob sees alice's videos
    first = _api(pb_stack, "GET", token, "/api/videos?per_page=1&page=1").json()
    second = _api(pb_stack, "GET", token, "/api/videos?per_page=1&page=2").json()
    assert first["total"] >= 2 and first["pages"] == first["total"]
    assert first["videos"][0]["created_at"] >= second["videos"][0]["created_at"]
    found = _api(pb_stack, "GET", token, "/api/videos?q=MANAGE%20TWO").json()
    assert [v["id"] for v in found["videos"]] == [owned[1]["id"]]
    assert _api(pb_stack, "GET", token, "/api/videos?page=0").status_code == 400


def test_delete_is_for_the_owner_and_purge_removes_everything(pb_stack, pb_tokens, inputs):
    """A DELETE moves the video to the trash (objects kept, gone from the API); with
    ?purge=true it removes everything: objects, row, jobs, renditions."""
    (video,) = _packaged(pb_stack, pb_tokens["alice"], inputs, ("Manage to delete",))
    vid = video["id"]
    kept = pb_stack.state.objects(f"videos/{vid}/")
    assert kept
    assert _api(pb_stack, "DELETE", pb_tokens["bob"], f"/api/videos/{vid}").status_code == 403
    assert _api(pb_stack, "DELETE", pb_tokens["alice"], f"/api/videos/{vid}").status_code == 204
    assert _api(pb_stack, "GET", pb_tokens["alice"], f"/api/videos/{vid}").status_code == 404
    assert pb_stack.state.objects(f"videos/{vid}/") == kept  # in the trash: nothing removed yet
    assert _api(pb_stack, "DELETE", pb_tokens["bob"], f"/api/videos/{vid}?purge=true").status_code in (403, 404)
    assert _api(pb_stack, "DELETE", pb_tokens["alice"], f"/api/videos/{vid}?purge=true").status_code == 204
    assert pb_stack.state.objects(f"videos/{vid}/") == []
    assert pb_stack.query("SELECT id FROM videos WHERE id = ?", (vid,)) == []
    assert pb_stack.query("SELECT video_id FROM packaging_jobs WHERE video_id = ?", (vid,)) == []
    assert pb_stack.query("SELECT video_id FROM renditions WHERE video_id = ?", (vid,)) == []


@pytest.mark.browser
def test_rename_and_delete_from_the_library_in_chromium(browser, pb_stack, pb_tokens, inputs):
    token = pb_tokens["alice"]
    resp = pb_stack.upload(token, inputs["h264_silent"], name="Library actions")
    assert resp.status_code == 201, resp.text
    vid = resp.json()["id"]
    assert pb_stack.wait_status(token, vid)["status"] == "ready"
    context = browser.new_context()
    page = context.new_page()
    try:
        browser_login(page, pb_stack)
        page.goto(pb_stack.url("streaming") + "/?q=Library")  # matches the name before and after the rename
        tile = page.locator(f".tile[data-id='{vid}']")
        tile.locator(".status.ready").wait_for()
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))  # none expected
        # Rename in place: Escape puts the title back; Enter saves.
        tile.locator("button.rename").click()
        field = tile.locator(".rename-form input")
        field.fill("Not kept")
        field.press("Escape")
        tile.locator("a.title", has_text="Library actions").wait_for()
        tile.locator("button.rename").click()
        field.fill("Library renamed")
        with page.expect_response(lambda r: r.request.method == "PATCH") as renamed:
            field.press("Enter")
        assert renamed.value.status == 200
        tile.locator("a.title", has_text="Library renamed").wait_for()
        assert pb_stack.video(token, vid)["video_name"] == "Library renamed"
        # Delete moves it to the trash at once; Undo brings it back; a second delete stays.
        tile.locator("button.delete").click()
        tile.wait_for(state="detached")
        page.locator("#undo-toast").get_by_text("moved to the trash").wait_for()
        assert _api(pb_stack, "GET", token, f"/api/videos/{vid}").status_code == 404
        with page.expect_response(lambda r: r.url.endswith("/restore")) as restored:
            page.locator("#undo-delete").click()
        assert restored.value.status == 200
        tile.locator("a.title", has_text="Library renamed").wait_for()
        assert pb_stack.video(token, vid)["status"] == "ready"
        tile.locator("button.delete").click()
        tile.wait_for(state="detached")
        assert _api(pb_stack, "GET", token, f"/api/videos/{vid}").status_code == 404
        assert pb_stack.state.objects(f"videos/{vid}/")  # kept in the trash until it is purged
        assert dialogs == []  # no prompt() or confirm()
    finally:
        context.close()
