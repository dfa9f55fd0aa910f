"""Share links served to anyone holding them, on the live services (MariaDB, S3,
gunicorn), as a browser with no account and no cookies asks: the page (the player
alone), its HLS files under the link's path, the poster, the original when allowed;
password links and their grants; the embed and who may frame it; the link preview's
tags; and the hostile cases: guessing (429 after the limit, even for a valid token or
the right password), tampered tokens and grants, path tricks towards another video,
a link after its video is deleted, expired and revoked links (a viewer fetching
segments refused within a few seconds), cross-site posts, cache headers. No auth-svc
call is made: the links work with auth-svc stopped."""

from __future__ import annotations

import http.client
import re
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import m3u8
import pytest
import requests

from harness import bearer, wait_until
from vs_common.db import utcnow

from .sharekit import address, link_token, make_share, shares_url, upload_form

SCRIPT_SAFE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>")


def visit(url: str, who: str | None = None, **kw) -> requests.Response:
    """A GET as a browser without an account sends it (no cookie unless given), from the
    address `who` (X-Forwarded-For, believed for one hop)."""
    headers = {**kw.pop("headers", {}), **({"X-Forwarded-For": who} if who else {})}
    return requests.get(url, headers=headers, timeout=20, allow_redirects=False, **kw)


def post_password(url: str, password: str, who: str, origin: str | None = "null", **kw) -> requests.Response:
    """The password form as its no-referrer page posts it: `Origin: null`."""
    headers = {"X-Forwarded-For": who, **({"Origin": origin} if origin else {})}
    return requests.post(url, data={"password": password}, headers=headers, timeout=30, allow_redirects=False, **kw)


class Tags(HTMLParser):
    """The page's <meta> tags (property or name: content) and attributes of its <video>."""

    def __init__(self, text: str):
        super().__init__()
        self.meta: dict[str, str] = {}
        self.video: dict[str, str] | None = None
        self.links: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta" and ("property" in a or "name" in a):
            self.meta[a.get("property") or a["name"]] = a.get("content", "")
        elif tag == "video":
            self.video = a
        elif tag == "a":
            self.links.append(a.get("href", ""))


def play_all(page_url: str, page: requests.Response, who: str) -> dict[str, requests.Response]:
    """Every file the player would fetch, from the page's <video> down: the master, each
    media playlist, each first segment, each caption playlist and its WebVTT; by URL."""
    src = urljoin(page_url, Tags(page.text).video["data-src"])
    got = {src: visit(src, who)}
    assert got[src].status_code == 200, got[src].text
    master = m3u8.loads(got[src].text, uri=src)
    urls = [p.absolute_uri for p in master.playlists] + [m.absolute_uri for m in master.media if m.uri]
    for url in urls:
        got[url] = visit(url, who)
        assert got[url].status_code == 200, (url, got[url].text)
        media = m3u8.loads(got[url].text, uri=url)
        first = media.segments[0].absolute_uri
        got[first] = visit(first, who)
    return got


@pytest.fixture(scope="module")
def link(crowd) -> dict:
    """A link of the private video, no password, no expiry, downloads allowed."""
    return make_share(crowd.st, crowd.token["owner"], crowd.private, allow_download=True)


def test_a_link_plays_the_video_and_shows_nothing_else(crowd, link):
    st = crowd.st
    who = address()
    page = visit(link["url"], who)
    assert page.status_code == 200, page.text
    tags = Tags(page.text)
    token = link_token(link)
    assert tags.video["data-src"] == f"/s/{token}/hls/master.m3u8"
    assert tags.video["data-poster"] == f"/s/{token}/poster.jpg" and tags.video["data-pending"] == "0"
    assert "Private one" in page.text
    # Nothing else of the house: no menu, no owner, no other app, no logout.
    text = page.text.replace(token, "<token>")  # (a random token could hold any word)
    for absent in ("uma", "/logout", "Library", "Upload", st.url("upload"), st.url("auth"), "/api/"):
        assert absent not in text, absent
    assert not SCRIPT_SAFE.search(page.text)
    assert page.headers["Referrer-Policy"] == "no-referrer" and page.headers["Cache-Control"] == "private, no-store"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"
    files = play_all(link["url"], page, who)
    prefix = f"{st.url('streaming')}/s/{token}/hls/"
    assert all(url.startswith(prefix) for url in files)  # relative URLs keep the link's path
    kinds = {url.rsplit(".", 1)[1] for url in files}
    assert {"m3u8", "ts", "vtt"} <= kinds, kinds
    for url, resp in files.items():
        assert resp.status_code == 200 and resp.headers["Cache-Control"].startswith("private"), (url, resp.headers)
        assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert files[prefix + crowd.files[crowd.private]["vtt"]].text.startswith("WEBVTT")
    # The same master as the owner's player reads (the link reads its own video's files).
    owner_master = st.api.get(crowd.token["owner"], f"/videos/{crowd.private}/hls/master.m3u8")
    assert files[prefix + "master.m3u8"].text == owner_master.text
    poster = visit(f"{link['url']}/poster.jpg", who)
    assert poster.status_code == 200 and poster.headers["Content-Type"] == "image/jpeg"
    assert poster.headers["Cache-Control"].startswith("private")


