#!/usr/bin/env python3
"""Stand-in for the SeaweedFS S3 gateway (local tests only).

Serves moto's in-memory S3 on 0.0.0.0:8333 (STANDIN_S3_PORT to change), ignores its
command-line arguments (the compose file's SeaweedFS command), creates the bucket(s)
named in S3_BUCKET (comma-separated) with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
(any values work) in S3_REGION, and answers GET /healthz and /status with 200 once the
bucket exists (503 before). Data lives in memory: a restart starts empty.
"""
import os
import signal
import sys
import threading
import time

import boto3
from botocore.config import Config
from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

PORT = int(os.environ.get("STANDIN_S3_PORT", "8333"))
READY = threading.Event()


def log(msg):
    print(f"[seaweedfs stand-in] {msg}", flush=True)


def make_app():
    moto_app = DomainDispatcherApplication(create_backend_app)

    def app(environ, start_response):
        if environ.get("PATH_INFO") in ("/healthz", "/status") and environ.get(
            "REQUEST_METHOD"
        ) in ("GET", "HEAD"):
            ok = READY.is_set()
            body = b'{"status":"ok"}' if ok else b'{"status":"starting"}'
            start_response(
                "200 OK" if ok else "503 Service Unavailable",
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]
        return moto_app(environ, start_response)

    return app


def create_buckets():
    names = [b.strip() for b in os.environ.get("S3_BUCKET", "").split(",") if b.strip()]
    region = os.environ.get("S3_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    s3 = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{PORT}",
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID") or "standin",
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY") or "standin",
        region_name=region,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )
    for _ in range(100):
        try:
            s3.list_buckets()
            break
        except Exception:  # server not up yet
            time.sleep(0.1)
    for name in names:
        kwargs = {"Bucket": name}
        if region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        try:
            s3.create_bucket(**kwargs)
            log(f"created bucket {name} ({region})")
        except s3.exceptions.BucketAlreadyOwnedByYou:
            pass
    READY.set()
    log(f"ready on 0.0.0.0:{PORT}")


def main():
    if len(sys.argv) > 1:
        log(f"ignoring arguments: {' '.join(sys.argv[1:])}")
    server = make_server("0.0.0.0", PORT, make_app(), threaded=True)

    def stop(signum, frame):
        log(f"signal {signum}, stopping")
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    threading.Thread(target=create_buckets, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
