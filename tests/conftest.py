"""Session-wide real components: MariaDB, an S3 server, and two stacks of services
(MariaDB + S3, and the embedded defaults: SQLite + local storage)."""

from __future__ import annotations

import pytest

from harness import MariaDB, S3Server, Stack, stack_env


@pytest.fixture(scope="session")
def mariadb(tmp_path_factory):
    db = MariaDB(tmp_path_factory.mktemp("mariadb"))
    db.install()
    db.start()
    db.bootstrap()
    yield db
    db.stop()


@pytest.fixture(scope="session")
def s3(tmp_path_factory):
    server = S3Server(tmp_path_factory.mktemp("s3"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory, mariadb, s3):
    """The four services on MariaDB and the S3 server."""
    # Chunks of 1 MiB for the upload page, so that the page tests' files span several.
    st = Stack(tmp_path_factory.mktemp("stack"), {**stack_env(mariadb, s3), "UPLOAD_CHUNK_MB": "1"})
    st.mariadb, st.s3 = mariadb, s3
    st.start()
    yield st
    st.stop()


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory):
    """The four services with the embedded defaults: SQLite and a local storage folder."""
    st = Stack(tmp_path_factory.mktemp("local"), {"STORAGE_BACKEND": "local"})
    st.start()
    yield st
    st.stop()


@pytest.fixture(scope="session")
def token(stack):
    return stack.login()


@pytest.fixture(scope="session")
def clips(tmp_path_factory):
    """A small H.264/AAC clip shared by many tests."""
    from harness import make_clip

    base = tmp_path_factory.mktemp("clips")
    return {"h264": make_clip(base / "h264.mp4", seconds=3)}


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never `playwright install`)."""
    from playwright.sync_api import sync_playwright

    from harness.browser import launch_chromium

    with sync_playwright() as pw:
        b = launch_chromium(pw)
        yield b
        b.close()


def browser_login(page, st, username: str = "alice", password: str | None = None) -> None:
    """Log in through auth-svc's form, as a person would, landing on the upload page."""
    from harness import TEST_PASSWORD

    page.goto(st.url("upload") + "/")
    page.wait_for_url(st.url("auth") + "/login*")
    page.fill("#username", username)
    page.fill("#password", password or TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(st.url("upload") + "/")


def wait_playing(page, timeout_ms: int = 30000) -> float:
    """Start the player and wait until currentTime advances; returns it."""
    page.wait_for_selector("#video")
    page.evaluate("() => { const v = document.getElementById('video'); v.muted = true; v.play().catch(() => {}); }")
    page.wait_for_function(
        "() => { const v = document.getElementById('video'); return v && v.currentTime > 0.5; }", timeout=timeout_ms
    )
    fatal = page.evaluate("() => window.__hlsFatal || null")
    assert fatal is None, f"fatal hls.js error: {fatal}"
    return page.evaluate("() => document.getElementById('video').currentTime")


# What a `fast` test (make test-fast: no root, no service) may not use: the session's real
# components and the markers of the long or browser-driven tests.
REAL_COMPONENTS = frozenset({"mariadb", "s3", "stack", "local_stack", "token", "browser"})
NOT_FAST = ("slow", "browser", "compose", "soak")


def _refuse_fast_tests_that_are_not(items) -> None:
    """A test marked `fast` that needs a real component is a usage error, not a pass:
    the marker would promise `make test-fast` something it cannot keep."""
    wrong = []
    for item in items:
        if item.get_closest_marker("fast") is None:
            continue
        callspec = getattr(item, "callspec", None)
        parametrized = set(callspec.params) if callspec else set()  # an argument, not a fixture
        needs = sorted(REAL_COMPONENTS & (set(getattr(item, "fixturenames", ())) - parametrized))
        needs += [m for m in NOT_FAST if item.get_closest_marker(m) is not None]
        if needs:
            wrong.append(f"{item.nodeid} ({', '.join(needs)})")
    if wrong:
        raise pytest.UsageError("tests marked fast that need real components:\n  " + "\n  ".join(wrong))


def pytest_itemcollected(item):
    """Under pytest-xdist (`-n N --dist loadgroup`), each folder of tests (an area: pages,
    playback...) runs on one worker: its session stacks start once, not once per worker,
    and its modules keep their order (the files directly in tests/ make one group).
    Without xdist, nothing. (Here, not in pytest_collection_modifyitems: xdist reads the
    groups in that hook, which may run before this file's.)"""
    if not item.config.pluginmanager.hasplugin("xdist"):
        return
    try:
        parts = item.path.relative_to(item.config.rootpath / "tests").parts
    except ValueError:  # a test outside tests/: no group, any worker
        return
    item.add_marker(pytest.mark.xdist_group(parts[0] if len(parts) > 1 else "top"))


def pytest_collection_modifyitems(config, items):
    """Soak runs (marker `soak`) only when asked for with `-m soak` (make soak), never in
    make test: deselected, not skipped. Tests marked `fast` need no real component."""
    _refuse_fast_tests_that_are_not(items)
    if "soak" in (config.getoption("markexpr") or ""):
        return
    keep = [item for item in items if item.get_closest_marker("soak") is None]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item.get_closest_marker("soak")])
        items[:] = keep
