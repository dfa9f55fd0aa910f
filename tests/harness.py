"""Real components for the tests: a private MariaDB, an S3-protocol server (moto) behind
a TCP proxy that a test can cut, the four services as gunicorn processes and the packager.

Everything listens on free loopback ports (`free_port`: reserved without a race) and logs into the test's temp folder; a
service that does not come up fails with its log in the message.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# name -> (folder, gunicorn config; None for the packager, `python -m file_svc.packager`)
SERVICE_DIRS = {
    "auth": ("auth-svc", "python:vs_common.gunicorn_conf"),
    "file": ("file-svc", "python:vs_common.gunicorn_conf"),
    "packager": ("file-svc", None),
    "upload": ("upload-webapp", "python:vs_common.gunicorn_conf"),
    "streaming": ("streaming-webapp", "python:vs_common.gunicorn_conf"),
}
TEST_PASSWORD = "correct horse battery staple"


# Ports handed to the services this process starts: {port: the socket that reserves it}.
_RESERVED: dict[int, socket.socket] = {}


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def free_port() -> int:
    """A free loopback port for a service that binds it later, reserved without a race.

    Ports of the kernel's (bind 0) can be taken between the choice and the bind: the
    kernel hands them out again, to any process's outgoing connection too. So the port
    comes from below the ephemeral range, which the kernel never hands out by itself;
    a reservation per port (an abstract Unix socket named after it, held as long as this
    process lives and gone when it ends, even killed) keeps every other harness process,
    a parallel test run included, off it; and a trial bind skips one that something else
    already holds."""
    low, high = _ephemeral_range()
    first, last = (10000, low - 1) if low > 11000 else (high + 1, 65535)
    candidates = list(range(first, last + 1))
    random.shuffle(candidates)
    for port in candidates:
        if port in _RESERVED:
            continue
        lock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            lock.bind(f"\0reelhouse-test-port-{port}")
        except OSError:
            lock.close()
            continue
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn and mariadbd bind
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                lock.close()
                continue
        _RESERVED[port] = lock
        return port
    raise RuntimeError(f"no free port in {first}-{last}")


def stop_process(proc: subprocess.Popen | None, timeout: float = 30) -> None:
    """SIGTERM a process we started and wait for it; SIGKILL it after `timeout`."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wait_until(predicate, timeout: float, what: str, log: Path | None = None, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    last_exc = None
    while time.monotonic() < deadline:
        try:
            result = predicate()
            if result:
                return result
        except Exception as exc:  # noqa: BLE001 - retried until the deadline
            last_exc = exc
        time.sleep(interval)
    tail = ""
    if log is not None and log.exists():
        tail = "\n--- log tail ---\n" + "\n".join(log.read_text(errors="replace").splitlines()[-60:])
    raise TimeoutError(f"{what} not ready after {timeout}s (last error: {last_exc}){tail}")


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
    """moto in server mode on a free port, with the test bucket, behind a TcpProxy."""

    def __init__(self, base: Path, bucket: str = "reelhouse-test"):
        self.base = base
        self.port = free_port()
        self.bucket = bucket
        self.log = base / "moto.log"
        self.proc: subprocess.Popen | None = None
        self.proxy: TcpProxy | None = None
        self.key, self.secret, self.region = "testing", "testing-secret", "us-east-1"

    def start(self) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=open(self.log, "ab"),
            stderr=subprocess.STDOUT,
        )
        wait_until(
            lambda: requests.get(f"http://127.0.0.1:{self.port}/", timeout=1).status_code < 500,
            30,
            "moto_server",
            self.log,
        )
        self.client().create_bucket(Bucket=self.bucket)
        self.proxy = TcpProxy(self.port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.proxy.port}"

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{self.port}",
            region_name=self.region,
            aws_access_key_id=self.key,
            aws_secret_access_key=self.secret,
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
        """Another bucket on this server (an isolated stack)."""
        self.client().create_bucket(Bucket=name)
        return name

    def stop(self) -> None:
        if self.proxy:
            self.proxy.close()
        stop_process(self.proc, 10)


