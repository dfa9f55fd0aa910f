"""After each failure, nothing stays: no row, no object, no temp file, no incomplete
multipart upload. S3 cut off mid-upload (and the sweep for what an unreachable S3
left), the database stopped before the row, the client gone mid-body."""

from __future__ import annotations

import socket
import sys
from datetime import timedelta

from harness import ROOT, wait_until
from upload.upload_helpers import assert_nothing_left, multipart_body, new_boundary, quiesce, upload_raw

MiB = 1024 * 1024


def _storage_of(st):
    """file-svc's own S3 storage class, pointed at the stack's bucket (to run its sweep)."""
    if str(ROOT / "file-svc") not in sys.path:
        sys.path.insert(0, str(ROOT / "file-svc"))
    from file_svc.storage import S3Storage
    from vs_common.settings import Settings

    e = st.env
    return S3Storage(
        Settings(
            storage_backend="s3",
            s3_bucket=e["S3_BUCKET"],
            s3_region=e["S3_REGION"],
            s3_endpoint_url=e["S3_ENDPOINT_URL"],
            s3_addressing_style="path",
            aws_access_key_id=e["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=e["AWS_SECRET_ACCESS_KEY"],
            s3_timeout_seconds=5,
            s3_max_attempts=2,
            temp_dir=e["TEMP_DIR"],
        )
    )


def test_s3_unreachable_mid_upload_leaves_nothing_and_the_sweep_aborts_the_rest(stack, upload_token, media):
    """S3 goes away while file-svc writes the second part and stays away: 503; the
    multipart upload cannot be aborted then, so the sweep aborts it once S3 is back."""
    before = quiesce(stack)
    assert media["big"].stat().st_size > 2 * 5 * MiB  # three parts of S3_PART_SIZE_MB=5
    proxy = stack.s3.proxy
    proxy.cut_after(7 * MiB)
    try:
        resp = stack.upload(upload_token, media["big"], name="S3 cut mid-upload")
        assert proxy.cut_done.is_set()
        assert resp.status_code == 503, resp.text
        assert resp.json()["error"] == "storage_unavailable"
        left = stack.s3.multipart_uploads()  # asked of the store directly, not through the proxy
    finally:
        proxy.restore()
    assert len(left) == 1 and left[0]["Key"].endswith("/original.avi")
    after = stack.snapshot()
    assert {k: v for k, v in after.items() if k != "multipart"} == {k: v for k, v in before.items() if k != "multipart"}
    # The sweep, which file-svc's packager runs at start-up and every few minutes, aborts
    # multipart uploads under videos/ older than an hour: this one is seconds old (the
    # store dates it), so it is kept; an hour on (older_than=0 here), it is aborted.
    storage = _storage_of(stack)
    assert storage.sweep(older_than=timedelta(hours=1)) == 0
    assert len(stack.s3.multipart_uploads()) == 1
    assert storage.sweep(older_than=timedelta(0)) == 1
    assert stack.snapshot() == before


def test_s3_failing_mid_upload_then_back_aborts_at_once(stack, upload_token, media):
    """S3 drops the connection mid-part and refuses the retry, then answers again: file-svc
    aborts its multipart upload itself, so nothing waits for the sweep."""
    before = quiesce(stack)
    proxy = stack.s3.proxy
    # botocore makes S3_MAX_ATTEMPTS retries after the first attempt: refuse them all.
    proxy.cut_after(7 * MiB, refuse_then_restore=int(stack.env["S3_MAX_ATTEMPTS"]))
    try:
        resp = stack.upload(upload_token, media["big"], name="S3 flaky mid-upload")
        assert proxy.cut_done.is_set() and proxy.refused >= 1
    finally:
        proxy.restore()
    assert resp.status_code == 503, resp.text
    assert_nothing_left(stack, before)


def test_database_down_before_the_row_removes_the_stored_file(small_stack, media):
    """The file is stored, then the row cannot be written: 503 and the stored objects and
    temp file are removed. (A dedicated MariaDB, stopped while the body streams: after
    the token was checked, before the row.)"""
    st = small_stack
    before = quiesce(st)
    boundary = new_boundary()
    body = multipart_body(boundary, media["medium"].read_bytes(), name="database down")
    half = len(body) // 2

    def chunks():
        yield body[:half]
        # The token was checked and the file is streaming into file-svc: stop the database.
        wait_until(lambda: any(f.endswith(".part") for f in st.temp_files()), 30, "the .part file")
        st.mariadb.stop()
        yield body[half:]

    try:
        resp = upload_raw(st, st.token, chunks(), boundary)
        assert resp.status_code == 503, resp.text
        assert resp.json()["error"] == "database_unavailable"
        assert "stored videos/" in st["file"].log.read_text()  # file-svc had stored it: it was removed
    finally:
        if st.mariadb.proc is None:
            st.mariadb.start()
    assert_nothing_left(st, before)


def test_client_gone_mid_body_leaves_nothing(stack, upload_token, media):
    before = quiesce(stack)
    boundary = new_boundary()
    body = multipart_body(boundary, media["big"].read_bytes(), name="abandoned")
    head = (
        f"POST /api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {upload_token}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    sock = socket.create_connection(("127.0.0.1", stack.ports["upload"]), timeout=30)
    try:
        sock.sendall(head.encode() + body[: len(body) // 2])
        # The upload reached file-svc: its temp file is being written.
        wait_until(lambda: any(f.endswith(".part") for f in stack.temp_files()), 30, "the .part file")
    finally:
        sock.close()
    log = stack["upload"].log
    wait_until(lambda: "abandoned by the client" in log.read_text(), 30, "upload-webapp to notice", log)
    assert_nothing_left(stack, before)


def test_s3_dropping_a_connection_mid_part_is_retried_and_the_original_is_intact(stack, upload_token, media):
    """One dropped connection and one refused retry: botocore's next retry rewinds the part
    (read from the file, not memory) and the stored original is byte for byte the upload."""
    quiesce(stack)
    proxy = stack.s3.proxy
    proxy.cut_after(7 * MiB, refuse_then_restore=1)
    try:
        resp = stack.upload(upload_token, media["big"], name="S3 blip")
        assert proxy.cut_done.is_set()
    finally:
        proxy.restore()
    assert resp.status_code == 201, resp.text
    video_id = resp.json()["id"]
    obj = stack.s3.client().get_object(Bucket=stack.s3.bucket, Key=f"videos/{video_id}/original.avi")
    assert obj["Body"].read() == media["big"].read_bytes()
    assert stack.s3.multipart_uploads() == []


def test_the_sweep_leaves_an_upload_in_progress_alone(stack):
    """A multipart upload whose source is still in the temp folder (being received, stored
    or packaged, however long that takes) is not aborted; once the source is gone, it is.
    (The upload is seconds old: the sweep is run as an hour later, older_than=0.)"""
    quiesce(stack)
    video_id = "sweeptest" + "x" * 7
    key = f"videos/{video_id}/original.mp4"
    stack.s3.client().create_multipart_upload(Bucket=stack.s3.bucket, Key=key)
    source = stack.temp_dir / "sources" / f"{video_id}.part"
    source.write_bytes(b"arriving")
    storage = _storage_of(stack)
    from file_svc import ingest  # on sys.path since _storage_of

    def sweep() -> int:  # as the packager runs it: the store knows nothing of the temp folder
        return storage.sweep(timedelta(0), keep=lambda k: ingest.source_in_temp(str(stack.temp_dir), k))

    try:
        assert sweep() == 0
        assert [u["Key"] for u in stack.s3.multipart_uploads()] == [key]
    finally:
        source.unlink()
    assert sweep() == 1
    assert stack.s3.multipart_uploads() == []
