#!/usr/bin/env python3
"""Stand-in for SeaweedFS (``weed server -s3 ...``), for local tests only.

- Serves moto's in-memory S3 on 0.0.0.0:8333 (STANDIN_S3_PORT to change).
- Ignores its command-line arguments: it is both the image's entrypoint and
  /usr/local/bin/weed, so a compose file that runs ``weed server ... -s3 ...`` (through
  its own ``sh -c`` entrypoint, or as the command) starts this instead.
- Creates the bucket(s) named in S3_BUCKET (comma-separated) in S3_REGION. It uses
  AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, but any values work.
- Answers GET /healthz and /status on the S3 port, and GET /cluster/status,
  /cluster/healthz, /healthz and /status on the master port 0.0.0.0:9333
  (STANDIN_MASTER_PORT). These return 200 once the bucket exists and 503 before.
- Data lives in memory: a restart starts empty.
"""

import json
import os
import signal
import sys
import threading
import time

import boto3
from botocore.config import Config
from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import WSGIRequestHandler, make_server

PORT = int(os.environ.get("STANDIN_S3_PORT", "8333"))
MASTER_PORT = int(os.environ.get("STANDIN_MASTER_PORT", "9333"))
S3_STATUS = ("/healthz", "/status")
MASTER_STATUS = ("/cluster/status", "/cluster/healthz", "/healthz", "/status")
READY = threading.Event()


def log(msg):
    print(f"[seaweedfs stand-in] {msg}", flush=True)


class Handler(WSGIRequestHandler):
    def log_request(self, code="-", size="-"):
        if self.path not in MASTER_STATUS:  # healthchecks: not logged
            super().log_request(code, size)


def status(start_response):
    ok = READY.is_set()
    body = json.dumps({"IsLeader": True, "Leader": f"127.0.0.1:{MASTER_PORT}", "status": "ok" if ok else "starting"})
    body = body.encode()
    start_response(
        "200 OK" if ok else "503 Service Unavailable",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]


def is_status(environ, paths):
    return environ.get("PATH_INFO") in paths and environ.get("REQUEST_METHOD") in ("GET", "HEAD")


def s3_app():
    moto_app = DomainDispatcherApplication(create_backend_app)

    def app(environ, start_response):
        if is_status(environ, S3_STATUS):
            return status(start_response)
        return moto_app(environ, start_response)

    return app


def master_app(environ, start_response):
    if is_status(environ, MASTER_STATUS):
        return status(start_response)
    start_response("404 Not Found", [("Content-Length", "0")])
    return [b""]


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
    log(f"ready: S3 on 0.0.0.0:{PORT}, status on 0.0.0.0:{MASTER_PORT}")


def main():
    if len(sys.argv) > 1:
        log(f"ignoring arguments: {' '.join(sys.argv[1:])}")
    server = make_server("0.0.0.0", PORT, s3_app(), threaded=True, request_handler=Handler)
    master = make_server("0.0.0.0", MASTER_PORT, master_app, threaded=True, request_handler=Handler)

    def stop(signum, frame):
        log(f"signal {signum}, stopping")
        threading.Thread(target=master.shutdown, daemon=True).start()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def setup():
        try:
            create_buckets()
        except Exception as exc:  # a stand-in without its bucket is useless: exit
            log(f"creating the bucket failed: {exc!r}")
            os._exit(1)

    threading.Thread(target=master.serve_forever, daemon=True).start()
    threading.Thread(target=setup, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
