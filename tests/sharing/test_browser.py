"""Share links in Chromium, as the owner and a viewer without an account use them: the
owner makes a link on the video's page and a second browser context (no cookies) plays
the video to its end with its captions, on a page showing nothing else of the house; an
expired link's page; a link revoked while its viewer plays (the next request fails and
the player says the link ended, instead of retrying); a password link (wrong, then
right); the embed framed by a page of another origin plays where the player page framed
the same way is refused; the owner's visibility select."""

from __future__ import annotations

import http.server
import threading
import time
from datetime import timedelta

import pytest
import requests
from player.conftest import PageWatch
from player.menus import choose, items

from conftest import browser_login, wait_playing
from harness import wait_until
from vs_common.db import utcnow

from .sharekit import make_share, shares_url

pytestmark = pytest.mark.browser

ENDED = "This link has been revoked or has expired."
# The other origin that frames the embed: one of the stack's EMBED_ALLOWED_ORIGINS.
FRAMER_HOST, FRAMER_PORT = "127.0.0.2", 8080


def watch_page(st, video_id: str) -> str:
    return f"{st.url('streaming')}/videos/{video_id}"


@pytest.fixture
def owner_page(browser, crowd):
    """The owner (uma) signed in, in a context of its own."""
    context = browser.new_context()
    page = context.new_page()
    browser_login(page, crowd.st, "uma")
    yield page
    context.close()


@pytest.fixture
def stranger(browser):
    """A second context: no cookies, no account."""
    context = browser.new_context()
    yield context
    context.close()


def play_to_the_end(page, timeout_ms: int = 30000) -> None:
    wait_playing(page)
    page.wait_for_function("() => document.getElementById('video').ended", timeout=timeout_ms)
    assert page.evaluate("() => window.__hlsFatal || null") is None


def test_the_owner_shares_on_the_page_and_a_stranger_plays_it_to_the_end_with_captions(crowd, owner_page, stranger):
    st, video_id = crowd.st, crowd.private
    page = owner_page
    page.goto(watch_page(st, video_id))
    page.wait_for_selector("#share-form")
    assert page.locator("#visibility").input_value() == "private"
    page.check("#share-download")
    page.click("#share-create")
    page.wait_for_selector("#share-new:not([hidden])")
    url = page.locator("#share-url").input_value()
    assert url.startswith(st.url("streaming") + "/s/") and len(url.rsplit("/", 1)[1]) >= 43
    embed = page.locator("#share-embed").input_value()
    assert embed.startswith(f'<iframe src="{url}/embed"') and 'allow="fullscreen; picture-in-picture"' in embed
    assert 'width="640"' in embed and 'height="360"' in embed
    # Listed (the URL never again: only its hash is kept), with what it allows.
    row = page.locator("#share-list tbody tr").first
    row.wait_for()
    cells = row.locator("td").all_inner_texts()
    assert cells[1] == "never" and cells[2] == "0" and cells[4:6] == ["no", "yes"], cells

    watch = PageWatch(stranger)
    viewer = stranger.new_page()
    resp = viewer.goto(url)
    assert resp.status == 200 and stranger.cookies() == []
    assert viewer.locator("#video-title").inner_text() == "Private one"
    # Nothing of the house: no menu, no library, no owner; the only link is the download.
    assert viewer.locator("nav, header, .topbar").count() == 0
    assert viewer.eval_on_selector_all("a[href]", "as => as.map(a => a.id)") == ["download"]
    assert "uma" not in viewer.locator("body").inner_text()
    # Its caption track listed, chosen, shown.
    viewer.wait_for_selector("#captions-control:not([hidden])")
    options = items(viewer, "captions")
    assert options == ["Off", "English"], options
    choose(viewer, "captions", "English")
    viewer.wait_for_function(
        """() => Array.from(document.getElementById('video').textTracks)
             .some(t => t.language === 'en' && t.mode === 'showing' && t.cues && t.cues.length > 0)""",
        timeout=20000,
    )
    play_to_the_end(viewer)
    assert any("/s/" in u and u.endswith(".vtt") for u in watch.requests), "no caption file fetched"
    assert not any("/videos/" in u or "/api/" in u for u in watch.requests), "the page asked the house"
    watch.check("the shared page")


def test_an_expired_link_shows_its_410_page(crowd, stranger):
    share = make_share(
        crowd.st, crowd.token["owner"], crowd.internal, expires_at=(utcnow() + timedelta(seconds=3)).isoformat() + "Z"
    )
    time.sleep(3.5)  # the expiry itself (never opened before: no cached lookup)
    page = stranger.new_page()
    resp = page.goto(share["url"])
    assert resp.status == 410
    assert "This link has expired" in page.locator("#share-message").inner_text() + page.title()
    assert page.locator("#video").count() == 0