def test_links_need_no_auth_svc(crowd, link):
    """auth-svc stopped: the signed-in API fails closed (503), a link plays on."""
    st, who = crowd.st, address()
    token = link_token(link)
    st["auth"].stop()
    try:
        api = requests.get(f"{st.url('streaming')}/api/videos", headers=crowd.headers("owner"), timeout=20)
        assert api.status_code == 503
        page = visit(link["url"], who)
        assert page.status_code == 200
        segment = f"{link['url']}/hls/{crowd.files[crowd.private]['segment']}"
        assert visit(segment, who).status_code == 200
        assert visit(f"{st.url('streaming')}/s/{token}/poster.jpg", who).status_code == 200
    finally:
        st["auth"].start()


def test_the_link_preview_shows_title_poster_and_size(crowd, link):
    page = visit(link["url"], address())
    meta = Tags(page.text).meta
    assert meta["og:title"] == meta["twitter:title"] == "Private one"
    assert meta["og:url"] == link["url"]
    assert meta["og:image"] == meta["twitter:image"] == link["url"] + "/poster.jpg"  # absolute
    assert (meta["og:video:width"], meta["og:video:height"]) == ("160", "120")
    assert meta["og:video"] == link["embed_url"] and meta["twitter:card"] == "summary_large_image"
    image = visit(meta["og:image"])  # as a chat app's fetcher: no cookie, no session
    assert image.status_code == 200 and image.content[:3] == b"\xff\xd8\xff"
    assert image.headers["Content-Type"] == "image/jpeg"


def test_the_embed_may_be_framed_by_the_sites_listed_and_nothing_else_may(crowd, link):
    st, who = crowd.st, address()
    embed = visit(link["embed_url"], who)
    assert embed.status_code == 200
    csp = embed.headers["Content-Security-Policy"]
    assert "frame-ancestors https://blog.example http://127.0.0.2:8080" in csp  # EMBED_ALLOWED_ORIGINS
    assert "X-Frame-Options" not in embed.headers and embed.headers["Referrer-Policy"] == "no-referrer"
    tags = Tags(embed.text)
    assert tags.video["data-src"] == f"/s/{link_token(link)}/hls/master.m3u8"
    assert "<h1" not in embed.text and "og:title" not in embed.text  # the player alone
    for url, headers in (
        (link["url"], {}),
        (st.url("streaming") + "/", {"Cookie": f"auth_token={crowd.token['owner']}"}),
        (st.url("upload") + "/", {"Cookie": f"auth_token={crowd.token['owner']}"}),
    ):
        resp = visit(url, who, headers=headers)
        assert resp.status_code == 200, url
        assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"], url
        assert resp.headers["X-Frame-Options"] == "DENY", url


