"""Local delivery (DELIVERY=local, the default with the local store): streaming-svc sends
a video's files from the storage folder itself, after the same viewer check as the relay.

The same answers as the relay (bytes, status and headers: Range 206 with Content-Range,
416, If-None-Match 304), without file-svc on the path (its metrics do not move; the
delivery metrics say `local`); the refusals the relay makes (another's private video, a
trashed video whose files are still in the folder, a revoked share link, an anonymous
caller, a file planted as a symbolic link); and share links served the same way."""

from __future__ import annotations

import os

import pytest
import requests

from harness import bearer, wait_until

from .conftest import new_video, scrape, value

COMPARED = ("Content-Type", "Content-Length", "Content-Range", "ETag", "Cache-Control", "Accept-Ranges")
HLS_ROUTE = "/videos/<video_id>/hls/<path:path>"


def _files(st, video_id: str) -> dict[str, str]:
    """The video's files as their URLs name them (relative to /videos/<id>/), by kind."""
    rung = next(p.name for p in (st.storage_dir / "videos" / video_id / "hls").iterdir() if p.is_dir())
    return {
        "master": "hls/master.m3u8",
        "media": f"hls/{rung}/index.m3u8",
        "segment": f"hls/{rung}/seg_00000.ts",
        "poster": "poster.jpg",
        "thumb": "thumbs/1.jpg",
    }


def _same(local: requests.Response, relayed: requests.Response, what: str) -> None:
    assert local.status_code == relayed.status_code, (what, local.status_code, relayed.status_code)
    assert local.content == relayed.content, what
    for name in COMPARED:
        assert local.headers.get(name) == relayed.headers.get(name), (what, name)


def test_every_file_is_answered_as_the_relay_answers_it(dl_stack, relay_twin, dl_tokens, dl_video):
    auth = bearer(dl_tokens["alice"])
    for kind, rest in _files(dl_stack, dl_video).items():
        local_url = f"{dl_stack.url('streaming')}/videos/{dl_video}/{rest}"
        relay_url = f"{relay_twin.url}/videos/{dl_video}/{rest}"
        full = requests.get(local_url, headers=auth, timeout=10)
        assert full.status_code == 200 and full.content, kind
        _same(full, requests.get(relay_url, headers=auth, timeout=10), kind)
        size = len(full.content)
        for extra in (
            {"Range": "bytes=188-375"},
            {"Range": "bytes=-188"},
            {"Range": f"bytes={size - 10}-"},
            {"Range": f"bytes={size}-"},  # unsatisfiable: 416
            {"Range": "bytes=0-1,5-9"},  # several ranges: the whole file (RFC 9110 allows it)
            {"If-None-Match": full.headers["ETag"]},  # 304
            {"If-None-Match": '"another"'},
        ):
            local = requests.get(local_url, headers={**auth, **extra}, timeout=10)
            _same(local, requests.get(relay_url, headers={**auth, **extra}, timeout=10), f"{kind} {extra}")
        head = requests.head(local_url, headers=auth, timeout=10)
        _same(head, requests.head(relay_url, headers=auth, timeout=10), f"HEAD {kind}")
    segment = f"{dl_stack.url('streaming')}/videos/{dl_video}/{_files(dl_stack, dl_video)['segment']}"
    whole = requests.get(segment, headers=auth, timeout=10).content
    part = requests.get(segment, headers={**auth, "Range": "bytes=188-375"}, timeout=10)
    assert part.status_code == 206 and part.content == whole[188:376]
    assert part.headers["Content-Range"] == f"bytes 188-375/{len(whole)}"


