"""Names: trimmed, 1 to 200 characters of any Unicode, longer is 400; a missing name is
the file's name; storage keys never come from names. Two uploads with one name are two
videos, and concurrent uploads both land."""

from __future__ import annotations

import threading

import requests

from upload.upload_helpers import assert_nothing_left, auth, quiesce


def _upload(stack, token, path, name=None, filename=None, name_after_file=False):
    with open(path, "rb") as fh:
        parts = [("file", (filename or path.name, fh))]
        if name is not None:
            parts.insert(len(parts) if name_after_file else 0, ("name", (None, name)))
        return requests.post(stack.url("upload") + "/api/upload", files=parts, headers=auth(token), timeout=60)


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
        f"{stack.url('streaming')}/api/videos/{resp.json()['id']}", headers=auth(upload_token), timeout=30
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
