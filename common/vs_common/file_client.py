"""Client of file-svc, used by both web apps. Raises its own exceptions; every call
has a timeout; one pooled HTTP session per process (connection reuse)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from urllib.parse import quote

import requests
import urllib3
from requests.adapters import HTTPAdapter

from .observe import TracedSession, trace_headers
from .wire import UPLOAD_CHUNK

CONNECT_TIMEOUT = 3.0


class FileSvcError(RuntimeError):
    """Base class of file-svc client errors."""


class FileSvcUnavailable(FileSvcError):
    """file-svc cannot be reached, or its storage is down (it answered 503)."""


class FileSvcRejected(FileSvcError):
    """file-svc refused the request (4xx): `status`, `code` and `message` say why."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class NotFound(FileSvcError):
    """No such object."""


def fixed_pieces(body: Iterable[bytes], size: int = UPLOAD_CHUNK) -> Iterable[bytes]:
    """`body` again, in pieces of exactly `size` bytes (the last one may be shorter)."""
    buf = bytearray()
    for chunk in body:
        if not buf and len(chunk) == size:
            yield chunk
            continue
        buf += chunk
        while len(buf) >= size:
            with memoryview(buf) as view:
                piece = bytes(view[:size])
            del buf[:size]  # cheap: a bytearray drops its head without moving the rest
            yield piece
    if buf:
        yield bytes(buf)


def _error_of(resp: requests.Response) -> tuple[str, str]:
    try:
        body = resp.json()
        return str(body.get("error", "error")), str(body.get("message", resp.reason))
    except ValueError:
        return "error", resp.reason or f"HTTP {resp.status_code}"


class ObjectResponse:
    """A streamed object read, shaped like the part of requests' Response that callers use
    (status_code, headers, reason, raw, json(), close()), over a bare urllib3 response."""

    def __init__(self, raw: urllib3.BaseHTTPResponse):
        self.raw = raw
        self.status_code = raw.status
        self.headers = raw.headers
        self.reason = raw.reason

    def json(self):
        return json.loads(self.raw.read())

    def close(self) -> None:
        """Drop the connection if the body was not read to the end; give it back either way."""
        self.raw.close()
        self.raw.release_conn()


