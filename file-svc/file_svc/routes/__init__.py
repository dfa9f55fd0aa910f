"""file-svc's routes, a blueprint per concern:
- `ingest`: `POST /videos`, `POST /videos/import`;
- `reads`: the objects (HLS, poster, thumbnails, original);
- `deletes`: `DELETE /videos/<id>`;
- `caption_writes`: `PUT`/`DELETE /videos/<id>/captions/<language>`;
and `/openapi.json`, which describes them all.
"""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify

from ..openapi import OPENAPI
from . import caption_writes, deletes, ingest, reads

docs = Blueprint("docs", __name__)


@docs.get("/openapi.json")
def openapi():
    return jsonify(OPENAPI)


def register(app: Flask) -> None:
    for bp in (ingest.bp, reads.bp, deletes.bp, caption_writes.bp, docs):
        app.register_blueprint(bp)
