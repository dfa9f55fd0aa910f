"""`reelhouse upload` against servers that lie: small real HTTP servers (Flask on a free
port) playing auth-svc, upload-webapp and streaming-webapp at once, honest until a test
tells them otherwise.

The token goes to no origin but the one given (a creation Location, a cached URL or a
redirect elsewhere is refused and never contacted); an upload started by an earlier run
is resumed only for the same file, server and user, and only when the server's HEAD says
it is that file; a broken or lying answer is exit 1 and one line, never a traceback;
server text is printed with control characters escaped; --wait gives up at its deadline.
"""

from __future__ import annotations

import base64
import os
import socket
import struct
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from flask import Flask, Response, jsonify, request
from werkzeug.serving import make_server

from harness import ROOT, free_port

REELHOUSE = Path(sys.executable).with_name("reelhouse")
# What a terminal acts on: ESC, BEL, CSI (C1), DEL, bidi override and isolate, line separator.
RAW = ("\x1b", "\x07", "\x9b", "\x7f", "\u202e", "\u2067", "\u2028")
HOSTILE = "\x1b]0;owned\x07\x1b[2J\x9b31m\x7f\u202eevil\u2067\u2028"


class Fake:
    """A tus server with a login and a video API, in this process on a free port. It
    records every request (method, Host, path, Authorization); `lies[name]`, a function
    of the upload (or None), answers in place of the honest view `name`."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.seen: list[tuple[str, str, str, str | None]] = []
        self.uploads: dict[str, dict] = {}
        self.lies: dict = {}
        app = Flask("fake")
        app.before_request(self._record)
        app.add_url_rule("/api/login", view_func=self.login, methods=["POST"])
        app.add_url_rule("/api/tus/", view_func=self.create, methods=["POST"])
        app.add_url_rule("/api/tus/<upload_id>", view_func=self.head, methods=["HEAD"])
        app.add_url_rule("/api/tus/<upload_id>", view_func=self.patch, methods=["PATCH"])
        app.add_url_rule("/api/videos/<video_id>", view_func=self.video, methods=["GET"])
        self.server = make_server("127.0.0.1", self.port, self._raw_location(app), threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @staticmethod
    def _raw_location(app):
        """A lie's `X-Raw-Location` is sent as `Location` byte for byte (werkzeug would
        percent-encode a Location's backslash)."""

        def wsgi(environ, start_response):
            def start(status, headers, exc_info=None):
                named = [("Location" if k == "X-Raw-Location" else k, v) for k, v in headers]
                return start_response(status, named, exc_info)

            return app(environ, start)

        return wsgi

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _record(self) -> None:
        self.seen.append((request.method, request.host, request.path, request.headers.get("Authorization")))

    def requests_to(self, upload_id: str) -> list[tuple]:
        return [s for s in self.seen if s[2] == f"/api/tus/{upload_id}"]

    def _lie(self, name: str, upload: dict | None = None):
        return self.lies[name](upload) if name in self.lies else None

    def login(self):
        return self._lie("login") or jsonify(token=f"tok-{request.form['username']}")

    def create(self):
        upload_id = f"up{len(self.uploads):014d}"
        upload = {"id": upload_id, "length": int(request.headers["Upload-Length"]), "received": 0}
        upload["metadata"] = request.headers.get("Upload-Metadata", "")
        self.uploads[upload_id] = upload
        return self._lie("create", upload) or Response(status=201, headers={"Location": self.upload_url(upload_id)})

    def upload_url(self, upload_id: str) -> str:
        return f"{self.url}/api/tus/{upload_id}"

    def head(self, upload_id: str):
        upload = self.uploads.get(upload_id)
        if upload is None:
            return Response(status=404)
        headers = {"Upload-Offset": str(upload["received"]), "Upload-Length": str(upload["length"])}
        if upload["metadata"]:
            headers["Upload-Metadata"] = upload["metadata"]
        return self._lie("head", upload) or Response(status=200, headers=headers)

    def patch(self, upload_id: str):
        upload = self.uploads[upload_id]
        lie = self._lie("patch", upload)
        if lie is not None:
            return lie
        upload["received"] += len(request.get_data())
        headers = {"Upload-Offset": str(upload["received"])}
        if upload["received"] == upload["length"]:
            headers["Video-Id"] = "vd" + upload_id[2:]
        return Response(status=204, headers=headers)

    def video(self, video_id: str):
        return self._lie("video") or jsonify(id=video_id, status="ready", error=None)