class FileClient:
    """Talks to file-svc with the internal token."""

    def __init__(self, base_url: str, internal_token: str, pool_size: int = 32):
        self.base = base_url.rstrip("/")
        self.session = TracedSession()
        # An internal call: no HTTP(S)_PROXY, NO_PROXY or .netrc lookups (each costs CPU on
        # every request, and a proxy meant for the outside would break the call).
        self.session.trust_env = False
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["Authorization"] = f"Bearer {internal_token}"
        # Object reads (every playlist and segment) skip requests' per-call machinery and
        # use its connection pool directly: about 0.3 ms of CPU less per call.
        self._pool = adapter.poolmanager
        self._auth = {"Authorization": f"Bearer {internal_token}"}

    def _check(self, resp: requests.Response) -> requests.Response:
        if resp.status_code == 404:
            resp.close()
            raise NotFound("not found")
        if resp.status_code >= 500 and resp.status_code != 507:  # 507: temp full, a refusal with a reason
            code, message = _error_of(resp)
            resp.close()
            raise FileSvcUnavailable(f"file-svc answered {resp.status_code}: {message}")
        if resp.status_code >= 400 and resp.status_code not in (304, 416):
            code, message = _error_of(resp)
            resp.close()
            raise FileSvcRejected(resp.status_code, code, message)
        return resp

    def upload(
        self,
        body: Iterable[bytes],
        read_timeout: float = 3600.0,
        video_id: str | None = None,
        send_timeout: float = 120.0,
    ) -> dict:
        """Stream `body` to `POST /videos` (chunked: never held in memory); return
        file-svc's JSON (id, size_bytes, original_key, probe).

        `video_id` asks file-svc to store under that id (the caller can then remove
        what is left if the answer is lost). urllib3 uses the connect timeout while
        sending the body, so `send_timeout` bounds how long file-svc may stall a
        write (a busy disk), not only the connect."""
        params = {"id": video_id} if video_id else None
        try:
            resp = self.session.post(
                f"{self.base}/videos",
                data=fixed_pieces(body),
                params=params,
                headers={"Content-Type": "application/octet-stream"},
                timeout=(send_timeout, read_timeout),
            )
        except requests.ConnectionError as exc:
            raise FileSvcUnavailable(f"file-svc unreachable: {exc.__class__.__name__}") from exc
        except requests.Timeout as exc:
            raise FileSvcUnavailable("file-svc timed out") from exc
        return self._check(resp).json()

    def import_upload(self, upload_id: str, timeout: float = 3600.0) -> dict:
        """Ask file-svc to take the file of the resumable upload `upload_id` from the shared
        temp volume (it knows where: vs_common.layout) as the original of the video of that
        id; its JSON, as `upload`'s."""
        try:
            resp = self.session.post(
                f"{self.base}/videos/import", json={"id": upload_id}, timeout=(CONNECT_TIMEOUT, timeout)
            )
        except requests.ConnectionError as exc:
            raise FileSvcUnavailable(f"file-svc unreachable: {exc.__class__.__name__}") from exc
        except requests.Timeout as exc:
            raise FileSvcUnavailable("file-svc timed out") from exc
        if resp.status_code == 404:
            resp.close()
            raise FileSvcRejected(400, "incomplete_upload", "The received file is gone from the temp volume.")
        return self._check(resp).json()

    def open(self, path: str, headers: dict[str, str] | None = None, read_timeout: float = 30.0) -> ObjectResponse:
        """GET an object route (e.g. `videos/<id>/hls/master.m3u8`) as a streamed response."""
        try:
            raw = self._pool.request(
                "GET",
                f"{self.base}/{path.lstrip('/')}",
                headers={**self._auth, **trace_headers(), **(headers or {})},
                preload_content=False,
                retries=False,
                redirect=False,
                timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT, read=read_timeout),
            )
        except urllib3.exceptions.HTTPError as exc:
            raise FileSvcUnavailable(f"file-svc unreachable: {exc.__class__.__name__}") from exc
        return self._check(ObjectResponse(raw))

    def delete_video(self, video_id: str) -> None:
        """Remove every object of a video (idempotent)."""
        try:
            resp = self.session.delete(f"{self.base}/videos/{video_id}", timeout=(CONNECT_TIMEOUT, 120))
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise FileSvcUnavailable(f"file-svc unreachable: {exc.__class__.__name__}") from exc
        if resp.status_code == 404:
            return
        self._check(resp)

    def put_caption(self, video_id: str, language: str, vtt: str, label: str, default: bool) -> dict:
        """Store a caption track (checked WebVTT, vs_common.captions) and name it in the
        master: file-svc's track JSON {language, label, default, file}. NotFound: no such
        video; FileSvcRejected: refused (its status, code and message say why)."""
        try:
            resp = self.session.put(
                f"{self.base}/videos/{quote(video_id, safe='')}/captions/{quote(language, safe='')}",
                params={"label": label, "default": "true" if default else "false"},
                data=vtt.encode("utf-8"),
                headers={"Content-Type": "text/vtt; charset=utf-8"},
                timeout=(CONNECT_TIMEOUT, 60),
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise FileSvcUnavailable(f"file-svc unreachable: {exc.__class__.__name__}") from exc
        return self._check(resp).json()

    def delete_caption(self, video_id: str, language: str) -> bool:
        """Remove a caption track and its line in the master; False if there was none."""
        try:
            resp = self.session.delete(
                f"{self.base}/videos/{quote(video_id, safe='')}/captions/{quote(language, safe='')}",
                timeout=(CONNECT_TIMEOUT, 60),
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise FileSvcUnavailable(f"file-svc unreachable: {exc.__class__.__name__}") from exc
        if resp.status_code == 404:
            resp.close()
            return False
        self._check(resp)
        return True
