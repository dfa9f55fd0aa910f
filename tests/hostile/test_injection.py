"""SQL metacharacters and 4-byte Unicode in names, ids and queries; oversized headers and
cookies; malformed multipart bodies; a Content-Length that lies both ways. No 5xx, and
nothing is left behind by a refused upload."""

from __future__ import annotations

import json
import uuid

import hostilekit
import pytest
import requests

from harness import bearer, make_clip

SQLISH = [
    "Robert'); DROP TABLE videos;--",
    '" OR "1"="1',
    "' UNION SELECT token_hash, 1, 1 FROM auth_sessions -- ",
    "100% _literal_ \\ back\\slash",
    "🎬 𝕳𝖊𝖑𝖑𝖔 🏳️‍🌈 — 名前 ﷽",
    "😀" * 200,
    "x`; SELECT SLEEP(5); --",
    "\\' OR 1=1 #",
]


@pytest.fixture(scope="module")
def st(tmp_path_factory, request, mariadb, s3):
    return hostilekit.hostile_stack(tmp_path_factory, request.config, mariadb, s3)


@pytest.fixture(scope="module")
def target(st, tmp_path_factory):
    return hostilekit.ready_video(st, tmp_path_factory)


def _tables(st) -> set[str]:
    rows = st.mariadb.query("SHOW TABLES", database=st.env["DB_NAME"])
    return {next(iter(r.values())) for r in rows}


def test_hostile_names_ids_and_queries(st, target, tmp_path_factory):
    token, _ = target
    tables = _tables(st)
    clip = make_clip(tmp_path_factory.mktemp("names") / "n.mp4", seconds=1)
    resp = st.upload(token, clip, name=SQLISH[0])
    assert resp.status_code == 201, resp.text
    video_id = resp.json()["id"]
    assert resp.json()["video_name"] == SQLISH[0]
    for name in SQLISH:
        resp = requests.patch(
            f"{st.url('streaming')}/api/videos/{video_id}", json={"video_name": name}, headers=bearer(token), timeout=15
        )
        assert resp.status_code == 200, (name, resp.text)
        assert resp.json()["video_name"] == name.strip()
        row = st.mariadb.query("SELECT video_name FROM videos WHERE id = %s", (video_id,), database=st.env["DB_NAME"])
        assert row == [{"video_name": name.strip()}]
    for bad in ("😀" * 201, "   ", "tab\tok but nul \x00 not", "line\nbreak"):
        resp = requests.patch(
            f"{st.url('streaming')}/api/videos/{video_id}", json={"video_name": bad}, headers=bearer(token), timeout=15
        )
        assert resp.status_code == 400, (bad, resp.status_code, resp.text)
        assert resp.json()["error"] in ("invalid_name", "bad_request")
    # q: metacharacters are literal, 4-byte characters are matched, nothing errors.
    requests.patch(
        f"{st.url('streaming')}/api/videos/{video_id}",
        json={"video_name": SQLISH[3]},
        headers=bearer(token),
        timeout=15,
    ).raise_for_status()
    for q, expect_hit in (
        ("100%", True),
        ("_literal_", True),
        ("\\ back", True),
        ("%", True),
        ("_", True),
        ("%%%%", False),
        ("' OR '1'='1", False),
        ("') OR 1=1 --", False),
        ("🎬", False),
        ("\\", True),
        ("*", False),
        ("\x00", False),
        ("%00", False),
        ("ǅ", False),
    ):
        resp = requests.get(st.url("streaming") + "/api/videos", params={"q": q}, headers=bearer(token), timeout=15)
        assert resp.status_code in (200, 400), (q, resp.status_code)
        if resp.status_code == 200:
            names = [v["video_name"] for v in resp.json()["videos"]]
            assert (SQLISH[3] in names) == expect_hit, (q, names)
            assert all(q.lower() in n.lower() for n in names), (q, names)
    for bad_id in (
        "' OR 1=1 --",
        "1; DROP TABLE videos",
        "🎬" * 12,
        "x" * 5000,
        "%27%20OR%20%271%27%3D%271",
        "\u202e" * 12,
        video_id + "' --",
        "NULL",
        "0x41424344",
    ):
        for method in ("GET", "PATCH", "DELETE"):
            kwargs = {"json": {"video_name": "x"}} if method == "PATCH" else {}
            resp = requests.request(
                method,
                f"{st.url('streaming')}/api/videos/{requests.utils.quote(bad_id)}",
                headers=bearer(token),
                timeout=15,
                **kwargs,
            )
            assert resp.status_code in (404, 414), (method, bad_id, resp.status_code)
        resp = requests.get(
            f"{st.url('streaming')}/videos/{requests.utils.quote(bad_id)}", headers=bearer(token), timeout=15
        )
        assert resp.status_code in (404, 414)
    # Paging parameters.
    for params in (
        {"page": "1 OR 1=1"},
        {"page": "-1"},
        {"per_page": "101"},
        {"page": "9" * 30},
        {"per_page": "0x10"},
        {"page": "١"},
        {"per_page": "²"},
    ):
        resp = requests.get(st.url("streaming") + "/api/videos", params=params, headers=bearer(token), timeout=15)
        assert resp.status_code == 400, (params, resp.status_code, resp.text)
    # Logins with metacharacters: refused, never an error (a few only: the throttle counts them).
    for username in ("' OR '1'='1' -- ", "alice'#", "😀" * 100):
        resp = requests.post(
            st.url("auth") + "/api/login",
            data={"username": username, "password": "' OR ''='"},
            headers={"Accept": "application/json"},
            timeout=15,
        )
        assert resp.status_code == 401, (username, resp.status_code)
    assert _tables(st) == tables
    assert (
        requests.get(
            st.url("auth") + "/api/verify", headers={"Authorization": "Bearer ' OR 1=1 --"}, timeout=15
        ).status_code
        == 401
    )
    requests.delete(f"{st.url('streaming')}/api/videos/{video_id}", headers=bearer(token), timeout=30)


