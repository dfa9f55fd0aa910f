"""The memory of process trees while a benchmark runs: sampled from /proc every
`interval` seconds, each tree's total (RSS, and PSS, which counts the pages forked
workers share once) and each process's own peak."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from harness.procfs import children_map, describe, process_tree, pss_kb, status_kb


@dataclass
class _Seen:
    """One process as sampled: its peaks in kB, and its name in a report."""

    name: str
    rss: int = 0  # the highest VmRSS sampled
    peak: int = 0  # the higher of that and its own VmHWM (a peak between two samples)


class TreeSampler:
    """Samples the process trees `roots` ({name: root pid}) from `with` to its end.

    `table()` is the markdown of delivery and mixed load (per tree: peak RSS and PSS
    sums, the biggest process); `result()` the figures of ingest (bytes: each tree's
    idle and peak sums, each process's peak)."""

    def __init__(self, roots: dict[str, int], interval: float = 0.25, pss: bool = True):
        self.roots = roots
        self.interval = interval
        self.pss = pss
        self.peak_tree_rss = dict.fromkeys(roots, 0)  # kB
        self.peak_tree_pss = dict.fromkeys(roots, 0)
        self.seen: dict[tuple[str, int], _Seen] = {}
        self.samples = 0
        self.idle = self.sample()  # each tree's RSS sum before the load
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="tree-sampler")

    def sample(self) -> dict[str, int]:
        """One sample of every tree; each tree's RSS sum now (kB)."""
        kids = children_map()
        now = {}
        for name, root in self.roots.items():
            total_rss = total_pss = 0
            for pid in process_tree(root, kids):
                mem = status_kb(pid, "VmRSS", "VmHWM")
                rss = mem.get("VmRSS", 0)
                total_rss += rss
                if self.pss:
                    total_pss += pss_kb(pid)
                seen = self.seen.get((name, pid))
                if seen is None:
                    seen = self.seen[(name, pid)] = _Seen(describe(pid, root))
                seen.rss = max(seen.rss, rss)
                seen.peak = max(seen.peak, rss, mem.get("VmHWM", 0))
            now[name] = total_rss
            self.peak_tree_rss[name] = max(self.peak_tree_rss[name], total_rss)
            self.peak_tree_pss[name] = max(self.peak_tree_pss[name], total_pss)
        self.samples += 1
        return now

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def table(self) -> str:
        """A markdown table: peak per tree (RSS sum, PSS sum) and the biggest process."""
        pss_head, pss_rule = (" peak PSS (sum) MB |", "---:|") if self.pss else ("", "")
        rows = [
            f"| process tree | peak RSS (sum) MB |{pss_head} biggest process | its peak RSS MB |",
            f"|---|---:|{pss_rule}---|---:|",
        ]
        for name, root in self.roots.items():
            mine = [
                (s.rss, "master" if pid == root else s.name) for (tree, pid), s in self.seen.items() if tree == name
            ]
            kb, who = max(mine, default=(0, "?"))
            pss = f" {self.peak_tree_pss[name] / 1024:.0f} |" if self.pss else ""
            rows.append(f"| {name} | {self.peak_tree_rss[name] / 1024:.0f} |{pss} `{who}` | {kb / 1024:.0f} |")
        return "\n".join(rows)

    def result(self) -> dict:
        """In bytes: each tree's idle and peak RSS sums, its biggest process's peak, and
        (tree, pid, name, peak) of every process seen, by tree then peak."""
        order = list(self.roots)
        rows = sorted(
            ((tree, pid, s.name, s.peak * 1024) for (tree, pid), s in self.seen.items()),
            key=lambda r: (order.index(r[0]), -r[3]),
        )
        return {
            "peak_tree": {name: kb * 1024 for name, kb in self.peak_tree_rss.items()},
            "peak_process": {name: max((r[3] for r in rows if r[0] == name), default=0) for name in order},
            "idle": {name: kb * 1024 for name, kb in self.idle.items()},
            "processes": rows,
        }
