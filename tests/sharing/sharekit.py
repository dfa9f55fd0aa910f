"""Helpers of the sharing tests: the crowd (people, their credentials, the owner's two
videos), uploads that name a visibility, share links made through the API, and requests
as a browser without an account sends them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import uuid
from pathlib import Path

import requests
from tusclient import client as tus

from harness import Stack, bearer
from vs_common.db import utcnow

WHO = ("admin", "owner", "other", "viewer", "nobody", "t_read", "t_other")
VTT = b"WEBVTT\n\n00:00:00.000 --> 00:00:05.000\nHello there\n"
NO_VIDEO = "nosuchvideo00000000000"  # well-formed, and no video's


def upload_form(st: Stack, token: str, clip: Path, name: str, fields: list | None = None) -> requests.Response:
    """`POST /api/upload` with the file and `fields` ((name, value) pairs, in the order
    given: before the file, or after it with ("file", None) among them)."""
    order = fields if fields and any(k == "file" for k, _ in fields) else [*(fields or []), ("file", None)]
    with open(clip, "rb") as fh:
        parts = [
            (k, (clip.name, fh, "video/mp4")) if k == "file" else (k, (None, v)) for k, v in [("name", name), *order]
        ]
        return requests.post(st.url("upload") + "/api/upload", files=parts, headers=bearer(token), timeout=120)


def upload_tus(st: Stack, token: str, clip: Path, metadata: dict) -> tuple[str, dict[str, str]]:
    """A resumable upload by tuspy with `metadata`: the video's id, and the metadata
    the upload's HEAD echoes (decoded)."""
    client = tus.TusClient(st.url("upload") + "/api/tus/", headers=bearer(token))
    uploader = client.uploader(file_path=str(clip), chunk_size=1024 * 1024, metadata=metadata)
    uploader.upload()
    head = requests.head(uploader.url, headers={**bearer(token), "Tus-Resumable": "1.0.0"}, timeout=10)
    echoed = dict(item.split(" ", 1) for item in head.headers.get("Upload-Metadata", "").split(",") if item)
    return head.headers["Video-Id"], {k: base64.b64decode(v).decode() for k, v in echoed.items()}


def add_video_row(st: Stack, owner: str, visibility: str, name: str = "A row") -> str:
    """A ready video row of `owner`'s (nothing stored behind it); its id."""
    video_id = uuid.uuid4().hex[:22]
    now = utcnow()
    st.query(
        "INSERT INTO videos (id, video_name, video_path, owner, visibility, status, size_bytes, original_key, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'ready', 1000, ?, ?, ?)",
        (
            video_id,
            name,
            f"s3://x/videos/{video_id}/hls/master.m3u8",
            owner,
            visibility,
            f"videos/{video_id}/o.mp4",
            now,
            now,
        ),
    )
    return video_id


def add_caption(st: Stack, token: str, video_id: str) -> dict:
    resp = requests.post(
        f"{st.url('streaming')}/api/videos/{video_id}/captions",
        files={"file": ("en.vtt", VTT)},
        data={"language": "en", "label": "English"},
        headers=bearer(token),
        timeout=30,
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


class Crowd:
    """The people and their credentials (`token[who]`: a session or an API token; None
    for nobody), and two ready videos of the owner's (uma) with a caption track each:
    `private` and `internal`, and their files' paths under hls/."""

    def __init__(self, st: Stack, tokens: dict[str, str | None], clip: Path):
        self.st, self.token, self.clip = st, tokens, clip
        owner = tokens["owner"]
        self.private, _ = upload_tus(
            st, owner, clip, {"filename": "p.mp4", "name": "Private one", "visibility": "private"}
        )
        resp = upload_form(st, owner, clip, "Internal one", [("visibility", "internal")])
        assert resp.status_code == 201, resp.text
        self.internal = resp.json()["id"]
        self.files: dict[str, dict[str, str]] = {}
        for video_id in (self.private, self.internal):
            st.wait_packaged(owner, video_id)
            track = add_caption(st, owner, video_id)
            video = st.video(owner, video_id)
            height = min(r["height"] for r in video["renditions"] if r["status"] == "ready")
            thumbs = st.state.objects(f"videos/{video_id}/thumbs/")
            assert thumbs, f"no thumbnails of {video_id}"
            vtt = track["url"].split("/hls/", 1)[1]
            self.files[video_id] = {
                "media": f"{height}p/index.m3u8",
                "segment": f"{height}p/seg_00000.ts",
                "vtt": vtt,
                "captions": vtt[: -len(".vtt")] + ".m3u8",
                "thumb": thumbs[0].rsplit("/", 1)[1],
            }

    def headers(self, who: str) -> dict[str, str]:
        token = self.token[who]
        return bearer(token) if token else {}


def address() -> str:
    """A client address of its own (X-Forwarded-For, believed for one hop by the stack),
    so that one test's failures never add up to another's throttle."""
    return f"198.51.{random.randrange(256)}.{random.randrange(1, 255)}"


SECRET_KEY = "test-secret-key-0123456789"  # harness.Stack's


def token_hash(token: str) -> str:
    """What streaming-svc stores of a link's token: HMAC-SHA256 keyed with SECRET_KEY."""
    return hmac.new(SECRET_KEY.encode(), token.encode(), hashlib.sha256).hexdigest()


def shares_url(st: Stack, video_id: str) -> str:
    return f"{st.url('streaming')}/api/videos/{video_id}/shares"


def make_share(st: Stack, token: str, video_id: str, **body) -> dict:
    """A new link (SHARE, with its url), made by `token`'s owner through the API."""
    resp = requests.post(shares_url(st, video_id), json=body, headers=bearer(token), timeout=30)
    assert resp.status_code == 201, resp.text
    return resp.json()


def link_token(share: dict) -> str:
    return share["url"].rsplit("/s/", 1)[1]
