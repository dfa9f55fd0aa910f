"""HLS, posters and thumbnails through streaming-svc: content types, caching headers,
Range (206) and ETag (304)."""

from __future__ import annotations

import re

import m3u8
import pytest

from harness import wait_until


@pytest.fixture(scope="module")
def video(pb_stack, pb_tokens, inputs):
    token = pb_tokens["alice"]
    resp = pb_stack.upload(token, inputs["h264_aac"], name="HTTP checks")
    assert resp.status_code == 201, resp.text
    v = pb_stack.wait_status(token, resp.json()["id"])
    assert v["status"] == "ready", v
    return v


def _first_segment(st, token, vid) -> str:
    master = m3u8.loads(st.api.get(token, f"/videos/{vid}/hls/master.m3u8").text)
    rung = master.playlists[0].uri.rsplit("/", 1)[0]
    media = m3u8.loads(st.api.get(token, f"/videos/{vid}/hls/{master.playlists[0].uri}").text)
    return f"/videos/{vid}/hls/{rung}/{media.segments[0].uri}"


def test_playlists_are_short_lived(pb_stack, pb_tokens, video):
    token = pb_tokens["alice"]
    for path in ("master.m3u8", f"{video['renditions'][0]['height']}p/index.m3u8"):
        resp = pb_stack.api.get(token, f"/videos/{video['id']}/hls/{path}")
        assert resp.status_code == 200
        assert resp.headers["Content-Type"] == "application/vnd.apple.mpegurl"
        assert resp.headers["Cache-Control"] == "private, no-cache"
        assert resp.text.startswith("#EXTM3U")
        etag = resp.headers["ETag"]
        again = pb_stack.api.get(token, f"/videos/{video['id']}/hls/{path}", {"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["ETag"] == etag


def test_the_player_page_preloads_files_the_packager_wrote(pb_stack, pb_tokens, video):
    """The player page's preloads (the master, the smallest rendition's media playlist and
    first segment: names from vs_common.layout) are files that exist."""
    token = pb_tokens["alice"]
    page = pb_stack.api.get(token, f"/videos/{video['id']}")
    assert page.status_code == 200
    hrefs = re.findall(r'<link rel="preload" href="([^"]+)" as="fetch"', page.text)
    assert len(hrefs) == 3 and hrefs[-1].endswith("/seg_00000.ts"), hrefs
    for href in hrefs:
        assert pb_stack.api.get(token, href).status_code == 200, href


def test_segments_are_immutable_with_range_and_etag(pb_stack, pb_tokens, video):
    token = pb_tokens["alice"]
    path = _first_segment(pb_stack, token, video["id"])
    full = pb_stack.api.get(token, path)
    assert full.status_code == 200
    assert full.headers["Content-Type"] == "video/mp2t"
    assert full.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    assert full.headers["Accept-Ranges"] == "bytes"
    size = len(full.content)
    assert int(full.headers["Content-Length"]) == size and full.content[:1] == b"\x47"

    part = pb_stack.api.get(token, path, {"Range": "bytes=188-375"})
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 188-375/{size}"
    assert part.content == full.content[188:376]
    tail = pb_stack.api.get(token, path, {"Range": "bytes=-188"})
    assert tail.status_code == 206 and tail.content == full.content[-188:]
    beyond = pb_stack.api.get(token, path, {"Range": f"bytes={size}-"})
    assert beyond.status_code == 416

    cached = pb_stack.api.get(token, path, {"If-None-Match": full.headers["ETag"]})
    assert cached.status_code == 304 and cached.content == b""
    stale = pb_stack.api.get(token, path, {"If-None-Match": '"not-the-etag"'})
    assert stale.status_code == 200 and stale.content == full.content


def test_poster_and_thumbnails(pb_stack, pb_tokens, video):
    token = pb_tokens["alice"]
    poster = pb_stack.api.get(token, f"/videos/{video['id']}/poster.jpg")
    assert poster.status_code == 200
    assert poster.headers["Content-Type"] == "image/jpeg"
    assert poster.content[:2] == b"\xff\xd8"
    assert "max-age" in poster.headers["Cache-Control"]
    for n in range(1, 6):
        # Thumbnails follow `ready` (the poster comes with it).
        thumb = wait_until(
            lambda n=n: (
                (r := pb_stack.api.get(token, f"/videos/{video['id']}/thumbs/{n}.jpg")).status_code == 200 and r
            ),
            30,
            f"thumbnail {n}",
        )
        assert thumb.headers["Content-Type"] == "image/jpeg", n


def test_unknown_files_are_404(pb_stack, pb_tokens, video):
    token = pb_tokens["alice"]
    for path in ("hls/nope.m3u8", "hls/../original", "hls/240p/seg_99999.ts", "thumbs/9.jpg"):
        assert pb_stack.api.get(token, f"/videos/{video['id']}/{path}").status_code == 404, path
