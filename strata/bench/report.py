"""What the bench hands an operator: a terminal table, the JSON result and an HTML report.

What: `rows(result)` turns a result dict into (label, value per target, ratio) rows; the
terminal table and the HTML table are both printed from them, so they always agree.  The
HTML file is self-contained: inline CSS and hand-written SVG plots (throughput over time,
query latency histograms, new-series visibility, bytes per point), no script, nothing
fetched, so it opens offline and can be committed or mailed.  Why hand-written SVG: three
plain chart kinds do not justify a plotting dependency in the server's wheel.
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path

import numpy as np

from . import stats

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")


# ---------------------------------------------------------------------------------- numbers

def fmt_num(x, digits: int = 0) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:,.{digits}f}"


def fmt_ms(x) -> str:
    return "-" if x is None else f"{x * 1e3:,.1f} ms"


def fmt_ratio(x) -> str:
    return "-" if x is None else f"{x:.2f}x"


def fmt_bytes(x) -> str:
    if x is None:
        return "-"
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if abs(x) >= size:
            return f"{x / size:,.1f} {unit}"
    return f"{x:,.1f} B"


def rows(result: dict) -> list[tuple[str, list[str], str]]:
    """(label, one formatted value per target, ratio first/second or '') in report order."""
    ts = list(result["targets"].values())
    two = len(ts) == 2
    out: list[tuple[str, list[str], str]] = []

    def add(label, values, fmt, ratio_ok=True):
        r = fmt_ratio(stats.ratio(values[0], values[1])) if two and ratio_ok else ""
        out.append((label, [fmt(v) for v in values], r))

    def section(label):
        out.append((label, [""] * len(ts), ""))

    names = [s["name"] for s in ts[0]["segments"]]
    for k, seg_name in enumerate(names):
        segs = [t["segments"][k] if k < len(t["segments"]) else {} for t in ts]
        section(f"{seg_name} ({segs[0].get('series', 0):,} series)")
        add("  offered points/s", [s.get("offered_rate") for s in segs], fmt_num, False)
        add("  sent points", [s.get("sent") for s in segs], fmt_num)
        add("  readable points", [s.get("readable") for s in segs], fmt_num)
        add("  readable / sent", [stats.ratio(s.get("readable"), s.get("sent")) for s in segs],
            lambda x: "-" if x is None else f"{x:.2%}", False)
        add("  readable points/s (incl. drain)", [s.get("readable_rate") for s in segs], fmt_num)
        add("  lag when sending stopped (s)", [s.get("lag_end_s") for s in segs], lambda x: fmt_num(x, 1))
        add("  all readable after stop (s)", [s.get("drained_in_s") for s in segs], lambda x: fmt_num(x, 2))
        out.append(("  verdict", [_verdict(s) for s in segs], ""))
        add("  server CPU %", [_res(s, "server", "cpu_pct") for s in segs], fmt_num)
        add("  server peak RSS (MB)", [_res(s, "server", "rss_peak_mb") for s in segs], fmt_num)
    vis = [t.get("visibility") or {} for t in ts]
    section("new series visible via /render")
    add("  p50", [v.get("p50") for v in vis], fmt_ms)
    add("  max", [v.get("max") for v in vis], fmt_ms)
    out.append(("  seen / probes", [f"{v.get('seen', 0)}/{v.get('probes', 0)}" for v in vis], ""))
    qs = [(t.get("queries") or {}).get("kinds", {}) for t in ts]
    kinds = sorted(set().union(*[set(q) for q in qs]))
    if kinds:
        section("dashboard query latency")
    for kind in kinds:
        for p in ("p50", "p90", "p99"):
            add(f"  {kind} {p}", [q.get(kind, {}).get(p) for q in qs], fmt_ms)
        errs = [q.get(kind, {}).get("errors") for q in qs]
        if any(errs):
            out.append((f"  {kind} errors", [fmt_num(e) for e in errs], ""))
    disks = [t.get("disk") or {} for t in ts]
    section("disk")
    add("  allocated bytes per readable point", [d.get("bytes_per_point") for d in disks], lambda x: fmt_num(x, 1))
    add("  allocated bytes per series", [d.get("bytes_per_series") for d in disks], fmt_bytes)
    add("  data directory allocated", [d.get("allocated") for d in disks], fmt_bytes)
    add("  data directory apparent", [d.get("apparent") for d in disks], fmt_bytes)
    res = [t.get("resources") or {} for t in ts]
    section("whole run")
    add("  server CPU %", [(r.get("server") or {}).get("cpu_pct") for r in res], fmt_num)
    add("  server peak RSS (MB)", [(r.get("server") or {}).get("rss_peak_mb") for r in res], fmt_num)
    add("  render front-end CPU %", [(r.get("web") or {}).get("cpu_pct") for r in res], fmt_num)
    return out


def store_check_lines(result: dict) -> list[str]:
    """What a spawned Strata's data directory held after its clean stop, per segment."""
    out = []
    for name, t in result["targets"].items():
        for c in (t.get("store_check") or {}).get("segments", []):
            out.append(f"store check, {name} {c['name']}: {c['stored']:,.0f} points stored of {c['sent']:,} sent "
                       f"({c['counted_series']:,} series read back from the data directory after a clean stop), "
                       f"{c['value_mismatches']} wrong values; the bench reported {fmt_num(c['readable'])} readable")
    return out


