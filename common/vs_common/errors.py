"""One error shape for every service: JSON `{"error": "snake_case_code", "message"}`."""

from __future__ import annotations

import logging
from typing import NamedTuple

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from .db import DatabaseUnavailable

log = logging.getLogger(__name__)


def error_response(status: int, code: str, message: str, headers: dict | None = None):
    """A JSON error response that every handler uses."""
    response = jsonify(error=code, message=message)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


class Answer(NamedTuple):
    """An error answer: the HTTP status, the JSON `error` code and its message."""

    status: int
    code: str
    message: str


# The video storage (file-svc, or the store behind it) cannot be reached: every service
# answers it so, whether it is met in file-svc or in a web app calling file-svc.
STORAGE_UNAVAILABLE = Answer(503, "storage_unavailable", "The video storage is unavailable; try again shortly.")


def storage_unavailable(headers: dict | None = None):
    """The STORAGE_UNAVAILABLE answer (with `headers`)."""
    return error_response(*STORAGE_UNAVAILABLE, headers)


def _code_for(exc: HTTPException) -> str:
    return (exc.name or "error").lower().replace(" ", "_").replace("'", "")


def register_error_handlers(app: Flask) -> None:
    """Answer every error as JSON; dependencies down become 503, never a 500 page."""

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        response = error_response(exc.code or 500, _code_for(exc), exc.description or exc.name)
        if exc.code == 405 and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(DatabaseUnavailable)
    def _db_down(exc: DatabaseUnavailable):
        log.warning("database unavailable: %s", exc)
        return error_response(
            503, "database_unavailable", "The database is unavailable; try again shortly.", {"Retry-After": "5"}
        )

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")
        return error_response(500, "internal_error", "Something went wrong on our side; it has been logged.")
