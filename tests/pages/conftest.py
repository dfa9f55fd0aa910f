"""One stack for the video page's tests (issue 24): MariaDB and S3 of its own, the
packager sweeping every second (the trash's purge is seen at once once a trashed
video's `deleted_at` is moved back past TRASH_HOURS, which stays at its default, 24).
People: uma (uploader, the owner), ugo (another uploader), ada (admin)."""

from __future__ import annotations

import pytest

from harness import TEST_PASSWORD, make_clip, own_stack
from harness.people import add_user


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