def _res(seg: dict, who: str, key: str):
    return ((seg.get("resources") or {}).get(who) or {}).get(key)


def _verdict(seg: dict) -> str:
    if seg.get("bounded") is None:
        return "-" if seg.get("offered_rate") else "(backfill)"
    return "bounded" if seg["bounded"] else "LAG GROWS"


def header(result: dict) -> str:
    b = result["bench"]
    p = b["plan"]
    w = p["workload"]
    return (f"strata bench: {w['series']:,} series ({w['hierarchy']}"
            + (f", {w['tag_fraction']:.0%} tagged" if w["tag_fraction"] else "")
            + f"), every {w['interval']} s" + (f" x{p['speedup']:g} time compression" if p["speedup"] != 1 else "")
            + f", {p['protocol']}, {p['seconds']:g} s per level, levels "
            + "/".join(f"{m:g}N" for m in p["levels"]) + (f", backfill {p['backfill']} s" if p["backfill"] else "")
            + f", seed {w['seed']}\n{b['date']} on {b['host']}: {b['cpus']} cores, {b['ram_gib']:.0f} GiB, "
            f"Python {b['python']}; load average {b['loadavg_start'][0]:.2f} -> "
            f"{b.get('loadavg_end', [float('nan')])[0]:.2f}; {b.get('elapsed_s', 0):.0f} s")


def text_table(result: dict) -> str:
    ts = list(result["targets"])
    two = len(ts) == 2
    head = ["", *ts] + ([f"{ts[0]} / {ts[1]}"] if two else [])
    body = [[label, *vals] + ([r] if two else []) for label, vals, r in rows(result)]
    widths = [max(len(str(row[k])) for row in [head, *body]) for k in range(len(head))]
    lines = [header(result), ""]
    for row in [head, *body]:
        lines.append("  ".join(str(c).ljust(widths[0]) if k == 0 else str(c).rjust(widths[k])
                               for k, c in enumerate(row)).rstrip())
    lines.append("")
    lines += store_check_lines(result)
    for name, t in result["targets"].items():
        lines.append(f"capacity: {t['capacity']}")
        for e in t.get("errors", [])[:3]:
            lines.append(f"  {name} error: {e}")
    return "\n".join(lines)


def write_json(result: dict, path: Path) -> None:
    path.write_text(json.dumps(result, indent=1, default=str) + "\n")


# ---------------------------------------------------------------------------------- svg

def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round axis ticks (1, 2, 2.5, 5 x 10^k steps) covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0]
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(1, count)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.floor(lo / step) * step
    n = int(math.ceil((hi - first) / step - 1e-9))
    return [round(first + i * step, 12) for i in range(n + 1)]


def _short(x: float) -> str:
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= size:
            return f"{x / size:g}{unit}"
    return f"{x:g}"


class Frame:
    """A plot area inside an SVG with linear axes."""

    def __init__(self, w: int, h: int, x: tuple[float, float], y: tuple[float, float], left: int = 60):
        self.w, self.h, self.left, self.top, self.bottom, self.right = w, h, left, 24, 36, 12
        self.xt, self.yt = nice_ticks(*x), nice_ticks(*y)
        self.x0, self.x1 = self.xt[0], self.xt[-1]
        self.y0, self.y1 = self.yt[0], self.yt[-1]

    def px(self, x: float) -> float:
        return self.left + (x - self.x0) / ((self.x1 - self.x0) or 1) * (self.w - self.left - self.right)

    def py(self, y: float) -> float:
        return self.h - self.bottom - (y - self.y0) / ((self.y1 - self.y0) or 1) * (self.h - self.top - self.bottom)

    def axes(self, xlabel: str, ylabel: str, xfmt=_short) -> list[str]:
        out = []
        for y in self.yt:
            out.append(f'<line x1="{self.left}" x2="{self.w - self.right}" y1="{self.py(y):.1f}" '
                       f'y2="{self.py(y):.1f}" stroke="#ddd"/>')
            out.append(f'<text x="{self.left - 4}" y="{self.py(y) + 4:.1f}" text-anchor="end">{_short(y)}</text>')
        for x in self.xt:
            out.append(f'<text x="{self.px(x):.1f}" y="{self.h - self.bottom + 14}" text-anchor="middle">'
                       f'{xfmt(x)}</text>')
        out.append(f'<text x="{(self.left + self.w) / 2:.0f}" y="{self.h - 4}" text-anchor="middle">'
                   f'{html.escape(xlabel)}</text>')
        out.append(f'<text x="12" y="{self.top - 8}">{html.escape(ylabel)}</text>')
        return out


