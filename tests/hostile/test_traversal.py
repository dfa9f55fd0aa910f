"""Path traversal in every path parameter of the object routes (HLS, poster, thumbnails,
original) of streaming-svc and file-svc, on S3 and on local storage: `../`, encoded,
double-encoded, backslashes, NUL, overlong UTF-8. Never a 200, never a 5xx, never a byte
of another file."""

from __future__ import annotations

from urllib.parse import urlsplit

import hostilekit
import pytest

PASSWD = b"root:x:0:0"
PATH_PAYLOADS = [
    "../../../../../../etc/passwd",
    "..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
    "%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "%252e%252e%252f%252e%252e%252f%252e%252e%252fetc%252fpasswd",
    "..%252f..%252f..%252f..%252fetc%252fpasswd",
    "..\\..\\..\\..\\..\\etc\\passwd",
    "..%5c..%5c..%5c..%5c..%5cetc%5cpasswd",
    "....//....//....//....//etc/passwd",
    "..%c0%af..%c0%af..%c0%af..%c0%afetc%c0%afpasswd",
    "%2fetc%2fpasswd",
    "/etc/passwd",
    "..",
    "%2e%2e",
    "../original.mp4",
    "..%2foriginal.mp4",
    "../../poster.jpg",
    "240p/../../original.mp4",
    "240p/..%2f..%2foriginal.mp4",
    "240p/seg_00000.ts%00.jpg",
    "master.m3u8%00",
    "240p/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
]
ID_PAYLOADS = [
    "..",
    "%2e%2e",
    "..%2f..%2f..%2fetc",
    "%2e%2e%2f%2e%2e%2fetc",
    "%252e%252e%252f",
    "..%5c..%5c",
    "..\\..\\etc",
    "{id}%2f..%2f..%2f..%2fetc",
    "{id}%00",
    "%00",
    "{id}/..",
    "*",
    "{id}'--",
]


def _routes(video_id: str, file_svc: bool) -> list[str]:
    routes = []
    for p in PATH_PAYLOADS:
        routes += [f"/videos/{video_id}/hls/{p}", f"/videos/{video_id}/thumbs/{p}"]
    for bad in ID_PAYLOADS:
        bad = bad.replace("{id}", video_id)
        routes += [f"/videos/{bad}/hls/master.m3u8", f"/videos/{bad}/poster.jpg", f"/videos/{bad}/thumbs/1.jpg"]
        routes += [f"/videos/{bad}/original"] if file_svc else [f"/videos/{bad}", f"/api/videos/{bad}"]
    if file_svc:
        routes += [f"/videos/{video_id}/original/{p}" for p in PATH_PAYLOADS[:6]]
    routes += [f"/static/{p}" for p in PATH_PAYLOADS[:12]] + [f"/static/common/{p}" for p in PATH_PAYLOADS[:12]]
    return routes


def _attack(st, token: str, video_id: str) -> dict[str, int]:
    seen: dict[str, int] = {}
    for name, headers in (
        ("streaming", {"Authorization": f"Bearer {token}"}),
        ("file", {"Authorization": f"Bearer {hostilekit.INTERNAL}"}),
    ):
        for path in _routes(video_id, name == "file"):
            status, body, got = hostilekit.raw_get(st[name].port, path, headers)
            if status == 308:
                # Werkzeug merges doubled slashes with a redirect to the same app: follow it.
                target = urlsplit(got["location"])
                assert target.netloc in ("", f"127.0.0.1:{st[name].port}", "x"), got["location"]
                status, body, _ = hostilekit.raw_get(st[name].port, target.path, headers)
            seen[f"{name} {path}"] = status
            assert status < 500, (name, path, status, body[:200])
            assert PASSWD not in body, (name, path)
            if status == 200:
                # Only a page of the app itself may answer 200 (the player's not-found page is 404).
                raise AssertionError(f"{name} {path} answered 200: {body[:120]!r}")
    return seen


@pytest.fixture(scope="module")
def hostile_stack(tmp_path_factory, request, mariadb, s3):
    return hostilekit.hostile_stack(tmp_path_factory, request.config, mariadb, s3)


def test_traversal_on_s3_storage(hostile_stack, tmp_path_factory):
    token, video_id = hostilekit.ready_video(hostile_stack, tmp_path_factory)
    seen = _attack(hostile_stack, token, video_id)
    assert len(seen) > 250
    odd = {k: v for k, v in seen.items() if v not in {400, 401, 403, 404, 405}}
    assert not odd, odd
    hostilekit.all_alive(hostile_stack)


def test_traversal_on_local_storage(local_stack, tmp_path_factory):
    token, video_id = hostilekit.ready_video(local_stack, tmp_path_factory)
    # A file outside the storage folder that a traversal would reach.
    secret = local_stack.storage_dir.parent / "outside-secret.txt"
    secret.write_bytes(PASSWD + b" outside the storage folder")
    extra = [
        "../../../outside-secret.txt",
        "..%2f..%2f..%2foutside-secret.txt",
        "%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2foutside-secret.txt",
    ]
    PATH_PAYLOADS.extend(extra)
    try:
        seen = _attack(local_stack, token, video_id)
    finally:
        del PATH_PAYLOADS[-len(extra) :]
    assert set(seen.values()) <= {400, 401, 403, 404, 405}, sorted(set(seen.values()))
    hostilekit.all_alive(local_stack)
