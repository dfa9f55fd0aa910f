"""The VIDEO object of the API (the apps' /openapi.json), as every service answers it: a video's row (with what
vs_common.catalogue attaches: renditions, caption tracks, phase, thumbnails, views) in JSON."""

from __future__ import annotations

from . import layout
from .db import as_datetime


def iso(value) -> str | None:
    """A stored time (naive UTC) as the API writes times: ISO 8601, milliseconds, Z."""
    dt = as_datetime(value)
    return None if dt is None else dt.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def to_json(row: dict, streaming_public_url: str) -> dict:
    """A row (with its `renditions` and `phase` attached by catalogue.get_video or
    list_videos) as the VIDEO object of the API."""
    base = streaming_public_url.rstrip("/")
    renditions = [
        {"height": r["height"], "status": r["status"], "error": r["error"] if r["status"] == "failed" else None}
        for r in row.get("renditions") or []
    ]
    return {
        "id": row["id"],
        "video_name": row["video_name"],
        "video_path": row["video_path"],
        "owner": row["owner"],
        "visibility": row["visibility"],
        "description": row.get("description") or "",
        "views": row.get("views", 0),
        "status": row["status"],
        "error": row["error"] if row["status"] == "failed" else None,
        "duration_s": row["duration_s"],
        "width": row["width"],
        "height": row["height"],
        "size_bytes": row["size_bytes"],
        "renditions": renditions,
        "captions": [_caption_json(c, base, row["id"]) for c in row.get("captions") or []],
        "phase": row.get("phase") if row["status"] == "processing" else None,
        "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]),
        "deleted_at": iso(row.get("deleted_at")),
        "poster_url": f"{base}/{layout.poster(row['id'])}",
        "watch_url": f"{base}/videos/{row['id']}",
        # The library's hover pictures, listed once they are published (never asked for before).
        "thumbnails": [f"{base}/{layout.thumb(row['id'], name)}" for name in layout.THUMBNAILS]
        if row.get("thumbnails")
        else [],
    }


def _caption_json(row: dict, base: str, video_id: str) -> dict:
    """A track as VIDEO's `captions` list has it: `url` is its WebVTT file on streaming-svc."""
    return {
        "language": row["language"],
        "label": row["label"],
        "default": bool(row["is_default"]),
        "url": f"{base.rstrip('/')}/{layout.caption(video_id, row['file_name'])}",
    }
