"""Every route of the two web apps against every role and every token scope, on the live
services (MariaDB, S3, gunicorn): each row names the status each caller gets.

Who asks (the columns, tests/people/conftest.py): an admin, the video's owner (an
uploader), another uploader, a viewer, nobody; API tokens of the owner's with the scope
`read`, `upload`, `manage`, all three, all three but expired, all three but revoked; a
viewer's token and an admin's token with all three. The requests are chosen to answer
without side effects once allowed (a missing file, an unknown upload, a retry of a
ready video...), except the delete, which removes a fresh row of the owner's each time.

A 403 says why: the role (a viewer), the token's scope, or the owner (another uploader
managing someone's video). The pages take no API token (401) and send an invalid one to
the login page (303). file-svc takes the internal token only, never a user's.
"""

from __future__ import annotations

import pytest
import requests

from harness import bearer

from .conftest import WHO, add_video_row

TUS = {"Tus-Resumable": "1.0.0"}
NO_UPLOAD = "nosuchupload0000000000"
# One row per route: (service, method, path, what is sent, statuses in WHO's order).
# Paths: {v} the owner's ready video, {thumb} one of its thumbnails, {fresh} a new row of
# the owner's (the delete), {none} an upload that does not exist.
#                                                              adm own upl vie nob  rd  up man all exp rev tvw tad
TABLE = [
    ("upload", "GET", "/", "page", "200 200 200 403 303 401 401 401 401 303 303 401 401"),
    ("upload", "POST", "/api/upload", "no_file", "400 400 400 403 401 403 400 403 400 401 401 403 400"),
    ("upload", "GET", "/api/uploads", None, "200 200 200 200 401 200 403 403 200 401 401 200 200"),
    ("upload", "OPTIONS", "/api/tus/", "tus", "204 204 204 403 401 403 204 403 204 401 401 403 204"),
    ("upload", "POST", "/api/tus/", "tus", "400 400 400 403 401 403 400 403 400 401 401 403 400"),
    ("upload", "HEAD", "/api/tus/{none}", "tus", "404 404 404 403 401 403 404 403 404 401 401 403 404"),
    ("upload", "PATCH", "/api/tus/{none}", "tus_bytes", "404 404 404 403 401 403 404 403 404 401 401 403 404"),
    ("upload", "DELETE", "/api/tus/{none}", "tus", "404 404 404 403 401 403 404 403 404 401 401 403 404"),
    ("streaming", "GET", "/", "page", "200 200 200 200 303 401 401 401 401 303 303 401 401"),
    ("streaming", "GET", "/videos/{v}", "page", "200 200 200 200 303 401 401 401 401 303 303 401 401"),
    ("streaming", "GET", "/api/videos", None, "200 200 200 200 401 200 403 403 200 401 401 200 200"),
    ("streaming", "GET", "/api/videos/{v}", None, "200 200 200 200 401 200 403 403 200 401 401 200 200"),
    ("streaming", "PATCH", "/api/videos/{v}", "rename", "200 200 403 403 401 403 403 200 200 401 401 403 200"),
    ("streaming", "DELETE", "/api/videos/{fresh}", None, "204 204 403 403 401 403 403 204 204 401 401 403 204"),
    ("streaming", "POST", "/api/videos/{v}/restore", None, "404 404 403 403 401 403 403 404 404 401 401 403 404"),
    ("streaming", "GET", "/api/trash", None, "200 200 200 200 401 200 403 403 200 401 401 200 200"),
    ("streaming", "GET", "/api/videos/{v}/original", None, "200 200 403 403 401 403 403 200 200 401 401 403 200"),
    ("streaming", "POST", "/api/videos/{v}/retry", None, "409 409 403 403 401 403 403 409 409 401 401 403 409"),
    ("streaming", "POST", "/api/videos/{v}/captions", "no_file", "400 400 403 403 401 403 403 400 400 401 401 403 400"),
    ("streaming", "DELETE", "/api/videos/{v}/captions/xx", None, "404 404 403 403 401 403 403 404 404 401 401 403 404"),
    ("streaming", "GET", "/api/videos/{v}/shares", None, "200 200 403 403 401 403 403 200 200 401 401 403 200"),
    ("streaming", "POST", "/api/videos/{v}/shares", "share", "201 201 403 403 401 403 403 201 201 401 401 403 201"),
    ("streaming", "DELETE", "/api/videos/{v}/shares/none", None, "404 404 403 403 401 403 403 404 404 401 401 403 404"),
    ("streaming", "POST", "/api/videos/{v}/views", "view", "400 400 400 400 401 400 403 403 400 401 401 400 400"),
    ("streaming", "GET", "/api/videos/{v}/stats", None, "200 200 403 403 401 403 403 200 200 401 401 403 200"),
    ("streaming", "GET", "/videos/{v}/hls/master.m3u8", None, "200 200 200 200 401 200 403 403 200 401 401 200 200"),
    ("streaming", "HEAD", "/videos/{v}/hls/master.m3u8", None, "200 200 200 200 401 200 403 403 200 401 401 200 200"),
    ("streaming", "GET", "/videos/{v}/poster.jpg", None, "200 200 200 200 401 200 403 403 200 401 401 200 200"),
    ("streaming", "GET", "/videos/{v}/thumbs/{thumb}", None, "200 200 200 200 401 200 403 403 200 401 401 200 200"),
    # Public: the same for everyone, whatever they hold.
    ("streaming", "GET", "/s/{link}", None, "200 200 200 200 200 200 200 200 200 200 200 200 200"),
    ("streaming", "POST", "/s/{link}", "password", "303 303 303 303 303 303 303 303 303 303 303 303 303"),
    ("streaming", "GET", "/s/{link}/embed", None, "200 200 200 200 200 200 200 200 200 200 200 200 200"),
    ("streaming", "POST", "/s/{link}/embed", "password", "303 303 303 303 303 303 303 303 303 303 303 303 303"),
    ("streaming", "GET", "/s/{link}/hls/master.m3u8", None, "200 200 200 200 200 200 200 200 200 200 200 200 200"),
    ("streaming", "POST", "/s/{link}/views", "view", "400 400 400 400 400 400 400 400 400 400 400 400 400"),
    ("streaming", "GET", "/s/{link}/poster.jpg", None, "200 200 200 200 200 200 200 200 200 200 200 200 200"),
    ("streaming", "GET", "/s/{link}/original", None, "200 200 200 200 200 200 200 200 200 200 200 200 200"),
    ("upload", "GET", "/healthz", None, "200 200 200 200 200 200 200 200 200 200 200 200 200"),
    ("upload", "GET", "/openapi.json", None, "200 200 200 200 200 200 200 200 200 200 200 200 200"),
    ("upload", "GET", "/static/common/app.css", None, "200 200 200 200 200 200 200 200 200 200 200 200 200"),
    ("upload", "GET", "/static/upload.js", None, "200 200 200 200 200 200 200 200 200 200 200 200 200"),
    ("upload", "GET", "/metrics", None, "404 404 404 404 404 404 404 404 404 404 404 404 404"),
    ("streaming", "GET", "/healthz", None, "200 200 200 200 200 200 200 200 200 200 200 200 200"),
    ("streaming", "GET", "/openapi.json", None, "200 200 200 200 200 200 200 200 200 200 200 200 200"),
    ("streaming", "GET", "/static/player.js", None, "200 200 200 200 200 200 200 200 200 200 200 200 200"),
    ("streaming", "GET", "/static/common/favicon.svg", None, "200 200 200 200 200 200 200 200 200 200 200 200 200"),
    ("streaming", "GET", "/metrics", None, "404 404 404 404 404 404 404 404 404 404 404 404 404"),
]
# What a 403 of each caller says (the route's need is missing from the role or the
# token's scopes, or the video is someone else's).
WHY = {
    "viewer": "Your role is viewer",
    "t_viewer": "Your role is viewer",
    "t_read": "This API token lacks the",
    "t_upload": "This API token lacks the",
    "t_manage": "This API token lacks the",
    "uploader": "Only the video's owner or an administrator",
}


