"""Validation by content, not by name: what is not a playable video is 415 with a
message saying what it is; mp4, mov, mkv, webm and avi are accepted."""

from __future__ import annotations

import pytest
import requests

from harness import bearer
from upload.upload_helpers import assert_nothing_left, quiesce

REFUSED = [
    # (media key, uploaded as, words the message must contain)
    ("random", "random.mp4", "format is not recognised"),
    ("truncated", "truncated.mp4", "truncated"),
    ("truncated_moov", "truncated-moov.mp4", "truncated"),
    ("empty", "empty.mp4", "empty"),
    ("png", "picture.mp4", "PNG image"),
    ("jpeg", "photo.jpg", "JPEG image"),
    ("m4a", "song.m4a", "audio only"),
    ("mp3", "song.mp4", "MP3 audio"),
    ("playlist", "stream.m3u8", "playlist"),
    ("text", "notes.mp4", "text"),
]


@pytest.mark.parametrize(("kind", "filename", "words"), REFUSED, ids=[r[0] for r in REFUSED])
def test_not_a_playable_video_is_415_with_a_reason(stack, upload_token, media, kind, filename, words):
    before = quiesce(stack)
    with open(media[kind], "rb") as fh:
        resp = requests.post(
            stack.url("upload") + "/api/upload",
            files={"file": (filename, fh, "video/mp4")},
            data={"name": f"bad {kind}"},
            headers=bearer(upload_token),
            timeout=60,
        )
    assert resp.status_code == 415, resp.text
    body = resp.json()
    assert body["error"] == "not_a_video"
    assert words in body["message"], body["message"]
    assert "not a playable video" in body["message"] or "not playable" in body["message"], body["message"]
    assert_nothing_left(stack, before)


ACCEPTED = [("mp4", ".mp4"), ("mov", ".mov"), ("mkv", ".mkv"), ("webm", ".webm"), ("avi", ".avi")]


@pytest.mark.parametrize(("kind", "ext"), ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_common_containers_are_accepted_and_play(stack, upload_token, media, kind, ext):
    # Uploaded under a misleading name: the container is found by probing, not by the name.
    with open(media[kind], "rb") as fh:
        resp = requests.post(
            stack.url("upload") + "/api/upload",
            files={"file": ("upload.bin", fh)},
            data={"name": f"A {kind} clip"},
            headers=bearer(upload_token),
            timeout=60,
        )
    assert resp.status_code == 201, resp.text
    video_id = resp.json()["id"]
    assert f"videos/{video_id}/original{ext}" in stack.s3.keys(f"videos/{video_id}/")
    video = stack.wait_status(upload_token, video_id)
    assert video["status"] == "ready", video
    assert video["width"] == 160 and video["height"] == 120
