"""Who may watch a video (VIDEO's `visibility`), on the live services (MariaDB, S3,
gunicorn): every route of a video against the admin, its owner, another uploader, a
viewer, nobody, the owner's read-only API token and another uploader's token, for a
private and an internal video. Another person's private video answers exactly what a
video that does not exist answers (status and body), so that its existence does not
show; it is never listed nor found by a search. Visibility is chosen at upload (the
multipart field, tus metadata) and changed by PATCH; a bad value is refused in words and
nothing is stored."""

from __future__ import annotations

import base64

import pytest
import requests

from harness import bearer, wait_until

from .sharekit import NO_VIDEO, WHO, add_video_row, upload_form, upload_tus

# (method, path, body, statuses in WHO's order for the private video, then the internal one).
# Paths: {v} the video, {fresh} a new row of the owner's of the same visibility (the
# delete), {media} {segment} {vtt} {captions} {thumb} its files.
#                                                                   adm own oth vie nob  rd  tot
TABLE = [
    ("GET", "/videos/{v}", "page", "200 200 404 404 303 401 401", "200 200 200 200 303 401 401"),
    ("GET", "/api/videos/{v}", None, "200 200 404 404 401 200 404", "200 200 200 200 401 200 200"),
    ("PATCH", "/api/videos/{v}", "rename", "200 200 404 403 401 403 404", "200 200 403 403 401 403 403"),
    ("DELETE", "/api/videos/{fresh}", None, "204 204 404 403 401 403 404", "204 204 403 403 401 403 403"),
    ("POST", "/api/videos/{v}/restore", None, "404 404 404 403 401 403 404", "404 404 403 403 401 403 403"),
    ("GET", "/api/videos/{v}/original", None, "200 200 404 403 401 403 404", "200 200 403 403 401 403 403"),
    ("POST", "/api/videos/{v}/retry", None, "409 409 404 403 401 403 404", "409 409 403 403 401 403 403"),
    ("POST", "/api/videos/{v}/captions", "no_file", "400 400 404 403 401 403 404", "400 400 403 403 401 403 403"),
    ("DELETE", "/api/videos/{v}/captions/xx", None, "404 404 404 403 401 403 404", "404 404 403 403 401 403 403"),
    ("GET", "/videos/{v}/hls/master.m3u8", None, "200 200 404 404 401 200 404", "200 200 200 200 401 200 200"),
    ("HEAD", "/videos/{v}/hls/master.m3u8", None, "200 200 404 404 401 200 404", "200 200 200 200 401 200 200"),
    ("GET", "/videos/{v}/hls/{media}", None, "200 200 404 404 401 200 404", "200 200 200 200 401 200 200"),
    ("GET", "/videos/{v}/hls/{segment}", None, "200 200 404 404 401 200 404", "200 200 200 200 401 200 200"),
    ("GET", "/videos/{v}/hls/{captions}", None, "200 200 404 404 401 200 404", "200 200 200 200 401 200 200"),
    ("GET", "/videos/{v}/hls/{vtt}", None, "200 200 404 404 401 200 404", "200 200 200 200 401 200 200"),
    ("GET", "/videos/{v}/poster.jpg", None, "200 200 404 404 401 200 404", "200 200 200 200 401 200 200"),
    ("GET", "/videos/{v}/thumbs/{thumb}", None, "200 200 404 404 401 200 404", "200 200 200 200 401 200 200"),
    ("GET", "/api/videos/{v}/shares", None, "200 200 404 403 401 403 404", "200 200 403 403 401 403 403"),
    ("POST", "/api/videos/{v}/shares", "share", "201 201 404 403 401 403 404", "201 201 403 403 401 403 403"),
    ("POST", "/api/videos/{v}/views", "view", "400 400 404 404 401 400 404", "400 400 400 400 401 400 400"),
    ("GET", "/api/videos/{v}/stats", None, "200 200 404 403 401 403 404", "200 200 403 403 401 403 403"),
    ("DELETE", "/api/videos/{v}/shares/nosuchlink", None, "404 404 404 403 401 403 404", "404 404 403 403 401 403 403"),
]