_LINKS: dict[str, str] = {}


def _link(crowd) -> str:
    """The token of a share link of the target video (downloads allowed), made once by its owner."""
    if "token" not in _LINKS:
        resp = requests.post(
            f"{crowd.st.url('streaming')}/api/videos/{crowd.video}/shares",
            json={"allow_download": True},
            headers=crowd.headers("owner"),
            timeout=20,
        )
        assert resp.status_code == 201, resp.text
        _LINKS["token"] = resp.json()["url"].rsplit("/s/", 1)[1]
    return _LINKS["token"]


def _send(crowd, who: str, service: str, method: str, path: str, body: str | None) -> requests.Response:
    st = crowd.st
    path = path.format(
        link=_link(crowd) if "{link}" in path else "",
        v=crowd.video,
        thumb=crowd.thumb,
        none=NO_UPLOAD,
        fresh=add_video_row(st, "uma", name="Fresh") if "{fresh}" in path else "",
    )
    headers = crowd.headers(who)
    kwargs: dict = {}
    if body in ("tus", "tus_bytes"):
        headers.update(TUS)
    if body == "tus_bytes":
        headers.update({"Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"})
        kwargs["data"] = b"x" * 10
    elif body == "no_file":
        kwargs["files"] = {"language": (None, "en"), "name": (None, "no file here")}
    elif body == "password":
        kwargs["data"] = {"password": "not asked"}
    elif body == "share":
        kwargs["json"] = {}
    elif body == "view":
        kwargs["json"] = {"ticket": "not a ticket"}
    elif body == "rename":
        kwargs["json"] = {"video_name": "Access table target"}
    return requests.request(
        method, st.url(service) + path, headers=headers, timeout=20, allow_redirects=False, **kwargs
    )


