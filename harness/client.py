"""The services' HTTP API as a person's client calls it: log in, upload, read a video,
wait for its packaging, fetch its playlists. Stack's `login()`, `upload()`... are this
client's calls (harness.stack)."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin

import requests

from .basics import wait_until

if TYPE_CHECKING:
    import m3u8

    from .stack import Stack

TEST_PASSWORD = "correct horse battery staple"  # every test stack's users' password
OVER = ("ready", "failed")  # a video's statuses once its first stage is over


def bearer(token: str) -> dict[str, str]:
    """The Authorization header of a session token (scripts and the CLI send it so)."""
    return {"Authorization": f"Bearer {token}"}


def hidden_redirect(page: str) -> str:
    """The login form's hidden `redirect` field: where auth-svc sends the browser next."""
    match = re.search(r'name="redirect" value="([^"]*)"', page)
    if match is None:
        raise AssertionError(f"no redirect field in the login page: {page[:500]}")
    return html.unescape(match.group(1))


class Api:
    """One stack's public API (auth-svc, upload-webapp, streaming-svc) over HTTP."""

    def __init__(self, stack: Stack):
        self.stack = stack

    def _packager_log(self) -> Path | None:
        packager = self.stack.services.get("packager")
        return packager.log if packager is not None else None

    def login(self, username: str = "alice", password: str = TEST_PASSWORD) -> str:
        """A session token from auth-svc's JSON login."""
        resp = requests.post(
            self.stack.url("auth") + "/api/login",
            data={"username": username, "password": password},
            headers={"Accept": "application/json"},
            timeout=10,
        )
        resp.raise_for_status()
        return resp.json()["token"]

    def upload(self, token: str, path: Path, name: str | None = None, timeout: float = 120) -> requests.Response:
        """`POST /api/upload` of the file at `path` (and its name); the answer as it is."""
        data = {"name": name} if name is not None else {}
        with open(path, "rb") as fh:
            return requests.post(
                self.stack.url("upload") + "/api/upload",
                files={"file": (path.name, fh)},
                data=data,
                headers=bearer(token),
                timeout=timeout,
            )

    def upload_id(self, token: str, path: Path, name: str, timeout: float = 120) -> str:
        """The id of an upload that must be accepted (201)."""
        resp = self.upload(token, path, name=name, timeout=timeout)
        if resp.status_code != 201:
            raise AssertionError(f"upload of {path.name} answered {resp.status_code}: {resp.text}")
        return resp.json()["id"]

    def upload_ready(self, token: str, path: Path, name: str, timeout: float = 120, packaged: bool = False) -> dict:
        """Upload a file that must become `ready`; its video JSON. `packaged`: wait for
        every job too (thumbnails and the other renditions follow `ready`)."""
        video_id = self.upload_id(token, path, name, timeout)
        wait = self.wait_packaged if packaged else self.wait_status
        video = wait(token, video_id, timeout=timeout)
        if video["status"] != "ready":
            raise AssertionError(f"video {video_id} is {video['status']}: {video.get('error')}")
        return video

    def video(self, token: str, video_id: str) -> dict:
        resp = requests.get(f"{self.stack.url('streaming')}/api/videos/{video_id}", headers=bearer(token), timeout=10)
        resp.raise_for_status()
        return resp.json()

    def delete_video(self, token: str, video_id: str, timeout: float = 60, purge: bool = False) -> requests.Response:
        """Into the owner's trash; `purge`: removed at once (`?purge=true`)."""
        query = "?purge=true" if purge else ""
        return requests.delete(
            f"{self.stack.url('streaming')}/api/videos/{video_id}{query}", headers=bearer(token), timeout=timeout
        )

    def wait_status(self, token: str, video_id: str, statuses=OVER, timeout: float = 120) -> dict:
        return wait_until(
            lambda: (v := self.video(token, video_id))["status"] in statuses and v,
            timeout,
            f"video {video_id} {statuses}",
            self._packager_log(),
            interval=0.25,
        )

    def wait_packaged(self, token: str, video_id: str, timeout: float = 120) -> dict:
        """Ready (or failed), and every packaging job over: thumbnails and other renditions
        follow `ready`, so counts of what is stored settle only then."""
        self.wait_status(token, video_id, timeout=timeout)
        wait_until(
            lambda: all(j["status"] in ("done", "failed") for j in self.stack.state.jobs(video_id)),
            timeout,
            f"jobs of {video_id} over",
            self._packager_log(),
            interval=0.25,
        )
        return self.video(token, video_id)

    def wait_all_renditions(self, token: str, video_id: str, timeout: float = 180) -> dict:
        def done():
            v = self.video(token, video_id)
            return v["status"] in OVER and all(r["status"] != "pending" for r in v["renditions"]) and v

        return wait_until(done, timeout, f"renditions of {video_id}", self._packager_log(), interval=0.5)

    def get(self, token: str, url: str, headers: dict | None = None) -> requests.Response:
        """A URL of the streaming app (absolute, or a path) with the session cookie, as
        the player fetches it."""
        return requests.get(
            urljoin(self.stack.url("streaming") + "/", url),
            cookies={"auth_token": token},
            headers=headers or {},
            timeout=15,
        )

    def master_url(self, video_id: str) -> str:
        return f"{self.stack.url('streaming')}/videos/{video_id}/hls/master.m3u8"

    def master(self, token: str, video_id: str) -> m3u8.M3U8:
        """A video's master playlist, parsed (its URIs resolve against its own URL)."""
        import m3u8

        resp = self.get(token, self.master_url(video_id))
        if resp.status_code != 200:
            raise AssertionError(f"master playlist of {video_id}: {resp.status_code} {resp.text}")
        return m3u8.loads(resp.text, uri=self.master_url(video_id))
