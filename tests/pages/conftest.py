"""The page tests (issue 24). Two stacks: `page_stack` for the video page's owner tools
(MariaDB and S3 of its own, the packager sweeping every second: the trash's purge is
seen at once once a trashed video's `deleted_at` is moved back past TRASH_HOURS, which
stays at its default, 24; people: uma (uploader, the owner), ugo (another uploader), ada
(admin)), and `pages_stack` with the embedded defaults (SQLite, local storage) and one
ready video for the layout and axe tests; axe-core is fetched from the npm registry at
set-up time (never committed)."""

from __future__ import annotations

import os
import subprocess
import tarfile
from pathlib import Path

import pytest
import requests

from harness import TEST_PASSWORD, Stack, bearer, make_clip, own_stack
from harness.people import add_user

# Cached between runs, outside the repository (as scripts/setup-test.sh does for kubectl).
AXE_CACHE = Path(os.environ.get("AXE_CACHE", "/var/tmp/reelhouse-axe"))
AXE_SPEC = "axe-core@4"


def axe_script() -> Path:
    """axe.min.js from `npm pack axe-core@4`, unpacked once into AXE_CACHE."""
    script = AXE_CACHE / "package" / "axe.min.js"
    if not script.exists():
        AXE_CACHE.mkdir(parents=True, exist_ok=True)
        out = subprocess.run(
            ["npm", "pack", AXE_SPEC, "--silent", "--pack-destination", str(AXE_CACHE)],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        with tarfile.open(AXE_CACHE / out.stdout.strip().splitlines()[-1]) as tgz:
            tgz.extract("package/axe.min.js", AXE_CACHE, filter="data")
    return script


@pytest.fixture(scope="session")
def axe() -> str:
    return str(axe_script())


@pytest.fixture(scope="session")
def pages_stack(tmp_path_factory):
    st = Stack(tmp_path_factory.mktemp("pages"), {"STORAGE_BACKEND": "local", "HLS_LADDER": "180"})
    st.start()
    yield st
    st.stop()


@pytest.fixture(scope="session")
def pages_video(pages_stack, tmp_path_factory):
    """A ready video with a long name (the player's title and the library's card)."""
    clip = make_clip(tmp_path_factory.mktemp("pages-clips") / "p.mp4", seconds=2, size="320x180")
    token = pages_stack.login()
    return pages_stack.api.upload_ready(token, clip, name="A holiday by the sea with the whole family, day one")


@pytest.fixture(scope="session")
def pages_scene(pages_stack, pages_video) -> dict[str, str]:
    """What the pages a person without an account opens need on `pages_stack`: a share
    link of `pages_video` (downloads allowed: its page shows the link), a password link,
    an invitation link, and a viewer, `vic` (the video page without the owner's tools).
    The URLs by name; nothing that adds a video (the library tests count them)."""
    st = pages_stack
    token = st.login()
    shares = st.url("streaming") + f"/api/videos/{pages_video['id']}/shares"
    links = {}
    for name, body in {"share": {"allow_download": True}, "password": {"password": "open sesame"}}.items():
        resp = requests.post(shares, json=body, headers=bearer(token), timeout=30)
        assert resp.status_code == 201, resp.text
        links[name] = resp.json()["url"]
    resp = requests.post(
        st.url("auth") + "/api/users", json={"username": "ines", "role": "uploader"}, headers=bearer(token), timeout=30
    )
    assert resp.status_code == 201, resp.text
    add_user(st, "vic", "viewer", TEST_PASSWORD)
    return {
        "share": links["share"],
        "embed": links["share"] + "/embed",
        "share password": links["password"],
        "share unknown": st.url("streaming") + "/s/no-such-link-0000000000",
        "invite": resp.json()["invite_url"],
        "invite unknown": st.url("auth") + "/invite/no-such-invitation-000000",
    }


@pytest.fixture(scope="session")
def page_stack(tmp_path_factory, mariadb, s3):
    yield from own_stack(tmp_path_factory.mktemp("pages"), mariadb, s3, "pages", SWEEP_INTERVAL_SECONDS="1")


@pytest.fixture(scope="session")
def page_people(page_stack):
    add_user(page_stack, "uma", "uploader", TEST_PASSWORD)
    add_user(page_stack, "ugo", "uploader", TEST_PASSWORD)
    add_user(page_stack, "ada", "admin", TEST_PASSWORD)
    return {"owner": page_stack.login("uma"), "other": page_stack.login("ugo"), "admin": page_stack.login("ada")}


@pytest.fixture(scope="session")
def page_clip(tmp_path_factory):
    """A small H.264/AAC clip of two segments."""
    return make_clip(tmp_path_factory.mktemp("page-clip") / "clip.mp4", seconds=6, size="160x120", rate=10)
