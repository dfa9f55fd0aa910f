"""Names: trimmed, 1 to 200 characters of any Unicode, longer is 400; a missing name is
the file's name; storage keys never come from names. Two uploads with one name are two
videos, and concurrent uploads both land."""

from __future__ import annotations

import threading

import pytest
import requests

from harness import bearer
from upload.upload_helpers import assert_nothing_left, quiesce


def _upload(stack, token, path, name=None, filename=None, name_after_file=False):
    with open(path, "rb") as fh:
        parts = [("file", (filename or path.name, fh))]
        if name is not None:
            parts.insert(len(parts) if name_after_file else 0, ("name", (None, name)))
        return requests.post(stack.url("upload") + "/api/upload", files=parts, headers=bearer(token), timeout=60)


def test_unicode_names_are_trimmed_and_kept_exactly(stack, upload_token, media):
    for raw, kept in (
        ("  Café ☕ — 東京の夜 🎬🦄 Ωμέγα  ", "Café ☕ — 東京の夜 🎬🦄 Ωμέγα"),
        ("🎬" * 200, "🎬" * 200),  # 200 characters of four UTF-8 bytes each
        ("x", "x"),
    ):
        resp = _upload(stack, upload_token, media["mp4"], raw)
        assert resp.status_code == 201, resp.text
        body = resp.json()
        assert body["video_name"] == kept
        assert stack.video(upload_token, body["id"])["video_name"] == kept
        row = stack.mariadb.query("SELECT video_name FROM videos WHERE id = %s", (body["id"],))
        assert row == [{"video_name": kept}]


def test_a_name_over_200_characters_is_400_and_nothing_stays(stack, upload_token, media):
    before = quiesce(stack)
    for name_after_file in (False, True):  # refused before storing, or stored then removed
        resp = _upload(stack, upload_token, media["mp4"], "é" * 201, name_after_file=name_after_file)
        assert resp.status_code == 400, resp.text
        assert resp.json()["error"] == "invalid_name" and "200" in resp.json()["message"]
    resp = _upload(stack, upload_token, media["mp4"], "  " + "a" * 200 + "  ")  # 200 once trimmed
    assert resp.status_code == 201
    requests.delete(
        f"{stack.url('streaming')}/api/videos/{resp.json()['id']}?purge=true", headers=bearer(upload_token), timeout=30
    ).raise_for_status()
    assert_nothing_left(stack, before)


def test_without_a_name_the_file_name_is_used(stack, upload_token, media):
    for filename, name, expected in (
        ("My holiday.final.mp4", None, "My holiday.final"),
        ("Vidéo 🎥.mp4", "   ", "Vidéo 🎥"),  # a blank name is no name
        ("/tmp/uploads/clip", None, "clip"),
        ("." + "n" * 300 + ".mp4", None, "." + "n" * 199),  # cut to 200 characters
    ):
        resp = _upload(stack, upload_token, media["mp4"], name, filename=filename)
        assert resp.status_code == 201, resp.text
        assert resp.json()["video_name"] == expected


def test_storage_keys_never_come_from_names(stack, upload_token, media):
    resp = _upload(stack, upload_token, media["mp4"], "../../etc/passwd", filename="../../evil name.mov")
    assert resp.status_code == 201, resp.text
    video_id = resp.json()["id"]
    assert stack.s3.keys(f"videos/{video_id}/") == [f"videos/{video_id}/original.mp4"]
    assert not [k for k in stack.s3.keys("") if "evil" in k or "passwd" in k or ".." in k]


def test_two_uploads_with_one_name_are_two_videos(stack, upload_token, media):
    ids = []
    for _ in range(2):
        resp = _upload(stack, upload_token, media["mp4"], "Same name")
        assert resp.status_code == 201
        ids.append(resp.json()["id"])
    assert ids[0] != ids[1]
    rows = stack.mariadb.query("SELECT id, video_name FROM videos WHERE id IN (%s, %s)", ids)
    assert sorted(r["id"] for r in rows) == sorted(ids) and {r["video_name"] for r in rows} == {"Same name"}
    for video_id in ids:
        assert stack.s3.keys(f"videos/{video_id}/original") == [f"videos/{video_id}/original.mp4"]