class Resetter:
    """A port that reads each request and resets the connection (RST) instead of answering."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))  # bound here and now: the kernel's choice is safe
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.recv(65536)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def fake():
    server = Fake()
    yield server
    server.close()


@pytest.fixture
def other():
    server = Fake()
    yield server
    server.close()


@pytest.fixture
def video(tmp_path) -> Path:
    path = tmp_path / "clip.mp4"
    path.write_bytes(os.urandom(200 * 1024))
    return path


def _cli(tmp_path: Path, fake: Fake, *args: str, user: str = "alice", **urls: str) -> subprocess.CompletedProcess:
    """The console script with this checkout's code, every URL the fake's unless given."""
    flags = []
    for name in ("auth", "upload", "streaming"):
        flags += [f"--{name}-url", urls.get(name, fake.url)]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "cli"), os.environ.get("PYTHONPATH", "")]),
        "REELHOUSE_USERNAME": user,
        "REELHOUSE_PASSWORD": "secret password",
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),  # no token stored: the password's way
    }
    return subprocess.run(
        [str(REELHOUSE), "upload", *flags, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def _said(done: subprocess.CompletedProcess) -> str:
    """The one line the CLI said on stderr (the progress bar's lines aside)."""
    assert "Traceback" not in done.stderr, done.stderr
    lines = [line for line in done.stderr.splitlines() if line and not line.endswith(" s left")]
    assert len(lines) == 1 and lines[0].startswith("reelhouse: "), done.stderr
    return lines[0]


def _refused(status: int = 403):
    return lambda upload: Response(
        '{"error": "stop", "message": "Stopped here."}', status=status, mimetype="application/json"
    )


def _interrupted(tmp_path: Path, fake: Fake, video: Path, user: str = "alice") -> str:
    """A first run whose PATCH is refused: its upload stays in the resume cache."""
    fake.lies["patch"] = _refused()
    done = _cli(tmp_path, fake, str(video), user=user)
    assert done.returncode == 1 and "Stopped here." in _said(done)
    del fake.lies["patch"]
    fake.seen.clear()
    (upload_id,) = fake.uploads
    return upload_id


# -- the token goes nowhere else ------------------------------------------------------


@pytest.mark.parametrize("elsewhere", ["port", "host", "scheme", "backslash"])
def test_a_creation_location_on_another_origin_is_refused_never_contacted(tmp_path, fake, other, video, elsewhere):
    """`backslash`: Python's urlsplit reads the host after the `@` (this server), requests
    connects to the one before it (`other`)."""
    target = {
        "port": f"{other.url}/api/tus/up00000000000000",
        "host": f"http://localhost:{fake.port}/api/tus/up00000000000000",
        "scheme": f"https://127.0.0.1:{fake.port}/api/tus/up00000000000000",
        "backslash": f"{other.url}\\@127.0.0.1:{fake.port}/api/tus/up00000000000000",
    }[elsewhere]
    fake.lies["create"] = lambda upload: Response(status=201, headers={"X-Raw-Location": target})
    done = _cli(tmp_path, fake, str(video))
    assert other.seen == []
    assert [s[:3] for s in fake.seen] == [("POST", fake.url[7:], "/api/login"), ("POST", fake.url[7:], "/api/tus/")]
    assert done.returncode == 1
    said = _said(done)
    assert target in said and f"is not on http://127.0.0.1:{fake.port}" in said and "refused" in said
    cached = "".join(p.read_text() for p in (tmp_path / "cache" / "reelhouse").glob("*"))
    assert target not in cached


def test_a_cached_url_of_another_server_is_never_sent_this_runs_token(tmp_path, fake, other, video):
    """An earlier run against `fake` left its upload in the cache; this run is against `other`."""
    _interrupted(tmp_path, fake, video)
    done = _cli(tmp_path, other, str(video))
    assert done.returncode == 0, done.stderr
    assert fake.seen == []
    assert [s[0] for s in other.seen] == ["POST", "POST", "PATCH"]  # login, a fresh creation, the bytes


def test_a_cached_upload_of_another_user_is_not_resumed(tmp_path, fake, video):
    alices = _interrupted(tmp_path, fake, video, user="alice")
    done = _cli(tmp_path, fake, str(video), user="bob")
    assert done.returncode == 0, done.stderr
    assert fake.requests_to(alices) == []
    assert [(s[0], s[3]) for s in fake.seen[1:]] == [("POST", "Bearer tok-bob"), ("PATCH", "Bearer tok-bob")]


def test_a_cache_entry_on_another_origin_is_refused_and_dropped(tmp_path, fake, other, video):
    """A cache file changed by hand (or by anything else): the URL under this file's key
    is on another server. Refused, not contacted, and dropped: the next run starts afresh."""
    entry = other.upload_url("up00000000000099")
    write = (
        "import sys; from pathlib import Path; from reelhouse_cli.cache import ResumeCache, cache_key\n"
        "ResumeCache(Path(sys.argv[1])).put(cache_key(Path(sys.argv[2]), sys.argv[3], 'alice'), sys.argv[4])"
    )
    cache = tmp_path / "cache" / "reelhouse"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "cli")}
    subprocess.run([sys.executable, "-c", write, str(cache), str(video), fake.url, entry], env=env, check=True)
    done = _cli(tmp_path, fake, str(video))
    assert done.returncode == 1
    said = _said(done)
    assert "the cached upload URL" in said and entry in said and "refused" in said
    assert other.seen == []
    again = _cli(tmp_path, fake, str(video))
    assert again.returncode == 0, again.stderr
    assert other.seen == []


