"""The suite's S3 store (harness.components.S3Server: SeaweedFS's `weed mini` with an
identity) refuses what S3 refuses: a URL signed and then tampered with, one used after it
expired, a request not signed at all, a wrong secret. And what the services use of S3
behaves as on S3: multipart uploads (listed, completed, aborted), listings, ranges,
conditional reads, missing keys and buckets, and CORS from the bucket's own rules only
(SeaweedFS's global default, "*", is off).

These are checks of the store the other tests run on: were it to let a forged URL
through, no test of signed delivery could fail."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from botocore.exceptions import ClientError

MiB = 1024 * 1024
BODY = bytes(range(256)) * 40  # 10240 bytes, each offset's value known


@pytest.fixture(scope="module")
def bucket(s3):
    """A bucket of this module's own, with one object, `clip.ts`."""
    name = s3.create_bucket("reelhouse-store-check")
    s3.client().put_object(Bucket=name, Key="videos/clip.ts", Body=BODY, ContentType="video/mp2t")
    return name


def presigned(s3, bucket: str, key: str = "videos/clip.ts", expires: int = 600) -> str:
    return s3.client().generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires)


def error_code(resp: requests.Response) -> str:
    found = re.search(r"<Code>([^<]+)</Code>", resp.text)
    return found.group(1) if found else ""


def code_of(exc: pytest.ExceptionInfo) -> str:
    return exc.value.response["Error"]["Code"]


def test_a_correctly_signed_url_reads_the_object(s3, bucket):
    resp = requests.get(presigned(s3, bucket), timeout=10)
    assert resp.status_code == 200, resp.text
    assert resp.content == BODY


def test_a_tampered_signature_is_refused(s3, bucket):
    """One character of the signature changed: 403 SignatureDoesNotMatch, no byte of the object."""
    url = presigned(s3, bucket)
    at = url.index("X-Amz-Signature=") + len("X-Amz-Signature=")
    tampered = url[:at] + ("0" if url[at] != "0" else "1") + url[at + 1 :]
    resp = requests.get(tampered, timeout=10)
    assert resp.status_code == 403
    assert error_code(resp) == "SignatureDoesNotMatch"
    assert BODY[:64] not in resp.content


def test_a_signature_for_another_key_is_refused(s3, bucket):
    """A valid signature moved to another object's path: 403."""
    s3.client().put_object(Bucket=bucket, Key="videos/other.ts", Body=b"other")
    url = presigned(s3, bucket, "videos/other.ts").replace("/videos/other.ts?", "/videos/clip.ts?")
    resp = requests.get(url, timeout=10)
    assert resp.status_code == 403
    assert error_code(resp) == "SignatureDoesNotMatch"


def test_an_expired_url_is_refused(s3, bucket):
    """Signed for 1 s, used 1 s after that second ended: 403 (the same URL signed for
    longer reads the object, above)."""
    url = presigned(s3, bucket, expires=1)
    signed_at = datetime.strptime(re.search(r"X-Amz-Date=(\d{8}T\d{6}Z)", url).group(1), "%Y%m%dT%H%M%SZ")
    expiry = signed_at.replace(tzinfo=UTC) + timedelta(seconds=int(re.search(r"X-Amz-Expires=(\d+)", url).group(1)))
    time.sleep(max(0.0, (expiry + timedelta(seconds=1) - datetime.now(UTC)).total_seconds()))
    resp = requests.get(url, timeout=10)
    assert resp.status_code == 403
    assert error_code(resp) == "AccessDenied" and "expired" in resp.text
    assert BODY[:64] not in resp.content


def test_unsigned_requests_are_refused(s3, bucket):
    """A plain GET, HEAD, listing and PUT, with no signature: 403, and nothing written."""
    base = f"http://127.0.0.1:{s3.port}/{bucket}"
    for method, url in [
        ("GET", f"{base}/videos/clip.ts"),
        ("HEAD", f"{base}/videos/clip.ts"),
        ("GET", f"{base}?list-type=2"),
        ("PUT", f"{base}/videos/planted.ts"),
    ]:
        resp = requests.request(method, url, data=b"planted" if method == "PUT" else None, timeout=10)
        assert resp.status_code == 403, (method, url, resp.status_code)
    assert s3.keys("videos/planted", bucket=bucket) == []


