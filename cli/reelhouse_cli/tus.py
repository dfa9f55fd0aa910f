"""The tus 1.0.0 conversation with upload-webapp (creation, HEAD, PATCH), over requests.

Nothing a server answers is believed unchecked: offsets and lengths must be byte counts
within the file's size, a Video-Id must be id-shaped, and every URL the token goes to
must be on the origin the CLI was told (`--upload-url`): a creation `Location` or a
cached URL anywhere else is refused before it is contacted. Redirects are not followed
(they would carry the bytes elsewhere) and every request has a timeout. (tuspy, used
before, had no timeouts, sent the token wherever a Location pointed, and crashed on a
non-numeric Upload-Offset.)
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests
from urllib3.util import parse_url

from .report import Failed, clipped

VERSION = "1.0.0"
CHUNK = 16 * 1024 * 1024  # one chunk is held in memory; 16 MiB is below any sane proxy's body limit
TIMEOUT = (15, 120)  # to connect, then for each read: a PATCH's answer comes once its chunk is written
VIDEO_ID = re.compile(r"[A-Za-z0-9_-]{12,32}")  # vs_common.wire.VIDEO_ID (the CLI is installed alone)
MAX_DIGITS = 19  # more digits than any file's size needs: not a byte count
DEFAULT_PORTS = {"http": 80, "https": 443}


class Transient(Failed):
    """Worth trying again: the network, a 5xx, a 423 (another request holds the upload)."""


def origin(url: str) -> str:
    """`scheme://host:port` of an http(s) URL, lower-cased and with its port: where the
    token may go. ValueError for anything else.

    Read as requests will connect: from the URL as requests prepares it (urllib3 parses
    it and writes it out again), with urllib.parse as requests' adapter then does, and
    refused unless urllib3 reads the same host and port. Read with urlsplit alone,
    `http://evil\\@good/` is on `good`, but urllib3 takes `evil` for the host."""
    prepared = requests.PreparedRequest()
    prepared.prepare_url(url, None)  # InvalidURL, MissingSchema, InvalidSchema: all ValueErrors
    parts, again = urlsplit(prepared.url), parse_url(prepared.url)
    scheme, host = parts.scheme.lower(), parts.hostname  # urlsplit lower-cases the host
    port = parts.port  # ValueError when it is not a port number
    if scheme not in DEFAULT_PORTS or not host:
        raise ValueError(f"not an http(s) URL: {url}")
    if (again.host or "").strip("[]").lower() != host or again.port != port:
        raise ValueError(f"an ambiguous URL: {url}")
    if ":" in host:
        host = f"[{host}]"  # IPv6
    return f"{scheme}://{host}:{port or DEFAULT_PORTS[scheme]}"


def message(resp: requests.Response) -> str:
    """What a refusal says: the `message` of the services' JSON errors, else the status."""
    try:
        data = resp.json()
    except ValueError:  # an HTML error page, or nothing
        data = None
    text = data.get("message") if isinstance(data, dict) else None
    if isinstance(text, str) and text.strip():
        return clipped(text)
    if resp.is_redirect:
        return clipped(f"HTTP {resp.status_code}, a redirect to {resp.headers['Location']} (not followed)")
    return clipped(f"HTTP {resp.status_code} {resp.reason or ''}".strip())


def byte_count(resp: requests.Response, header: str, most: int | None = None) -> int:
    """A header that must hold a byte count (at most `most`): anything else is a lie."""
    raw = resp.headers.get(header)
    ok = raw is not None and raw.isascii() and raw.isdigit() and len(raw) <= MAX_DIGITS
    if not ok or (most is not None and int(raw) > most):
        limit = f" from 0 to {most}" if most is not None else ""
        raise Failed(f"the upload server answered {header}: {clipped(repr(raw))}, not a byte count{limit}")
    return int(raw)