@pytest.mark.parametrize("where", ["login", "patch"])
def test_redirects_are_not_followed(tmp_path, fake, other, video, where):
    """A 307 would take the password (login) or the bytes (PATCH) to another server."""
    fake.lies[where] = lambda upload: Response(status=307, headers={"Location": f"{other.url}/elsewhere"})
    done = _cli(tmp_path, fake, str(video))
    assert other.seen == []
    assert done.returncode == 1
    assert f"a redirect to {other.url}/elsewhere (not followed)" in _said(done)


# -- resumed only when the server says it is this file ---------------------------------


def _metadata(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


@pytest.mark.parametrize("says", ["another length", "another filename", "unreadable metadata"])
def test_a_cached_upload_the_server_says_is_another_file_is_started_afresh(tmp_path, fake, video, says):
    started = _interrupted(tmp_path, fake, video)
    upload = fake.uploads[started]
    if says == "another length":
        upload["length"] += 1
    elif says == "another filename":
        upload["metadata"] = _metadata(filename="holiday.mp4")
    else:
        upload["metadata"] = "filename %%%"
    done = _cli(tmp_path, fake, str(video))
    assert done.returncode == 0, done.stderr
    assert "is not this file; starting afresh" in done.stderr
    assert [s[0] for s in fake.requests_to(started)] == ["HEAD"]  # asked, never written to
    assert len(fake.uploads) == 2 and fake.uploads[f"up{1:014d}"]["received"] == video.stat().st_size
    rerun = _cli(tmp_path, fake, str(video))  # the stale entry is gone: nothing to resume
    assert rerun.returncode == 0 and fake.requests_to(started)[1:] == []


# -- broken or lying answers: exit 1 and one line ------------------------------------


def _html_502(upload):
    return Response("<html><body><h1>502 Bad Gateway</h1></body></html>", status=502)


LIES = {
    "login answers HTML": ("login", lambda u: Response("<html>Welcome</html>", mimetype="text/html"), "no token"),
    "login answers JSON without a token": ("login", lambda u: jsonify(user="alice"), "no token"),
    "login answers a JSON list": ("login", lambda u: jsonify(["token"]), "no token"),
    "login answers a token with CR LF": ("login", lambda u: jsonify(token="abc\r\nX-Evil: 1"), "no token"),
    "creation answers an HTML 502": ("create", _html_502, "HTTP 502"),
    "creation answers 201 without a Location": ("create", lambda u: Response(status=201), "without a Location"),
    "PATCH answers a non-numeric Upload-Offset": (
        "patch",
        lambda u: Response(status=204, headers={"Upload-Offset": "12abc"}),
        "Upload-Offset: '12abc', not a byte count",
    ),
    "PATCH answers no Upload-Offset": ("patch", lambda u: Response(status=204), "Upload-Offset: None"),
    "PATCH answers a 5000-digit Upload-Offset": (
        "patch",
        lambda u: Response(status=204, headers={"Upload-Offset": "9" * 5000}),
        "not a byte count",
    ),
    "PATCH answers an offset past the file": (
        "patch",
        lambda u: Response(status=204, headers={"Upload-Offset": str(u["length"] + 1)}),
        "not a byte count from 0 to",
    ),
    "PATCH answers the same offset for ever": (
        "patch",
        lambda u: Response(status=204, headers={"Upload-Offset": "0"}),
        "no progress",
    ),
    "the video's status is HTML": ("video", lambda u: Response("<html>hi</html>"), "no video status"),
    "the video's status has no status": ("video", lambda u: jsonify(id="x"), "no video status"),
}


@pytest.mark.parametrize("case", list(LIES))
def test_a_lying_answer_is_exit_1_and_one_line(tmp_path, fake, video, case):
    view, lie, expected = LIES[case]
    fake.lies[view] = lie
    done = _cli(tmp_path, fake, "--wait", str(video))
    assert done.returncode == 1
    assert expected in _said(done)


def test_a_non_numeric_offset_in_head_is_exit_1_and_one_line(tmp_path, fake, video):
    _interrupted(tmp_path, fake, video)
    fake.lies["head"] = lambda upload: Response(status=200, headers={"Upload-Offset": "abc", "Upload-Length": "5"})
    done = _cli(tmp_path, fake, str(video))
    assert done.returncode == 1
    assert "not a byte count" in _said(done)


@pytest.mark.parametrize("service", ["auth", "upload", "streaming"])
def test_a_connection_reset_is_exit_1_and_one_line(tmp_path, fake, video, service):
    resetter = Resetter()
    try:
        done = _cli(tmp_path, fake, "--wait", str(video), **{service: resetter.url})
    finally:
        resetter.close()
    assert done.returncode == 1
    assert "cannot reach" in _said(done) and "ConnectionError" in done.stderr


# -- server text is printed escaped --------------------------------------------------


def _shows_no_raw_controls(done: subprocess.CompletedProcess) -> None:
    for char in RAW:
        assert char not in done.stdout + done.stderr, (char, done.stdout, done.stderr)
    assert "\\x1b]0;owned\\x07\\x1b[2J\\x9b31m\\x7f\\u202eevil\\u2067\\u2028" in done.stdout + done.stderr


def test_a_refusal_message_is_printed_escaped(tmp_path, fake, video):
    fake.lies["create"] = lambda upload: (jsonify(error="no", message=HOSTILE), 400)
    done = _cli(tmp_path, fake, str(video))
    assert done.returncode == 1
    _said(done)
    _shows_no_raw_controls(done)


def test_a_failed_videos_error_is_printed_escaped(tmp_path, fake, video):
    fake.lies["video"] = lambda upload: jsonify(status="failed", error=HOSTILE)
    done = _cli(tmp_path, fake, "--wait", str(video))
    assert done.returncode == 1
    assert done.stdout.splitlines()[1].startswith("clip.mp4: failed: ")
    _shows_no_raw_controls(done)


def test_a_video_id_with_controls_is_refused_and_printed_escaped(tmp_path, fake, video):
    fake.lies["patch"] = lambda upload: Response(
        status=204, headers={"Upload-Offset": str(upload["length"]), "Video-Id": HOSTILE.encode().decode("latin-1")}
    )
    done = _cli(tmp_path, fake, str(video))
    assert done.returncode == 1 and done.stdout == ""
    assert "malformed Video-Id" in _said(done)
    for char in ("\x1b", "\x07", "\x7f"):
        assert char not in done.stderr


def test_a_file_name_with_controls_is_printed_escaped(tmp_path, fake):
    path = tmp_path / "\x1b[2Jclip\u202e.mp4"
    path.write_bytes(os.urandom(1000))
    done = _cli(tmp_path, fake, str(path))
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout + done.stderr and "\u202e" not in done.stdout + done.stderr
    assert done.stdout.startswith("\\x1b[2Jclip\\u202e.mp4: ")


# -- --wait has a deadline -----------------------------------------------------------


def test_wait_gives_up_at_its_deadline_and_says_the_status(tmp_path, fake, video):
    fake.lies["video"] = lambda upload: jsonify(status="processing", error=None)
    done = _cli(tmp_path, fake, "--wait", "--wait-timeout", "2", str(video))
    assert done.returncode == 1
    assert done.stdout.startswith(f"clip.mp4: {fake.url}/videos/vd")
    said = _said(done)
    assert "gave up waiting after 2 s (--wait-timeout)" in said and "still processing" in said


def test_wait_timeout_is_documented_and_checked(tmp_path, fake, video):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "cli")}
    help_text = subprocess.run(
        [str(REELHOUSE), "upload", "--help"], env=env, capture_output=True, text=True, check=True
    )
    assert "--wait-timeout SECONDS" in help_text.stdout.replace("\n", " ")
    for bad in ("0", "-5", "nan", "inf", "soon"):
        done = _cli(tmp_path, fake, "--wait", "--wait-timeout", bad, str(video))
        assert done.returncode == 2 and "not a number of seconds above 0" in done.stderr, done.stderr