def test_oversized_headers_and_cookies(st, target):
    token, video_id = target
    for name in ("auth", "file", "upload", "streaming"):
        port = st[name].port
        big_header = f"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {'a' * 20000}\r\n\r\n".encode()
        many = "GET /healthz HTTP/1.1\r\nHost: x\r\n" + "".join(f"X-H{i}: v\r\n" for i in range(300)) + "\r\n"
        long_line = f"GET /healthz?{'a' * 10000} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
        huge_cookie = f"GET /healthz HTTP/1.1\r\nHost: x\r\nCookie: {'c=' + 'z' * 70000}\r\n\r\n".encode()
        for raw in (big_header, many.encode(), long_line, huge_cookie):
            answer = hostilekit.raw_exchange(port, raw)
            assert hostilekit.status_of(answer) in (400, 414, 431), (name, answer[:200])
    # Big but allowed: the app answers, as it should, without an error.
    cookie = "; ".join(f"k{i}={'v' * 100}" for i in range(100)) + "; auth_token=" + "🎬".encode().hex() * 50
    for name, path, ok in (
        ("streaming", "/api/videos", (401,)),
        ("upload", "/api/uploads", (401,)),
        ("streaming", "/", (303,)),
        ("auth", "/api/verify", (401,)),
        ("streaming", f"/videos/{video_id}/hls/master.m3u8", (401,)),
    ):
        resp = requests.get(st.url(name) + path, headers={"Cookie": cookie}, allow_redirects=False, timeout=15)
        assert resp.status_code in ok, (name, path, resp.status_code)
    for bad_auth in (
        "Bearer " + "A" * 15000,
        "Bearer ",
        "Bearer \t",
        "Basic YWxpY2U6eA==",
        "Bearer 😀".encode(),
        b"Bearer \xff\xfe\x00",
    ):
        status, _, _ = hostilekit.raw_get(
            st["streaming"].port,
            "/api/videos",
            {"Authorization": bad_auth.decode("latin-1") if isinstance(bad_auth, bytes) else bad_auth},
        )
        assert status in (400, 401), (bad_auth[:40], status)
        status, _, _ = hostilekit.raw_get(
            st["file"].port,
            "/videos/abcdefghijklmnop/poster.jpg",
            {"Authorization": bad_auth.decode("latin-1") if isinstance(bad_auth, bytes) else bad_auth},
        )
        assert status in (400, 401), (bad_auth[:40], status)
    hostilekit.all_alive(st)


def _multipart(boundary: str, parts: list[tuple[str, bytes]], close: bool = True) -> bytes:
    out = b""
    for headers, body in parts:
        out += f"--{boundary}\r\n{headers}\r\n\r\n".encode() + body + b"\r\n"
    return out + (f"--{boundary}--\r\n".encode() if close else b"")


