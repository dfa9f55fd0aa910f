"""Logging set-up shared by the services: one line per record, service name first, the
request id in every line (`-` outside a request). LOG_FORMAT=json: one JSON object per
line instead (time, service, level, logger, request_id, message, exception)."""

from __future__ import annotations

import json
import logging
import sys
import time

SERVICE = "-"  # set by setup_logging; gunicorn's access log (gunicorn_conf) reads it too


class RequestIdFilter(logging.Filter):
    """Adds `record.request_id` and `record.service` (a handler filter: every record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            from .observe import current_request_id

            record.request_id = current_request_id() or "-"
        record.service = SERVICE
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "service": getattr(record, "service", SERVICE),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        for key in ("method", "path", "status", "bytes", "duration_ms", "remote"):
            if hasattr(record, key):
                out[key] = getattr(record, key)
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def text_formatter(service: str) -> logging.Formatter:
    return logging.Formatter(f"%(asctime)s {service} %(levelname)s %(name)s [%(request_id)s]: %(message)s")


def setup_logging(service: str, level: str = "INFO", fmt: str = "text") -> None:
    """Configure the root logger once for `service` (idempotent)."""
    global SERVICE
    SERVICE = service
    root = logging.getLogger()
    if getattr(root, "_vs_configured", False):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else text_formatter(service))
    handler.addFilter(RequestIdFilter())
    root.handlers[:] = [handler]
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    logging.getLogger("botocore").setLevel(logging.WARNING)
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    root._vs_configured = True  # type: ignore[attr-defined]
