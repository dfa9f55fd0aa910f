"""The five processes Reelhouse is made of, listed once.

`make run` (scripts/run.py) starts them from this list, the test and benchmark stacks
(harness.stack) too, and tests/unit/test_process_list.py checks that docker-compose.yml's
services and the Kubernetes manifests' Deployments are these same five.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the repository
BIN = Path(sys.executable).parent  # the virtualenv's scripts (gunicorn, weed)
GUNICORN_CONF = "python:vs_common.gunicorn_conf"


@dataclass(frozen=True)
class Process:
    """One process: its name, its code, how it starts and where it listens."""

    name: str  # everywhere: make run's log prefix, the compose service, the Deployment
    key: str  # the harness's short name: stack["auth"], stack.url("auth")
    folder: str  # the folder of its code, where it runs
    module: str | None  # started as `python -m <module>`; None: gunicorn serving the folder's wsgi:app
    port_variable: str  # make run's variable for its port
    port: int  # its port by default (make run, compose, the manifests)
    internal: bool  # only the other services reach it: make run binds it to 127.0.0.1

    def command(self) -> list[str]:
        """The command line that starts it, with this interpreter's virtualenv."""
        if self.module is not None:
            return [sys.executable, "-m", self.module]
        return [str(BIN / "gunicorn"), "-c", GUNICORN_CONF, "wsgi:app"]


PROCESSES = (
    Process("auth-svc", "auth", "auth-svc", None, "AUTH_PORT", 8000, internal=False),
    Process("file-svc", "file", "file-svc", None, "FILE_PORT", 4000, internal=True),
    Process("packager", "packager", "file-svc", "file_svc.packager", "PACKAGER_PORT", 4001, internal=True),
    Process("upload-webapp", "upload", "upload-webapp", None, "UPLOAD_PORT", 3000, internal=False),
    Process("streaming-svc", "streaming", "streaming-webapp", None, "STREAMING_PORT", 3100, internal=False),
)
BY_KEY = {p.key: p for p in PROCESSES}
