"""One stack for the sharing tests: MariaDB and S3 (a database and bucket of their own,
so that their guessed tokens and wrong passwords never throttle another suite),
X-Forwarded-For believed for one hop (each throttle test sends an address of its own).

The people (harness.people, written straight into the `users` table): ada (admin), uma
(uploader: the owner of the videos), ugo (another uploader), vic (a viewer); nobody
(no credentials); API tokens of uma's with the read scope only, and of ugo's with every
scope. Two ready videos of uma's, each with a caption track: one private (uploaded with
tus, its metadata naming the visibility), one internal (the multipart form's field)."""

from __future__ import annotations

import pytest

from harness import TEST_PASSWORD, make_clip, own_stack
from harness.people import add_token, add_user

from .sharekit import Crowd


@pytest.fixture(scope="session")
def share_stack(tmp_path_factory, mariadb, s3):
    yield from own_stack(
        tmp_path_factory.mktemp("sharing"),
        mariadb,
        s3,
        "sharing",
        TRUSTED_PROXIES="1",
        MAX_UPLOAD_BYTES=str(64 * 1024 * 1024),
        EMBED_ALLOWED_ORIGINS="https://blog.example http://127.0.0.2:8080",
    )


@pytest.fixture(scope="session")
def share_clip(tmp_path_factory):
    """A small H.264/AAC clip of two segments."""
    return make_clip(tmp_path_factory.mktemp("share-clip") / "clip.mp4", seconds=6, size="160x120", rate=10)


@pytest.fixture(scope="session")
def crowd(share_stack, share_clip) -> Crowd:
    st = share_stack
    add_user(st, "ada", "admin", TEST_PASSWORD)
    add_user(st, "uma", "uploader", TEST_PASSWORD)
    add_user(st, "ugo", "uploader", TEST_PASSWORD)
    add_user(st, "vic", "viewer", TEST_PASSWORD)
    tokens = {
        "admin": st.login("ada"),
        "owner": st.login("uma"),
        "other": st.login("ugo"),
        "viewer": st.login("vic"),
        "nobody": None,
        "t_read": add_token(st, "uma", ["read"]),
        "t_other": add_token(st, "ugo", ["read", "upload", "manage"]),
    }
    return Crowd(st, tokens, share_clip)