def test_segments_skip_file_svc_and_are_counted_as_local(dl_stack, dl_tokens, dl_video):
    files = _files(dl_stack, dl_video)
    base = f"{dl_stack.url('streaming')}/videos/{dl_video}/"
    auth = bearer(dl_tokens["alice"])
    requests.get(base + files["master"], headers=auth, timeout=10)  # the caches warm
    before, file_before = scrape(dl_stack.url("streaming")), scrape(dl_stack.url("file"))
    sent = 0
    for kind in ("master", "media", "segment", "poster", "thumb"):
        resp = requests.get(base + files[kind], headers=auth, timeout=10)
        assert resp.status_code == 200, kind
        sent += len(resp.content)
    part = requests.get(base + files["segment"], headers={**auth, "Range": "bytes=0-187"}, timeout=10)
    assert part.status_code == 206
    sent += len(part.content)
    after, file_after = scrape(dl_stack.url("streaming")), scrape(dl_stack.url("file"))

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("reelhouse_hls_bytes_served_total", delivery="local") == sent
    assert moved("reelhouse_hls_responses_total", delivery="local") == 6
    assert moved("reelhouse_hls_bytes_served_total", delivery="relay") == 0
    assert moved("reelhouse_hls_responses_total", delivery="relay") == 0
    assert moved("reelhouse_hls_responses_total", kind="segment", status="206") == 1
    # file-svc answered none of them.
    for route in (HLS_ROUTE, "/videos/<video_id>/poster.jpg", "/videos/<video_id>/thumbs/<name>"):
        assert value(file_after, "reelhouse_http_requests_total", route=route) == value(
            file_before, "reelhouse_http_requests_total", route=route
        ), route


def test_the_original_is_still_relayed(dl_stack, dl_tokens, dl_video, dl_clip):
    """The original's key has its container's extension, which file-svc knows: relayed."""
    resp = requests.get(
        f"{dl_stack.url('streaming')}/api/videos/{dl_video}/original", headers=bearer(dl_tokens["alice"]), timeout=30
    )
    assert resp.status_code == 200 and resp.content == dl_clip.read_bytes()


def test_another_persons_private_video_and_anonymous_callers_get_nothing(dl_stack, dl_tokens, dl_clip):
    st = dl_stack
    vid = new_video(st, dl_tokens["alice"], dl_clip, "Private")
    made_private = requests.patch(
        f"{st.url('streaming')}/api/videos/{vid}",
        json={"visibility": "private"},
        headers=bearer(dl_tokens["alice"]),
        timeout=10,
    )
    assert made_private.status_code == 200, made_private.text
    files = _files(st, vid)
    for kind, rest in files.items():
        url = f"{st.url('streaming')}/videos/{vid}/{rest}"
        wait_until(
            lambda u=url: requests.get(u, headers=bearer(dl_tokens["bob"]), timeout=10).status_code == 404, 5, kind
        )
        refused = requests.get(url, headers=bearer(dl_tokens["bob"]), timeout=10)
        assert refused.json()["error"] == "not_found" and b"\x47" not in refused.content[:1]
        anonymous = requests.get(url, timeout=10, allow_redirects=False)
        assert anonymous.status_code in (302, 401) and not anonymous.content.startswith(b"#EXTM3U"), kind
        assert requests.get(url, headers=bearer(dl_tokens["alice"]), timeout=10).status_code == 200, kind


def test_a_trashed_videos_files_stay_in_the_folder_but_are_not_sent(dl_stack, dl_tokens, dl_clip):
    st, token = dl_stack, dl_tokens["alice"]
    vid = new_video(st, token, dl_clip, "Trashed")
    files = _files(st, vid)
    urls = [f"{st.url('streaming')}/videos/{vid}/{rest}" for rest in files.values()]
    assert all(requests.get(u, headers=bearer(token), timeout=10).status_code == 200 for u in urls)
    assert st.api.delete_video(token, vid).status_code == 204
    for url in urls:
        wait_until(lambda u=url: requests.get(u, headers=bearer(token), timeout=10).status_code == 404, 5, url)
    # Still on disk (the trash keeps them for a restore): the check, not the folder, refused.
    assert (st.storage_dir / "videos" / vid / files["segment"]).is_file()