def video_id(resp: requests.Response) -> str | None:
    """The answer's Video-Id, if it has one; one that is not id-shaped is a lie."""
    value = resp.headers.get("Video-Id")
    if value is not None and not VIDEO_ID.fullmatch(value):
        raise Failed(f"the upload server answered a malformed Video-Id: {clipped(repr(value))}")
    return value


def encode_metadata(values: dict[str, str]) -> str:
    return ",".join(f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in values.items())


def decode_metadata(raw: str | None) -> dict[str, str] | None:
    """Upload-Metadata's pairs (none sent: {}); None when it is not base64 and UTF-8."""
    out = {}
    for item in (raw or "").split(","):
        key, _, value = item.strip().partition(" ")
        if key:
            try:
                out[key] = base64.b64decode(value.strip(), validate=True).decode()
            except (binascii.Error, ValueError):
                return None
    return out


@dataclass
class Head:
    """What the server holds of an upload (its HEAD answer)."""

    offset: int
    length: int
    metadata: dict[str, str] | None  # as given at creation; None: unreadable
    video_id: str | None


class UploadServer:
    """The upload service the CLI was told about, with the token: every request is made
    to its origin or not at all."""

    def __init__(self, upload_url: str, token: str):
        self.endpoint = f"{upload_url}/api/tus/"
        self.origin = origin(upload_url)
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}", "Tus-Resumable": VERSION})

    def check(self, url: str, what: str) -> None:
        """Failed unless `url` is on the server's origin (scheme, host and port)."""
        try:
            same = origin(url) == self.origin
        except ValueError:
            same = False
        if not same:
            raise Failed(
                f"{what} {clipped(url)} is not on {self.origin} (--upload-url): refused, the token is sent nowhere else"
            )

    def _request(self, method: str, url: str, **kwargs) -> requests.Response:
        self.check(url, "the upload URL")
        try:
            resp = self.session.request(method, url, allow_redirects=False, timeout=TIMEOUT, **kwargs)
        except requests.RequestException as exc:
            raise Transient(f"cannot reach {self.origin}: {exc.__class__.__name__}") from None
        if resp.status_code >= 500 or resp.status_code == 423:
            raise Transient(message(resp))
        return resp

    def create(self, size: int, metadata: dict[str, str]) -> str:
        """A new upload of `size` bytes; its URL (checked to be on the origin)."""
        headers = {"Upload-Length": str(size), "Upload-Metadata": encode_metadata(metadata)}
        resp = self._request("POST", self.endpoint, headers=headers)
        if resp.status_code != 201:
            raise Failed(message(resp))
        location = resp.headers.get("Location")
        if not location:
            raise Failed(f"the upload server answered {resp.status_code} without a Location: is --upload-url right?")
        url = urljoin(self.endpoint, location)
        self.check(url, "the upload URL the server gave,")
        return url

    def head(self, url: str) -> Head | None:
        """What the server holds at `url`; None when the upload is gone (404, 410)."""
        resp = self._request("HEAD", url)
        if resp.status_code in (404, 410):
            return None
        if resp.status_code != 200:
            raise Failed(f"cannot resume: {message(resp)}")
        length = byte_count(resp, "Upload-Length")
        offset = byte_count(resp, "Upload-Offset", length)
        return Head(offset, length, decode_metadata(resp.headers.get("Upload-Metadata")), video_id(resp))

    def patch(self, url: str, fh, offset: int, size: int) -> tuple[int, str | None]:
        """Send the chunk of `fh` at `offset`; the server's new offset (further on, or it
        is lying) and, after the last byte, the Video-Id."""
        fh.seek(offset)
        data = fh.read(min(CHUNK, size - offset))
        headers = {"Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"}
        resp = self._request("PATCH", url, data=data, headers=headers)
        if resp.status_code != 204:
            raise Failed(message(resp))
        new = byte_count(resp, "Upload-Offset", size)
        if new <= offset:
            raise Failed(f"the upload server answered Upload-Offset: {new} to bytes sent at {offset}: no progress")
        return new, video_id(resp)