def test_malformed_multipart_and_lying_lengths(st, target, tmp_path_factory):
    token, _ = target
    before = st.counts()
    clip = make_clip(tmp_path_factory.mktemp("mp") / "ok.mp4", seconds=1).read_bytes()
    b = "hostile" + uuid.uuid4().hex
    fpart = 'Content-Disposition: form-data; name="file"; filename="a.mp4"\r\nContent-Type: video/mp4'
    cases = {
        "no boundary": ("multipart/form-data", _multipart(b, [(fpart, clip)])),
        "other boundary": (f"multipart/form-data; boundary={b}x", _multipart(b, [(fpart, clip)])),
        "not closed": (f"multipart/form-data; boundary={b}", _multipart(b, [(fpart, clip)], close=False)),
        "truncated mid-file": (f"multipart/form-data; boundary={b}", _multipart(b, [(fpart, clip)])[:5000]),
        "empty": (f"multipart/form-data; boundary={b}", b""),
        "only the closing line": (f"multipart/form-data; boundary={b}", f"--{b}--\r\n".encode()),
        "no disposition": (f"multipart/form-data; boundary={b}", _multipart(b, [("Content-Type: video/mp4", clip)])),
        "garbage headers": (f"multipart/form-data; boundary={b}", _multipart(b, [("\x00\xff: \x01" * 50, clip)])),
        "huge name field": (
            f"multipart/form-data; boundary={b}",
            _multipart(b, [('Content-Disposition: form-data; name="name"', b"n" * 200_000), (fpart, clip)]),
        ),
        "no file part": (
            f"multipart/form-data; boundary={b}",
            _multipart(b, [('Content-Disposition: form-data; name="name"', b"only a name")]),
        ),
        "json body": (f"multipart/form-data; boundary={b}", json.dumps({"file": "x"}).encode()),
        "not multipart": ("application/json", json.dumps({"file": "x"}).encode()),
        "urlencoded": ("application/x-www-form-urlencoded", b"file=abc&name=x"),
        "file is text": (f"multipart/form-data; boundary={b}", _multipart(b, [(fpart, b"hello world\n" * 100)])),
        "name too long": (
            f"multipart/form-data; boundary={b}",
            _multipart(b, [('Content-Disposition: form-data; name="name"', ("😀" * 201).encode()), (fpart, clip)]),
        ),
    }
    for label, (ctype, body) in cases.items():
        resp = requests.post(
            st.url("upload") + "/api/upload", data=body, timeout=60, headers={**bearer(token), "Content-Type": ctype}
        )
        assert resp.status_code in (400, 413, 415), (label, resp.status_code, resp.text[:200])
        assert resp.json()["error"] and resp.json()["message"], label
    # Content-Length lying, in both directions, on upload-webapp and file-svc.
    body = _multipart(b, [(fpart, clip)])
    head = (
        f"POST /api/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: multipart/form-data; boundary={b}\r\n"
    )
    # Promises more than it sends (it stops mid-file and closes its side).
    more = hostilekit.raw_exchange(
        st["upload"].port, (head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body[: len(body) // 2]
    )
    assert hostilekit.status_of(more) == 400, more[:300]
    less = hostilekit.raw_exchange(
        st["upload"].port, (head + f"Content-Length: {len(body) // 2}\r\n\r\n").encode() + body
    )
    assert hostilekit.status_of(less) == 400, less[:300]
    assert all(code < 500 for code in hostilekit.statuses_of(less)), less[:600]
    fhead = f"POST /videos HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {hostilekit.INTERNAL}\r\n"
    more = hostilekit.raw_exchange(
        st["file"].port, (fhead + f"Content-Length: {len(clip)}\r\n\r\n").encode() + clip[: len(clip) // 2]
    )
    assert hostilekit.status_of(more) == 400, more[:300]
    less = hostilekit.raw_exchange(
        st["file"].port, (fhead + f"Content-Length: {len(clip) // 2}\r\n\r\n").encode() + clip
    )
    assert hostilekit.status_of(less) in (400, 415), less[:300]
    assert all(code < 500 for code in hostilekit.statuses_of(less)), less[:600]
    patch = (
        f"PATCH /api/videos/abcdefghijklmnop HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
        'Content-Type: application/json\r\nContent-Length: 500\r\n\r\n{"video_name": "x"}'
    ).encode()
    assert hostilekit.status_of(hostilekit.raw_exchange(st["streaming"].port, patch)) in (400, 404)
    after = hostilekit_wait_clean(st, before)
    assert after == before
    hostilekit.all_alive(st)


def hostilekit_wait_clean(st, before):
    from harness import wait_until

    try:
        return wait_until(lambda: (c := st.counts()) == before and c, 30, "nothing left")
    except TimeoutError:
        return st.counts()
