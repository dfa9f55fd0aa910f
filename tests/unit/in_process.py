"""The services' apps built in this process for the fast tests (tests/unit), driven
with Flask's test client: no gunicorn, no MariaDB, no S3. The web apps check sessions
with auth-svc over HTTP as in production, so conftest.py serves a real auth-svc app on a
loopback port; file-svc is a port nothing listens on (what needs it answers as when it
is down)."""

from __future__ import annotations

from pathlib import Path

from harness import TEST_PASSWORD, free_port, in_process_app

# The public origins of the in-process apps (as .env's *_PUBLIC_URL): what the Origin rule
# accepts and where a login may send the browser.
PUBLIC = {
    "auth_public_url": "http://app.test:8000",
    "upload_public_url": "http://app.test:3000",
    "streaming_public_url": "http://app.test:3100",
}
SECRET_KEY = "test-secret-key-0123456789"


def auth_app(tmp: Path, **settings):
    """auth-svc's app: alice (AUTH_USERNAME) and bob (AUTH_USERS_FILE), TEST_PASSWORD;
    `settings`: more of Settings' fields."""
    from werkzeug.security import generate_password_hash

    users = tmp / "users.txt"
    users.write_text(f"bob:{generate_password_hash(TEST_PASSWORD)}\n")
    return in_process_app(
        "auth-svc",
        "auth_svc",
        tmp,
        auth_username="alice",
        auth_password=TEST_PASSWORD,
        auth_users_file=str(users),
        secret_key=SECRET_KEY,
        **PUBLIC,
        **settings,
    )


def web_app(folder: str, package: str, tmp: Path, auth_url: str, **settings):
    """A web app (upload-webapp, streaming-svc) on SQLite and local storage under `tmp`,
    checking sessions with the served auth-svc; file-svc unreachable. Its temp folder
    exists (the volume file-svc and the web apps share)."""
    (tmp / "temp").mkdir(exist_ok=True)
    return in_process_app(
        folder,
        package,
        tmp,
        auth_svc_url=auth_url,
        file_svc_url=f"http://127.0.0.1:{free_port()}",  # reserved, never listened on
        **PUBLIC,
        **settings,
    )


def video_of(app, owner: str, name: str = "A video") -> str:
    """A video row of `owner`'s in the app's database (as file-svc's ingest writes it); its id."""
    from vs_common.catalogue import insert_video
    from vs_common.wire import new_video_id

    video_id = new_video_id()
    settings = app.extensions["settings"]
    insert_video(
        app.extensions["db"],
        settings,
        video_id=video_id,
        name=name,
        owner=owner,
        size_bytes=1000,
        original_key=f"videos/{video_id}/original.mp4",
    )
    return video_id
