"""Helpers of the upload tests: waiting for what an upload may leave behind, raw bodies."""

from __future__ import annotations

import uuid

import requests

from harness import Stack, bearer, wait_until

SMALL_LIMIT = 3 * 1024 * 1024  # MAX_UPLOAD_BYTES of the small stack
SMALL_BUCKET = "reelhouse-small"


def rows(st: Stack) -> list[dict]:
    return st.query("SELECT id, video_name, status FROM videos")


def quiesce(st: Stack) -> dict:
    """Wait until every upload is packaged, every job (thumbnails and renditions too) is
    over and the temp folder is empty; return the snapshot. (A rendition still being
    published writes to the store: a test that cuts the store's connection after so many
    bytes would cut, or spend its refusals on, the packager's requests instead.)"""

    def idle():
        busy = st.query("SELECT COUNT(*) AS n FROM videos WHERE status = 'processing'")[0]["n"]
        jobs = st.query("SELECT COUNT(*) AS n FROM packaging_jobs WHERE status NOT IN ('done', 'failed')")[0]["n"]
        return busy == 0 and jobs == 0 and st.temp_files() == [] and st.snapshot()

    return wait_until(idle, 120, "the stack to be idle", st["file"].log, interval=0.2)


def assert_nothing_left(st: Stack, before: dict) -> None:
    """No new row, job, object, multipart upload or temp file since `before` (waits for
    the temp folder: a failed upload's last file is removed by the thread that received it)."""
    wait_until(lambda: st.temp_files() == before["temp"], 30, "the temp folder to be emptied", st["file"].log)
    assert st.snapshot() == before


def multipart_body(boundary: str, payload: bytes, filename: str = "clip.mp4", name: str | None = None) -> bytes:
    parts = b""
    if name is not None:
        parts += (f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\n{name}\r\n').encode()
    parts += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return parts + payload + f"\r\n--{boundary}--\r\n".encode()


def new_boundary() -> str:
    return "----reelhouse" + uuid.uuid4().hex


def upload_raw(st: Stack, token: str, body, boundary: str, headers: dict | None = None, timeout: float = 60):
    """POST a prepared multipart body (bytes, or an iterator for a chunked body)."""
    return requests.post(
        st.url("upload") + "/api/upload",
        data=body,
        timeout=timeout,
        headers={**bearer(token), "Content-Type": f"multipart/form-data; boundary={boundary}", **(headers or {})},
    )


def cancel_unfinished(st: Stack, token: str, owner: str) -> None:
    """Terminate the owner's unfinished resumable uploads (the per-user limits count them)."""
    for row in st.query("SELECT id FROM uploads WHERE owner = ? AND video_id IS NULL", (owner,)):
        url = f"{st.url('upload')}/api/tus/{row['id']}"
        resp = requests.delete(url, headers={**bearer(token), "Tus-Resumable": "1.0.0"}, timeout=30)
        assert resp.status_code in (204, 404, 410), resp.text