def test_concurrent_uploads_both_land(stack, upload_token, media):
    barrier = threading.Barrier(2)
    results: dict[str, requests.Response] = {}

    def one(label):
        barrier.wait()
        results[label] = _upload(stack, upload_token, media["big"], f"Concurrent {label}")

    threads = [threading.Thread(target=one, args=(label,)) for label in ("A", "B")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [results[k].status_code for k in ("A", "B")] == [201, 201], {k: r.text for k, r in results.items()}
    a, b = results["A"].json(), results["B"].json()
    assert a["id"] != b["id"]
    size = media["big"].stat().st_size
    for body, label in ((a, "A"), (b, "B")):
        video = stack.video(upload_token, body["id"])
        assert video["video_name"] == f"Concurrent {label}" and video["size_bytes"] == size
        head = stack.s3.client().head_object(Bucket=stack.s3.bucket, Key=f"videos/{body['id']}/original.avi")
        assert head["ContentLength"] == size


def _raw_upload(stack, token, disposition: bytes, payload: bytes, name: bytes | None = None) -> requests.Response:
    """A multipart body with the file part's Content-Disposition (and the name) as raw bytes."""
    boundary = b"rawboundary7"
    body = b""
    if name is not None:
        body += b"--" + boundary + b'\r\nContent-Disposition: form-data; name="name"\r\n\r\n' + name + b"\r\n"
    body += b"--" + boundary + b"\r\nContent-Disposition: " + disposition + b"\r\n"
    body += b"Content-Type: application/octet-stream\r\n\r\n" + payload + b"\r\n--" + boundary + b"--\r\n"
    return requests.post(
        stack.url("upload") + "/api/upload",
        data=body,
        headers={**bearer(token), "Content-Type": "multipart/form-data; boundary=" + boundary.decode()},
        timeout=60,
    )


REFUSED_NAMES = [
    ("evil\u202egpj.exe", "bidirectional"),  # reads as "evilexe.jpg"
    ("right\u2067to\u2069left", "bidirectional"),  # an isolate
    ("\u200b\u200b\u200b", "no visible character"),  # zero-width spaces only
    ("\u3164\u3164", "no visible character"),  # Hangul fillers
    ("a" + "\u0301" * 199, "combining marks"),  # one letter under 199 accents
    ("bell\x07", "control character"),
    ("c1\x85c1", "control character"),  # NEL, a C1 control
]


@pytest.mark.parametrize(("raw", "rule"), REFUSED_NAMES)
def test_names_that_break_or_spoof_are_refused_saying_which_rule(stack, upload_token, media, raw, rule):
    before = quiesce(stack)
    resp = _upload(stack, upload_token, media["mp4"], raw)
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"] == "invalid_name" and rule in resp.json()["message"], resp.json()
    assert_nothing_left(stack, before)


def test_names_are_normalised_to_nfc(stack, upload_token, media):
    resp = _upload(stack, upload_token, media["mp4"], "Cafe\u0301 e\u0301te\u0301")  # e + combining acute
    assert resp.status_code == 201, resp.text
    assert resp.json()["video_name"] == "Café été"  # precomposed
    resp = _upload(stack, upload_token, media["mp4"], "Ti\u1ebfng Vi\u1ec7t \u0e01\u0e34\u0e4a")  # marks people use
    assert resp.status_code == 201, resp.text


def test_names_and_file_names_that_are_not_utf8_are_refused(stack, upload_token, media):
    payload = media["mp4"].read_bytes()
    before = quiesce(stack)
    cases = [
        (b'form-data; name="file"; filename="clip.mp4"', b"bad \xff\xfe name", "The video name is not valid UTF-8"),
        (b'form-data; name="file"; filename="bad\xff.mp4"', None, "The file name is not valid UTF-8"),
        (b"form-data; name=\"file\"; filename*=UTF-8''bad%FF%FE.mp4", None, "The file name is not valid UTF-8"),
        (b"form-data; name=\"file\"; filename*=UTF-8''sur%ED%A0%80.mp4", b"ok", "The file name is not valid UTF-8"),
    ]
    for disposition, name, message in cases:
        resp = _raw_upload(stack, upload_token, disposition, payload, name)
        assert resp.status_code == 400, (disposition, resp.text)
        assert resp.json()["error"] == "invalid_name" and message in resp.json()["message"], resp.json()
    # RFC 5987 done right is kept.
    resp = _raw_upload(
        stack, upload_token, b"form-data; name=\"file\"; filename*=UTF-8''caf%C3%A9%20%F0%9F%8E%AC.mp4", payload
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["video_name"] == "café 🎬"
    requests.delete(
        f"{stack.url('streaming')}/api/videos/{resp.json()['id']}?purge=true", headers=bearer(upload_token), timeout=30
    ).raise_for_status()
    assert_nothing_left(stack, before)


def test_a_file_name_that_spoofs_is_refused_when_it_would_be_the_name(stack, upload_token, media):
    resp = _upload(stack, upload_token, media["mp4"], filename="evil\u202egpj.exe.mp4")
    assert resp.status_code == 400 and "The file name contains a bidirectional" in resp.json()["message"]
