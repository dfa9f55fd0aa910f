"""The player and page tests: the embedded defaults (SQLite, local storage), the ladder
180,360,720,1080 (a 360p clip gets two renditions, for the quality menu; a 1080p one four,
for Auto), ffmpeg behind the packaging tests' gate (to hold the thumbnails back), and helpers
that watch a page for anything it should not do."""

from __future__ import annotations

import pytest
from packager.conftest import gated_local_stack

from harness import make_clip


@pytest.fixture(scope="session")
def player_stack(tmp_path_factory):
    yield from gated_local_stack(tmp_path_factory.mktemp("player"), HLS_LADDER="180,360,720,1080")


@pytest.fixture(scope="session")
def player_token(player_stack):
    return player_stack.login()


@pytest.fixture(scope="session")
def clip360(tmp_path_factory):
    """Four seconds of 640x360 H.264/AAC: the copied 360p rendition, and a 180p one to encode."""
    return make_clip(tmp_path_factory.mktemp("player-clips") / "c360.mp4", seconds=4, size="640x360")


@pytest.fixture(scope="session")
def ladder_video(player_stack, player_token, clip360):
    """A ready video with both renditions ready."""
    resp = player_stack.upload(player_token, clip360, name="Player ladder")
    resp.raise_for_status()
    return player_stack.wait_all_renditions(player_token, resp.json()["id"])


# Recorded in every page before its own scripts: CSP violations (also reported to the
# console, but the event says which directive) and errors nothing caught.
WATCH_SCRIPT = """
(() => {
  const say = (what) => console.error("[page check] " + what);
  document.addEventListener("securitypolicyviolation", (e) =>
    say("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at " +
        e.sourceFile + ":" + e.lineNumber), true);
  window.addEventListener("unhandledrejection", (e) => say("unhandled rejection: " + e.reason));
})();
"""


class PageWatch:
    """Everything a context's pages did wrong: console errors, uncaught errors, CSP
    violations, answers of 400 or more, requests that failed (other than aborted)."""

    def __init__(self, context, expected: set[tuple[int, str]] | None = None):
        self.problems: list[str] = []
        self.expected = expected or set()  # (status, url) answers that are the point, e.g. a 404 page
        self.requests: list[str] = []
        context.add_init_script(WATCH_SCRIPT)
        context.on("console", self._console)
        context.on("weberror", lambda e: self.problems.append(f"uncaught: {e.error}"))  # pageerror of every page
        context.on("request", lambda r: self.requests.append(r.url))
        context.on("response", self._response)
        context.on("requestfailed", self._failed)

    def _console(self, msg) -> None:
        url = msg.location.get("url", "")
        if msg.type == "error" and not (msg.text.startswith("Failed to load resource") and self._expected(url)):
            self.problems.append(f"console error: {msg.text} ({msg.location.get('url')})")

    def _response(self, resp) -> None:
        if resp.status >= 400 and (resp.status, resp.url) not in self.expected:
            self.problems.append(f"HTTP {resp.status}: {resp.request.method} {resp.url}")

    def _expected(self, url: str) -> bool:
        return any(u == url for _s, u in self.expected)

    def _failed(self, req) -> None:
        failure = req.failure or ""
        if "ERR_ABORTED" not in failure:
            self.problems.append(f"request failed ({failure}): {req.method} {req.url}")

    def check(self, where: str = "") -> None:
        assert not self.problems, f"{where}: " + "\n".join(self.problems)