def test_a_wrong_secret_or_an_unknown_key_is_refused(s3, bucket):
    import boto3
    from botocore.config import Config

    def client(key: str, secret: str):
        return boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{s3.port}",
            region_name=s3.region,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
        )

    with pytest.raises(ClientError) as wrong_secret:
        client(s3.key, s3.secret + "x").get_object(Bucket=bucket, Key="videos/clip.ts")
    assert code_of(wrong_secret) == "SignatureDoesNotMatch"
    with pytest.raises(ClientError) as unknown:
        client("not-a-key", s3.secret).get_object(Bucket=bucket, Key="videos/clip.ts")
    assert code_of(unknown) == "InvalidAccessKeyId"


def test_multipart_uploads_are_listed_completed_and_aborted(s3, bucket):
    """As file-svc writes a large file (and its sweep finds the leftovers): the upload is
    listed with its real start time until it is completed or aborted."""
    c = s3.client()
    key, dropped = "videos/mp/original.mkv", "videos/mp/dropped.mkv"
    parts = [bytes([7]) * (5 * MiB), b"tail" * 256]
    upload = c.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    other = c.create_multipart_upload(Bucket=bucket, Key=dropped)["UploadId"]
    listed = {u["Key"]: u for u in c.list_multipart_uploads(Bucket=bucket, Prefix="videos/mp/")["Uploads"]}
    assert set(listed) == {key, dropped} and listed[key]["UploadId"] == upload
    assert abs(datetime.now(UTC) - listed[key]["Initiated"]) < timedelta(minutes=5)
    etags = [
        c.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=n, Body=body)["ETag"]
        for n, body in enumerate(parts, start=1)
    ]
    assert [p["PartNumber"] for p in c.list_parts(Bucket=bucket, Key=key, UploadId=upload)["Parts"]] == [1, 2]
    done = c.complete_multipart_upload(
        Bucket=bucket,
        Key=key,
        UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, start=1)]},
    )
    assert re.fullmatch(r'"[0-9a-f]{32}-2"', done["ETag"]), done["ETag"]  # S3's multipart ETag
    assert c.get_object(Bucket=bucket, Key=key)["Body"].read() == b"".join(parts)
    c.abort_multipart_upload(Bucket=bucket, Key=dropped, UploadId=other)
    assert c.list_multipart_uploads(Bucket=bucket, Prefix="videos/mp/").get("Uploads", []) == []
    with pytest.raises(ClientError) as gone:
        c.upload_part(Bucket=bucket, Key=dropped, UploadId=other, PartNumber=1, Body=b"late")
    assert code_of(gone) == "NoSuchUpload"
    assert s3.keys("videos/mp/", bucket=bucket) == [key]


def test_listings_page_and_see_writes_and_deletes_at_once(s3, bucket):
    c = s3.client()
    keys = [f"videos/list/{name}" for name in ("a/1.ts", "a/2.ts", "b/1.ts", "c.jpg", "d.m3u8")]
    for key in keys:
        c.put_object(Bucket=bucket, Key=key, Body=key.encode())
    pages = list(c.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="videos/list/", MaxKeys=2))
    assert len(pages) == 3
    assert [o["Key"] for page in pages for o in page.get("Contents", [])] == keys
    folders = c.list_objects_v2(Bucket=bucket, Prefix="videos/list/", Delimiter="/")
    assert [p["Prefix"] for p in folders["CommonPrefixes"]] == ["videos/list/a/", "videos/list/b/"]
    assert [o["Key"] for o in folders["Contents"]] == ["videos/list/c.jpg", "videos/list/d.m3u8"]
    c.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True})
    assert s3.keys("videos/list/", bucket=bucket) == []


