"""The services' Flask apps built in this process, without gunicorn: to read their
routes, or to drive them with Flask's test client (tests/unit), with a real auth-svc
app served on a loopback port for the web apps' auth check."""

from __future__ import annotations

import contextlib
import importlib
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from .processes import ROOT


def embedded_settings(tmp: Path, name: str, **overrides):
    """Settings on the embedded defaults (SQLite `<name>.sqlite3`, local storage and a
    temp folder, all under `tmp`), with `overrides` (Settings' field names)."""
    from vs_common.settings import Settings

    values = {
        "db_path": str(tmp / f"{name}.sqlite3"),
        "storage_dir": str(tmp / "storage"),
        "temp_dir": str(tmp / "temp"),
        "internal_token": "x" * 32,
        "auth_username": "a",
        "auth_password": "b",
        **overrides,
    }
    return Settings(**values)


def in_process_app(folder: str, package: str, tmp: Path, make=None, **overrides):
    """The Flask app of the service in `folder` (its package `package`), built in this
    process on embedded settings (SQLite, local storage under `tmp`, and `overrides`).
    `make(settings)` builds another app of that folder's code (the packager's)."""
    settings = embedded_settings(tmp, package, **overrides)
    sys.path.insert(0, str(ROOT / folder))
    try:
        return make(settings) if make else importlib.import_module(package).create_app(settings)
    finally:
        sys.path.remove(str(ROOT / folder))


@contextlib.contextmanager
def served(app) -> Iterator[str]:
    """`app` served by werkzeug on a loopback port, in a thread; yields its URL. For a
    real service another app calls over HTTP (the web apps' auth check calls auth-svc)."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)  # bound here and now
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="served-app")
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