def test_a_password_link_asks_first_and_its_grant_opens_the_files(crowd):
    st = crowd.st
    share = make_share(st, crowd.token["owner"], crowd.private, password="blue river", allow_download=True)
    other = make_share(st, crowd.token["owner"], crowd.private, password="blue river")
    who, token = address(), link_token(share)
    form = visit(share["url"], who)
    assert form.status_code == 200 and 'name="password"' in form.text
    assert "Private one" not in form.text and Tags(form.text).video is None
    meta = Tags(form.text).meta
    assert meta["og:title"] == "A shared video (password required)" and meta["twitter:card"] == "summary"
    assert "og:image" not in meta and "og:video:width" not in meta
    segment = crowd.files[crowd.private]["segment"]
    for path in ("hls/master.m3u8", f"hls/{segment}", "poster.jpg", "original"):
        refused = visit(f"{share['url']}/{path}", who)
        assert refused.status_code == 403 and refused.json()["error"] == "password_required", path
    wrong = post_password(share["url"], "red river", who)
    assert wrong.status_code == 403 and "not the right one" in wrong.text and "Private one" not in wrong.text
    right = post_password(share["url"], "blue river", who)
    assert right.status_code == 200, right.text
    src = Tags(right.text).video["data-src"]
    match = re.fullmatch(rf"/s/{token}/hls/~([0-9a-f]+\.[0-9a-f]{{32}})/master\.m3u8", src)
    assert match, src
    grant = match.group(1)
    cookie = right.cookies.get("share_grant")
    assert cookie == grant
    set_cookie = right.headers["Set-Cookie"]
    assert f"Path=/s/{token}" in set_cookie and "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie
    files = play_all(share["url"], right, who)
    assert all(f"/s/{token}/hls/~{grant}/" in url for url in files)
    assert visit(f"{share['url']}/poster.jpg?grant={grant}", who).status_code == 200
    original = visit(f"{share['url']}/original?grant={grant}", who)
    assert original.status_code == 200 and original.content == crowd.clip.read_bytes()
    # A reload where cookies are kept: the player at once.
    again = visit(share["url"], who, cookies={"share_grant": grant})
    assert again.status_code == 200 and Tags(again.text).video["data-src"] == src
    # A tampered grant, or another link's, opens nothing.
    tampered = grant[:-1] + ("0" if grant[-1] != "0" else "1")
    other_right = post_password(other["url"], "blue river", who)
    other_grant = other_right.cookies.get("share_grant")
    for bad in (
        tampered,
        other_grant,
        "0.0",
        "ffffffffff." + "0" * 32,
        "",
        "é." + "0" * 32,
        "ffffffffff." + "é" * 32,
        grant.upper(),
    ):
        assert visit(f"{share['url']}/hls/~{bad}/master.m3u8", who).status_code == 403, bad
        assert visit(f"{share['url']}/poster.jpg?grant={bad}", who).status_code == 403, bad
        assert "data-src" not in visit(share["url"], who, cookies={"share_grant": bad}).text
    # The embed's own form posts to the embed.
    embedded = post_password(share["embed_url"], "blue river", who)
    assert embedded.status_code == 200 and "/hls/~" in Tags(embedded.text).video["data-src"]
    assert "frame-ancestors https://blog.example" in embedded.headers["Content-Security-Policy"]


def test_the_password_form_takes_origin_null_and_refuses_foreign_origins(crowd):
    share = make_share(crowd.st, crowd.token["owner"], crowd.internal, password="open sesame")
    who = address()
    assert post_password(share["url"], "open sesame", who, origin="null").status_code == 200
    assert post_password(share["url"], "open sesame", who, origin=crowd.st.url("streaming")).status_code == 200
    foreign = post_password(share["url"], "open sesame", who, origin="https://evil.example")
    assert foreign.status_code == 403 and foreign.json()["error"] == "cross_site_request"
    # Origin: null is accepted by the share forms alone: not by the API, nor the logout button.
    logout = requests.post(
        crowd.st.url("streaming") + "/logout", headers={"Origin": "null"}, cookies={"auth_token": "x" * 43}, timeout=10
    )
    assert logout.status_code == 403 and logout.json()["error"] == "cross_site_request"
    # A post without the field: refused in words, before the link is looked at.
    empty = requests.post(share["url"], data={}, headers={"Origin": "null", "X-Forwarded-For": who}, timeout=10)
    assert empty.status_code == 400 and "form field 'password'" in empty.json()["message"]
    # A link without a password: the post goes back to the page.
    plain = make_share(crowd.st, crowd.token["owner"], crowd.internal)
    back = post_password(plain["url"], "anything", who)
    assert back.status_code == 303 and back.headers["Location"].endswith(urlsplit(plain["url"]).path)