def test_ranges_and_conditional_reads(s3, bucket):
    """What file-svc and the players ask: byte ranges (signed or presigned), a read
    pinned to the ETag it saw (IfMatch), a revalidation (IfNoneMatch)."""
    c = s3.client()
    head = c.head_object(Bucket=bucket, Key="videos/clip.ts")
    assert head["ContentLength"] == len(BODY)
    for asked, start, end in [("bytes=0-9", 0, 9), ("bytes=10000-", 10000, 10239), ("bytes=-5", 10235, 10239)]:
        part = c.get_object(Bucket=bucket, Key="videos/clip.ts", Range=asked)
        assert part["ContentRange"] == f"bytes {start}-{end}/{len(BODY)}", asked
        assert part["Body"].read() == BODY[start : end + 1], asked
    resp = requests.get(presigned(s3, bucket), headers={"Range": "bytes=256-511"}, timeout=10)
    assert resp.status_code == 206 and resp.content == BODY[256:512]
    resp = requests.get(presigned(s3, bucket), headers={"Range": "bytes=20000-20001"}, timeout=10)
    assert resp.status_code == 416
    assert c.get_object(Bucket=bucket, Key="videos/clip.ts", IfMatch=head["ETag"])["Body"].read() == BODY
    with pytest.raises(ClientError) as changed:
        c.get_object(Bucket=bucket, Key="videos/clip.ts", IfMatch='"0123456789abcdef0123456789abcdef"')
    assert changed.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    with pytest.raises(ClientError) as same:
        c.get_object(Bucket=bucket, Key="videos/clip.ts", IfNoneMatch=head["ETag"])
    assert same.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304


def test_missing_keys_and_buckets_are_errors_not_creations(s3, bucket):
    """A missing key is 404; a write to a missing bucket does not create it (SeaweedFS
    would by default: -s3.autoCreateBucket=false); a bucket with objects is not deleted."""
    c = s3.client()
    with pytest.raises(ClientError) as missing:
        c.get_object(Bucket=bucket, Key="videos/none.ts")
    assert code_of(missing) == "NoSuchKey"
    with pytest.raises(ClientError) as no_head:
        c.head_object(Bucket=bucket, Key="videos/none.ts")
    assert no_head.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(ClientError) as no_bucket:
        c.put_object(Bucket="reelhouse-never-made", Key="videos/x.ts", Body=b"x")
    assert code_of(no_bucket) == "NoSuchBucket"
    with pytest.raises(ClientError) as not_there:
        c.head_bucket(Bucket="reelhouse-never-made")
    assert not_there.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(ClientError) as not_empty:
        c.delete_bucket(Bucket=bucket)
    assert code_of(not_empty) == "BucketNotEmpty"
    assert s3.create_bucket(bucket) == bucket  # already ours: kept, objects and all
    assert c.head_object(Bucket=bucket, Key="videos/clip.ts")["ContentLength"] == len(BODY)


def preflight(s3, bucket: str, origin: str) -> requests.Response:
    return requests.options(
        f"http://127.0.0.1:{s3.port}/{bucket}/videos/clip.ts",
        headers={"Origin": origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "range"},
        timeout=10,
    )


def test_cors_comes_from_the_bucket_rules_only(s3, bucket):
    """No rule on the bucket: a browser's preflight is refused and a read carries no
    Access-Control-Allow-Origin (SeaweedFS answers `*` by default). A rule for one origin:
    that origin only, until the rule is removed."""
    allowed, other = "http://player.example.test", "http://elsewhere.example.test"
    c = s3.client()
    resp = preflight(s3, bucket, allowed)
    assert resp.status_code == 403 and "Access-Control-Allow-Origin" not in resp.headers
    read = requests.get(presigned(s3, bucket), headers={"Origin": allowed}, timeout=10)
    assert read.status_code == 200 and "Access-Control-Allow-Origin" not in read.headers
    rule = {"AllowedOrigins": [allowed], "AllowedMethods": ["GET", "HEAD"], "AllowedHeaders": ["Range"]}
    c.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [rule]})
    try:
        resp = preflight(s3, bucket, allowed)
        assert resp.status_code == 200
        assert resp.headers["Access-Control-Allow-Origin"] == allowed
        assert "GET" in resp.headers["Access-Control-Allow-Methods"]
        read = requests.get(presigned(s3, bucket), headers={"Origin": allowed, "Range": "bytes=0-3"}, timeout=10)
        assert read.status_code == 206 and read.headers["Access-Control-Allow-Origin"] == allowed
        resp = preflight(s3, bucket, other)
        assert resp.status_code == 403 and "Access-Control-Allow-Origin" not in resp.headers
    finally:
        c.delete_bucket_cors(Bucket=bucket)
    resp = preflight(s3, bucket, allowed)
    assert resp.status_code == 403 and "Access-Control-Allow-Origin" not in resp.headers