def _send(crowd, who: str, method: str, path: str, body: str | None, video_id: str, visibility: str):
    st = crowd.st
    files = crowd.files.get(video_id) or crowd.files[crowd.private]  # an unknown video: any names
    fresh = add_video_row(st, "uma", visibility, name="Fresh") if "{fresh}" in path else ""
    url = st.url("streaming") + path.format(v=video_id, fresh=fresh if video_id != NO_VIDEO else NO_VIDEO, **files)
    kwargs: dict = {}
    if body == "no_file":
        kwargs["files"] = {"language": (None, "en")}
    elif body == "share":
        kwargs["json"] = {}
    elif body == "view":
        kwargs["json"] = {"ticket": "not a ticket"}
    elif body == "rename":
        kwargs["json"] = {"video_name": "Private one" if visibility == "private" else "Internal one"}
    return requests.request(method, url, headers=crowd.headers(who), timeout=20, allow_redirects=False, **kwargs)


@pytest.mark.parametrize("visibility", ["private", "internal"])
@pytest.mark.parametrize("method,path,body,private,internal", TABLE, ids=[f"{r[0]} {r[1]}" for r in TABLE])
def test_every_video_route_for_every_caller(crowd, visibility, method, path, body, private, internal):
    video_id = crowd.private if visibility == "private" else crowd.internal
    expected = dict(zip(WHO, (int(s) for s in (private if visibility == "private" else internal).split()), strict=True))
    wrong = []
    for who in WHO:
        resp = _send(crowd, who, method, path, body, video_id, visibility)
        if resp.status_code != expected[who]:
            wrong.append(f"{who}: {resp.status_code} (expected {expected[who]}) {resp.text[:200]}")
            continue
        if visibility == "private" and who in ("other", "viewer", "t_other") and resp.status_code == 404:
            # Exactly what a video that does not exist answers: nothing tells them apart.
            absent = _send(crowd, who, method, path, body, NO_VIDEO, visibility)
            if (absent.status_code, absent.text) != (resp.status_code, resp.text):
                wrong.append(f"{who}: 404 {resp.text[:200]} differs from an absent video's {absent.text[:200]}")
    assert not wrong, f"{method} {path} ({visibility}):\n" + "\n".join(wrong)
    video = crowd.st.video(crowd.token["admin"], video_id)
    assert (video["visibility"], video["status"], video["owner"]) == (visibility, "ready", "uma")


