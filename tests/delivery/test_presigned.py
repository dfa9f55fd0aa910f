"""DELIVERY=presigned on the suite's SeaweedFS (signatures checked): streaming-svc checks
the viewer and serves the playlists, the media playlists name presigned URLs on the
store's public endpoint, the browser reads the segments there (CORS, Range), and what
stops a viewer (a revoked link, a trashed video) stops new playlists at once."""

from __future__ import annotations

import calendar
import re
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from player.conftest import PageWatch
from player.menus import choose
from prometheus_client.parser import text_string_to_metric_families
from sharing.sharekit import make_share, shares_url

from conftest import browser_login, wait_playing
from harness import bearer, make_clip, wait_until
from vs_common.db import utcnow
from vs_common.delivery import Bucket, Credentials, Signer

from .conftest import BUCKET, METRICS_TOKEN

pytestmark = pytest.mark.slow
TTL = 6 * 3600  # PRESIGN_TTL_SECONDS's default


def store_origin(st) -> str:
    return f"http://127.0.0.1:{st.s3.port}"


def playlist(st, url: str, token: str | None = None, **headers) -> requests.Response:
    return requests.get(url, headers={**(bearer(token) if token else {}), **headers}, timeout=10)


def media_url(st, video: dict) -> str:
    height = min(r["height"] for r in video["renditions"] if r["status"] == "ready")
    return f"{st.url('streaming')}/videos/{video['id']}/hls/{height}p/index.m3u8"


