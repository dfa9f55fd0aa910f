"""A placeholder secret is warned about once per kind of process (issue 24: `make run`'s
banner drowned in the same line from every gunicorn worker): three workers of one app,
started by the project's gunicorn settings, say it once; production still refuses it."""

from __future__ import annotations

import os
import subprocess
import time

from harness import ROOT, free_port
from harness.processes import BIN, GUNICORN_CONF

APP = """
import os
import pathlib

from vs_common.settings import check_secrets, load_settings

check_secrets(load_settings(), "demo-svc", ("SECRET_KEY",))
pathlib.Path("loaded-%d" % os.getpid()).touch()  # this worker's app is loaded


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
"""


def _serve(tmp_path, app_env: str) -> str:
    """gunicorn with three workers on the app above; its log once all three loaded it (or it exited)."""
    (tmp_path / "wsgi.py").write_text(APP)
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "APP_ENV")},
        "PYTHONPATH": str(ROOT / "common"),
        "ENV_FILE": os.devnull,
        "WEB_CONCURRENCY": "3",
        "PORT": str(free_port()),
        "BIND_HOST": "127.0.0.1",
        "APP_ENV": app_env,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    (tmp_path / "metrics").mkdir()
    log = tmp_path / "gunicorn.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", GUNICORN_CONF, "wsgi:app"], cwd=tmp_path, env=env, stdout=out, stderr=out
        )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if len(list(tmp_path.glob("loaded-*"))) >= 3:
                break
            time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return log.read_text(errors="replace")


def test_three_workers_warn_once(tmp_path):
    text = _serve(tmp_path, "development")
    assert len(list(tmp_path.glob("loaded-*"))) == 3, text
    assert text.count("demo-svc: SECRET_KEY is empty or a placeholder") == 1, text


def test_production_refuses_in_every_worker(tmp_path):
    text = _serve(tmp_path, "production")
    assert "refusing to start with APP_ENV=production" in text, text
    assert not list(tmp_path.glob("loaded-*"))  # no worker served on the placeholder
