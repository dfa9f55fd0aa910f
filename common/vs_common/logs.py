"""Logging set-up shared by the services: one line per record, service name first, the
request id in every line (`-` outside a request). LOG_FORMAT=json: one JSON object per
line instead (time, service, level, logger, request_id, message, exception).

A record is one line whatever a client sent: messages carry paths, names and headers
that anyone can fill with CR, LF or other controls, which would start a forged line.
Text lines escape every control character (`\\n`, `\\x1b`, `\\u2028`); a traceback
follows on lines of its own, each indented, so that only a record starts at column 0.
JSON escapes them too, the line separators U+2028, U+2029 and NEL included."""

from __future__ import annotations

import json
import logging
import re
import sys
import time

# Unicode category Cc (C0, DEL, C1), the line and paragraph separators (Zl, Zp) and the
# bidirectional controls, which can make a line read as another when displayed.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_JSON_BREAKS = str.maketrans({"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"})
TRACEBACK_INDENT = "  "


def _escape(match: re.Match) -> str:
    char = match.group()
    return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def one_line(text: str) -> str:
    """`text` with every control character written as an escape: one line, as read."""
    return _UNSAFE.sub(_escape, text)


def json_line(record: dict) -> str:
    """One JSON object on one line, for any reader (json.dumps leaves U+2028, U+2029
    and NEL raw, which str.splitlines and some collectors take for line breaks)."""
    return json.dumps(record, ensure_ascii=False).translate(_JSON_BREAKS)


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
        return json_line(out)


class TextFormatter(logging.Formatter):
    """logging.Formatter's lines, one per record: the formatted line with its control
    characters escaped, then the traceback or stack (if any) indented, line by line."""

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info:
            record.exc_text = None  # made here (indented), not taken from another formatter
        return super().format(record)

    def formatMessage(self, record: logging.LogRecord) -> str:
        return one_line(super().formatMessage(record))

    def formatException(self, ei) -> str:
        return _indented(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return _indented(super().formatStack(stack_info))


def _indented(block: str) -> str:
    """A traceback's lines, readable, each indented: an exception's message that holds a
    line break continues indented, and cannot start a line that reads as a record."""
    return "\n".join(TRACEBACK_INDENT + one_line(part) for part in block.rstrip("\n").split("\n"))


def text_formatter(service: str) -> logging.Formatter:
    return TextFormatter(f"%(asctime)s {service} %(levelname)s %(name)s [%(request_id)s]: %(message)s")


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
    _plain_werkzeug_lines()
    root._vs_configured = True  # type: ignore[attr-defined]


def _plain_werkzeug_lines() -> None:
    """werkzeug's server (the packager's /healthz) colours its request lines for a
    terminal; in a log file the colour codes would only show as escapes."""
    from werkzeug import serving

    serving._log_add_style = False  # noqa: SLF001 - its one switch
