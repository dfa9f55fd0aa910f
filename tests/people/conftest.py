"""One stack for the people tests: MariaDB and S3 (a database and bucket of their own,
so that their failed logins and guessed links never throttle another suite), alice
(AUTH_USERNAME, admin) and bob (AUTH_USERS_FILE, uploader), X-Forwarded-For believed for
one hop (each throttle test sends an address of its own), DEFAULT_QUOTA_GB=50 and
DEFAULT_QUOTA_VIDEOS=3 (the quotas of people without a row of their own), and a quick
sweep (a deleted user's objects).

The roles, scopes and quotas tests add people of the `users` table written straight into
it (harness.people): an admin, two uploaders, a viewer; API tokens of every scope."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from harness import TEST_PASSWORD, bearer, make_clip, own_stack
from harness.people import add_token, add_user
from vs_common.db import utcnow

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
        UPLOAD_MAX_UNFINISHED="20",
        MAX_UPLOAD_BYTES=str(64 * 1024 * 1024),
    )


@pytest.fixture(scope="session")
def admin(people_stack) -> str:
    """A session token of alice, the environment's admin."""
    return people_stack.login("alice")


@pytest.fixture(scope="session")
def people_clip(clip):
    return clip


@pytest.fixture(scope="session")
def clip(tmp_path_factory):
    """A small H.264 clip (a few tens of KiB)."""
    return make_clip(tmp_path_factory.mktemp("people-clip") / "clip.mp4", seconds=2, size="160x120", rate=10)


# Who asks, in the order of the access table's columns. t_* are API tokens: of the
# owner's (uma) with the scopes named, expired or revoked; t_viewer is the viewer's with
# every scope (its role still caps it), t_admin the admin's with every scope.
WHO = (
    "admin",
    "owner",
    "uploader",
    "viewer",
    "nobody",
    "t_read",
    "t_upload",
    "t_manage",
    "t_all",
    "t_expired",
    "t_revoked",
    "t_viewer",
    "t_admin",
)
ALL = ["read", "upload", "manage"]


class Crowd:
    """The people of the table and their credentials (`token[who]`: a session token or
    an API token; None for nobody), and a ready video of the owner's."""

    def __init__(self, st, clip):
        self.st = st
        add_user(st, "ada", "admin", TEST_PASSWORD)
        add_user(st, "uma", "uploader", TEST_PASSWORD)
        add_user(st, "ugo", "uploader", TEST_PASSWORD)
        add_user(st, "vic", "viewer", TEST_PASSWORD)
        day = timedelta(days=1)
        self.token = {
            "admin": st.login("ada"),
            "owner": st.login("uma"),
            "uploader": st.login("ugo"),
            "viewer": st.login("vic"),
            "nobody": None,
            "t_read": add_token(st, "uma", ["read"]),
            "t_upload": add_token(st, "uma", ["upload"]),
            "t_manage": add_token(st, "uma", ["manage"]),
            "t_all": add_token(st, "uma", ALL, expires_at=utcnow() + day),
            "t_expired": add_token(st, "uma", ALL, expires_at=utcnow() - day),
            "t_revoked": add_token(st, "uma", ALL, revoked_at=utcnow() - timedelta(minutes=1)),
            "t_viewer": add_token(st, "vic", ALL),
            "t_admin": add_token(st, "ada", ALL),
        }
        video = st.api.upload_ready(self.token["owner"], clip, "Access table target", packaged=True)
        self.video = video["id"]
        thumbs = st.state.objects(f"videos/{self.video}/thumbs/")
        assert thumbs, "the target video has no thumbnails"
        self.thumb = thumbs[0].rsplit("/", 1)[1]

    def headers(self, who: str) -> dict[str, str]:
        token = self.token[who]
        return bearer(token) if token else {}


@pytest.fixture(scope="session")
def crowd(people_stack, clip) -> Crowd:
    return Crowd(people_stack, clip)


def add_video_row(st, owner: str, size_bytes: int = 1000, name: str = "A row") -> str:
    """A ready video row of `owner`'s holding `size_bytes` (nothing stored behind it:
    what the quotas count is the catalogue's rows); its id."""
    video_id = uuid.uuid4().hex[:22]
    now = utcnow()
    st.query(
        "INSERT INTO videos (id, video_name, video_path, owner, status, size_bytes, original_key, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, 'ready', ?, ?, ?, ?)",
        (
            video_id,
            name,
            f"s3://x/videos/{video_id}/hls/master.m3u8",
            owner,
            size_bytes,
            f"videos/{video_id}/o.mp4",
            now,
            now,
        ),
    )
    return video_id
