"""Files that claim to be mp4 but are a zip, an HTML page, an image, an HLS playlist or a
concat list pointing at local files (/etc/passwd) or URLs: 415, nothing kept, and ffmpeg
never reads anything but the upload (a local HTTP server named in them gets no request,
and /etc/passwd never shows up in an answer or a log)."""

from __future__ import annotations

import io
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import hostilekit
import pytest
import requests

from harness import make_clip

PASSWD = "root:x:0:0"


class _Recorder(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server's naming
        _Recorder.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "video/mp2t")
        self.end_headers()
        self.wfile.write(b"\x47" * 188 * 10)

    do_HEAD = do_GET  # noqa: N815

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def bait():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def st(tmp_path_factory, request, mariadb, s3):
    return hostilekit.hostile_stack(tmp_path_factory, request.config, mariadb, s3)


def _corpus(bait: str, tmp) -> dict[str, bytes]:
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as z:
        z.writestr("movie.mp4", make_clip(tmp / "inner.mp4", seconds=1).read_bytes())
    png = make_clip(
        tmp / "still.png",
        seconds=1,
        vcodec="png",
        acodec=None,
        pix_fmt="rgb24",
        extra=["-frames:v", "1", "-update", "1"],
        fmt="image2",
    )
    ts = make_clip(tmp / "real.ts", seconds=1, fmt="mpegts")
    return {
        "zip": zbuf.getvalue(),
        "html": b"<!doctype html><html><body><video src='/etc/passwd'></video>" + b"<p>x</p>" * 100 + b"</body></html>",
        "png": png.read_bytes(),
        "hls local": b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:///etc/passwd\n#EXTINF:10,\n/etc/passwd\n"
        b"#EXT-X-ENDLIST\n",
        "hls url": f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n{bait}/seg.ts\n#EXT-X-ENDLIST\n".encode(),
        "hls master url": f"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1000\n{bait}/media.m3u8\n".encode(),
        "concat local": b"ffconcat version 1.0\nfile '/etc/passwd'\nfile 'file:/etc/passwd'\n",
        "concat url": f"ffconcat version 1.0\nfile '{bait}/clip.mp4'\n".encode(),
        "concat subfile": b"ffconcat version 1.0\nfile 'subfile,,start,0,end,2000,,:/etc/passwd'\n",
        "sdp": f"v=0\no=- 0 0 IN IP4 127.0.0.1\ns=x\nc=IN IP4 127.0.0.1\nt=0 0\nm=video {bait.rsplit(':', 1)[1]} "
        "RTP/AVP 96\na=rtpmap:96 H264/90000\n".encode(),
        "mpeg-ts (not an accepted container)": ts.read_bytes(),
        "text": b"just some text\n" * 50,
        "empty": b"",
        "ftyp then playlist": b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2#EXTM3U\n" + f"{bait}/x.ts\n".encode(),
    }


def test_fake_videos_are_refused_and_nothing_is_read(st, bait, tmp_path_factory):
    token, _ = hostilekit.ready_video(st, tmp_path_factory)
    before = st.counts()
    corpus = _corpus(bait, tmp_path_factory.mktemp("fakes"))
    for label, data in corpus.items():
        resp = requests.post(
            st.url("upload") + "/api/upload",
            files={"file": ("movie.mp4", data, "video/mp4")},
            data={"name": label},
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        assert resp.status_code == 415, (label, resp.status_code, resp.text[:200])
        assert resp.json()["error"] == "not_a_video" and resp.json()["message"], label
        assert PASSWD not in resp.text
        direct = requests.post(
            st.url("file") + "/videos",
            data=data,
            timeout=60,
            headers={"Authorization": f"Bearer {hostilekit.INTERNAL}"},
        )
        assert direct.status_code == 415, (label, direct.status_code, direct.text[:200])
        assert PASSWD not in direct.text
    assert _Recorder.hits == [], "ffmpeg followed a URL in an upload"
    logs = "".join(st[name].log.read_text(errors="replace") for name in ("file", "upload"))
    assert PASSWD not in logs
    assert st.counts() == before
    hostilekit.all_alive(st)
