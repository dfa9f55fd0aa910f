"""Slow clients do not block others: uploads trickled a byte at a time and readers that
never read a big segment each hold one thread, while every other request still completes.
(The assertion is that they complete, not how fast.)"""

from __future__ import annotations

import socket
import threading

import faultkit
import pytest
import requests

from harness import bearer, wait_until

pytestmark = pytest.mark.slow
SLOW_UPLOADS = 2
NON_READERS = 2


@pytest.fixture(scope="module")
def fault_stack(tmp_path_factory, request):
    return faultkit.fault_stack(tmp_path_factory, request.config)


def _trickle_upload(port: int, token: str, stop: threading.Event) -> socket.socket:
    """Headers and the start of a form promising 50 MB, then one byte every 0.2 s."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    boundary = "trickle-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    sock.sendall(
        (
            f"POST /api/upload HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: 50000000\r\n\r\n"
        ).encode()
        + head
    )

    def trickle():
        while not stop.wait(0.2):
            try:
                sock.sendall(b"\0")
            except OSError:
                return

    threading.Thread(target=trickle, daemon=True).start()
    return sock


def _non_reader(port: int, path: str, token: str) -> socket.socket:
    """A GET of a big object from a client that never reads (tiny receive buffer)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: auth_token={token}\r\n\r\n".encode())
    return sock


def _pending(sock: socket.socket) -> bytes | None:
    """What the server has sent on `sock` so far, unread (None: nothing yet); fails if
    the server closed the connection."""
    sock.setblocking(False)
    try:
        data = sock.recv(64, socket.MSG_PEEK)
    except BlockingIOError:
        return None
    finally:
        sock.setblocking(True)
    assert data, "the server closed a slow client's connection"
    return data


def test_slow_clients_do_not_block_others(fault_stack, tmp_path_factory):
    st = fault_stack
    token = st.login()
    big_id = faultkit.upload_and_play(st, token, faultkit.clip(tmp_path_factory, "big"), "big for slow readers")
    seg = f"/videos/{big_id}/hls/360p/seg_00000.ts"
    seg_size = int(
        requests.head(st.url("streaming") + seg, headers=bearer(token), timeout=15).headers["Content-Length"]
    )
    assert seg_size > 8 * 1024 * 1024  # more than the socket buffers hold: the server's thread blocks
    before = faultkit.assert_clean(st, st.counts())

    stop = threading.Event()
    slow = [_trickle_upload(st["upload"].port, token, stop) for _ in range(SLOW_UPLOADS)]
    slow += [_non_reader(st["streaming"].port, seg, token) for _ in range(NON_READERS)]
    try:
        # Every other kind of request still completes while they hang on.
        assert st.login()
        lib = requests.get(st.url("streaming") + "/api/videos", headers=bearer(token), timeout=60)
        assert lib.status_code == 200 and lib.json()["total"] >= 1
        full = requests.get(st.url("streaming") + seg, headers=bearer(token), timeout=60)
        assert full.status_code == 200 and len(full.content) == seg_size
        assert requests.get(st.url("upload") + "/api/uploads", headers=bearer(token), timeout=60).status_code == 200
        new_id = faultkit.upload_and_play(st, token, faultkit.clip(tmp_path_factory, "small"), "beside slow ones")
        for name in ("auth", "file", "upload", "streaming"):
            assert requests.get(st.url(name) + "/healthz", timeout=60).status_code == 200
        # ...and the slow ones are still being served, not dropped: the trickled uploads
        # are still being read (no answer yet), the non-readers' segment is still being sent.
        trickles, non_readers = slow[:SLOW_UPLOADS], slow[SLOW_UPLOADS:]
        assert all(_pending(s) is None for s in trickles)
        assert all((_pending(s) or b"").startswith(b"HTTP/1.1 200") for s in non_readers)
    finally:
        stop.set()
        for s in slow:
            s.close()
    # The abandoned trickles leave nothing behind (only the finished upload stays).
    after = {**before, "rows": before["rows"] + 1, "jobs": before["jobs"] + 1}
    try:
        wait_until(
            lambda: st.counts()["temp_files"] == 0 and st.counts()["rows"] == after["rows"],
            30,
            "trickled uploads cleaned",
        )
    finally:
        counts = st.counts()
    assert counts["rows"] == after["rows"] and counts["temp_files"] == 0 and counts["multipart_uploads"] == 0
    assert st.video(token, new_id)["status"] == "ready"  # the row that stays is the finished upload's
