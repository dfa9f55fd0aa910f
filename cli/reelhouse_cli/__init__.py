"""`reelhouse upload [--name NAME] [--wait [--wait-timeout SECONDS]] FILE...`: resumable
uploads from the command line; `reelhouse login` and `reelhouse logout` (account.py).

tus (`tus.py`); the API token of REELHOUSE_TOKEN, else the one `reelhouse login` stored
(token_file.py), else a session from REELHOUSE_USERNAME and REELHOUSE_PASSWORD (or a
prompt) as before tokens; `make run`'s local ports unless told otherwise (or the stored
token's). Each unfinished upload's URL is kept in
~/.cache/reelhouse/resume.json (`cache.py`), keyed by the file's absolute path, size and
modification time, the upload server and the user, so running the same command again
after an interruption resumes from the server's offset; before resuming, the server's
Upload-Length and filename must match the file, else the upload starts afresh. Prints
each video's watch URL, and with --wait its final status, waiting at most --wait-timeout
seconds (default 3600) for each video. Exits non-zero with a one-line message on
failure: a refusal, an unreachable or lying server (answers that are not what tus and
the services' API says), a timeout.

The token is sent only to the origins given (--upload-url, --streaming-url): an upload
URL elsewhere (a creation Location, a cached URL) is refused, never contacted. Text from
servers is printed with control characters escaped (`report.shown`).
"""

from __future__ import annotations

import argparse
import getpass
import math
import os
import sys
import time
from pathlib import Path

import requests

from . import account, token_file
from .cache import ResumeCache, cache_key
from .report import Failed, clipped, shown
from .token_file import StoredToken
from .tus import Head, Transient, UploadServer, message, origin

RETRIES = 8  # a network cut, a 5xx or a 423: tried again from the server's offset, waiting longer each time
WAIT_TIMEOUT = 3600.0  # --wait's default deadline per video, in seconds


def _out(text: str, stream=None) -> None:
    print(shown(text), file=stream or sys.stdout, flush=True)


class Progress:
    """A one-line progress bar on stderr: percent, bytes, speed, time left."""

    def __init__(self, name: str, total: int):
        self.name, self.total, self.start, self.first = shown(name), total, time.monotonic(), None

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
        if self.first is not None:
            sys.stderr.write("\n")


def _filename(path: Path) -> str:
    """The file's name as sent in Upload-Metadata (a name that is not UTF-8: `?` for its
    undecodable bytes)."""
    return path.name.encode("utf-8", "replace").decode("utf-8")


def _is_this_file(head: Head, path: Path, size: int) -> bool:
    """The server's word on an upload matches the file: its length, and its filename when
    the server tells it (metadata that cannot be read vouches for nothing)."""
    if head.length != size or head.metadata is None:
        return False
    return head.metadata.get("filename", _filename(path)) == _filename(path)


def _resume(
    server: UploadServer, cache: ResumeCache, key: str, path: Path, size: int
) -> tuple[str, int, str | None] | None:
    """(url, offset, video id) of the upload an earlier run started of this very file,
    or None: none, gone, or not this file by the server's word (then dropped)."""
    url = cache.get(key)
    if url is None:
        return None
    try:
        server.check(url, "the cached upload URL")
    except Failed:
        cache.drop(key)
        raise
    head = server.head(url)
    if head is not None:
        if _is_this_file(head, path, size):
            return url, head.offset, head.video_id
        _out(f"reelhouse: {path.name}: the server's upload {url} is not this file; starting afresh", sys.stderr)
    cache.drop(key)
    return None


def _send(server: UploadServer, url: str, path: Path, size: int, offset: int) -> str | None:
    """The file's bytes from `offset` on, trying again after transient failures from the
    server's offset; the Video-Id if the last answer gave it."""
    progress, video_id, tries = Progress(path.name, size), None, 0
    try:
        with open(path, "rb") as fh:
            while offset < size:
                progress.show(offset)
                try:
                    if tries:
                        head = server.head(url)  # after a failure: the server's word, not ours
                        if head is None:
                            raise Failed("the upload is gone from the server (expired or cancelled)")
                        offset, video_id = head.offset, head.video_id
                    if offset < size:
                        offset, video_id = server.patch(url, fh, offset, size)
                    tries = 0
                except Transient:
                    tries += 1
                    if tries > RETRIES:
                        raise
                    time.sleep(min(2**tries, 30))
            progress.show(offset)
    finally:
        progress.end()
    return video_id