def test_downloads_only_when_the_link_allows(crowd, link):
    who = address()
    original = visit(f"{link['url']}/original", who)
    assert original.status_code == 200 and original.content == crowd.clip.read_bytes()
    assert original.headers["Content-Disposition"] == "attachment; filename*=UTF-8''Private%20one.mp4"
    assert original.headers["Cache-Control"].startswith("private")
    ranged = visit(f"{link['url']}/original", who, headers={"Range": "bytes=0-9"})
    assert ranged.status_code == 206 and ranged.content == crowd.clip.read_bytes()[:10]
    plain = make_share(crowd.st, crowd.token["owner"], crowd.private)
    refused = visit(f"{plain['url']}/original", who)
    assert refused.status_code == 403 and refused.json()["error"] == "download_not_allowed"


def test_an_expired_link_is_410_with_a_page_that_says_so(crowd):
    st, who = crowd.st, address()
    share = make_share(st, crowd.token["owner"], crowd.private, expires_at="2099-01-01T00:00:00Z")
    st.query("UPDATE shares SET expires_at = ? WHERE id = ?", (utcnow() - timedelta(seconds=1), share["id"]))
    page = visit(share["url"], who)
    assert page.status_code == 410 and "This link has expired" in page.text and "Private one" not in page.text
    assert page.headers["Cache-Control"] == "private, no-store"
    hls = visit(f"{share['url']}/hls/master.m3u8", who)
    assert hls.status_code == 410 and hls.json()["error"] == "link_expired"
    # Framed on a blog, the embed says so too (not the browser's refusal to frame).
    embed = visit(share["embed_url"], who)
    assert embed.status_code == 410 and "This link has expired" in embed.text
    assert "frame-ancestors https://blog.example http://127.0.0.2:8080" in embed.headers["Content-Security-Policy"]
    assert st.query("SELECT COUNT(*) AS n FROM share_attempts WHERE client = ?", (who,)) == [{"n": 0}]


def test_a_revoked_link_stops_a_viewer_within_seconds(crowd):
    st, who = crowd.st, address()
    share = make_share(st, crowd.token["owner"], crowd.private)
    segment = f"{share['url']}/hls/{crowd.files[crowd.private]['segment']}"
    assert visit(segment, who).status_code == 200  # watching: the link is in the cache now
    revoke = requests.delete(
        f"{shares_url(st, crowd.private)}/{share['id']}", headers=crowd.headers("owner"), timeout=10
    )
    assert revoke.status_code == 204
    wait_until(lambda: visit(segment, who).status_code == 404, 5, "the revoked link refused")
    for url in (share["url"], f"{share['url']}/hls/master.m3u8", f"{share['url']}/poster.jpg"):
        assert visit(url, who).status_code == 404, url
    page = visit(share["url"], who)
    assert "This link is not valid" in page.text and "Private one" not in page.text
    # A revoked link's viewer asking again is no guess: nothing counted against the address.
    assert st.query("SELECT COUNT(*) AS n FROM share_attempts WHERE client = ?", (who,)) == [{"n": 0}]


def test_a_link_of_a_deleted_video_is_404(crowd):
    st, owner, who = crowd.st, crowd.token["owner"], address()
    resp = upload_form(st, owner, crowd.clip, "Soon gone", [("visibility", "private")])
    video_id = resp.json()["id"]
    st.wait_status(owner, video_id)
    share = make_share(st, owner, video_id)
    segment = f"{share['url']}/hls/{crowd.files[crowd.private]['segment']}"
    assert visit(segment, who).status_code == 200
    assert st.api.delete_video(owner, video_id, purge=True).status_code == 204
    wait_until(lambda: visit(share["url"], who).status_code == 404, 5, "the deleted video's link refused")
    for url in (segment, f"{share['url']}/hls/master.m3u8", f"{share['url']}/poster.jpg"):
        assert visit(url, who).status_code == 404, url
    assert st.query("SELECT id FROM shares WHERE video_id = ?", (video_id,)) == []  # gone with the video