def _svg(w: int, h: int, parts: list[str], legend: list[tuple[str, str, bool]]) -> str:
    leg = []
    x = 70
    for label, color, dashed in legend:
        dash = ' stroke-dasharray="5,3"' if dashed else ""
        leg.append(f'<line x1="{x}" x2="{x + 18}" y1="10" y2="10" stroke="{color}" stroke-width="3"{dash}/>'
                   f'<text x="{x + 22}" y="14">{html.escape(label)}</text>')
        x += 30 + 7 * len(label)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
            f'font-family="sans-serif" font-size="11">' + "".join(parts + leg) + "</svg>")


def svg_lines(lines: list[tuple[str, str, bool, list[tuple[float, float]]]], xlabel: str, ylabel: str,
              w: int = 640, h: int = 240) -> str:
    """A line chart: (label, color, dashed, [(x, y)]) per line."""
    pts = [p for _l, _c, _d, ps in lines for p in ps]
    if not pts:
        return _svg(w, 40, ['<text x="10" y="28">no data</text>'], [])
    f = Frame(w, h, (min(p[0] for p in pts), max(p[0] for p in pts)), (0.0, max(p[1] for p in pts) or 1.0))
    parts = f.axes(xlabel, ylabel)
    for _label, color, dashed, ps in lines:
        if ps:
            d = " ".join(f"{f.px(x):.1f},{f.py(y):.1f}" for x, y in ps)
            dash = ' stroke-dasharray="5,3"' if dashed else ""
            parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2"{dash} points="{d}"/>')
    return _svg(w, h, parts, [(label, color, dashed) for label, color, dashed, _ in lines])


def histogram(groups: list[list[float]], bins: int = 12) -> tuple[np.ndarray, list[np.ndarray]]:
    """Shared log-spaced bin edges over every group, and each group's counts."""
    allv = np.array([v for g in groups for v in g if v and v > 0])
    if allv.size == 0:
        return np.array([0.0, 1.0]), [np.zeros(1, int) for _ in groups]
    lo, hi = float(allv.min()), float(allv.max())
    edges = np.geomspace(lo, hi * 1.0001, bins + 1) if hi > lo else np.array([lo * 0.9, lo * 1.1])
    return edges, [np.histogram(np.clip(g, edges[0], edges[-1]), edges)[0] for g in groups]


def svg_histogram(groups: list[tuple[str, str, list[float]]], xlabel: str, w: int = 640, h: int = 200) -> str:
    """Grouped bars of counts per log-spaced latency bin, one colour per target."""
    edges, counts = histogram([g[2] for g in groups])
    n = len(edges) - 1
    top = max([int(c.max()) for c in counts if c.size] + [1])
    f = Frame(w, h, (0, n), (0, top))
    f.xt = list(range(n + 1))
    f.x0, f.x1 = 0, n
    parts = f.axes(xlabel, "requests", xfmt=lambda i: f"{edges[int(i)] * 1e3:.3g}")
    slot = (f.px(1) - f.px(0)) / (len(groups) + 0.5)
    for k, ((_label, color, _vals), c) in enumerate(zip(groups, counts)):
        for i, v in enumerate(c):
            if v:
                x = f.px(i) + slot * (k + 0.25)
                parts.append(f'<rect x="{x:.1f}" y="{f.py(v):.1f}" width="{slot:.1f}" '
                             f'height="{f.py(0) - f.py(v):.1f}" fill="{color}"/>')
    return _svg(w, h, parts, [(label, color, False) for label, color, _ in groups])


def svg_bars(items: list[tuple[str, float | None, str]], unit: str, w: int = 640) -> str:
    """Horizontal bars, one per (label, value, color); a missing value is written as such."""
    h = 30 + 26 * len(items)
    top = max([v for _l, v, _c in items if v] + [1.0])
    parts = []
    for k, (label, v, color) in enumerate(items):
        y = 20 + 26 * k
        parts.append(f'<text x="4" y="{y + 13}">{html.escape(label)}</text>')
        if v is None:
            parts.append(f'<text x="170" y="{y + 13}">not measured</text>')
            continue
        bw = (w - 300) * v / top
        parts.append(f'<rect x="170" y="{y}" width="{bw:.1f}" height="18" fill="{color}"/>'
                     f'<text x="{176 + bw:.1f}" y="{y + 13}">{v:,.2f} {html.escape(unit)}</text>')
    return _svg(w, h, parts, [])