def upload_one(args, server: UploadServer, cache: ResumeCache, path: Path) -> str:
    """One file, resumed if an earlier run started it; returns the video's id."""
    size = path.stat().st_size
    key = cache_key(path, server.origin, args.username)
    video_id = None
    resumed = _resume(server, cache, key, path, size)
    if resumed is None:
        meta = {"filename": _filename(path), **({"name": args.name} if args.name else {})}
        url, offset = server.create(size, meta), 0
        cache.put(key, url)
    else:
        url, offset, video_id = resumed
    if video_id is None:
        video_id = _send(server, url, path, size, offset)
    if video_id is None:  # the last answer was lost, or the upload was finished before
        head = server.head(url)
        if head is None or head.video_id is None:
            raise Failed("the upload is complete but no video was made")
        video_id = head.video_id
    cache.drop(key)
    return video_id


def _status(args, token: str, video_id: str) -> dict:
    """The video as the streaming service says it is (its status and error checked)."""
    try:
        resp = requests.get(
            f"{args.streaming_url}/api/videos/{video_id}",
            headers={"Authorization": f"Bearer {token}"},
            allow_redirects=False,
            timeout=30,
        )
    except requests.RequestException as exc:
        raise Failed(f"cannot reach {args.streaming_url}: {exc.__class__.__name__}") from None
    if resp.status_code != 200:
        raise Failed(f"cannot read the video's status: {message(resp)}")
    try:
        video = resp.json()
    except ValueError:
        video = None
    if not isinstance(video, dict) or not isinstance(video.get("status"), str):
        raise Failed(f"{args.streaming_url} answered no video status: is --streaming-url the streaming service?")
    return video


def wait(args, token: str, video_id: str) -> dict:
    """The video once it is ready or failed; Failed once --wait-timeout has passed."""
    deadline = time.monotonic() + args.wait_timeout
    while True:
        video = _status(args, token, video_id)
        if video["status"] in ("ready", "failed"):
            return video
        left = deadline - time.monotonic()
        if left <= 0:
            raise Failed(
                f"gave up waiting after {args.wait_timeout:g} s (--wait-timeout): the video is still "
                f"{clipped(video['status'])}; the server goes on with it"
            )
        time.sleep(min(1.0, left))


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (0 < value < math.inf):
        raise argparse.ArgumentTypeError(f"not a number of seconds above 0: {text!r}")
    return value


URLS = (  # (flag's attribute, variable, make run's local default)
    ("auth_url", "REELHOUSE_AUTH_URL", "http://localhost:8000"),
    ("upload_url", "REELHOUSE_UPLOAD_URL", "http://localhost:3000"),
    ("streaming_url", "REELHOUSE_STREAMING_URL", "http://localhost:3100"),
)


