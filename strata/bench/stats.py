"""The bench's arithmetic: percentiles, ratios, backlog and lag, the capacity verdict.

What: pure functions over plain numbers and lists, so the figures an operator reads are
unit-tested apart from any server.  Why separate: a wrong percentile or an inverted ratio
would mislead a hardware decision while every phase still "works".

Definitions (the report and docs use these words):
* percentile: linear interpolation between closest ranks (numpy's default, what most
  dashboards and `sort | awk` recipes give);
* backlog: points sent but not yet readable; lag: backlog / offered rate, in seconds of
  traffic the server is behind;
* bounded: the backlog grows by less than 10% of the offered rate over the level's second
  half, and what is left when sending stops becomes readable within `drain_limit`.
"""

from __future__ import annotations

import math

import numpy as np

QUANTILES = (50, 90, 99)
GROWTH_LIMIT = 0.10              # backlog growth, as a share of the offered rate, still "bounded"


def percentiles(values, qs=QUANTILES) -> dict:
    """{'count', 'min', 'mean', 'max', 'p50', ...} of `values`; None entries when empty."""
    a = np.asarray([v for v in values if v is not None and not math.isnan(v)], dtype=float)
    out = {"count": int(a.size)}
    if a.size == 0:
        out.update({"min": None, "mean": None, "max": None}, **{f"p{q}": None for q in qs})
        return out
    out.update({"min": float(a.min()), "mean": float(a.mean()), "max": float(a.max())})
    for q, v in zip(qs, np.percentile(a, qs)):
        out[f"p{q}"] = float(v)
    return out


def ratio(a, b) -> float | None:
    """a / b, or None when either is missing or b is zero (no made-up infinities)."""
    if a is None or b is None or b == 0 or (isinstance(b, float) and math.isnan(b)):
        return None
    if isinstance(a, float) and math.isnan(a):
        return None
    return a / b


def rate_series(trace: list[tuple[float, float, float]]) -> list[tuple[float, float, float]]:
    """(t, sent/s, readable/s) between consecutive (t, sent, readable) samples."""
    out = []
    for (t0, s0, r0), (t1, s1, r1) in zip(trace, trace[1:]):
        dt = t1 - t0
        if dt > 0:
            out.append((t1, (s1 - s0) / dt, (r1 - r0) / dt))
    return out


def backlog_growth(trace: list[tuple[float, float, float]], t_end: float) -> float | None:
    """Points/s the backlog (sent - readable) grew over the second half of [0, t_end]."""
    half = [x for x in trace if t_end / 2 <= x[0] <= t_end + 0.5]
    if len(half) < 2 or half[-1][0] <= half[0][0]:
        return None
    b0, b1 = half[0][1] - half[0][2], half[-1][1] - half[-1][2]
    return (b1 - b0) / (half[-1][0] - half[0][0])


def lag_seconds(sent: float, readable: float, offered_rate: float) -> float | None:
    """Seconds of traffic the server is behind."""
    if not offered_rate:
        return None
    return max(0.0, sent - readable) / offered_rate


def is_bounded(growth: float | None, offered_rate: float, drained_in: float | None,
               drain_limit: float) -> bool:
    """The verdict of one load level (see the module docstring)."""
    if drained_in is None or drained_in > drain_limit:
        return False
    return growth is None or growth < GROWTH_LIMIT * offered_rate


def headroom(cpu_pct: float | None, cores: float = 1.0) -> float | None:
    """Share of `cores` the server left unused (a single-threaded server has one to use)."""
    if cpu_pct is None:
        return None
    return max(0.0, 1.0 - cpu_pct / (100.0 * cores))


def capacity_summary(target: str, levels: list[dict], interval: int, speedup: float = 1.0) -> str:
    """One paragraph an operator can act on, from the measured levels.

    Each level: {'series', 'bounded', 'cpu_pct', 'lag_end_s', 'drained_in_s'}.  Nothing is
    extrapolated beyond a headroom estimate, which is labelled as such.
    """
    if not levels:
        return f"{target}: no load level was measured."
    def load(series: int) -> str:
        if speedup == 1:
            return f"{series:,} series at {interval} s"
        return (f"{series:,} series at {interval} s time-compressed {speedup:g}x (the load of "
                f"{series * speedup:,.0f} series at {interval} s)")
    ok = [lv for lv in levels if lv["bounded"]]
    bad = [lv for lv in levels if not lv["bounded"]]
    parts = []
    if ok:
        best = max(ok, key=lambda lv: lv["series"])
        room = headroom(best.get("cpu_pct"))
        parts.append(f"{target} sustains {load(best['series'])}"
                     + (f" with {room:.0%} CPU headroom on its core (server at {best['cpu_pct']:.0f}% CPU)"
                        if room is not None else ""))
        if room and room > 0 and best.get("cpu_pct"):
            est = best["series"] * speedup * 100.0 / best["cpu_pct"]
            parts.append(f"by CPU alone about {est:,.0f} series at {interval} s would saturate that core "
                         f"(an estimate, not measured)")
    else:
        parts.append(f"{target} did not keep up at any measured level")
    for lv in sorted(bad, key=lambda lv: lv["series"]):
        drain = (f"drained {lv['drained_in_s']:.1f} s after sending stopped" if lv.get("drained_in_s") is not None
                 else "had not drained when the bench stopped waiting")
        lag = f"{lv['lag_end_s']:.1f} s" if lv.get("lag_end_s") is not None else "unknown"
        parts.append(f"at {lv['series']:,} series the ingest lag grows (lag {lag} when sending stopped; {drain})")
    for lv in sorted(ok, key=lambda lv: lv["series"]):
        if lv is not max(ok, key=lambda x: x["series"]):
            continue
        higher = [b for b in bad if b["series"] > lv["series"]]
        if not higher:
            parts.append(f"the lag stayed bounded at every level measured (up to {lv['series']:,} series)")
    return "; ".join(parts) + "."