def _listed(crowd, who: str, q: str = "") -> set[str]:
    resp = requests.get(
        crowd.st.url("streaming") + "/api/videos",
        params={"per_page": 100, "q": q},
        headers=crowd.headers(who),
        timeout=20,
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["total"] == len(body["videos"])  # one page holds them all: the total counts what is listed
    return {v["id"] for v in body["videos"]}


@pytest.mark.parametrize("who", ["admin", "owner", "t_read", "other", "viewer", "t_other"])
def test_a_private_video_is_listed_and_found_only_for_its_owner_and_admins(crowd, who):
    sees = who in ("admin", "owner", "t_read")
    for q in ("", "one", "Private"):
        listed = _listed(crowd, who, q)
        assert (crowd.private in listed) == sees, (who, q)
        if q != "Private":
            assert crowd.internal in listed, (who, q)
    video = crowd.st.video(crowd.token["owner"], crowd.private)
    assert video["visibility"] == "private" and isinstance(video["views"], int)  # other tests may play it


def test_visibility_is_chosen_at_upload_and_a_bad_one_stores_nothing(crowd, tmp_path):
    st, owner = crowd.st, crowd.token["owner"]
    chosen = upload_form(st, owner, crowd.clip, "Chosen private", [("visibility", "private")])
    assert chosen.status_code == 201, chosen.text
    assert st.video(owner, chosen.json()["id"])["visibility"] == "private"
    default = upload_form(st, owner, crowd.clip, "Default", [("visibility", "")])
    assert default.status_code == 201 and st.video(owner, default.json()["id"])["visibility"] == "internal"
    for video_id in (chosen.json()["id"], default.json()["id"]):
        st.wait_packaged(owner, video_id)  # nothing more is written for them
    before = st.snapshot()
    for fields in ([("visibility", "public")], [("file", None), ("visibility", "Private ")]):
        resp = upload_form(st, owner, crowd.clip, "Refused", fields)
        assert resp.status_code == 400, resp.text
        assert resp.json()["error"] == "bad_visibility"
        assert resp.json()["message"].startswith("'visibility' must be private or internal, not ")
    refused = requests.post(
        st.url("upload") + "/api/tus/",
        headers={
            **bearer(owner),
            "Tus-Resumable": "1.0.0",
            "Upload-Length": "1000",
            "Upload-Metadata": "filename "
            + base64.b64encode(b"x.mp4").decode()
            + ",visibility "
            + base64.b64encode(b"everyone").decode(),
        },
        timeout=10,
    )
    assert refused.status_code == 400 and refused.json()["error"] == "bad_visibility", refused.text
    assert "'visibility' must be private or internal, not 'everyone'" in refused.json()["message"]
    wait_until(lambda: st.snapshot() == before, 20, "nothing of the refused uploads left")
    assert st.query("SELECT id FROM uploads WHERE video_id IS NULL") == []
    # A tus upload's metadata names it, and HEAD echoes it as given.
    internal, echoed = upload_tus(st, owner, crowd.clip, {"filename": "i.mp4", "visibility": "internal"})
    assert echoed == {"filename": "i.mp4", "visibility": "internal"}
    assert st.video(owner, internal)["visibility"] == "internal"


def test_patch_sets_visibility_and_refuses_a_bad_one_whole(crowd):
    """The owner makes a video private: another person's requests fail within the 2 s
    the HLS routes keep who may watch; internal again, they work. A bad visibility beside
    a good name changes neither."""
    st, owner = crowd.st, crowd.token["owner"]
    resp = upload_form(st, owner, crowd.clip, "Switched", [("visibility", "internal")])
    video_id = resp.json()["id"]
    st.wait_status(owner, video_id)
    api = f"{st.url('streaming')}/api/videos/{video_id}"
    master = f"{st.url('streaming')}/videos/{video_id}/hls/master.m3u8"
    other = crowd.headers("other")
    assert requests.get(master, headers=other, timeout=10).status_code == 200
    for body, code in (
        ({"visibility": "public"}, "bad_visibility"),
        ({"visibility": None}, "bad_visibility"),
        ({"video_name": "New name", "visibility": "PRIVATE"}, "bad_visibility"),
        ({"video_name": "", "visibility": "private"}, "invalid_name"),
        ({}, "bad_request"),
        ({"name": "x"}, "bad_request"),
    ):
        bad = requests.patch(api, json=body, headers=bearer(owner), timeout=10)
        assert bad.status_code == 400 and bad.json()["error"] == code, (body, bad.text)
    assert (st.video(owner, video_id)["video_name"], st.video(owner, video_id)["visibility"]) == (
        "Switched",
        "internal",
    )
    changed = requests.patch(api, json={"visibility": "private"}, headers=bearer(owner), timeout=10)
    assert changed.status_code == 200 and changed.json()["visibility"] == "private"
    assert changed.json()["video_name"] == "Switched"
    assert requests.get(api, headers=other, timeout=10).status_code == 404
    wait_until(lambda: requests.get(master, headers=other, timeout=10).status_code == 404, 5, "private to others")
    assert requests.get(master, headers=bearer(owner), timeout=10).status_code == 200
    # An admin may change it too; internal again, the other uploader watches again.
    both = requests.patch(
        api, json={"visibility": "internal", "video_name": "Open"}, headers=crowd.headers("admin"), timeout=10
    )
    assert both.status_code == 200 and (both.json()["visibility"], both.json()["video_name"]) == ("internal", "Open")
    wait_until(lambda: requests.get(master, headers=other, timeout=10).status_code == 200, 5, "internal again")
    # Another uploader may not change it (an internal video: 403 saying why).
    refused = requests.patch(api, json={"visibility": "private"}, headers=other, timeout=10)
    assert refused.status_code == 403 and "owner or an administrator" in refused.json()["message"]
