"""One stack for the people tests: MariaDB and S3 (a database and bucket of their own,
so that their failed logins and guessed links never throttle another suite), bob from
AUTH_USERS_FILE, X-Forwarded-For believed for one hop (each throttle test sends an
address of its own), default quotas set, and a quick sweep (a deleted user's objects)."""

from __future__ import annotations

import pytest

from harness import make_clip, own_stack

from .peoplekit import DEFAULT_QUOTA_GB, DEFAULT_QUOTA_VIDEOS


@pytest.fixture(scope="session")
def people_stack(tmp_path_factory, mariadb, s3):
    yield from own_stack(
        tmp_path_factory.mktemp("people"),
        mariadb,
        s3,
        "people",
        TRUSTED_PROXIES="1",
        SWEEP_INTERVAL_SECONDS="5",
        DEFAULT_QUOTA_GB=str(DEFAULT_QUOTA_GB),
        DEFAULT_QUOTA_VIDEOS=str(DEFAULT_QUOTA_VIDEOS),
    )


@pytest.fixture(scope="session")
def admin(people_stack) -> str:
    """A session token of alice, the environment's admin."""
    return people_stack.login("alice")


@pytest.fixture(scope="session")
def people_clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("people-clip") / "clip.mp4", seconds=2)
