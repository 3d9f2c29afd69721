"""Strata's own health, recorded into itself under carbon's names (DESIGN.md §7).

Every interval the deltas of the ingest counters become points under
`carbon.agents.<host>-a.<name>`: carbon's metricsReceived, committedPoints, creates,
errors, updateOperations, pointsPerUpdate, avgUpdateTime, cache.size, activeConnections,
cpuUsage and memUsage, plus Strata's rejects.<reason>, dropped.<reason> and
ingest.paused.  An operator's carbon dashboard keeps working.
"""

from __future__ import annotations

import resource
import time

import numpy as np

from .parsers import Batch


def metric_values(now: dict, before: dict, pending: int, connections: int, cpu_seconds: float,
                  interval: float, rss_bytes: int) -> dict[str, float]:
    """Self-metric name -> value for one interval, from two counter snapshots (pure)."""
    updates = now["updates"] - before["updates"]
    committed = now["committed"] - before["committed"]
    seconds = now["update_seconds"] - before["update_seconds"]
    rejects = now["rejects"] - before["rejects"]
    dropped = now["dropped"] - before["dropped"]
    out = {
        "metricsReceived": now["received"] - before["received"],
        "committedPoints": committed,
        "creates": now["creates"] - before["creates"],
        "errors": sum(rejects.values()) + now["write_errors"] - before["write_errors"],
        "updateOperations": updates,
        "cache.size": pending,
        "activeConnections": connections,
        "cpuUsage": 100.0 * cpu_seconds / interval if interval > 0 else 0.0,
        "memUsage": rss_bytes,
        "ingest.paused": now["paused"] - before["paused"],
    }
    if updates:   # carbon reports these averages only when non-zero
        out["pointsPerUpdate"] = committed / updates
        out["avgUpdateTime"] = seconds / updates
    out.update({f"rejects.{reason}": n for reason, n in rejects.items()})
    out.update({f"dropped.{reason}": n for reason, n in dropped.items()})
    return {k: float(v) for k, v in out.items()}


class SelfMetrics:
    def __init__(self, prefix: str, ingest, factories, clock):
        self.prefix = prefix
        self.ingest = ingest
        self.factories = factories
        self.clock = clock
        self._before = ingest.counters.snapshot()
        self._cpu = time.process_time()
        self._at = clock.seconds()

    def record(self) -> None:
        now_s = self.clock.seconds()
        snap = self.ingest.counters.snapshot()
        cpu = time.process_time()
        values = metric_values(snap, self._before, self.ingest.pending,
                               sum(f.connections for f in self.factories), cpu - self._cpu,
                               now_s - self._at, _rss_bytes())
        self._before, self._cpu, self._at = snap, cpu, now_s
        names = [f"{self.prefix}.{k}" for k in values]
        batch = Batch(names, np.full(len(names), float(int(now_s))), np.array(list(values.values())))
        self.ingest.submit(batch, internal=True)


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize()
    except OSError:
        return 0
