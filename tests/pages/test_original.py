"""Download of the original from the video's page (issue 24): `GET
/api/videos/<id>/original` gives the owner (and an admin) the upload as received, as an
attachment named after the video, with Range; another uploader gets 404 for a private
video (as if it did not exist) and 403 for an internal one, a trashed video is 404 to its owner too."""

from __future__ import annotations

import requests

from harness import bearer


def _get(st, token, vid, **headers):
    url = f"{st.url('streaming')}/api/videos/{vid}/original"
    return requests.get(url, headers={**bearer(token), **headers}, timeout=30)


def test_the_owner_and_an_admin_download_the_original(page_stack, page_people, page_clip):
    st, owner = page_stack, page_people["owner"]
    vid = st.api.upload_id(owner, page_clip, "Holiday: day 1")
    st.wait_packaged(owner, vid)
    sent = page_clip.read_bytes()
    for who in ("owner", "admin"):
        resp = _get(st, page_people[who], vid)
        assert resp.status_code == 200, resp.text
        assert resp.content == sent
        assert resp.headers["Content-Disposition"] == "attachment; filename*=UTF-8''Holiday%3A%20day%201.mp4"
    part = _get(st, owner, vid, Range="bytes=0-99")
    assert part.status_code == 206 and part.content == sent[:100]
    # Another uploader: 403 for an internal video (one they may watch), 404 for a private one.
    api = f"{st.url('streaming')}/api/videos/{vid}"
    for visibility, status, code in (("internal", 403, "forbidden"), ("private", 404, "not_found")):
        assert requests.patch(api, json={"visibility": visibility}, headers=bearer(owner), timeout=30).ok
        other = _get(st, page_people["other"], vid)
        assert other.status_code == status and other.json()["error"] == code, other.text
        assert "Content-Disposition" not in other.headers
    page = requests.get(f"{st.url('streaming')}/videos/{vid}", cookies={"auth_token": owner}, timeout=30)
    assert f'href="/api/videos/{vid}/original"' in page.text
    assert requests.delete(api, headers=bearer(owner), timeout=30).status_code == 204
    assert _get(st, owner, vid).status_code == 404
    # Out of the trash at once (the trash tests count what uma's trash holds).
    assert requests.delete(api + "?purge=true", headers=bearer(owner), timeout=30).status_code == 204
