"""A stack: the five processes (harness.processes) wired together on free loopback
ports, each logging into the stack's folder; on SQLite and local storage by default, or
on MariaDB and the S3 server (`stack_env`).

Stack holds the processes only. What a test does with them goes through its API client
(`stack.api`, harness.client) and what it checks behind them through its state
(`stack.state`, harness.state); the shorthands `stack.login()`, `stack.query()`... are
those two's calls.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

import requests

from .basics import free_port, wait_until
from .client import TEST_PASSWORD, Api
from .components import MariaDB, S3Server
from .processes import BY_KEY, ROOT
from .state import StackState


class Service:
    """One of the processes of harness.processes, started with its own command line:
    a service as a gunicorn process, or the packager."""

    def __init__(self, name: str, port: int, env: dict[str, str], logdir: Path, kind: str | None = None):
        self.name = name
        self.kind = kind or name  # the process's key in harness.processes ("packager" for a second packager too)
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
        process = BY_KEY[self.kind]
        env = dict(self.env, PORT=str(self.port), PACKAGER_PORT=str(self.port), BIND_HOST="127.0.0.1")
        self.proc = subprocess.Popen(
            process.command(),
            cwd=ROOT / process.folder,
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
        self.send(sig)
        self.reap()

    def send(self, sig: int) -> None:
        """`sig` to the service's process group, if it still runs."""
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass

    def reap(self, timeout: float = 20) -> None:
        """Wait for the service to end (SIGKILL after `timeout`), and forget its process."""
        if self.proc and self.proc.poll() is None:
            try:
                self.proc.wait(timeout=timeout)
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
    """The four services and the packager wired together, on free ports.

    `mariadb`, `s3` and `bucket` are set by the fixtures that give it a MariaDB database
    and an S3 bucket (the state reads them there)."""

    mariadb: MariaDB
    s3: S3Server
    bucket: str

    def __init__(self, base: Path, env: dict[str, str]):
        self.base = base
        base.mkdir(parents=True, exist_ok=True)
        self.ports = {key: free_port() for key in BY_KEY}
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
        self.api = Api(self)
        self.state = StackState(self)

    def __getitem__(self, name: str) -> Service:
        return self.services[name]

    def start(self, together: bool = True) -> None:
        """All five at once (as `make run` starts them; a stack comes up 1-2 s sooner than
        in two waves), or auth-svc, file-svc and the packager first, then the web apps."""
        first, then = ["auth", "file", "packager"], ["upload", "streaming"]  # never an add_packager() one
        waves = [first + then] if together else [first, then]
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
        """SIGTERM to every service first, then wait for each: they shut down together.
        (One after another, a stack took 4-5 s to stop, each gunicorn up to a second: its
        workers look at their stop flag once a second; the suite stops some 30 stacks.)"""
        for svc in self.services.values():
            svc.send(signal.SIGTERM)
        for svc in self.services.values():
            svc.reap()

    def url(self, name: str) -> str:
        return self.services[name].url

    # -- shorthands: the API client's and the state's calls (harness.client, harness.state)
    def login(self, *args, **kwargs) -> str:
        return self.api.login(*args, **kwargs)

    def upload(self, *args, **kwargs) -> requests.Response:
        return self.api.upload(*args, **kwargs)

    def video(self, *args, **kwargs) -> dict:
        return self.api.video(*args, **kwargs)

    def wait_status(self, *args, **kwargs) -> dict:
        return self.api.wait_status(*args, **kwargs)

    def wait_packaged(self, *args, **kwargs) -> dict:
        return self.api.wait_packaged(*args, **kwargs)

    def wait_all_renditions(self, *args, **kwargs) -> dict:
        return self.api.wait_all_renditions(*args, **kwargs)

    def query(self, *args, **kwargs) -> list[dict]:
        return self.state.query(*args, **kwargs)

    def jobs(self, *args, **kwargs) -> list[dict]:
        return self.state.jobs(*args, **kwargs)

    def temp_files(self) -> list[str]:
        return self.state.temp_files()

    def snapshot(self) -> dict:
        return self.state.snapshot()

    def counts(self) -> dict[str, int]:
        return self.state.counts()


def own_stack(base: Path, mariadb: MariaDB, s3: S3Server, name: str, **env: str):
    """For a fixture (`yield from own_stack(...)`): a stack on a MariaDB database and an S3
    bucket of its own (`video_db_<name>`, `reelhouse-<name>`), with a second user, bob
    (TEST_PASSWORD, for the owner rules); started, and stopped once the fixture ends."""
    from werkzeug.security import generate_password_hash

    users = base / "users.txt"
    users.write_text(f"bob:{generate_password_hash(TEST_PASSWORD)}\n")
    database = mariadb.create_database(f"video_db_{name}")
    bucket = s3.create_bucket("reelhouse-" + re.sub(r"[^a-z0-9-]", "-", name.lower()))  # S3's bucket rules
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
