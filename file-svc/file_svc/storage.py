"""Object storage: a local folder or S3 (any S3-protocol store), behind one interface.

Domain code uses `put_file`, `open_object`, `delete_prefix`; S3 writes are multipart
uploads in parts (never whole files in memory) and a failed one is aborted; `sweep`
aborts incomplete multipart uploads that an unreachable S3 left behind.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from vs_common.settings import MiB, Settings
from vs_common.wire import valid_video_id

from .keys import content_type

log = logging.getLogger(__name__)
CHUNK = 256 * 1024
ABORT_RETRY_SECONDS = 2.0


class StorageUnavailable(RuntimeError):
    """The store cannot be reached or failed; answered with 503."""


class ObjectNotFound(KeyError):
    """No object under that key."""


@dataclass
class ObjectStream:
    """An object (or a byte range of it) ready to stream."""

    status: int  # 200, 206 or 304
    headers: dict[str, str]
    body: Iterator[bytes] | None = None
    path: str | None = None  # local file (served with sendfile)
    offset: int = 0
    length: int = 0


def parse_range(header: str | None, size: int) -> tuple[int, int] | None | str:
    """(start, end inclusive) for a single `bytes=` range; None when there is none or it is
    malformed (RFC 9110: ignored, the whole object is sent), 'invalid' when it is well
    formed but unsatisfiable (416)."""
    if not header:
        return None
    header = header.strip()
    if not header.startswith("bytes=") or "," in header:
        return None
    spec = header[6:].strip()
    start_s, sep, end_s = spec.partition("-")
    if not sep:
        return None
    try:
        if start_s == "":
            length = int(end_s)
            if length <= 0:
                return "invalid"
            start, end = max(0, size - length), size - 1
        else:
            start = int(start_s)
            end = int(end_s) if end_s else None
    except ValueError:
        return None
    if start < 0 or (end is not None and end < start):
        return None  # `bytes=5-1` is not a valid range: ignored
    if start >= size:
        return "invalid"
    if end is None:
        end = size - 1
    return start, min(end, size - 1)


class LocalStorage:
    """Objects as files under STORAGE_DIR; writes are atomic (temp file + rename)."""

    def __init__(self, root: str):
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise ObjectNotFound(key)
        return path

    def check(self) -> None:
        if not os.access(self.root, os.W_OK):
            raise StorageUnavailable(f"{self.root} is not writable")

    def put_file(self, key: str, src: str) -> None:
        dest = self._path(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.tmp")
        try:
            try:
                os.link(src, tmp)  # same file system: no copy at all
            except OSError:
                shutil.copyfile(src, tmp)
            os.replace(tmp, dest)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StorageUnavailable(f"cannot write {key}: {exc.strerror}") from exc

    def put_bytes(self, key: str, data: bytes) -> None:
        """A small object (a playlist), replaced atomically: a reader sees the old or the new."""
        dest = self._path(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.tmp")
        try:
            tmp.write_bytes(data)
            os.replace(tmp, dest)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StorageUnavailable(f"cannot write {key}: {exc.strerror}") from exc

    def delete(self, key: str) -> None:
        """Remove one object (nothing if it is not there)."""
        self._path(key).unlink(missing_ok=True)

    def open_object(self, key: str, range_header: str | None = None, if_none_match: str | None = None) -> ObjectStream:
        path = self._path(key)
        try:
            st = path.stat()
        except FileNotFoundError:
            raise ObjectNotFound(key) from None
        etag = '"' + hashlib.md5(f"{key}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest() + '"'
        return _respond(key, st.st_size, etag, range_header, if_none_match, path=str(path))

    def delete_prefix(self, prefix: str) -> int:
        """Remove a folder of objects; safe against another delete of it at the same time
        (what the other one removed first is simply not counted)."""
        path = self._path(prefix.rstrip("/"))
        count = sum(len(files) for _dir, _subdirs, files in os.walk(path))  # os.walk skips what vanishes
        shutil.rmtree(path, ignore_errors=True)
        return count

    def list_keys(self, prefix: str) -> list[str]:
        base = self._path(prefix.rstrip("/")) if prefix else self.root
        if not base.exists():
            return []
        return sorted(str(p.relative_to(self.root)) for p in base.rglob("*") if p.is_file())

    def download(self, key: str, dest: str) -> None:
        shutil.copyfile(self._path(key), dest)

    def sweep(self, older_than: timedelta = timedelta(hours=1)) -> int:
        """Remove temp files an interrupted write left (the local twin of the S3 sweep)."""
        cutoff = datetime.now().timestamp() - older_than.total_seconds()
        removed = 0
        for tmp in self.root.rglob(".*.tmp"):
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink(missing_ok=True)
                removed += 1
        return removed


def _respond(key, size, etag, range_header, if_none_match, *, path=None, opener=None) -> ObjectStream:
    headers = {
        "Content-Type": content_type(key),
        "ETag": etag,
        "Accept-Ranges": "bytes",
    }
    if if_none_match and etag in [t.strip() for t in if_none_match.split(",")] + (
        [etag] if if_none_match.strip() == "*" else []
    ):
        return ObjectStream(304, headers)
    rng = parse_range(range_header, size)
    if rng == "invalid":
        headers["Content-Range"] = f"bytes */{size}"
        return ObjectStream(416, headers)
    if rng is None:
        start, end, status = 0, size - 1, 200
    else:
        start, end = rng
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    length = max(0, end - start + 1)
    headers["Content-Length"] = str(length)
    stream = ObjectStream(status, headers, path=path, offset=start, length=length)
    if opener is not None:
        stream.body = opener(start, end, rng is not None)
    return stream


class FileWindow(io.RawIOBase):
    """`length` bytes of an open file from `offset`, as a seekable read-only stream."""

    def __init__(self, fh, offset: int, length: int):
        super().__init__()
        self.fh = fh
        self.offset = offset
        self.length = length
        self.pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def __len__(self) -> int:
        return self.length

    def tell(self) -> int:
        return self.pos

    def seek(self, pos: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.length}[whence]
        self.pos = min(max(0, base + pos), self.length)
        return self.pos

    def read(self, size: int = -1) -> bytes:
        left = self.length - self.pos
        size = left if size is None or size < 0 else min(size, left)
        if size <= 0:
            return b""
        self.fh.seek(self.offset + self.pos)
        data = self.fh.read(size)
        self.pos += len(data)
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class S3Storage:
    """Objects in an S3 bucket. The boto3 client is built on first use, with explicit
    timeouts and retry counts."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.bucket = settings.s3_bucket
        self.part_size = settings.s3_part_size_mb * MiB
        self._client = None
        self._lock = threading.Lock()
        # Multipart uploads whose abort failed (S3 unreachable): retried until S3 answers,
        # so they do not wait for the hourly sweep.
        self._pending_aborts: set[tuple[str, str]] = set()
        self._abort_retrier: threading.Thread | None = None

    @property
    def client(self):
        if self._client is None:
            with self._lock:
                if self._client is None:
                    import boto3
                    from botocore.config import Config

                    s = self.settings
                    config = Config(
                        connect_timeout=min(5, s.s3_timeout_seconds),
                        read_timeout=s.s3_timeout_seconds,
                        retries={"max_attempts": s.s3_max_attempts, "mode": "standard"},
                        s3={"addressing_style": s.s3_addressing_style},
                        max_pool_connections=50,
                        signature_version="s3v4",
                        request_checksum_calculation="when_required",
                        response_checksum_validation="when_required",
                    )
                    self._client = boto3.client(
                        "s3",
                        endpoint_url=s.s3_endpoint_url or None,
                        region_name=s.s3_region or None,
                        aws_access_key_id=s.aws_access_key_id or None,
                        aws_secret_access_key=s.aws_secret_access_key or None,
                        config=config,
                    )
        return self._client

    def _unavailable(self, exc: Exception, what: str) -> StorageUnavailable:
        return StorageUnavailable(f"S3 {what} failed: {exc.__class__.__name__}: {str(exc)[:200]}")

    def _is_missing(self, exc: Exception) -> bool:
        from botocore.exceptions import ClientError

        if isinstance(exc, ClientError):
            code = exc.response.get("Error", {}).get("Code", "")
            return code in {"NoSuchKey", "404", "NotFound"}
        return False

    def check(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except Exception as exc:  # noqa: BLE001 - reported as unavailable
            raise self._unavailable(exc, "head_bucket") from exc

    def ensure_bucket(self) -> None:
        """Create the bucket when it does not exist (a fresh local SeaweedFS)."""
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchBucket", "NotFound"}:
                log.info("creating bucket %s", self.bucket)
                kwargs = {}
                if self.settings.s3_region and self.settings.s3_region != "us-east-1":
                    kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self.settings.s3_region}
                self.client.create_bucket(Bucket=self.bucket, **kwargs)
            else:
                raise

    def put_file(self, key: str, src: str) -> None:
        size = os.path.getsize(src)
        ctype = content_type(key)
        try:
            if size <= self.part_size:
                with open(src, "rb") as fh:
                    self.client.put_object(Bucket=self.bucket, Key=key, Body=fh, ContentType=ctype)
                return
            self._multipart(key, src, size, ctype)
        except StorageUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - any S3 failure is the store being unavailable
            raise self._unavailable(exc, f"write of {key}") from exc

    def put_bytes(self, key: str, data: bytes) -> None:
        """A small object (a playlist): one PUT, atomic for readers."""
        try:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type(key))
        except Exception as exc:  # noqa: BLE001 - any S3 failure is the store being unavailable
            raise self._unavailable(exc, f"write of {key}") from exc

    def delete(self, key: str) -> None:
        """Remove one object (nothing if it is not there)."""
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except Exception as exc:  # noqa: BLE001
            raise self._unavailable(exc, f"delete of {key}") from exc

    def _multipart(self, key: str, src: str, size: int, ctype: str) -> None:
        upload_id = self.client.create_multipart_upload(Bucket=self.bucket, Key=key, ContentType=ctype)["UploadId"]
        try:
            parts = []
            with open(src, "rb") as fh:
                for number, offset in enumerate(range(0, size, self.part_size), start=1):
                    # A window on the file, streamed by botocore (and rewound on a retry):
                    # a part is never held in memory either.
                    body = FileWindow(fh, offset, min(self.part_size, size - offset))
                    resp = self.client.upload_part(
                        Bucket=self.bucket,
                        Key=key,
                        UploadId=upload_id,
                        PartNumber=number,
                        Body=body,
                        ContentLength=body.length,
                    )
                    parts.append({"PartNumber": number, "ETag": resp["ETag"]})
            self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
        except BaseException:
            try:
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
            except Exception as exc:  # noqa: BLE001 - S3 is down: retried in the background
                log.warning("could not abort multipart upload of %s (retrying until S3 is back): %s", key, exc)
                self._abort_later(key, upload_id)
            raise

    def _abort_later(self, key: str, upload_id: str) -> None:
        """Queue an abort that failed; one background thread retries the queue every few
        seconds until S3 accepts (or no longer knows) each upload."""
        with self._lock:
            self._pending_aborts.add((key, upload_id))
            if self._abort_retrier is None or not self._abort_retrier.is_alive():
                self._abort_retrier = threading.Thread(target=self._retry_aborts, daemon=True, name="s3-abort-retry")
                self._abort_retrier.start()

    def _retry_aborts(self, interval: float = ABORT_RETRY_SECONDS) -> None:
        from botocore.exceptions import ClientError

        while True:
            time.sleep(interval)
            with self._lock:
                pending = sorted(self._pending_aborts)
                if not pending:
                    self._abort_retrier = None
                    return
            for key, upload_id in pending:
                try:
                    self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
                except ClientError as exc:
                    if exc.response.get("Error", {}).get("Code") != "NoSuchUpload":
                        continue
                except Exception:  # noqa: BLE001 - still unreachable: next round
                    continue
                log.info("aborted the multipart upload of %s left by an S3 outage", key)
                with self._lock:
                    self._pending_aborts.discard((key, upload_id))

    def open_object(self, key: str, range_header: str | None = None, if_none_match: str | None = None) -> ObjectStream:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        except Exception as exc:  # noqa: BLE001
            if self._is_missing(exc):
                raise ObjectNotFound(key) from None
            raise self._unavailable(exc, f"read of {key}") from exc
        size = head["ContentLength"]
        etag = head["ETag"]

        def opener(start: int, end: int, ranged: bool) -> Iterator[bytes]:
            kwargs = {"Range": f"bytes={start}-{end}"} if ranged else {}
            try:
                obj = self.client.get_object(Bucket=self.bucket, Key=key, IfMatch=etag, **kwargs)
            except Exception as exc:  # noqa: BLE001
                raise self._unavailable(exc, f"read of {key}") from exc
            return _iter_body(obj["Body"])

        stream = _respond(key, size, etag, range_header, if_none_match)
        if stream.status in (200, 206):
            start = stream.offset
            end = start + stream.length - 1
            if stream.length == 0:
                stream.body = iter(())
            else:
                # Open now, so that S3 being down is a 503 before any byte is sent.
                stream.body = opener(start, end, stream.status == 206)
        return stream

    def list_keys(self, prefix: str) -> list[str]:
        keys: list[str] = []
        try:
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                keys.extend(obj["Key"] for obj in page.get("Contents", []))
        except Exception as exc:  # noqa: BLE001
            raise self._unavailable(exc, f"list of {prefix}") from exc
        return keys

    def delete_prefix(self, prefix: str) -> int:
        keys = self.list_keys(prefix)
        try:
            for i in range(0, len(keys), 1000):
                batch = [{"Key": k} for k in keys[i : i + 1000]]
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
        except Exception as exc:  # noqa: BLE001
            raise self._unavailable(exc, f"delete of {prefix}") from exc
        self.abort_uploads(prefix, older_than=None)
        return len(keys)

    def download(self, key: str, dest: str) -> None:
        try:
            self.client.download_file(self.bucket, key, dest)
        except Exception as exc:  # noqa: BLE001
            if self._is_missing(exc):
                raise ObjectNotFound(key) from None
            raise self._unavailable(exc, f"download of {key}") from exc

    def list_uploads(self, prefix: str = "videos/") -> list[dict]:
        try:
            resp = self.client.list_multipart_uploads(Bucket=self.bucket, Prefix=prefix)
        except Exception as exc:  # noqa: BLE001
            raise self._unavailable(exc, "list_multipart_uploads") from exc
        return resp.get("Uploads", [])

    def abort_uploads(
        self,
        prefix: str = "videos/",
        older_than: timedelta | None = timedelta(hours=1),
        keep: Callable[[str], bool] | None = None,
    ) -> int:
        """Abort incomplete multipart uploads under `prefix` (older than `older_than`,
        and not those whose key `keep` says are still wanted)."""
        aborted = 0
        now = datetime.now(UTC)
        for up in self.list_uploads(prefix):
            initiated = up.get("Initiated")
            if older_than is not None and initiated is not None and now - initiated < older_than:
                continue
            if keep is not None and keep(up["Key"]):
                continue
            try:
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=up["Key"], UploadId=up["UploadId"])
                aborted += 1
            except Exception as exc:  # noqa: BLE001 - tried again at the next sweep
                log.warning("could not abort multipart upload %s: %s", up["Key"], exc)
        return aborted

    def sweep(self, older_than: timedelta = timedelta(hours=1)) -> int:
        """Abort the multipart uploads an unreachable S3 left behind: older than
        `older_than`, and not of a video whose source is still in the temp folder (an
        upload or a packaging job at work, however long it takes; a failed upload's
        source is removed before it answers)."""
        return self.abort_uploads("videos/", older_than, keep=self._source_in_temp)

    def _source_in_temp(self, key: str) -> bool:
        video_id = key.split("/")[1] if key.count("/") >= 2 else ""
        if not valid_video_id(video_id):
            return False
        return any((Path(self.settings.temp_dir) / "sources").glob(f"{video_id}.*"))


def _iter_body(body) -> Iterator[bytes]:
    try:
        while True:
            chunk = body.read(CHUNK)
            if not chunk:
                break
            yield chunk
    finally:
        body.close()


def make_storage(settings: Settings) -> LocalStorage | S3Storage:
    if settings.storage_backend == "s3":
        return S3Storage(settings)
    return LocalStorage(settings.storage_dir)
