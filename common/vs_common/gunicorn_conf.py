"""Shared gunicorn settings: `gunicorn -c python:vs_common.gunicorn_conf wsgi:app`.

Threads (gthread) so that a long upload or a slow reader holds a thread, not a process.
PORT, WEB_CONCURRENCY and GUNICORN_THREADS tune it; the same command runs under
`make run`, the tests and the containers.

Metrics: each server gets its own PROMETHEUS_MULTIPROC_DIR (made under the temp folder
unless set, emptied at start, its dead workers' files merged), so `/metrics` answered
by any worker counts every worker. Access lines carry the request id; LOG_FORMAT=json
makes them, and gunicorn's own lines, JSON objects. Paths that hold a secret (an
invitation link's token) are logged with `[link]` in its place.
"""

import os
import re
import shutil
import tempfile

from dotenv import dotenv_values
from gunicorn.glogging import Logger

bind = f"{os.environ.get('BIND_HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "16"))
timeout = 120
graceful_timeout = 10
keepalive = 15
accesslog = "-" if os.environ.get("ACCESS_LOG", "1") == "1" else None
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms [%({x-request-id}o)s]'
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
limit_request_field_size = 16384
# gunicorn >= 25 opens a control socket at one fixed path per user: several services
# on one machine would fight over it. Older versions ignore this setting.
control_socket_disable = True

_LOG_FORMAT = (
    (os.environ.get("LOG_FORMAT") or dotenv_values(os.environ.get("ENV_FILE") or ".env").get("LOG_FORMAT") or "text")
    .strip()
    .lower()
)
_OWN_METRICS_DIR = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _OWN_METRICS_DIR:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="reelhouse-metrics-")


# The path segments that are secrets: whoever reads the log must not be able to use them.
_SECRET_SEGMENT = re.compile(r"((?:^|\s)/(?:api/)?invite/)[^/?#\s]+")


def redact(text: str) -> str:
    """`text` (a request line or a path) with every secret path segment as `[link]`."""
    return _SECRET_SEGMENT.sub(r"\1[link]", text)


class RequestLogger(Logger):
    """gunicorn's logger; with LOG_FORMAT=json, every line is one JSON object; in text,
    gunicorn's lines, like the services', escape control characters (one line each)."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms

    def setup(self, cfg):
        super().setup(cfg)
        from vs_common.logs import JsonFormatter, TextFormatter

        if _LOG_FORMAT == "json":  # access lines are made JSON in access()
            for handler in self.error_log.handlers:
                handler.setFormatter(JsonFormatter())
            return
        for handler in self.error_log.handlers:
            handler.setFormatter(TextFormatter(self.error_fmt, self.datefmt))
        for handler in self.access_log.handlers:
            handler.setFormatter(TextFormatter(self.access_fmt))

    def access(self, resp, req, environ, request_time):
        if _LOG_FORMAT != "json":
            return super().access(resp, req, environ, request_time)
        if not self.access_log_enabled:
            return None
        from vs_common import logs

        atoms = self.atoms(resp, req, environ, request_time)
        record = {
            "time": self.now().strip("[]"),
            "service": logs.SERVICE,
            "level": "INFO",
            "logger": "access",
            "request_id": atoms.get("{x-request-id}o", "-"),
            "message": atoms["r"],
            "method": atoms["m"],
            "path": atoms["U"],
            "status": int(atoms["s"]) if str(atoms["s"]).isdigit() else atoms["s"],
            "bytes": atoms["B"],
            "duration_ms": atoms["M"],
            "remote": atoms["h"],
        }
        self.access_log.info("%s", logs.json_line(record))
        return None


logger_class = RequestLogger


def on_starting(server):
    """Start from an empty metrics folder: files of a previous run would be counted."""
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        if name.endswith(".db"):
            os.unlink(os.path.join(folder, name))


def post_fork(server, worker):
    """Runs in each new worker before it loads the app: its rank (1 for the first one
    forked), so that a start-up warning (settings.check_secrets) is said by one worker of
    the service, not by every one of them."""
    os.environ["GUNICORN_WORKER_AGE"] = str(worker.age)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _OWN_METRICS_DIR:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
