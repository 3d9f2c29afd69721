"""The data set behind the golden render tests, shared by the recorder and the runner.

What: a few dozen deterministic series relative to a fixed `now` (web hosts' cpu, a counter
with a wrap, a gappy gauge, a constant, negatives, a tagged series), written with a 10 s step
over the last 6 hours, and the storage schema both sides use.  Why a
module: graphite-web (through whisper) and Strata must be fed exactly the same points.
"""

from __future__ import annotations

import math

RETENTIONS = "10s:6h,1m:7d"                 # whisper archives [(10, 2160), (60, 10080)]
WHISPER_ARCHIVES = [(10, 2160), (60, 10080)]
XFF = 0.5                                   # whisper's default for create()
# Seconds of 10 s points before now: inside the 10 s archive, because whisper writes a point
# older than that straight into the 1 m slot without aggregating (docs/compatibility.md).
HISTORY = 6 * 3600 - 120


def points(now: int) -> dict[str, list[tuple[int, float]]]:
    """name -> [(timestamp, value)], every timestamp a multiple of 10 at or before `now`."""
    end = now - now % 10
    ts = list(range(end - HISTORY, end + 1, 10))
    out: dict[str, list[tuple[int, float]]] = {}
    for h in range(1, 5):
        for kind, scale in (("user", 1.0), ("system", 0.5), ("idle", 2.0)):
            out[f"golden.web{h}.cpu.{kind}"] = [
                (t, round(scale * (50 + 40 * math.sin(t / 900.0 + h) + (t // 10 % 7) - 3), 3))
                for t in ts]
    out["golden.web1.requests.count"] = _counter(ts, wrap_at=3000, per_step=37)
    out["golden.web2.requests.count"] = _counter(ts, wrap_at=10**9, per_step=11)
    out["golden.gappy.gauge"] = [(t, float(t // 10 % 13)) for t in ts if (t // 10) % 5 not in (1, 2)]
    out["golden.sparse.gauge"] = [(t, float(i)) for i, t in enumerate(ts) if i % 17 == 0]
    out["golden.constant.one"] = [(t, 1.0) for t in ts]
    out["golden.negative.gauge"] = [(t, -float(t // 10 % 9) - 0.5) for t in ts]
    out["golden.zero.gauge"] = [(t, 0.0) for t in ts]
    out["golden.db.query.latency"] = [(t, 5.0 + (t // 10 % 11) * 0.25) for t in ts]
    out["golden.db.query.errors"] = [(t, float(t // 10 % 3 == 0)) for t in ts]
    return out


def _counter(ts: list[int], wrap_at: int, per_step: int) -> list[tuple[int, float]]:
    out, value = [], 0
    for i, t in enumerate(ts):
        value = (value + per_step + i % 5) % wrap_at
        if i % 97 != 50:                    # a few missing samples
            out.append((t, float(value)))
    return out