@pytest.mark.parametrize("service,method,path,body,expected", TABLE, ids=[f"{r[1]} {r[0]}{r[2]}" for r in TABLE])
def test_every_route_against_every_role_and_scope(crowd, service, method, path, body, expected):
    statuses = dict(zip(WHO, (int(s) for s in expected.split()), strict=True))
    seen, wrong = {}, []
    for who in WHO:
        resp = _send(crowd, who, service, method, path, body)
        seen[who] = resp.status_code
        if resp.status_code != statuses[who]:
            wrong.append(f"{who}: {resp.status_code} (expected {statuses[who]}) {resp.text[:200]}")
        elif resp.status_code == 403 and method != "HEAD":  # (a HEAD's answer has no body)
            answer = resp.json()
            if answer["error"] != "forbidden" or WHY[who] not in answer["message"]:
                wrong.append(f"{who}: 403 {answer}, expected forbidden saying {WHY[who]!r}")
    assert not wrong, f"{method} {service}{path}:\n" + "\n".join(wrong)
    # The target is as it was (only the delete's own fresh rows went).
    video = crowd.st.video(crowd.token["admin"], crowd.video)
    assert (video["video_name"], video["status"], video["owner"]) == ("Access table target", "ready", "uma")


def test_the_table_is_every_route_of_both_apps(tmp_path):
    """Every view (endpoint) of the two apps is reached by a row above, so that a new
    route needs one (the logout button has its own test: it ends the session it is sent
    with)."""
    from harness import in_process_app

    for service, folder in (("upload", "upload-webapp"), ("streaming", "streaming-webapp")):
        app = in_process_app(folder, folder.replace("-", "_"), tmp_path / service, auth_svc_url="http://127.0.0.1:9")
        adapter = app.url_map.bind("app.test")
        reached = {"auth_logout"}
        for row_service, method, path, _, _ in TABLE:
            if row_service == service:
                concrete = path.format(
                    v="abcdefghijklmnop", thumb="1.jpg", none=NO_UPLOAD, fresh="abcdefghijklmnop", link="t" * 43
                )
                reached.add(adapter.match(concrete, method)[0])
        assert {r.endpoint for r in app.url_map.iter_rules()} - reached == set()


def test_logout_is_public_and_ends_only_a_session(crowd):
    """POST /logout (each app's) asks nothing: a session is revoked, an API token is not
    a session and stays valid, nobody is sent to the login page."""
    st = crowd.st
    for service in ("upload", "streaming"):
        session = st.login("vic")
        for headers in ({}, bearer(crowd.token["t_viewer"]), bearer(session)):
            resp = requests.post(st.url(service) + "/logout", headers=headers, timeout=10, allow_redirects=False)
            assert resp.status_code == 303 and resp.headers["Location"].endswith("/login"), resp.text
        assert requests.get(st.url("auth") + "/api/verify", headers=bearer(session), timeout=10).status_code == 401
        kept = requests.get(st.url("auth") + "/api/verify", headers=bearer(crowd.token["t_viewer"]), timeout=10)
        assert kept.status_code == 200 and kept.json()["scopes"] == ["read", "upload", "manage"]


INTERNAL = "test-internal-token-0123456789"  # harness.Stack's INTERNAL_TOKEN
# file-svc: (method, path, the status with the internal token). Unknown ids where a
# request would change something.
FILE_SVC = [
    ("GET", "/videos/{v}/hls/master.m3u8", 200),
    ("HEAD", "/videos/{v}/hls/master.m3u8", 200),
    ("GET", "/videos/{v}/poster.jpg", 200),
    ("GET", "/videos/{v}/thumbs/{thumb}", 200),
    ("GET", "/videos/{v}/original", 200),
    ("POST", "/videos", 415),
    ("POST", "/videos/import", 400),
    ("PUT", "/videos/nosuchvideo00000000/captions/en", 400),
    ("DELETE", "/videos/nosuchvideo00000000/captions/en", 404),
    ("DELETE", "/videos/nosuchvideo00000000", 204),
    ("GET", "/openapi.json", 200),
]


@pytest.mark.parametrize("method,path,internal", FILE_SVC, ids=[f"{m} {p}" for m, p, _ in FILE_SVC])
def test_file_svc_takes_the_internal_token_never_a_users(crowd, method, path, internal):
    url = crowd.st.url("file") + path.format(v=crowd.video, thumb=crowd.thumb)
    for who in WHO:
        resp = requests.request(method, url, headers=crowd.headers(who), timeout=20)
        assert resp.status_code == 401, (who, resp.status_code, resp.text[:200])
    resp = requests.request(method, url, headers=bearer(INTERNAL), timeout=20)
    assert resp.status_code == internal, resp.text[:300]