def _url_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--auth-url", help="auth-svc (default: $REELHOUSE_AUTH_URL, the stored token's, or :8000)")
    parser.add_argument(
        "--upload-url",
        help="the upload service; the token is sent to no other upload URL (scheme, host and port)",
    )
    parser.add_argument("--streaming-url", help="the streaming service")


def _parse(argv: list[str] | None) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    parser = argparse.ArgumentParser(prog="reelhouse", description="Reelhouse from the command line.")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser(
        "upload",
        help="upload videos (resumable: run it again after an interruption)",
        description="Upload videos with tus. Run the same command again after an interruption: "
        "the same file to the same server for the same user resumes where the server has it. "
        "Uses REELHOUSE_TOKEN, else the token `reelhouse login` stored, else asks for the password.",
    )
    up.add_argument("files", nargs="+", type=Path, metavar="FILE")
    up.add_argument("--name", help="the video's name (default: the file name without its extension)")
    up.add_argument("--wait", action="store_true", help="wait until each video is ready (or failed)")
    up.add_argument(
        "--wait-timeout",
        type=_seconds,
        default=WAIT_TIMEOUT,
        metavar="SECONDS",
        help=f"with --wait, give up on a video after this long, exit 1 and say its status (default {WAIT_TIMEOUT:g})",
    )
    _url_flags(up)
    login_parser = sub.add_parser(
        "login",
        help="log in once and keep an API token for later runs",
        description="Asks for the username, password and, when the account has one, the second factor's code "
        "(or reads REELHOUSE_USERNAME, REELHOUSE_PASSWORD, REELHOUSE_TOTP); keeps an API token (scopes read "
        "and upload) in ~/.config/reelhouse/token, readable by you alone; the password is not kept.",
    )
    _url_flags(login_parser)
    sub.add_parser("logout", help="revoke the stored token and remove it")
    return parser, parser.parse_args(argv)


def _resolve_urls(parser, args, stored: StoredToken | None) -> None:
    """Each URL: its flag, else its variable, else the stored token's, else make run's."""
    for name, variable, default in URLS:
        url = (getattr(args, name) or os.environ.get(variable) or getattr(stored, name, None) or default).rstrip("/")
        try:
            origin(url)
        except ValueError:
            parser.error(f"--{name.replace('_', '-')} is not an http(s) URL: {shown(url)}")
        setattr(args, name, url)


NO_CREDENTIALS = (
    "no terminal to ask for a password: set REELHOUSE_USERNAME and REELHOUSE_PASSWORD, "
    "or run `reelhouse login` once in a terminal (or set REELHOUSE_TOKEN)"
)


def _credentials() -> tuple[str, str]:
    """The username and password from their variables, else asked on the terminal;
    without one (a pipe, a closed stdin, cron), Failed saying how to give them, never a
    traceback nor a password read back in clear from a pipe."""
    username = os.environ.get("REELHOUSE_USERNAME")
    password = os.environ.get("REELHOUSE_PASSWORD")
    if (not username or not password) and not account.has_terminal():
        raise Failed(NO_CREDENTIALS)
    try:
        username = username or input("Username: ")
        password = password or getpass.getpass("Password: ")
    except EOFError:
        raise Failed(NO_CREDENTIALS) from None
    return username, password


def _upload_token(args) -> str:
    """The token of this upload run: REELHOUSE_TOKEN or the stored one (account.py), else a
    session from the password (the way before `reelhouse login`)."""
    found = account.upload_token(args, args.stored)
    if found is not None:
        token, args.username = found
        return token
    args.username, password = _credentials()
    try:
        return account.password_login(args.auth_url, args.username, password, os.environ.get("REELHOUSE_TOTP", ""))
    except account.SecondFactorNeeded:
        raise Failed("this account has a second factor: run reelhouse login once, or set REELHOUSE_TOTP") from None


def _upload_all(args, token: str, cache: ResumeCache) -> int:
    server, code = UploadServer(args.upload_url, token), 0
    for path in args.files:
        try:
            video_id = upload_one(args, server, cache, path)
            _out(f"{path.name}: {args.streaming_url}/videos/{video_id}")
            if args.wait:
                video = wait(args, token, video_id)
                error = video.get("error")
                _out(f"{path.name}: {video['status']}" + (f": {clipped(str(error))}" if error else ""))
                code = code or int(video["status"] != "ready")
        except Failed as exc:
            _out(f"reelhouse: {path.name}: {exc}", sys.stderr)
            code = 1
        except OSError as exc:  # the file went or cannot be read meanwhile
            _out(f"reelhouse: {path.name}: cannot read it: {exc.strerror}", sys.stderr)
            code = 1
    return code


def _upload(parser, args) -> int:
    missing = [str(p) for p in args.files if not p.is_file()]
    if missing:
        _out(f"reelhouse: no such file: {', '.join(missing)}", sys.stderr)
        return 2
    args.stored = None if os.environ.get("REELHOUSE_TOKEN") else token_file.read()
    _resolve_urls(parser, args, args.stored)
    cache = ResumeCache(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "reelhouse")
    return _upload_all(args, _upload_token(args), cache)


def main(argv: list[str] | None = None) -> int:
    parser, args = _parse(argv)
    try:
        if args.command == "login":
            _resolve_urls(parser, args, None)
            return account.login_command(args)
        if args.command == "logout":
            return account.logout_command(args)
        return _upload(parser, args)
    except Failed as exc:
        _out(f"reelhouse: {exc}", sys.stderr)
        return 1
    except KeyboardInterrupt:
        _out("reelhouse: interrupted; run the same command again to resume", sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