def test_a_link_revoked_while_playing_stops_the_player_with_a_message(crowd, stranger):
    st, video_id = crowd.st, crowd.internal
    share = make_share(st, crowd.token["owner"], video_id)
    segment = crowd.files[video_id]["segment"].replace("seg_00000", "seg_00001")
    held = []
    released = threading.Event()

    def hold(route):
        # The second segment waits until the link is revoked: its request is then the
        # first one the server refuses (the first segment is in the player already).
        if released.is_set():
            route.continue_()
        else:
            held.append(route)

    stranger.route("**/seg_00001.ts", hold)
    page = stranger.new_page()
    page.goto(share["url"])
    wait_playing(page)
    wait_until(lambda: (page.wait_for_timeout(50), held)[1], 20, "the second segment asked for")
    assert held[0].request.url.endswith(segment)
    revoke = requests.delete(f"{shares_url(st, video_id)}/{share['id']}", headers=crowd.headers("owner"), timeout=10)
    assert revoke.status_code == 204
    wait_until(
        lambda: requests.get(f"{share['url']}/hls/{segment}", timeout=10).status_code == 404, 5, "refused after 2 s"
    )
    released.set()
    for route in held:
        route.continue_()
    page.wait_for_function(f"() => document.getElementById('player-message').textContent === {ENDED!r}", timeout=20000)
    assert "retrying" not in page.locator("body").inner_text()
    assert page.evaluate("() => document.getElementById('video').paused")


def test_a_password_link_refuses_a_wrong_password_then_plays(crowd, stranger):
    share = make_share(crowd.st, crowd.token["owner"], crowd.internal, password="correct horse")
    page = stranger.new_page()
    page.goto(share["url"])
    assert page.locator("#video").count() == 0 and "Internal one" not in page.content()
    page.fill("#password", "wrong horse")
    page.click("#password-form button[type=submit]")
    page.wait_for_selector("#password-error")
    assert "Internal one" not in page.content()
    page.fill("#password", "correct horse")
    page.click("#password-form button[type=submit]")
    page.wait_for_selector("#video")
    assert page.locator("#video-title").inner_text() == "Internal one"
    play_to_the_end(page)


class _Framer(http.server.BaseHTTPRequestHandler):
    """A page of another site: /embed frames the link's embed, /player the video's page."""

    pages: dict[str, str] = {}

    def do_GET(self):  # noqa: N802 (http.server's name)
        body = self.pages.get(self.path, "").encode()
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args):
        pass


@pytest.fixture
def framer():
    """Starts pages of other origins: `framer(host, port)` is one's base URL."""
    servers = []

    def start(host: str, port: int) -> str:
        server = http.server.ThreadingHTTPServer((host, port), _Framer)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://{host}:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def frame_page(src: str) -> str:
    return f'<!doctype html><title>A blog</title><iframe id="f" name="f" src="{src}" width="640" height="360"></iframe>'


def test_the_embed_plays_framed_by_another_origin_and_the_player_page_refuses(crowd, framer, stranger, browser):
    st, video_id = crowd.st, crowd.internal
    share = make_share(st, crowd.token["owner"], video_id)
    _Framer.pages = {"/embed": frame_page(share["embed_url"]), "/player": frame_page(watch_page(st, video_id))}

    page = stranger.new_page()
    page.goto(framer(FRAMER_HOST, FRAMER_PORT) + "/embed")  # another site: the frame gets no cookie
    frame = page.frame_locator("#f")
    frame.locator("#video").wait_for()
    child = next(f for f in page.frames if f.url == share["embed_url"])
    child.evaluate("() => { const v = document.getElementById('video'); v.muted = true; v.play().catch(() => {}); }")
    child.wait_for_function("() => document.getElementById('video').currentTime > 0.5", timeout=30000)
    assert child.evaluate("() => window.__hlsFatal || null") is None

    # The player page, framed by another origin of the same site (another port: the
    # session cookie goes along, so the page itself answers, not the login): refused.
    context = browser.new_context()
    try:
        signed = context.new_page()
        browser_login(signed, st, "uma")
        with signed.expect_response(watch_page(st, video_id)) as answer:
            signed.goto(framer("127.0.0.1", 0) + "/player")
        assert answer.value.status == 200  # served, and then not shown in the frame
        assert "frame-ancestors" in answer.value.headers["content-security-policy"]
        signed.wait_for_load_state("load")
        # Served (200 above), and not shown: Chromium put its error page in the frame.
        child = next(f for f in signed.frames if f.name == "f")
        assert child.url == "chrome-error://chromewebdata/", child.url
        assert child.evaluate("() => document.getElementById('video')") is None
    finally:
        context.close()


def test_the_owner_changes_the_visibility_on_the_page(crowd, owner_page):
    st = crowd.st
    resp = requests.post(
        st.url("upload") + "/api/upload",
        files=[("name", (None, "Visibility flip")), ("file", ("c.mp4", crowd.clip.read_bytes(), "video/mp4"))],
        headers=crowd.headers("owner"),
        timeout=60,
    )
    assert resp.status_code == 201, resp.text
    video_id = resp.json()["id"]
    st.wait_packaged(crowd.token["owner"], video_id)
    page = owner_page
    page.goto(watch_page(st, video_id))
    assert page.locator("#visibility").input_value() == "internal"
    page.select_option("#visibility", "private")
    page.wait_for_selector("#visibility-message.ok")
    assert st.video(crowd.token["owner"], video_id)["visibility"] == "private"
    assert (
        requests.get(
            f"{st.url('streaming')}/api/videos/{video_id}", headers=crowd.headers("other"), timeout=10
        ).status_code
        == 404
    )
    # The library marks it, and only it among the owner's ready internal videos.
    page.goto(st.url("streaming") + "/?q=Visibility+flip")
    page.wait_for_selector(f'li.tile[data-id="{video_id}"] .badge.private')
    page.goto(st.url("streaming") + "/?q=Internal+one")
    page.wait_for_selector("li.tile")
    assert page.locator(".badge.private").count() == 0
