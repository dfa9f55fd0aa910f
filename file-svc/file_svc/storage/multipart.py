"""The S3 store's writes of large files: a multipart upload in parts, aborted when it fails.

Written here rather than with boto3's transfer manager (`upload_file`): the manager aborts
a failed upload once, and when S3 is unreachable that abort fails too and its upload id
is lost with it. Here the failed abort is retried in the background until S3 answers
(`_retry_aborts`), so an outage leaves no incomplete upload behind for longer than it
lasts. Parts are read one at a time from the file (memory: one part).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from .objects import FileWindow

log = logging.getLogger("file_svc.storage")
ABORT_RETRY_SECONDS = 2.0


class MultipartWriter:
    """Multipart uploads into `bucket` with the client `client()` gives, and the queue of
    aborts S3 did not accept yet."""

    def __init__(self, client: Callable[[], object], bucket: str, part_size: int):
        self.client = client
        self.bucket = bucket
        self.part_size = part_size
        self._lock = threading.Lock()
        # Multipart uploads whose abort failed (S3 unreachable): retried until S3 answers,
        # so they do not wait for the hourly sweep.
        self._pending_aborts: set[tuple[str, str]] = set()
        self._abort_retrier: threading.Thread | None = None

    def write(self, key: str, src: str, size: int, ctype: str) -> None:
        """Upload the file `src` of `size` bytes as `key`; nothing stays if it fails."""
        client = self.client()
        upload_id = client.create_multipart_upload(Bucket=self.bucket, Key=key, ContentType=ctype)["UploadId"]
        try:
            parts = self._parts(client, key, upload_id, src, size)
            client.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
        except BaseException:
            try:
                client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
            except Exception as exc:  # noqa: BLE001 - S3 is down: retried in the background
                log.warning("could not abort multipart upload of %s (retrying until S3 is back): %s", key, exc)
                self._abort_later(key, upload_id)
            raise

    def _parts(self, client, key: str, upload_id: str, src: str, size: int) -> list[dict]:
        parts = []
        with open(src, "rb") as fh:
            for number, offset in enumerate(range(0, size, self.part_size), start=1):
                # A window on the file, streamed by botocore (and rewound on a retry):
                # a part is never held in memory either.
                body = FileWindow(fh, offset, min(self.part_size, size - offset))
                resp = client.upload_part(
                    Bucket=self.bucket,
                    Key=key,
                    UploadId=upload_id,
                    PartNumber=number,
                    Body=body,
                    ContentLength=body.length,
                )
                parts.append({"PartNumber": number, "ETag": resp["ETag"]})
        return parts

    def _abort_later(self, key: str, upload_id: str) -> None:
        """Queue an abort that failed; one background thread retries the queue every few
        seconds until S3 accepts (or no longer knows) each upload."""
        with self._lock:
            self._pending_aborts.add((key, upload_id))
            if self._abort_retrier is None or not self._abort_retrier.is_alive():
                self._abort_retrier = threading.Thread(target=self._retry_aborts, daemon=True, name="s3-abort-retry")
                self._abort_retrier.start()

    def _retry_aborts(self, interval: float = ABORT_RETRY_SECONDS) -> None:
        while True:
            time.sleep(interval)
            with self._lock:
                pending = sorted(self._pending_aborts)
                if not pending:
                    self._abort_retrier = None
                    return
            for key, upload_id in pending:
                if self._try_abort(key, upload_id):
                    log.info("aborted the multipart upload of %s left by an S3 outage", key)
                    with self._lock:
                        self._pending_aborts.discard((key, upload_id))

    def _try_abort(self, key: str, upload_id: str) -> bool:
        """Whether the upload is gone now (aborted, or S3 no longer knows it)."""
        from botocore.exceptions import ClientError

        try:
            self.client().abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except ClientError as exc:
            return exc.response.get("Error", {}).get("Code") == "NoSuchUpload"
        except Exception:  # noqa: BLE001 - still unreachable: next round
            return False
        return True
