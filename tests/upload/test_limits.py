"""MAX_UPLOAD_BYTES: refused up front when the Content-Length says so (and the client
can read the 413), and cut off mid-stream when the body grows past it."""

from __future__ import annotations

import json
import socket

from harness import bearer
from upload.upload_helpers import (
    SMALL_LIMIT,
    assert_nothing_left,
    multipart_body,
    new_boundary,
    quiesce,
    upload_raw,
)
from vs_common.wire import DRAIN_BYTES  # what upload-webapp reads at most after an early answer

GiB = 1024**3


def _read_response(sock: socket.socket) -> tuple[int, dict]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    length = int(headers["content-length"])
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed in the middle of the response"
        body += chunk
    return int(lines[0].split()[1]), json.loads(body[:length])


def test_content_length_over_the_limit_is_refused_readably_before_storing(stack, upload_token):
    """A declared 20 GiB body: 413 is answered while the client is still sending, it can
    read it, the server reads at most a bounded amount more, then closes."""
    before = quiesce(stack)
    boundary = new_boundary()
    head = (
        f"POST /api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {upload_token}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {20 * GiB}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", stack.ports["upload"]), timeout=30) as sock:
        sock.sendall(head.encode() + multipart_body(boundary, b"")[: -len(boundary) - 8])
        sock.sendall(b"\0" * (4 * 1024 * 1024))  # part of the body, as a client would
        status, body = _read_response(sock)
        assert status == 413
        assert body["error"] == "file_too_large" and "limit" in body["message"]
        # Keep sending: the server drains a bounded amount, then closes the connection.
        sent, block = 0, b"\0" * (1024 * 1024)
        try:
            while sent < 4 * DRAIN_BYTES:
                sock.sendall(block)
                sent += len(block)
        except OSError:
            pass
        assert sent < 2 * DRAIN_BYTES, f"the server kept reading ({sent} bytes) after its 413"
    assert_nothing_left(stack, before)


def test_content_length_within_the_allowance_passes_the_early_check(small_stack):
    """The request may exceed MAX_UPLOAD_BYTES by 1 MiB of form overhead: a file of
    exactly the limit in a request over it is not refused for its size (here it is
    refused for its content: zeros are not a video)."""
    st = small_stack
    boundary = new_boundary()
    payload = bytes(SMALL_LIMIT)  # exactly the limit: not a video, so 415, but not 413
    body = multipart_body(boundary, payload, name="x" * 100)
    assert len(body) > SMALL_LIMIT
    resp = upload_raw(st, st.token, body, boundary)
    assert resp.status_code == 415, resp.text


def test_body_growing_past_the_limit_chunked_is_cut_with_413(small_stack):
    st = small_stack
    before = quiesce(st)
    boundary = new_boundary()
    body = multipart_body(boundary, b"\0" * (3 * SMALL_LIMIT))

    def chunks():  # no Content-Length: chunked transfer encoding
        for i in range(0, len(body), 64 * 1024):
            yield body[i : i + 64 * 1024]

    resp = upload_raw(st, st.token, chunks(), boundary)
    assert resp.status_code == 413, resp.text
    assert resp.json()["error"] == "file_too_large"
    assert_nothing_left(st, before)


def test_body_growing_past_the_limit_under_an_allowed_length_is_cut_with_413(small_stack):
    """The Content-Length is within limit + 1 MiB, but the file part alone is over the limit."""
    st = small_stack
    before = quiesce(st)
    boundary = new_boundary()
    body = multipart_body(boundary, b"\0" * (SMALL_LIMIT + 512 * 1024))
    assert len(body) <= SMALL_LIMIT + 1024 * 1024
    resp = upload_raw(st, st.token, body, boundary)
    assert resp.status_code == 413, resp.text
    assert "limit" in resp.json()["message"]
    assert_nothing_left(st, before)


def test_a_second_file_part_counts_against_the_body_limit(small_stack):
    """Only the first `file` part is kept; others are read and discarded, bounded too."""
    st = small_stack
    before = quiesce(st)
    boundary = new_boundary()
    extra = (f'--{boundary}\r\nContent-Disposition: form-data; name="other"; filename="x.bin"\r\n\r\n').encode()
    body = extra + b"\0" * (3 * SMALL_LIMIT) + b"\r\n" + multipart_body(boundary, b"tiny")

    def chunks():
        for i in range(0, len(body), 64 * 1024):
            yield body[i : i + 64 * 1024]

    resp = upload_raw(st, st.token, chunks(), boundary)
    assert resp.status_code == 413, resp.text
    assert_nothing_left(st, before)


def test_missing_file_and_bad_forms_are_400(stack, upload_token):
    import requests

    url = stack.url("upload") + "/api/upload"
    resp = requests.post(url, data={"name": "no file"}, headers=bearer(upload_token), timeout=10)
    assert resp.status_code == 400
    resp = requests.post(url, files={"name": (None, "only a name")}, headers=bearer(upload_token), timeout=10)
    assert resp.status_code == 400 and resp.json()["error"] == "missing_file"
    boundary = new_boundary()
    resp = upload_raw(stack, upload_token, b"--" + boundary.encode() + b"\r\ngarbage", boundary)
    assert resp.status_code == 400
