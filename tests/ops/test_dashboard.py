"""The Grafana dashboard asks only for metrics and labels the services expose."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from prometheus_client import Counter, Gauge, Histogram

from vs_common import observe

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "reelhouse-dashboard.json"


def exposed() -> dict[str, set[str]]:
    """{sample name: its labels} of every metric defined in vs_common.observe."""
    out: dict[str, set[str]] = {}
    for obj in vars(observe).values():
        if isinstance(obj, Counter):
            out[obj._name + "_total"] = set(obj._labelnames)
        elif isinstance(obj, Histogram):
            for suffix in ("_bucket", "_sum", "_count"):
                out[obj._name + suffix] = set(obj._labelnames) | ({"le"} if suffix == "_bucket" else set())
        elif isinstance(obj, Gauge):
            out[obj._name] = set(obj._labelnames)
    out[observe.QUEUE_DEPTH] = {"stage", "state"}  # the packager's collector (file_svc.packager.QueueDepth)
    return out


def exprs() -> list[str]:
    board = json.loads(DASHBOARD.read_text())
    found = [t["expr"] for p in board["panels"] for t in p.get("targets", [])]
    assert len(found) >= 10
    return found


def test_every_query_names_metrics_that_exist():
    known = exposed()
    assert len(known) >= 12
    used = set()
    for expr in exprs():
        names = set(re.findall(r"\breelhouse_[a-z_]+\b", expr))
        assert names, expr
        unknown = names - known.keys()
        assert not unknown, f"{expr}: no such metric {unknown}"
        labels = set()
        for group in re.findall(r"\bby \(([^)]*)\)", expr):
            labels |= {x.strip() for x in group.split(",")}
        labels |= set(re.findall(r"[{,]\s*([a-z_]+)\s*=~?", expr))
        for label in labels:
            assert any(label in known[n] for n in names), f"{expr}: label {label!r} is on none of {names}"
        used |= names
    base = {n.removesuffix("_bucket").removesuffix("_count").removesuffix("_sum") for n in used}
    defined = {n.removesuffix("_bucket").removesuffix("_count").removesuffix("_sum") for n in known}
    assert base == defined, f"metrics no panel shows: {defined - base}"


def test_the_packager_collector_has_the_name_the_dashboard_uses():
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "file-svc"))
    from file_svc.packager import QueueDepth

    class NoDatabase:
        def query(self, sql, params=()):
            return [{"stage": "first", "state": "waiting", "n": 2}]

    families = list(QueueDepth(NoDatabase()).collect())
    assert [f.name for f in families] == [observe.QUEUE_DEPTH]
    samples = {tuple(sorted(s.labels.items())): s.value for s in families[0].samples}
    assert samples[(("stage", "first"), ("state", "waiting"))] == 2
    assert len(samples) == 6
