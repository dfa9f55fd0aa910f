"""The packager's `/healthz` (the database, the store, and the jobs at work) and its
`/metrics` (with the queue's depth, read at each scrape)."""

from __future__ import annotations

from flask import Flask, jsonify
from prometheus_client.core import GaugeMetricFamily

from vs_common import tables
from vs_common.db import Database, DatabaseUnavailable
from vs_common.health import run_checks
from vs_common.observe import QUEUE_DEPTH, install_observability

from .context import Services


class QueueDepth:
    """The `reelhouse_packaging_queue_depth` gauge, read from the queue at each scrape (the
    same figure from every packager replica: aggregate with max, not sum)."""

    def __init__(self, db: Database):
        self.db = db

    def collect(self):
        family = GaugeMetricFamily(
            QUEUE_DEPTH, "Unfinished packaging jobs by stage and state (waiting, running).", labels=["stage", "state"]
        )
        try:
            counts = tables.jobs.depth(self.db)
        except DatabaseUnavailable:
            return  # no figure rather than a wrong one; /healthz says why
        for stage in (tables.jobs.FIRST, tables.jobs.THUMBS, tables.jobs.RENDITION):
            for state in ("waiting", "running"):
                family.add_metric([stage, state], counts.get((stage, state), 0))
        yield family


def health_app(services: Services, worker_id: str, current: dict[str, dict]) -> Flask:
    """`GET /healthz`: the database and the store, and the jobs at work (`current`: lane ->
    the job it works on, kept by the worker loops)."""
    app = Flask("packager")
    install_observability(app, "packager", services.settings.metrics_token, lambda: [QueueDepth(services.db)])

    @app.get("/healthz")
    def healthz():
        ok, checks = run_checks({"database": services.db.ping, "storage": services.storage.check})
        body = {
            "status": "ok" if ok else "unavailable",
            "checks": checks,
            "worker": worker_id,
            "jobs": sorted(current.values(), key=lambda j: j["since"]),
        }
        return jsonify(body), (200 if ok else 503)

    return app