def _raw_get(st, path: str, who: str) -> tuple[int, bytes]:
    """A GET of `path` exactly as written (no client-side normalisation of dot segments
    or percent-escapes)."""
    parts = urlsplit(st.url("streaming"))
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        conn.putheader("X-Forwarded-For", who)
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def test_path_tricks_never_reach_another_video(crowd, link):
    """Through the private video's link, every way of naming the internal video's files
    (or anything outside the link's HLS folder) is refused; the internal video's own
    master is never what comes back."""
    st, who = crowd.st, address()
    token, other = link_token(link), crowd.internal
    other_master = st.api.get(crowd.token["owner"], f"/videos/{other}/hls/master.m3u8").content
    base = f"/s/{token}/hls/"
    tricks = [
        f"../../../videos/{other}/hls/master.m3u8",
        f"..%2F..%2F..%2Fvideos%2F{other}%2Fhls%2Fmaster.m3u8",
        f"%2e%2e/%2e%2e/%2e%2e/videos/{other}/hls/master.m3u8",
        f"{other}/hls/master.m3u8",
        f"../../{other}/hls/master.m3u8",
        f"/videos/{other}/hls/master.m3u8",
        "captions/../master.m3u8",
        "./master.m3u8",
        "master.m3u8%00",
        "master.m3u8/",
        "120p\\index.m3u8",
        "..%5C..%5Cmaster.m3u8",
        "../poster.jpg",
        "../original",
        "../../../../etc/passwd",
    ]
    for trick in tricks:
        status, body = _raw_get(st, base + trick, who)
        assert status in (308, 400, 404), (trick, status, body[:200])  # 308: werkzeug merging slashes
        assert body != other_master and b"#EXTM3U" not in body, trick
    # Another video's id in the link's place, or a token a character off: nothing.
    for path in (
        f"/s/{other}/hls/master.m3u8",
        f"/s/{token[:-1]}{'B' if token.endswith('A') else 'A'}/hls/master.m3u8",
        f"/s/{token}x/hls/master.m3u8",
    ):
        status, body = _raw_get(st, path, who)
        assert status == 404 and b"#EXTM3U" not in body, path
    # The link's own files still answer.
    assert _raw_get(st, base + "master.m3u8", who)[0] == 200


def test_guessing_is_throttled_and_a_throttled_address_learns_nothing(crowd, link):
    """50 tokens that name no link from one address in 15 minutes: then every link,
    a valid one too, answers 429 to it (page, files); another address is not affected."""
    st, guesser = crowd.st, address()
    for n in range(50):
        fake = f"{st.url('streaming')}/s/{n:02d}" + "x" * 41
        resp = visit(fake, guesser)
        assert resp.status_code == 404 and "This link is not valid" in resp.text, n
    for url in (link["url"], link["embed_url"], f"{link['url']}/hls/master.m3u8", f"{link['url']}/poster.jpg"):
        throttled = visit(url, guesser)
        assert throttled.status_code == 429, (url, throttled.status_code)
        assert 0 < int(throttled.headers["Retry-After"]) <= 900
        assert "Private one" not in throttled.text and "#EXTM3U" not in throttled.text
    assert visit(f"{st.url('streaming')}/s/" + "y" * 43, guesser).status_code == 429
    assert visit(link["url"], address()).status_code == 200


def test_wrong_passwords_are_throttled_per_link_and_address(crowd):
    """20 wrong passwords of a link from one address: then that link answers 429 to it,
    the right password too; the same link from another address, and another link from
    this one, still work."""
    st = crowd.st
    share = make_share(st, crowd.token["owner"], crowd.internal, password="correct one")
    second = make_share(st, crowd.token["owner"], crowd.internal, password="correct one")
    who = address()
    for n in range(20):
        assert post_password(share["url"], f"wrong {n}", who).status_code == 403, n
    right = post_password(share["url"], "correct one", who)
    assert right.status_code == 429 and "Internal one" not in right.text and "data-src" not in right.text
    assert visit(share["url"], who).status_code == 429
    assert post_password(share["url"], "correct one", address()).status_code == 200
    assert post_password(second["url"], "correct one", who).status_code == 200
    rows = st.query("SELECT share_id, COUNT(*) AS n FROM share_attempts WHERE client = ? GROUP BY share_id", (who,))
    assert rows == [{"share_id": share["id"], "n": 20}]


def test_the_owner_sees_links_in_the_list_but_never_their_tokens(crowd, link):
    listed = requests.get(shares_url(crowd.st, crowd.private), headers=bearer(crowd.token["owner"]), timeout=10)
    mine = next(s for s in listed.json()["shares"] if s["id"] == link["id"])
    assert (mine["url"], mine["embed_url"], mine["allow_download"]) == (None, None, True)
    assert link_token(link) not in listed.text
