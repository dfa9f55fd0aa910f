#!/usr/bin/env python3
"""`make run`: the four services and the packager (harness.processes) as local processes, no Docker.

Embedded defaults (SQLite, a local storage folder under ./data), then `.env`, then the
environment (which wins). Logs are prefixed by service; Ctrl-C stops them all.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from dotenv import dotenv_values

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the harness package, with the one list of the processes

from harness.processes import PROCESSES  # noqa: E402

COLORS = ["\033[36m", "\033[33m", "\033[34m", "\033[35m", "\033[32m"]
RESET = "\033[0m"
DEFAULTS = {
    "DB_PATH": "data/video_db.sqlite3",
    "STORAGE_DIR": "data/storage",
    "TEMP_DIR": "data/temp",
    "STORAGE_BACKEND": "local",
}
PATH_VARS = ("DB_PATH", "STORAGE_DIR", "TEMP_DIR", "AUTH_USERS_FILE")


def service_env(env_file: Path | None = None) -> dict[str, str]:
    """defaults < .env < environment; relative paths resolved against the repository."""
    env: dict[str, str] = dict(DEFAULTS)
    if env_file and env_file.is_file():
        env.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    env.update(os.environ)
    for var in PATH_VARS:
        if env.get(var) and not os.path.isabs(env[var]):
            env[var] = str(ROOT / env[var])
    env["ENV_FILE"] = os.devnull  # everything is in the environment already
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("WEB_CONCURRENCY", "2")
    env["BIND_HOST"] = env.get("BIND_HOST", "0.0.0.0")
    return env


def pump(name: str, color: str, stream) -> None:
    tty = sys.stdout.isatty()
    prefix = f"{color}{name:>14}{RESET} | " if tty else f"{name:>14} | "
    for line in iter(stream.readline, b""):
        sys.stdout.write(prefix + line.decode(errors="replace"))
        sys.stdout.flush()


def main() -> int:
    env = service_env(ROOT / ".env")
    ports = {p.name: env.get(p.port_variable, str(p.port)) for p in PROCESSES}
    procs: list[subprocess.Popen] = []
    for process, color in zip(PROCESSES, COLORS, strict=True):
        child_env = dict(env, PORT=ports[process.name])
        if process.internal:  # only the services on this machine reach it
            child_env["BIND_HOST"] = "127.0.0.1"
        proc = subprocess.Popen(
            process.command(),
            cwd=ROOT / process.folder,
            env=child_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        procs.append(proc)
        threading.Thread(target=pump, args=(process.name, color, proc.stdout), daemon=True).start()

    stopping = threading.Event()

    def stop(*_):
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    upload = env.get("UPLOAD_PUBLIC_URL", "http://localhost:3000")
    user = env.get("AUTH_USERNAME", "")
    time.sleep(1.5)
    print(
        f"\n  Reelhouse is running: open {upload}/\n  Log in as {user!r} with the AUTH_PASSWORD from .env."
        f"\n  Library: {env.get('STREAMING_PUBLIC_URL', 'http://localhost:3100')}/  ·  Ctrl-C stops everything.\n",
        flush=True,
    )
    code = 0
    while not stopping.wait(0.5):
        for proc, process in zip(procs, PROCESSES, strict=True):
            if proc.poll() is not None:
                print(f"{process.name} exited with {proc.returncode}; stopping the others", flush=True)
                code = 1
                stopping.set()
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.time() + 15
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    return code


if __name__ == "__main__":
    sys.exit(main())