class Service:
    """One service as a gunicorn process (or the packager, as its own process)."""

    def __init__(self, name: str, port: int, env: dict[str, str], logdir: Path, kind: str | None = None):
        self.name = name
        self.kind = kind or name  # a key of SERVICE_DIRS ("packager" for a second packager too)
        self.port = port
        self.env = env
        self.log = logdir / f"{name}.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def start(self, wait: bool = True) -> None:
        folder, conf = SERVICE_DIRS[self.kind]
        env = dict(self.env, PORT=str(self.port), PACKAGER_PORT=str(self.port), BIND_HOST="127.0.0.1")
        if conf is None:
            cmd = [sys.executable, "-m", "file_svc.packager"]
        else:
            cmd = [str(BIN / "gunicorn"), "-c", conf, "wsgi:app"]
        self.proc = subprocess.Popen(
            cmd,
            cwd=ROOT / folder,
            env=env,
            stdout=open(self.log, "ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout: float = 40) -> None:
        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}")
            return requests.get(self.url + "/healthz", timeout=2).status_code == 200

        wait_until(ready, timeout, self.name, self.log)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None

    def kill(self) -> None:
        """SIGKILL the gunicorn master only (its children die with it or are orphaned)."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


class Stack:
    """The four services and the packager wired together, on free ports."""

    def __init__(self, base: Path, env: dict[str, str]):
        self.base = base
        base.mkdir(parents=True, exist_ok=True)
        self.ports = {name: free_port() for name in SERVICE_DIRS}
        self.temp_dir = base / "temp"
        self.storage_dir = base / "storage"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DB_", "S3_", "AWS_", "AUTH_", "STORAGE_"))},
            "ENV_FILE": os.devnull,
            "AUTH_USERNAME": "alice",
            "AUTH_PASSWORD": TEST_PASSWORD,
            "SECRET_KEY": "test-secret-key-0123456789",
            "INTERNAL_TOKEN": "test-internal-token-0123456789",
            "TEMP_DIR": str(self.temp_dir),
            "STORAGE_DIR": str(self.storage_dir),
            "DB_PATH": str(base / "video_db.sqlite3"),
            "AUTH_SVC_URL": f"http://127.0.0.1:{self.ports['auth']}",
            "FILE_SVC_URL": f"http://127.0.0.1:{self.ports['file']}",
            "AUTH_PUBLIC_URL": f"http://127.0.0.1:{self.ports['auth']}",
            "UPLOAD_PUBLIC_URL": f"http://127.0.0.1:{self.ports['upload']}",
            "STREAMING_PUBLIC_URL": f"http://127.0.0.1:{self.ports['streaming']}",
            "HLS_LADDER": "",
            "WEB_CONCURRENCY": "1",
            "GUNICORN_THREADS": "8",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            # This checkout's shared package first (worktrees share one virtualenv).
            "PYTHONPATH": os.pathsep.join([str(ROOT / "common"), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
            **env,
        }
        self.services = {name: Service(name, port, self.env, base) for name, port in self.ports.items()}
        if self.env.get("PACKAGER") == "0":  # no packager (bench.ingest measures uploads alone)
            del self.services["packager"]

    def __getitem__(self, name: str) -> Service:
        return self.services[name]

    def start(self, together: bool = False) -> None:
        """auth-svc, file-svc and the packager, then the web apps (or all five at once)."""
        waves = [list(self.services)] if together else [["auth", "file", "packager"], ["upload", "streaming"]]
        for wave in waves:
            wave = [name for name in wave if name in self.services]
            for name in wave:
                self.services[name].start(wait=False)
            for name in wave:
                self.services[name].wait_ready()

    def add_packager(self, name: str, **env: str) -> Service:
        """Another packager process on this stack's database, store and temp folder."""
        svc = Service(name, free_port(), {**self.env, **env}, self.base, kind="packager")
        self.services[name] = svc
        return svc

    def stop(self) -> None:
        for svc in self.services.values():
            svc.stop()

    def url(self, name: str) -> str:
        return self.services[name].url

    # -- conveniences for tests --------------------------------------------------------
    def login(self, username: str = "alice", password: str = TEST_PASSWORD) -> str:
        resp = requests.post(
            self.url("auth") + "/api/login",
            data={"username": username, "password": password},
            headers={"Accept": "application/json"},
            timeout=10,
        )
        resp.raise_for_status()
        return resp.json()["token"]

    def upload(self, token: str, path: Path, name: str | None = None, timeout: float = 120) -> requests.Response:
        data = {"name": name} if name is not None else {}
        with open(path, "rb") as fh:
            return requests.post(
                self.url("upload") + "/api/upload",
                files={"file": (path.name, fh)},
                data=data,
                headers={"Authorization": f"Bearer {token}"},
                timeout=timeout,
            )

    def video(self, token: str, video_id: str) -> dict:
        resp = requests.get(
            f"{self.url('streaming')}/api/videos/{video_id}", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        resp.raise_for_status()
        return resp.json()

    def wait_status(self, token: str, video_id: str, statuses=("ready", "failed"), timeout: float = 120) -> dict:
        return wait_until(
            lambda: (v := self.video(token, video_id))["status"] in statuses and v,
            timeout,
            f"video {video_id} {statuses}",
            self["packager"].log,
            interval=0.25,
        )

    def query(self, sql: str, params=()) -> list[dict]:
        """A query on this stack's database (MariaDB or SQLite): `?` placeholders."""
        if self.env.get("DB_HOST"):
            from vs_common.db import pyformat  # the services' own `?` rewriting

            return self.mariadb.query(pyformat(sql), params, database=self.env["DB_NAME"])
        import sqlite3

        with sqlite3.connect(self.env["DB_PATH"]) as conn:
            conn.row_factory = sqlite3.Row
            return [dict(r) for r in conn.execute(sql, params).fetchall()]

    def jobs(self, video_id: str) -> list[dict]:
        """The packaging jobs of a video (stage, label, status, attempts...), oldest first."""
        return self.query("SELECT * FROM packaging_jobs WHERE video_id = ? ORDER BY id", (video_id,))

    def wait_packaged(self, token: str, video_id: str, timeout: float = 120) -> dict:
        """Ready (or failed), and every packaging job over: thumbnails and other renditions
        follow `ready`, so counts of what is stored settle only then."""
        self.wait_status(token, video_id, timeout=timeout)
        wait_until(
            lambda: all(j["status"] in ("done", "failed") for j in self.jobs(video_id)),
            timeout,
            f"jobs of {video_id} over",
            self["packager"].log,
            interval=0.25,
        )
        return self.video(token, video_id)

    def wait_all_renditions(self, token: str, video_id: str, timeout: float = 180) -> dict:
        def done():
            v = self.video(token, video_id)
            return v["status"] in ("ready", "failed") and all(r["status"] != "pending" for r in v["renditions"]) and v

        return wait_until(done, timeout, f"renditions of {video_id}", self["packager"].log, interval=0.5)

    def temp_files(self) -> list[str]:
        if not self.temp_dir.exists():
            return []
        return sorted(str(p.relative_to(self.temp_dir)) for p in self.temp_dir.rglob("*") if p.is_file())

    def snapshot(self) -> dict:
        """What a failure could leave behind, by name: video ids, the number of jobs,
        object keys, multipart uploads' keys, temp files.

        Needs `self.mariadb` and `self.s3` (set by the fixtures) for the MariaDB + S3 stacks;
        the embedded-defaults stack is read from its SQLite file and storage folder."""
        if self.env.get("STORAGE_BACKEND") == "s3":
            bucket = self.env["S3_BUCKET"]
            objects = self.s3.keys(bucket=bucket)
            multipart = [u["Key"] for u in self.s3.multipart_uploads(bucket=bucket)]
        else:
            videos = self.storage_dir / "videos"
            objects = [str(p.relative_to(self.storage_dir)) for p in videos.rglob("*") if p.is_file()]
            multipart = []
        return {
            "rows": sorted(r["id"] for r in self.query("SELECT id FROM videos")),
            "jobs": int(self.query("SELECT COUNT(*) AS n FROM packaging_jobs")[0]["n"]),
            "objects": sorted(objects),
            "multipart": sorted(multipart),
            "temp": self.temp_files(),
        }

    def counts(self) -> dict[str, int]:
        """The snapshot's numbers: rows, jobs, objects, multipart uploads, temp files."""
        snap = self.snapshot()
        return {
            "rows": len(snap["rows"]),
            "jobs": snap["jobs"],
            "objects": len(snap["objects"]),
            "multipart_uploads": len(snap["multipart"]),
            "temp_files": len(snap["temp"]),
        }


def own_stack(base: Path, mariadb: MariaDB, s3: S3Server, name: str, **env: str):
    """For a fixture (`yield from own_stack(...)`): a stack on a MariaDB database and an S3
    bucket of its own (`video_db_<name>`, `reelhouse-<name>`), with a second user, bob
    (TEST_PASSWORD, for the owner rules); started, and stopped once the fixture ends."""
    from werkzeug.security import generate_password_hash

    users = base / "users.txt"
    users.write_text(f"bob:{generate_password_hash(TEST_PASSWORD)}\n")
    database = mariadb.create_database(f"video_db_{name}")
    bucket = s3.create_bucket(f"reelhouse-{name}")
    st = Stack(base, {**stack_env(mariadb, s3, database, bucket), "AUTH_USERS_FILE": str(users), **env})
    st.mariadb, st.s3, st.bucket = mariadb, s3, bucket
    st.start()
    try:
        yield st
    finally:
        st.stop()


def stack_env(
    mariadb: MariaDB,
    s3: S3Server,
    database: str | None = None,
    bucket: str | None = None,
    *,
    direct: bool = False,
    **overrides: str,
) -> dict[str, str]:
    """The environment of a stack on MariaDB and the S3 server (a database and bucket of
    its own when given). `direct` skips the cuttable TCP proxy in front of S3."""
    return {
        **mariadb.env(database),
        "STORAGE_BACKEND": "s3",
        "S3_ENDPOINT_URL": f"http://127.0.0.1:{s3.port}" if direct else s3.url,
        "S3_BUCKET": bucket or s3.bucket,
        "S3_REGION": s3.region,
        "AWS_ACCESS_KEY_ID": s3.key,
        "AWS_SECRET_ACCESS_KEY": s3.secret,
        "S3_ADDRESSING_STYLE": "path",
        "S3_PART_SIZE_MB": "5",
        "S3_TIMEOUT_SECONDS": "5",
        "S3_MAX_ATTEMPTS": "2",
        **overrides,
    }


def in_process_app(folder: str, package: str, tmp: Path, make=None):
    """The Flask app of the service in `folder` (its package `package`), built in this
    process on embedded settings (SQLite, local storage under `tmp`): to read its routes.
    `make(settings)` builds another app of that folder's code (the packager's)."""
    import importlib

    from vs_common.settings import Settings

    settings = Settings(
        db_path=str(tmp / f"{package}.sqlite3"),
        storage_dir=str(tmp / "storage"),
        temp_dir=str(tmp / "temp"),
        internal_token="x" * 32,
        auth_username="a",
        auth_password="b",
    )
    sys.path.insert(0, str(ROOT / folder))
    try:
        return make(settings) if make else importlib.import_module(package).create_app(settings)
    finally:
        sys.path.remove(str(ROOT / folder))


def make_clip(
    path: Path,
    seconds: float = 2,
    size: str = "320x240",
    vcodec: str = "libx264",
    acodec: str | None = "aac",
    extra: list[str] | None = None,
    rate: int = 25,
    pix_fmt: str = "yuv420p",
    fmt: str | None = None,
) -> Path:
    """A short test video from ffmpeg's lavfi sources (never committed)."""
    cmd = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds}"]
    if acodec:
        cmd += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    cmd += ["-c:v", vcodec]
    if vcodec == "libx264":
        cmd += ["-preset", "ultrafast", "-g", str(rate * 2)]
    if pix_fmt:
        cmd += ["-pix_fmt", pix_fmt]
    if acodec:
        cmd += ["-c:a", acodec, "-shortest"]
    cmd += extra or []
    if fmt:
        cmd += ["-f", fmt]
    cmd.append(str(path))
    subprocess.run(cmd, check=True, capture_output=True)
    return path


def ffprobe_url(url: str, cookie: str) -> dict:
    """ffprobe an HLS URL with the session cookie; returns its JSON."""
    import json

    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-headers",
            f"Cookie: auth_token={cookie}\r\n",
            "-show_format",
            "-show_streams",
            "-of",
            "json",
            url,
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return json.loads(out.stdout)
