"""Resumable uploads under attack, on MariaDB where real concurrency is: racing writers at
one offset (exactly one is acknowledged, and the file is what it sent), concurrent
creations against the per-user limits, numbers too long to parse, a folder gone from
under an upload, the signature checked whatever the PATCH sizes, file names checked at
creation, ids that are not ASCII. Nothing refused leaves a row or a folder."""

from __future__ import annotations

import base64
import os
import shutil
import threading

import pytest
import requests

from upload.upload_helpers import cancel_unfinished

TUS = {"Tus-Resumable": "1.0.0"}
MiB = 1024 * 1024
# The start of an MP4 (an `ftyp` box): what the signature check lets through.
MP4_HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
ZIP_HEAD = b"PK\x03\x04"
WRITERS = 8  # PATCHes racing at one offset
TRIALS = 40  # on main, 9 to 13 of 40 trials acknowledged two of them (and cut the first's bytes)
FINISH_TRIALS = 10  # racing over the last bytes: each trial makes a video
ROUNDS = 6  # of concurrent creations; on main, about half of them made more than the limit


def _h(token: str, **extra) -> dict:
    return {"Authorization": f"Bearer {token}", **TUS, **extra}


def _meta(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def _create(st, token, length: int | str, session=requests, **meta) -> requests.Response:
    headers = _h(token, **{"Upload-Length": str(length)})
    if meta:
        headers["Upload-Metadata"] = _meta(**meta)
    return session.post(st.url("upload") + "/api/tus/", headers=headers, timeout=60)


def _patch(url, token, offset: int | str, data: bytes, session=requests) -> requests.Response:
    headers = _h(token, **{"Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"})
    return session.patch(url, data=data, headers=headers, timeout=60)


def _id(url: str) -> str:
    return url.rsplit("/", 1)[1]


def _folder(st, url: str):
    return st.temp_dir / "uploads" / _id(url)


def _unfinished(st, owner: str) -> list[dict]:
    return st.query("SELECT id, size_bytes FROM uploads WHERE owner = ? AND video_id IS NULL", (owner,))


def _all_at_once(st, n: int, call) -> list:
    """`call(i, session)` in n threads released together, each on a connection already open."""
    barrier = threading.Barrier(n)
    answers: list = [None] * n

    def run(i):
        with requests.Session() as session:
            session.get(st.url("upload") + "/healthz", timeout=10)
            barrier.wait()
            answers[i] = call(i, session)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def _race(st, token: str, url: str, offset: int, bodies: list[bytes]) -> list[requests.Response]:
    """Every body PATCHed at `offset` at once."""
    return _all_at_once(st, len(bodies), lambda i, session: _patch(url, token, offset, bodies[i], session))


@pytest.mark.parametrize("where", ["pair", "local_stack"], ids=["mariadb", "sqlite"])
def test_racing_writers_at_one_offset_exactly_one_is_acknowledged(request, where):
    """WRITERS PATCHes at the same Upload-Offset (the first one, or after 1 KiB), TRIALS
    times: exactly one 204, the others 409 or 423, and the file holds exactly the bytes
    acknowledged: what came before, then those of the one writer answered 204."""
    pair = request.getfixturevalue(where)
    token = pair.login()
    cancel_unfinished(pair, token, "alice")
    failures = []
    for trial in range(TRIALS):
        url = _create(pair, token, 8000).headers["Location"]
        first = b""
        if trial % 2:
            first = MP4_HEAD + bytes(1000)
            assert _patch(url, token, 0, first).status_code == 204
        bodies = [(b"" if first else MP4_HEAD) + os.urandom(500 + 50 * i) for i in range(WRITERS)]
        answers = _race(pair, token, url, len(first), bodies)
        codes = [a.status_code for a in answers]
        won = [i for i, code in enumerate(codes) if code == 204]
        on_disk = (_folder(pair, url) / "data").read_bytes()
        head = requests.head(url, headers=_h(token), timeout=30).headers["Upload-Offset"]
        if (
            len(won) != 1
            or on_disk != first + bodies[won[0]]
            or head != str(len(on_disk))
            or any(c not in (204, 409, 423) for c in codes)
        ):
            failures.append({"trial": trial, "codes": codes, "on_disk": len(on_disk), "offset": head})
        assert requests.delete(url, headers=_h(token), timeout=30).status_code == 204
    assert failures == [], f"{len(failures)} of {TRIALS} trials went wrong: {failures}"


def test_racing_writers_of_the_last_bytes_make_one_video(pair, media):
    """WRITERS PATCHes of the same last bytes at once, FINISH_TRIALS times: one 204 with
    the Video-Id (the losers holding the lock a moment do not make its finishing 423), the
    others 409 or 423; one video, whose original is the file."""
    token = pair.login()
    cancel_unfinished(pair, token, "alice")
    data = media["mp4"].read_bytes()
    for _ in range(FINISH_TRIALS):
        url = _create(pair, token, len(data), name="Raced to the end").headers["Location"]
        assert _patch(url, token, 0, data[:1024]).status_code == 204
        answers = _race(pair, token, url, 1024, [data[1024:]] * WRITERS)
        codes = sorted(a.status_code for a in answers)
        assert codes[0] == 204 and all(c in (409, 423) for c in codes[1:]), codes
        video_id = next(a for a in answers if a.status_code == 204).headers["Video-Id"]
        assert video_id == _id(url)
        key = f"videos/{video_id}/original.mp4"
        assert pair.s3.client().get_object(Bucket=pair.bucket, Key=key)["Body"].read() == data


@pytest.mark.parametrize(
    ("length", "allowed", "rule"),
    [(1000, 3, "unfinished uploads"), (4 * MiB, 2, "MiB")],  # UPLOAD_MAX_UNFINISHED 3, _BYTES 10 MiB
)
def test_the_per_user_limits_hold_under_concurrent_creations(pair, length, allowed, rule):
    """20 creations at once by one user, ROUNDS times: exactly as many as the limit lets
    through are made (201), the others 429, and the database holds no more than that."""
    token = pair.login("bob")
    wrong = []
    for attempt in range(ROUNDS):
        cancel_unfinished(pair, token, "bob")
        answers = _all_at_once(pair, 20, lambda i, s: _create(pair, token, length, s))
        codes = [a.status_code for a in answers]
        refusals = [a.json()["message"] for a in answers if a.status_code == 429]
        made = len(_unfinished(pair, "bob"))
        if sorted(codes) != [201] * allowed + [429] * (20 - allowed) or made != allowed:
            wrong.append({"round": attempt, "created": codes.count(201), "rows": made})
        assert all(rule in message for message in refusals), refusals
    cancel_unfinished(pair, token, "bob")
    assert wrong == [], f"{len(wrong)} of {ROUNDS} rounds let more through: {wrong}"


@pytest.mark.parametrize("digits", [21, 4301, 6000])
def test_numbers_too_long_are_400_before_they_are_parsed(pair, digits):
    token = pair.login()
    cancel_unfinished(pair, token, "alice")
    number = "1" * digits
    made = _create(pair, token, number)
    assert made.status_code == 400 and made.json()["error"] == "bad_upload_length", made.text
    assert "20 digits" in made.json()["message"]
    url = _create(pair, token, 5000).headers["Location"]
    patched = _patch(url, token, number, b"x")
    assert patched.status_code == 400 and patched.json()["error"] == "bad_upload_offset", patched.text
    assert "20 digits" in patched.json()["message"]
    assert requests.head(url, headers=_h(token), timeout=30).headers["Upload-Offset"] == "0"
    assert requests.delete(url, headers=_h(token), timeout=30).status_code == 204
    assert _unfinished(pair, "alice") == []


def test_a_folder_gone_before_any_byte_is_made_again(pair):
    token = pair.login()
    data = MP4_HEAD + bytes(3000)
    url = _create(pair, token, 2 * len(data)).headers["Location"]
    shutil.rmtree(_folder(pair, url))
    assert requests.head(url, headers=_h(token), timeout=30).headers["Upload-Offset"] == "0"
    resp = _patch(url, token, 0, data)
    assert resp.status_code == 204, resp.text
    assert resp.headers["Upload-Offset"] == str(len(data))
    assert (_folder(pair, url) / "data").read_bytes() == data
    assert requests.delete(url, headers=_h(token), timeout=30).status_code == 204
    assert not _folder(pair, url).exists()


@pytest.mark.parametrize("first", ["HEAD", "PATCH"])
def test_acknowledged_bytes_whose_folder_is_gone_are_410_and_the_upload_removed(pair, first):
    """Bytes were acknowledged, then the temp volume lost them: the upload cannot go on
    (its start is gone), so it is removed and answered 410, never a 500 or offset 0."""
    token = pair.login()
    data = MP4_HEAD + bytes(3000)
    url = _create(pair, token, 2 * len(data)).headers["Location"]
    assert _patch(url, token, 0, data).status_code == 204
    shutil.rmtree(_folder(pair, url))
    if first == "HEAD":
        head = requests.head(url, headers=_h(token), timeout=30)
        assert head.status_code == 410, head.headers
    else:
        resp = _patch(url, token, len(data), data)
        assert resp.status_code == 410 and resp.json()["error"] == "gone", resp.text
        assert "start it again" in resp.json()["message"]
    assert pair.query("SELECT id FROM uploads WHERE id = ?", (_id(url),)) == []
    assert _patch(url, token, 0, data).status_code == 404
    assert not _folder(pair, url).exists()


@pytest.mark.parametrize(
    "sizes",
    [[1000] * 5, [10, 8000], [4095, 1], [100] * 41],
    ids=["1000-byte-patches", "10-then-8000", "4095-then-1", "100-byte-patches"],
)
def test_the_signature_is_checked_on_the_first_4_kib_whatever_the_patch_sizes(pair, sizes):
    """A ZIP sent in PATCHes of any size is refused (415) by the PATCH that brings its
    4,096th byte, long before its last, and nothing of it is kept."""
    token = pair.login()
    data = ZIP_HEAD + os.urandom(sum(sizes))
    url = _create(pair, token, 8 * MiB, filename="archive.mp4").headers["Location"]
    offset = 0
    for size in sizes:
        resp = _patch(url, token, offset, data[offset : offset + size])
        if offset + size < 4096:
            assert resp.status_code == 204, (offset, resp.text)
            offset += size
            continue
        assert resp.status_code == 415 and resp.json()["error"] == "not_a_video", (offset, resp.status_code)
        assert "ZIP" in resp.json()["message"]
        break
    else:
        pytest.fail(f"no PATCH reached 4096 bytes: {sizes}")
    assert pair.query("SELECT id FROM uploads WHERE id = ?", (_id(url),)) == []
    assert not _folder(pair, url).exists()


def test_a_small_file_is_checked_once_it_is_whole(pair):
    """Under 4 KiB, the PATCH that completes the file brings the check (not file-svc)."""
    token = pair.login()
    data = b"<!doctype html><p>" + b"x" * 1500
    url = _create(pair, token, len(data)).headers["Location"]
    assert _patch(url, token, 0, data[:100]).status_code == 204
    resp = _patch(url, token, 100, data[100:])
    assert resp.status_code == 415 and "HTML" in resp.json()["message"], resp.text
    assert pair.query("SELECT id FROM uploads WHERE id = ?", (_id(url),)) == []


@pytest.mark.parametrize(
    ("filename", "name", "rule"),
    [
        ("evil\r\nX-Injected: 1.mp4", None, "control character"),
        ("nul\x00byte.mp4", None, "control character"),
        ("line\nbreak.mp4", "A fine name", "control character"),  # kept beside a name, refused too
        ("evil\u202egpj.exe", None, "bidirectional"),
        ("isolate\u2067.mp4", "A fine name", "bidirectional"),
        ("\u200b\u200b.mp4", None, "no visible character"),  # it would be the name
        ("x" + "\u0301" * 6 + ".mp4", None, "combining marks"),
    ],
)
def test_a_file_name_is_checked_at_creation(pair, filename, name, rule):
    """What the last byte would refuse is refused before the first: 400 invalid_name, no
    upload made."""
    token = pair.login()
    cancel_unfinished(pair, token, "alice")
    meta = {"filename": filename, **({"name": name} if name else {})}
    resp = _create(pair, token, 5000, **meta)
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"] == "invalid_name" and rule in resp.json()["message"]
    assert "file name" in resp.json()["message"]
    assert _unfinished(pair, "alice") == []


def test_a_file_name_that_would_not_be_the_name_may_be_invisible(pair):
    """Only the rules of a name apply to a file name that becomes one."""
    token = pair.login()
    resp = _create(pair, token, 5000, filename="\u200b.mp4", name="Named")
    assert resp.status_code == 201, resp.text
    assert requests.delete(resp.headers["Location"], headers=_h(token), timeout=30).status_code == 204


@pytest.mark.parametrize("upload_id", ["ééééééééééééé", "abcdefghijkl\u0663", "ＡＢＣＤＥＦＧＨＩＪＫＬ"])
def test_ids_that_are_not_ascii_are_404(pair, upload_id):
    """Letters and digits of other scripts are no upload id: 404, not a database error."""
    token = pair.login()
    url = f"{pair.url('upload')}/api/tus/{upload_id}"
    assert requests.head(url, headers=_h(token), timeout=30).status_code == 404
    resp = _patch(url, token, 0, b"x")
    assert resp.status_code == 404 and resp.json()["error"] == "not_found", resp.text
    assert requests.delete(url, headers=_h(token), timeout=30).status_code == 404
