"""`reelhouse upload [--name NAME] [--wait] FILE...`: resumable uploads from the command line.

tus through tuspy; credentials from REELHOUSE_USERNAME and REELHOUSE_PASSWORD (or a
prompt); `make run`'s local ports unless told otherwise. Each upload's URL is kept in
~/.cache/reelhouse/uploads.json (by the file's path, size and time), so running the same
command again after an interruption resumes from the server's offset. Prints each video's
watch URL, and with --wait its final status; exits non-zero with the server's message on
failure.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import time
from pathlib import Path

import requests
from tusclient import client as tus
from tusclient.exceptions import TusCommunicationError
from tusclient.fingerprint.fingerprint import Fingerprint
from tusclient.storage.filestorage import FileStorage

CHUNK = 16 * 1024 * 1024  # tuspy holds one chunk in memory; 16 MiB is far below any proxy's limit


class Failed(RuntimeError):
    """What the server said (or why it could not be reached), for the user."""


def _message(resp: requests.Response) -> str:
    try:
        return resp.json().get("message") or resp.reason
    except ValueError:
        return f"HTTP {resp.status_code} {resp.reason}"


def login(auth_url: str, username: str, password: str) -> str:
    try:
        resp = requests.post(
            f"{auth_url}/api/login",
            data={"username": username, "password": password},
            headers={"Accept": "application/json"},
            timeout=30,
        )
    except requests.RequestException as exc:
        raise Failed(f"cannot reach the login service at {auth_url}: {exc.__class__.__name__}") from None
    if resp.status_code != 200:
        raise Failed(f"login refused: {_message(resp)}")
    return resp.json()["token"]


class Progress:
    """A one-line progress bar on stderr: percent, bytes, speed, time left."""

    def __init__(self, name: str, total: int):
        self.name, self.total, self.start, self.first = name, total, time.monotonic(), None

    def show(self, done: int) -> None:
        if self.first is None:
            self.first = done  # resumed from here: the speed counts what this run sent
        elapsed = max(time.monotonic() - self.start, 1e-6)
        speed = (done - self.first) / elapsed
        left = (self.total - done) / speed if speed > 0 else 0
        width = 30
        filled = int(width * done / self.total) if self.total else width
        sys.stderr.write(
            f"\r{self.name[:30]:<30} [{'#' * filled}{'.' * (width - filled)}] {100 * done / max(self.total, 1):5.1f}% "
            f"{done / 1e6:8.1f} MB {speed / 1e6:6.1f} MB/s {int(left):4d} s left"
        )
        sys.stderr.flush()

    def end(self) -> None:
        sys.stderr.write("\n")


RETRIES = 8  # a network cut or a 5xx: tried again from the server's offset, waiting longer each time


def _server_message(exc: TusCommunicationError) -> str:
    try:
        return json.loads(exc.response_content or b"").get("message") or str(exc)
    except (ValueError, AttributeError):
        return str(exc)


def _uploader(c, path: Path, meta: dict, storage: FileStorage):
    """tuspy's uploader, resuming what an earlier run started (its URL is in `storage`)."""
    options = dict(file_path=str(path), chunk_size=CHUNK, metadata=meta, store_url=True, url_storage=storage)
    try:
        return c.uploader(**options)
    except TusCommunicationError as exc:
        if exc.status_code not in (404, 410):
            raise
        # What an earlier run started has expired or was cancelled: start it again.
        with open(path, "rb") as fh:
            storage.remove_item(Fingerprint().get_fingerprint(fh))
        return c.uploader(**options)


