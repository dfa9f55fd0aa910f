"""Presigned delivery (DELIVERY=presigned, design.md "Delivery"): where the browser reads
a video's segments, and the presigned GET URLs that let it.

Who signs: file-svc alone, which holds the store's credentials anyway. streaming-svc
checks the viewer and asks file-svc for a media playlist "presigned" (the
`X-Presign-Until` header: the latest instant a URL may live to, a share link's expiry);
file-svc answers the playlist with every segment (or WebVTT) line made an absolute URL
on the store's public endpoint (or CDN_BASE_URL). So no S3 secret is given to the web
app that faces the Internet.

The URLs are AWS Signature Version 4 query strings, signed here with `hmac` (the same
algorithm botocore's presigner runs, checked against it in tests/unit/test_delivery.py
and against SeaweedFS in tests/delivery). Their signing instant is the start of a window
of half the TTL: every process and replica signing an object in the same window writes
the same URL (the page's preload and hls.js then ask for the very same URL, and a
browser's cache keeps it), a URL is given out with at least half its life left, and a
`Signer`'s cache keeps each object's URL for its window (a playlist costs a dictionary
look-up per segment).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from .settings import Settings, origin_of

ALGORITHM = "AWS4-HMAC-SHA256"
# The header streaming-svc sends file-svc for a presigned playlist: "0" (no limit but
# PRESIGN_TTL_SECONDS) or the Unix time no URL may outlive (a share link's expiry).
PRESIGN_HEADER = "X-Presign-Until"
_UNRESERVED = "-_.~"


@dataclass(frozen=True)
class Credentials:
    """What signs: an access key, its secret, and a session token for temporary ones."""

    access_key: str
    secret: str
    token: str | None = None


@dataclass(frozen=True)
class Bucket:
    """Where the browser reads the bucket: `base` (scheme://host[:port][/prefix], the
    objects' keys follow it), the `host` the store is asked with (what is signed), and
    the `path` before the key that the store sees (the bucket, in path style)."""

    base: str
    host: str
    path: str


def public_bucket(settings: Settings) -> Bucket:
    """The bucket as the browser reaches it. Path style (`<endpoint>/<bucket>/<key>`) on
    a store of its own endpoint unless S3_ADDRESSING_STYLE=virtual; on AWS (no endpoint)
    virtual-hosted (`https://<bucket>.s3.<region>.amazonaws.com/<key>`) unless `path`.
    With CDN_BASE_URL the URLs name the CDN, which forwards the path and query
    unchanged to the store (the signature is the store's: it checks it)."""
    endpoint = settings.s3_public_endpoint or f"https://s3.{settings.s3_region or 'us-east-1'}.amazonaws.com"
    parts = urlsplit(endpoint)
    virtual = settings.s3_addressing_style == "virtual" or (
        settings.s3_addressing_style == "auto" and not settings.s3_public_endpoint
    )
    prefix = parts.path.rstrip("/")
    if virtual:
        host = f"{settings.s3_bucket}.{parts.netloc}"
        path = prefix
    else:
        host = parts.netloc
        path = f"{prefix}/{quote(settings.s3_bucket, safe=_UNRESERVED)}"
    base = settings.cdn_base_url or f"{parts.scheme}://{host}{path}"
    return Bucket(base=base.rstrip("/"), host=host, path=path)


def media_origin(settings: Settings) -> str:
    """The origin the player reads segments and captions from in presigned mode (the
    store's public endpoint, or the CDN): what its Content-Security-Policy admits."""
    return origin_of(public_bucket(settings).base)


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def _amz_date(instant: int) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(instant))


class Signer:
    """Presigned GET URLs of a bucket's objects, cached per object key.

    `credentials()` gives the current credentials (they may rotate: an instance role's);
    `ttl`: PRESIGN_TTL_SECONDS; `region`: the store's (SigV4 signs it; us-east-1 for
    a store that has none). `url(key, until)` is the URL, `until` (a Unix time or None)
    the latest instant it may live to. `cache=False` signs every time (the bench's
    comparison); `on_sign()` is called for each signature computed."""

    def __init__(
        self,
        bucket: Bucket,
        region: str,
        ttl: int,
        credentials,
        *,
        cache: bool = True,
        size: int = 50_000,
        on_sign=None,
    ):
        self.bucket = bucket
        self.region = region or "us-east-1"
        self.ttl = ttl
        self.window = max(1, ttl // 2)
        self.credentials = credentials
        self.cache = cache
        self.size = size
        self.on_sign = on_sign  # called once per signature computed (a cache miss): the metrics
        self._urls: OrderedDict[tuple[str, int, int], str] = OrderedDict()
        self._keys: dict[tuple[str, str], bytes] = {}
        self._lock = threading.Lock()

    def lifetime(self, now: float, until: float | None) -> tuple[int, int]:
        """(signing instant, seconds to live) of a URL asked for at `now`: the start of
        the current window, and the TTL from it, cut at `until`. Never less than 1 s."""
        start = int(now) - int(now) % self.window
        end = start + self.ttl
        if until is not None:
            end = min(end, int(until))
        return start, max(1, end - start)

    def url(self, key: str, until: float | None = None, now: float | None = None) -> str:
        """The presigned GET URL of `key` (signed once per window, then reused)."""
        start, expires = self.lifetime(time.time() if now is None else now, until)
        slot = (key, start, expires)
        if self.cache:
            with self._lock:
                hit = self._urls.get(slot)
                if hit is not None:
                    self._urls.move_to_end(slot)
                    return hit
        signed = self.sign(key, start, expires)
        if self.cache:
            with self._lock:
                self._urls[slot] = signed
                while len(self._urls) > self.size:
                    self._urls.popitem(last=False)
        return signed

    def sign(self, key: str, start: int, expires: int) -> str:
        """SigV4 query signing of a GET of `key`, as of `start`, for `expires` seconds
        (the payload unsigned; only the host header signed, as botocore presigns)."""
        creds = self.credentials()
        amz_date = _amz_date(start)
        scope = f"{amz_date[:8]}/{self.region}/s3/aws4_request"
        params = {
            "X-Amz-Algorithm": ALGORITHM,
            "X-Amz-Credential": f"{creds.access_key}/{scope}",
            "X-Amz-Date": amz_date,
            "X-Amz-Expires": str(expires),
            "X-Amz-SignedHeaders": "host",
        }
        if creds.token:
            params["X-Amz-Security-Token"] = creds.token
        query = "&".join(
            f"{quote(k, safe=_UNRESERVED)}={quote(v, safe=_UNRESERVED)}" for k, v in sorted(params.items())
        )
        path = f"{self.bucket.path}/{quote(key, safe='/' + _UNRESERVED)}"
        canonical = "\n".join(("GET", path, query, f"host:{self.bucket.host}", "", "host", "UNSIGNED-PAYLOAD"))
        to_sign = "\n".join((ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()))
        signature = hmac.new(self._signing_key(creds.secret, amz_date[:8]), to_sign.encode(), hashlib.sha256)
        if self.on_sign is not None:
            self.on_sign()
        return f"{self.bucket.base}{path[len(self.bucket.path) :]}?{query}&X-Amz-Signature={signature.hexdigest()}"

    def _signing_key(self, secret: str, day: str) -> bytes:
        """SigV4's key of a day (four HMACs), kept per secret and day."""
        found = self._keys.get((secret, day))
        if found is None:
            key = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret}".encode(), day), self.region), "s3"), "aws4_request")
            if len(self._keys) > 8:
                self._keys.clear()
            self._keys[(secret, day)] = found = key
        return found
