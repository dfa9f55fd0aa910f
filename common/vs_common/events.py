"""Webhook events, written to the outbox (tables.webhooks) in the transaction of the change
they report: committed with it, or not at all, and kept across restarts until a
packager's delivery worker (file_svc.packager.webhooks) has sent them.

An event's body is `{"type", "timestamp", "data"}` (the Standard Webhooks payload; `data`
the VIDEO of design.md), made once: every delivery and retry sends the same bytes under
the same `webhook-id` (its message id), so that a receiver can drop duplicates.
An event no endpoint subscribes to is not written at all.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable

from . import tables
from .db import Cursor, utcnow

VIDEO_READY, VIDEO_FAILED, VIDEO_DELETED, UPLOAD_COMPLETED = (
    "video.ready",
    "video.failed",
    "video.deleted",
    "upload.completed",
)
TYPES = (VIDEO_READY, VIDEO_FAILED, VIDEO_DELETED, UPLOAD_COMPLETED)


def new_message_id() -> str:
    """`msg_` and 24 random URL-safe characters: the event's `webhook-id`."""
    return "msg_" + secrets.token_urlsafe(18)


def timestamp() -> str:
    """Now, as the body's `timestamp` (ISO 8601, UTC, microseconds)."""
    return utcnow().isoformat(timespec="microseconds") + "Z"


def emit(cur: Cursor, event_type: str, data: dict | Callable[[], dict]) -> str | None:
    """Write an event (`data`: the VIDEO it is about, or a function that reads it, called
    only when it is needed) and a delivery to each endpoint subscribed to its type, in
    the caller's transaction; its message id, or None when no endpoint subscribes
    (nothing is written, nothing read)."""
    if event_type not in TYPES:
        raise ValueError(f"unknown webhook event type {event_type!r}")
    endpoints = tables.webhooks.subscribers(cur, event_type)
    if not endpoints:
        return None
    message_id = new_message_id()
    video = data() if callable(data) else data
    body = json.dumps({"type": event_type, "timestamp": timestamp(), "data": video}, separators=(",", ":"))
    tables.webhooks.add_event(cur, message_id, event_type, body, endpoints)
    return message_id