def upload_one(args, token: str, path: Path, storage: FileStorage) -> str:
    """One file, resumed if an earlier run started it; returns the video's id."""
    headers = {"Authorization": f"Bearer {token}"}
    c = tus.TusClient(f"{args.upload_url}/api/tus/", headers=headers)
    meta = {"filename": path.name, **({"name": args.name} if args.name else {})}
    size = path.stat().st_size
    try:
        uploader = _uploader(c, path, meta, storage)
        progress = Progress(path.name, size)
        progress.show(uploader.offset)
        tries = 0
        while uploader.offset < size:
            try:
                uploader.upload_chunk()
                tries = 0
            except TusCommunicationError as exc:
                if exc.status_code is not None and exc.status_code < 500 and exc.status_code != 423:
                    raise  # refused: saying so is all there is to do
                tries += 1
                if tries > RETRIES:
                    raise
                time.sleep(min(2**tries, 30))
                uploader.offset = uploader.get_offset()  # the server's word, not ours
            progress.show(uploader.offset)
        progress.end()
    except TusCommunicationError as exc:
        sys.stderr.write("\n")
        raise Failed(f"{path.name}: {_server_message(exc)}") from None
    except requests.RequestException as exc:
        raise Failed(f"{path.name}: cannot reach {args.upload_url}: {exc.__class__.__name__}") from None
    video_id = (uploader.request.response_headers.get("video-id") if uploader.request else None) or _video_id(
        uploader.url, headers
    )
    with open(path, "rb") as fh:
        storage.remove_item(Fingerprint().get_fingerprint(fh))
    return video_id


def _video_id(url: str, headers: dict) -> str:
    """The Video-Id of a finished upload (its last answer was lost, or it was finished before)."""
    resp = requests.head(url, headers={**headers, "Tus-Resumable": "1.0.0"}, timeout=60)
    if resp.status_code != 200 or "Video-Id" not in resp.headers:
        raise Failed(f"the upload is complete but no video was made (HTTP {resp.status_code})")
    return resp.headers["Video-Id"]


def wait(args, token: str, video_id: str) -> dict:
    while True:
        resp = requests.get(
            f"{args.streaming_url}/api/videos/{video_id}", headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        if resp.status_code != 200:
            raise Failed(f"cannot read the video's status: {_message(resp)}")
        video = resp.json()
        if video["status"] in ("ready", "failed"):
            return video
        time.sleep(1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="reelhouse", description="Reelhouse from the command line.")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("upload", help="upload videos (resumable: run it again after an interruption)")
    up.add_argument("files", nargs="+", type=Path, metavar="FILE")
    up.add_argument("--name", help="the video's name (default: the file name without its extension)")
    up.add_argument("--wait", action="store_true", help="wait until each video is ready (or failed)")
    up.add_argument("--auth-url", default=os.environ.get("REELHOUSE_AUTH_URL", "http://localhost:8000"))
    up.add_argument("--upload-url", default=os.environ.get("REELHOUSE_UPLOAD_URL", "http://localhost:3000"))
    up.add_argument("--streaming-url", default=os.environ.get("REELHOUSE_STREAMING_URL", "http://localhost:3100"))
    args = parser.parse_args(argv)
    for name in ("auth_url", "upload_url", "streaming_url"):
        setattr(args, name, getattr(args, name).rstrip("/"))
    missing = [str(p) for p in args.files if not p.is_file()]
    if missing:
        print(f"reelhouse: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    username = os.environ.get("REELHOUSE_USERNAME") or input("Username: ")
    password = os.environ.get("REELHOUSE_PASSWORD") or getpass.getpass("Password: ")
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "reelhouse"
    cache.mkdir(parents=True, exist_ok=True)
    storage = FileStorage(str(cache / "uploads.json"))
    code = 0
    try:
        token = login(args.auth_url, username, password)
        for path in args.files:
            try:
                video_id = upload_one(args, token, path, storage)
            except Failed as exc:
                print(f"reelhouse: {exc}", file=sys.stderr)
                code = 1
                continue
            print(f"{path.name}: {args.streaming_url}/videos/{video_id}", flush=True)
            if args.wait:
                video = wait(args, token, video_id)
                print(f"{path.name}: {video['status']}" + (f": {video['error']}" if video["error"] else ""), flush=True)
                if video["status"] != "ready":
                    code = 1
    except Failed as exc:
        print(f"reelhouse: {exc}", file=sys.stderr)
        return 1
    finally:
        storage.close()
    return code


if __name__ == "__main__":
    sys.exit(main())