def uris(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def life(url: str) -> tuple[int, int]:
    """(signing instant, expiry) of a presigned URL, Unix times."""
    q = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    start = calendar.timegm(time.strptime(q["X-Amz-Date"], "%Y%m%dT%H%M%SZ"))
    return start, start + int(q["X-Amz-Expires"])


def scrape(st, name: str) -> dict:
    resp = requests.get(st.url(name) + "/metrics", headers=bearer(METRICS_TOKEN), timeout=10)
    assert resp.status_code == 200, resp.text
    out = {}
    for family in text_string_to_metric_families(resp.text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def value(samples: dict, name: str, **labels) -> float:
    want = set(labels.items())
    return sum(v for (n, lab), v in samples.items() if n == name and want <= set(lab))


def test_file_svc_started_with_the_store_down_and_set_the_bucket_cors_once_it_came_back(presigned_stack):
    st = presigned_stack
    log = st["file"].log.read_text()
    assert re.search(r"bucket presigned-delivery CORS not set \(.+\); browsers cannot read presigned segments", log)
    assert "trying again in 1 s" in log
    wait_until(lambda: "CORS set for" in st["file"].log.read_text(), 30, "the CORS rule set", st["file"].log)
    origin = st.url("streaming")
    rules = st.s3.client().get_bucket_cors(Bucket=BUCKET)["CORSRules"]
    assert len(rules) == 1 and rules[0]["AllowedOrigins"] == [origin], rules
    assert sorted(rules[0]["AllowedMethods"]) == ["GET", "HEAD"]
    assert [h.lower() for h in rules[0]["AllowedHeaders"]] == ["range"]
    assert {"Content-Length", "Content-Range"} <= set(rules[0]["ExposeHeaders"])
    # Idempotent: a restarted file-svc finds it set and leaves it.
    st["file"].restart()
    wait_until(lambda: "CORS already set" in st["file"].log.read_text(), 30, "the rule found", st["file"].log)


def test_media_playlists_name_presigned_urls_that_the_store_serves_to_the_streaming_origin(
    presigned_stack, presigned_token, long_video
):
    st, video = presigned_stack, long_video
    master = playlist(st, f"{st.url('streaming')}/videos/{video['id']}/hls/master.m3u8", presigned_token)
    assert master.status_code == 200 and all("://" not in u for u in uris(master.text)), master.text
    asked = time.time()
    resp = playlist(st, media_url(st, video), presigned_token)
    answered = time.time()  # the URLs were signed between these two instants
    assert resp.status_code == 200, resp.text
    segments = uris(resp.text)
    assert len(segments) == 3, resp.text  # 10 s in 4 s segments
    folder = urlsplit(media_url(st, video)).path.split("/hls/")[1].rsplit("/", 1)[0]
    for n, url in enumerate(segments):
        assert url.startswith(f"{store_origin(st)}/{BUCKET}/videos/{video['id']}/hls/{folder}/seg_{n:05d}.ts?")
        assert "X-Amz-Signature=" in url and "X-Amz-Credential=reelhouse-test-key%2F" in url
        start, end = life(url)
        # The window began at or before the signing, lasts TTL, and leaves at least half of it.
        assert start <= answered and end - start == TTL and end >= asked + TTL / 2
    # The store serves them to anyone holding them, with CORS for the streaming origin only.
    first = segments[0]
    whole = requests.get(first, timeout=10)
    assert whole.status_code == 200 and whole.content[:1] == b"G"  # an MPEG-TS packet
    ranged = requests.get(first, headers={"Origin": st.url("streaming"), "Range": "bytes=0-187"}, timeout=10)
    assert ranged.status_code == 206 and ranged.content == whole.content[:188]
    assert ranged.headers["Access-Control-Allow-Origin"] == st.url("streaming")
    assert "content-range" in ranged.headers.get("Access-Control-Expose-Headers", "").lower()
    preflight = requests.options(
        first,
        headers={
            "Origin": st.url("streaming"),
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "range",
        },
        timeout=10,
    )
    assert preflight.status_code == 200 and preflight.headers["Access-Control-Allow-Origin"] == st.url("streaming")
    other = requests.get(first, headers={"Origin": "http://elsewhere.test"}, timeout=10)
    assert "Access-Control-Allow-Origin" not in other.headers
    # Asked again: the same URLs (signed once per window), and a 304 for the same ETag.
    again = playlist(st, media_url(st, video), presigned_token)
    assert uris(again.text) == segments
    assert (
        playlist(st, media_url(st, video), presigned_token, **{"If-None-Match": again.headers["ETag"]}).status_code
        == 304
    )
    # The caption track's playlist names its WebVTT on the store, readable by the streaming origin.
    (track,) = re.findall(r'TYPE=SUBTITLES,.*URI="([^"]+)"', master.text)
    captions = playlist(st, f"{st.url('streaming')}/videos/{video['id']}/hls/{track}", presigned_token)
    (vtt,) = uris(captions.text)
    assert vtt.startswith(f"{store_origin(st)}/{BUCKET}/videos/{video['id']}/hls/captions/") and ".vtt?" in vtt
    cue = requests.get(vtt, headers={"Origin": st.url("streaming")}, timeout=10)
    assert cue.status_code == 200 and cue.text.startswith("WEBVTT") and "Hello there" in cue.text
    assert cue.headers["Access-Control-Allow-Origin"] == st.url("streaming")
    # A stranger gets no playlist.
    assert playlist(st, media_url(st, video)).status_code in (302, 401)


def test_a_tampered_an_expired_and_an_unsigned_segment_url_are_refused_by_the_store(
    presigned_stack, presigned_token, long_video
):
    st = presigned_stack
    first = uris(playlist(st, media_url(st, long_video), presigned_token).text)[0]
    assert requests.get(first, timeout=10).status_code == 200
    last = first[-1]
    tampered = first[:-1] + ("0" if last != "0" else "1")
    moved = first.replace("seg_00000.ts", "seg_00001.ts")
    unsigned = first.split("?")[0]
    for name, url in (("tampered", tampered), ("another key", moved), ("unsigned", unsigned)):
        resp = requests.get(url, timeout=10)
        assert resp.status_code == 403 and b"G@" not in resp.content[:4], (name, resp.status_code)
    # Signed as file-svc signs, with the store's key: valid now, refused once expired.
    key = urlsplit(first).path.split(f"/{BUCKET}/", 1)[1]
    signer = Signer(
        Bucket(f"{store_origin(st)}/{BUCKET}", f"127.0.0.1:{st.s3.port}", f"/{BUCKET}"),
        st.s3.region,
        TTL,
        lambda: Credentials(st.s3.key, st.s3.secret),
    )
    assert requests.get(signer.sign(key, int(time.time()) - 5, 60), timeout=10).status_code == 200
    expired = requests.get(signer.sign(key, int(time.time()) - 60, 30), timeout=10)
    assert expired.status_code == 403 and b"expired" in expired.content.lower()


def test_chromium_plays_from_the_store_to_the_end_and_seeks_and_streaming_svc_sends_no_segment(
    presigned_stack, long_video, browser
):
    st, video = presigned_stack, long_video
    before = {name: scrape(st, name) for name in ("streaming", "file")}
    context = browser.new_context()
    watch = PageWatch(context)
    page = context.new_page()
    browser_login(page, st)
    resp = page.goto(f"{st.url('streaming')}/videos/{video['id']}")
    csp = resp.headers["content-security-policy"]
    store = store_origin(st)
    assert f"media-src 'self' blob: {store};" in csp and f"connect-src 'self' {store};" in csp, csp
    assert csp.count(store) == 2, csp  # those two directives, nothing more
    preloads = page.eval_on_selector_all("link[rel=preload][as=fetch]", "ls => ls.map(l => l.href)")
    assert len(preloads) == 3 and preloads[2].startswith(f"{store}/{BUCKET}/videos/{video['id']}/hls/"), preloads
    page.wait_for_selector("#captions-control:not([hidden])")
    choose(page, "captions", "English")
    wait_playing(page)
    page.wait_for_function(
        """() => Array.from(document.getElementById('video').textTracks)
             .some(t => t.language === 'en' && t.mode === 'showing' && t.cues && t.cues.length > 0)""",
        timeout=20000,
    )
    page.evaluate("() => { document.getElementById('video').currentTime = 7; }")
    page.wait_for_function("() => document.getElementById('video').currentTime > 7.5", timeout=20000)
    page.wait_for_function("() => document.getElementById('video').ended", timeout=30000)
    assert page.evaluate("() => window.__hlsFatal || null") is None
    segments = [u for u in watch.requests if ".ts" in urlsplit(u).path]
    assert segments and all(u.startswith(f"{store}/{BUCKET}/") for u in segments), segments
    assert {urlsplit(u).path.rsplit("/", 1)[1] for u in segments} == {f"seg_{n:05d}.ts" for n in range(3)}
    vtts = [u for u in watch.requests if urlsplit(u).path.endswith(".vtt")]
    assert vtts and all(u.startswith(f"{store}/{BUCKET}/") for u in vtts), vtts
    # The preload named the very URL the media playlist (hls.js's) names.
    assert preloads[2] in segments
    watch.check("the presigned player")
    context.close()
    after = {name: scrape(st, name) for name in ("streaming", "file")}

    def moved(name, metric, **labels):
        return value(after[name], metric, **labels) - value(before[name], metric, **labels)

    assert moved("streaming", "reelhouse_hls_bytes_served_total", kind="segment") == 0
    assert moved("streaming", "reelhouse_hls_responses_total", kind="segment") == 0
    assert moved("streaming", "reelhouse_hls_responses_total", kind="playlist", delivery="presigned") >= 1
    assert moved("streaming", "reelhouse_hls_bytes_served_total", kind="playlist", delivery="presigned") > 0
    assert moved("file", "reelhouse_presigned_urls_total", kind="segment") >= 3
    assert moved("file", "reelhouse_presigned_urls_total", kind="caption") >= 1


def test_the_library_page_admits_no_store_origin(presigned_stack, browser):
    context = browser.new_context()
    page = context.new_page()
    browser_login(page, presigned_stack)
    resp = page.goto(presigned_stack.url("streaming") + "/")
    csp = resp.headers["content-security-policy"]
    assert "media-src 'self' blob:;" in csp and "connect-src 'self';" in csp, csp
    context.close()


def test_a_share_link_plays_through_presigned_urls_no_longer_than_the_link_and_stops_at_revocation(
    presigned_stack, presigned_token, long_video, browser
):
    st, video = presigned_stack, long_video
    expires = utcnow() + timedelta(minutes=20)
    share = make_share(st, presigned_token, video["id"], expires_at=expires.isoformat() + "Z")
    height = min(r["height"] for r in video["renditions"] if r["status"] == "ready")
    media = f"{share['url']}/hls/{height}p/index.m3u8"
    resp = playlist(st, media)
    assert resp.status_code == 200, resp.text
    segments = uris(resp.text)
    limit = calendar.timegm(expires.timetuple())
    for url in segments:
        assert url.startswith(f"{store_origin(st)}/{BUCKET}/") and life(url)[1] == limit, url

    context = browser.new_context()
    watch = PageWatch(context)
    page = context.new_page()
    page.goto(share["url"])
    wait_playing(page)
    page.wait_for_function("() => document.getElementById('video').ended", timeout=30000)
    fetched = [u for u in watch.requests if ".ts" in urlsplit(u).path]
    assert fetched and all(u.startswith(f"{store_origin(st)}/") for u in fetched), fetched
    assert not any(u.startswith(st.url("streaming")) and ".ts" in u for u in watch.requests)
    watch.check("the presigned share page")
    context.close()

    revoked = requests.delete(
        f"{shares_url(st, video['id'])}/{share['id']}", headers=bearer(presigned_token), timeout=10
    )
    assert revoked.status_code == 204
    assert playlist(st, media).status_code == 404  # at once: no cached link for a presigned playlist
    # Revoked by another replica (its cache is not this process's): refused at once too.
    other = make_share(st, presigned_token, video["id"])
    other_media = f"{other['url']}/hls/{height}p/index.m3u8"
    assert playlist(st, other_media).status_code == 200  # the link now in this process's 2 s cache
    st.query("UPDATE shares SET revoked_at = ? WHERE id = ?", (utcnow(), other["id"]))
    assert playlist(st, other_media).status_code == 404
    # What was signed before still reads, until its own expiry (docs/SECURITY.md says so).
    assert requests.get(segments[0], timeout=10).status_code == 200


def test_a_trashed_video_gets_no_new_playlist_at_once(presigned_stack, presigned_token, tmp_path):
    st = presigned_stack
    clip = make_clip(tmp_path / "two.mp4", seconds=2, size="320x180")
    video = st.api.upload_ready(presigned_token, clip, "To the trash")
    share = make_share(st, presigned_token, video["id"])
    height = min(r["height"] for r in video["renditions"] if r["status"] == "ready")
    own, shared = media_url(st, video), f"{share['url']}/hls/{height}p/index.m3u8"
    assert playlist(st, own, presigned_token).status_code == 200  # who may watch: now in the 2 s cache
    assert playlist(st, shared).status_code == 200
    # Trashed by another replica (as its DELETE writes it; no cache of this process is told).
    st.query("UPDATE videos SET deleted_at = ? WHERE id = ?", (utcnow(), video["id"]))
    assert playlist(st, own, presigned_token).status_code == 404
    assert playlist(st, shared).status_code == 404
    # Restored, then trashed through the API: the same.
    st.query("UPDATE videos SET deleted_at = NULL WHERE id = ?", (video["id"],))
    assert playlist(st, own, presigned_token).status_code == 200
    gone = requests.delete(f"{st.url('streaming')}/api/videos/{video['id']}", headers=bearer(presigned_token))
    assert gone.status_code in (200, 204), gone.text
    assert playlist(st, own, presigned_token).status_code == 404
    assert playlist(st, shared).status_code == 404
