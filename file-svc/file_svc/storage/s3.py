"""The S3 store (any S3-protocol server): a lazily built boto3 client with explicit
timeouts and retries; large writes as multipart uploads (`multipart`: aborted when they
fail, even through an outage). Downloads use boto3's transfer manager (`download_file`):
ranged parts, a temp name renamed at the end, bounded memory.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

from vs_common.delivery import Credentials, Signer, public_bucket
from vs_common.objects import content_type
from vs_common.observe import PRESIGN_SIGNATURES
from vs_common.settings import MiB, Settings

from .multipart import MultipartWriter
from .objects import ObjectNotFound, ObjectStream, StorageUnavailable, respond

log = logging.getLogger("file_svc.storage")
CHUNK = 256 * 1024


def _client(settings: Settings):
    """A boto3 S3 client with explicit timeouts and retry counts."""
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=min(5, settings.s3_timeout_seconds),
        read_timeout=settings.s3_timeout_seconds,
        retries={"max_attempts": settings.s3_max_attempts, "mode": "standard"},
        s3={"addressing_style": settings.s3_addressing_style},
        max_pool_connections=50,
        signature_version="s3v4",
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    return boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint_url or None,
        region_name=settings.s3_region or None,
        aws_access_key_id=settings.aws_access_key_id or None,
        aws_secret_access_key=settings.aws_secret_access_key or None,
        config=config,
    )


class S3Storage:
    """Objects in an S3 bucket. The boto3 client is built on first use."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.bucket = settings.s3_bucket
        self._client = None
        self._chain = None  # boto3's credential chain, when no key is set
        self._lock = threading.Lock()
        self.multipart = MultipartWriter(lambda: self.client, self.bucket, settings.s3_part_size_mb * MiB)
        self.signer = Signer(
            public_bucket(settings),
            settings.s3_region,
            settings.presign_ttl_seconds,
            self._credentials,
            on_sign=PRESIGN_SIGNATURES.inc,
        )

    def _credentials(self) -> Credentials:
        """The keys that sign presigned URLs: AWS_ACCESS_KEY_ID's, else boto3's chain
        (an instance role's keys rotate: a URL signed with them lives no longer than
        they do)."""
        if self.settings.aws_access_key_id:
            return Credentials(self.settings.aws_access_key_id, self.settings.aws_secret_access_key)
        if self._chain is None:
            import boto3

            self._chain = boto3.Session().get_credentials()
        if self._chain is None:
            raise StorageUnavailable("no S3 credentials to sign URLs with (AWS_ACCESS_KEY_ID, or boto3's chain)")
        access, secret, token = self._chain.get_frozen_credentials()  # botocore's ReadOnlyCredentials
        return Credentials(access, secret, token)

    @property
    def client(self):
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = _client(self.settings)
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

    def presigned_url(self, key: str, until: float | None = None) -> str:
        """A presigned GET URL of `key` on the public endpoint (vs_common.delivery: cached,
        living no later than `until`)."""
        return self.signer.url(key, until)

    def cors_rules(self) -> list[dict]:
        """The bucket's CORS rules ([] when it has none)."""
        from botocore.exceptions import ClientError

        try:
            return self.client.get_bucket_cors(Bucket=self.bucket).get("CORSRules", [])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "NoSuchCORSConfiguration":
                return []
            raise

    def put_cors_rules(self, rules: list[dict]) -> None:
        self.client.put_bucket_cors(Bucket=self.bucket, CORSConfiguration={"CORSRules": rules})

    def put_file(self, key: str, src: str) -> None:
        size = os.path.getsize(src)
        ctype = content_type(key)
        try:
            if size <= self.multipart.part_size:
                with open(src, "rb") as fh:
                    self.client.put_object(Bucket=self.bucket, Key=key, Body=fh, ContentType=ctype)
                return
            self.multipart.write(key, src, size, ctype)
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

        stream = respond(key, size, etag, range_header, if_none_match)
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

    def sweep(self, older_than: timedelta = timedelta(hours=1), keep: Callable[[str], bool] | None = None) -> int:
        """Abort the multipart uploads an unreachable S3 left behind: older than
        `older_than`, and not those `keep` says are still at work (the packager passes
        "its video's source is still in the temp folder": an upload or a packaging job
        at work, however long it takes; a failed upload's source is removed before it
        answers). The store knows nothing of the temp folder."""
        return self.abort_uploads("videos/", older_than, keep=keep)


def _iter_body(body) -> Iterator[bytes]:
    try:
        while True:
            chunk = body.read(CHUNK)
            if not chunk:
                break
            yield chunk
    finally:
        body.close()