def test_a_symbolic_link_in_the_folder_is_not_followed(dl_stack, dl_tokens, dl_clip):
    """A file planted in the store as a symbolic link (to /etc/passwd) is not sent, by
    either path: streaming-svc refuses to open it and file-svc's containment check too."""
    st, token = dl_stack, dl_tokens["alice"]
    vid = new_video(st, token, dl_clip, "Planted")
    rung = _files(st, vid)["segment"].split("/")[1]
    planted = st.storage_dir / "videos" / vid / "hls" / rung / "seg_00099.ts"
    os.symlink("/etc/passwd", planted)
    try:
        resp = requests.get(f"{st.url('streaming')}/videos/{vid}/hls/{rung}/seg_00099.ts", headers=bearer(token))
        assert resp.status_code == 404 and b"root:" not in resp.content
    finally:
        planted.unlink()


@pytest.mark.parametrize("name", ["notes.txt", "seg_00000.ts.bak", ".seg_00001.ts.0a1b.tmp", "seg_1.ts", "index.m3u8~"])
def test_only_the_names_packaging_makes_are_read(dl_stack, dl_tokens, dl_video, name):
    """A file in a rendition's folder that packaging does not make (planted there) is 404."""
    rung = _files(dl_stack, dl_video)["segment"].split("/")[1]
    planted = dl_stack.storage_dir / "videos" / dl_video / "hls" / rung / name
    planted.write_bytes(b"not a segment")
    try:
        resp = requests.get(
            f"{dl_stack.url('streaming')}/videos/{dl_video}/hls/{rung}/{name}",
            headers=bearer(dl_tokens["alice"]),
            timeout=10,
        )
        assert resp.status_code == 404 and b"not a segment" not in resp.content
    finally:
        planted.unlink()


@pytest.mark.parametrize("rest", ["hls/%2e%2e/poster.jpg", "hls/%2e%2e%2fposter.jpg", "thumbs/%2e%2e%2fposter.jpg"])
def test_encoded_dots_reach_nothing(dl_stack, dl_tokens, dl_video, rest):
    resp = requests.get(
        f"{dl_stack.url('streaming')}/videos/{dl_video}/{rest}", headers=bearer(dl_tokens["alice"]), timeout=10
    )
    assert resp.status_code == 404, resp.text[:200]


def test_a_share_link_is_served_locally_and_stops_when_revoked(dl_stack, relay_twin, dl_tokens, dl_video):
    st, token = dl_stack, dl_tokens["alice"]
    made = requests.post(f"{st.url('streaming')}/api/videos/{dl_video}/shares", json={}, headers=bearer(token))
    assert made.status_code == 201, made.text
    share = made.json()
    link = share["url"]
    relay_link = link.replace(st.url("streaming"), relay_twin.url)
    files = _files(st, dl_video)
    before = scrape(st.url("streaming"))
    sent = 0
    for kind in ("master", "media", "segment", "poster"):
        local = requests.get(f"{link}/{files[kind]}", timeout=10)
        _same(local, requests.get(f"{relay_link}/{files[kind]}", timeout=10), kind)
        assert local.status_code == 200
        sent += len(local.content)
    ranged = requests.get(f"{link}/{files['segment']}", headers={"Range": "bytes=188-375"}, timeout=10)
    assert ranged.status_code == 206 and ranged.headers["Content-Range"].startswith("bytes 188-375/")
    sent += len(ranged.content)
    after = scrape(st.url("streaming"))
    assert (
        value(after, "reelhouse_hls_bytes_served_total", delivery="local")
        - value(before, "reelhouse_hls_bytes_served_total", delivery="local")
        == sent
    )

    revoked = requests.delete(
        f"{st.url('streaming')}/api/videos/{dl_video}/shares/{share['id']}", headers=bearer(token), timeout=10
    )
    assert revoked.status_code == 204
    segment = f"{link}/{files['segment']}"
    wait_until(lambda: requests.get(segment, timeout=10).status_code == 404, 5, "the revoked link refused")
    for kind in ("master", "media", "poster"):
        assert requests.get(f"{link}/{files[kind]}", timeout=10).status_code == 404, kind
