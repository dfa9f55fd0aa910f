#!/usr/bin/env python3
"""`make run`: the four services and the packager (harness.processes) as local processes, no Docker.

Embedded defaults (SQLite, a local storage folder under ./data), then `.env`, then the
environment (which wins). Logs are prefixed by service; Ctrl-C stops them all.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from dotenv import dotenv_values, set_key

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
# AUTH_PASSWORD values a first run never starts on silently: unset, empty, or the
# placeholder of .env.example (which `make run` copies to a missing .env).
PLACEHOLDER_PASSWORDS = ("", "change-me")


def ensure_password(env_file: Path, environ: dict[str, str] | None = None) -> tuple[str | None, str | None]:
    """On a first run, a generated AUTH_PASSWORD written to `env_file` (and AUTH_USERNAME
    `admin` when none is set), so that a trial never runs on `change-me`. Returns (the new
    password, to print once; None when the login was already set) and a warning line
    when the environment itself holds the placeholder (it wins over .env: nothing to
    write, but the run must not be silent about it)."""
    environ = os.environ if environ is None else environ
    if "AUTH_PASSWORD" in environ:
        if environ["AUTH_PASSWORD"] in PLACEHOLDER_PASSWORDS:
            return None, "AUTH_PASSWORD in the environment is empty or the placeholder change-me: set a real one."
        return None, None
    values = dotenv_values(env_file) if env_file.is_file() else {}
    users_file = environ.get("AUTH_USERS_FILE") or values.get("AUTH_USERS_FILE")
    username = environ.get("AUTH_USERNAME") or values.get("AUTH_USERNAME")
    if (values.get("AUTH_PASSWORD") or "") not in PLACEHOLDER_PASSWORDS or (users_file and not username):
        return None, None  # set already, or the people come from a users file alone
    password = secrets.token_urlsafe(12)
    env_file.touch(mode=0o600, exist_ok=True)
    if not username:
        set_key(env_file, "AUTH_USERNAME", "admin", quote_mode="never")
    set_key(env_file, "AUTH_PASSWORD", password, quote_mode="never")
    return password, None


def banner(env: dict[str, str], generated: str | None) -> str:
    """The lines that say where to go and how to log in, once, after the services are up."""
    upload = env.get("UPLOAD_PUBLIC_URL", "http://localhost:3000")
    user = env.get("AUTH_USERNAME", "")
    if generated:
        login = f"Log in as {user!r} with the password {generated!r} (generated, written to .env as AUTH_PASSWORD)."
    elif user:
        login = f"Log in as {user!r} with the AUTH_PASSWORD from .env."
    else:
        login = "Log in as a user of AUTH_USERS_FILE."
    library = env.get("STREAMING_PUBLIC_URL", "http://localhost:3100")
    return f"\n  Reelhouse is running: open {upload}/\n  {login}\n  Library: {library}/  ·  Ctrl-C stops everything.\n"


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
    generated, warning = ensure_password(ROOT / ".env")
    if warning:
        print(f"  WARNING: {warning}", flush=True)
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
    time.sleep(1.5)
    print(banner(env, generated), flush=True)
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