# ---------------------------------------------------------------------------------- html

CSS = """body{font-family:sans-serif;max-width:980px;margin:2em auto;color:#222}
table{border-collapse:collapse;font-size:13px}td,th{padding:2px 10px;border-bottom:1px solid #eee}
td.v{text-align:right;font-variant-numeric:tabular-nums}tr.sec td{font-weight:bold;padding-top:10px}
pre{background:#f6f6f6;padding:8px;white-space:pre-wrap}h2{margin-top:1.6em}.cap{background:#eef5ff;padding:8px}"""


def throughput_chart(result: dict, seg_index: int) -> str:
    lines = []
    for k, (name, t) in enumerate(result["targets"].items()):
        if seg_index >= len(t["segments"]):
            continue
        trace = t["segments"][seg_index]["trace"]
        rs = stats.rate_series([(0.0, 0, 0), *[tuple(x) for x in trace]])
        color = COLORS[k % len(COLORS)]
        lines.append((f"{name} readable/s", color, False, [(x[0], x[2]) for x in rs]))
        lines.append((f"{name} sent/s", color, True, [(x[0], x[1]) for x in rs]))
    return svg_lines(lines, "seconds since the level started", "points per second")


def to_html(result: dict) -> str:
    ts = list(result["targets"].items())
    two = len(ts) == 2
    esc = html.escape
    out = [f"<!doctype html><html><head><meta charset='utf-8'><title>strata bench</title>"
           f"<style>{CSS}</style></head><body><h1>strata bench</h1><pre>{esc(header(result))}</pre>"]
    out.append("<h2>Capacity</h2>" + "".join(f"<p class='cap'>{esc(t['capacity'])}</p>" for _n, t in ts))
    out.append("<h2>Results</h2><table><tr><th></th>" + "".join(f"<th>{esc(n)}</th>" for n, _ in ts)
               + (f"<th>{esc(ts[0][0])} / {esc(ts[1][0])}</th>" if two else "") + "</tr>")
    for label, vals, r in rows(result):
        sec = all(v == "" for v in vals) and not r
        out.append(f"<tr{' class=sec' if sec else ''}><td>{esc(label.strip())}</td>"
                   + "".join(f"<td class=v>{esc(v)}</td>" for v in vals)
                   + (f"<td class=v>{esc(r)}</td>" if two else "") + "</tr>")
    out.append("</table>" + "".join(f"<p>{esc(x)}</p>" for x in store_check_lines(result)))
    out.append("<h2>Throughput over time</h2><p>Solid: points readable through /render (sampled series, "
               "scaled to all); dashed: points sent. Sampled every poll; the tail after sending stops is the drain.</p>")
    for k, s in enumerate(ts[0][1]["segments"]):
        out.append(f"<h3>{esc(s['name'])}: {s['series']:,} series</h3>{throughput_chart(result, k)}")
    kinds = sorted(set().union(*[set((t.get('queries') or {}).get('kinds', {})) for _n, t in ts]))
    if kinds:
        out.append("<h2>Query latency histograms</h2><p>Requests per latency bin (log-spaced, "
                   "bin lower edge in ms), per kind of dashboard query.</p>")
    for kind in kinds:
        groups = [(n, COLORS[k % len(COLORS)], (t.get("queries") or {}).get("kinds", {}).get(kind, {})
                   .get("latencies_s", [])) for k, (n, t) in enumerate(ts)]
        out.append(f"<h3>{esc(kind)}</h3>{svg_histogram(groups, 'latency (ms)')}")
    vis = [(n, COLORS[k % len(COLORS)], [x for x in (t.get('visibility') or {}).get('latencies_s', []) if x])
           for k, (n, t) in enumerate(ts)]
    if any(v[2] for v in vis):
        out.append("<h2>New series: time until visible</h2>" + svg_histogram(vis, "seconds x 1000 (ms)"))
    out.append("<h2>Disk bytes per readable point</h2>" + svg_bars(
        [(n, (t.get("disk") or {}).get("bytes_per_point"), COLORS[k % len(COLORS)]) for k, (n, t) in enumerate(ts)],
        "B/point (allocated)"))
    out.append("<p>Allocated blocks of the data directory after the run divided by the points readable; "
               "short runs are dominated by per-series fixed costs (whisper headers, Strata head blocks).</p>")
    out.append(f"<h2>Run</h2><pre>{esc(json.dumps(result['bench']['plan'], indent=1))}</pre></body></html>")
    return "\n".join(out)


def write_reports(result: dict, out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "result.json", "html": out_dir / "report.html", "text": out_dir / "report.txt"}
    write_json(result, paths["json"])
    paths["html"].write_text(to_html(result))
    paths["text"].write_text(text_table(result) + "\n")
    return paths
