"""Record graphite-web 1.1.10's Tags API and tag functions (a developer tool, not a test).

Run with the reference venv (graphite-web 1.1.10 + whisper 1.1.10, see record.py):
    /tmp/gw-venv/bin/python tests/golden/record_tags.py
It registers SERIES in graphite-web's default TagDB (LocalDatabaseTagDB on sqlite) through
its own /tags/tagMultiSeries view, writes their points into whisper files at carbon's tagged
paths (_tagged/<sha256 prefix>/<hash>.wsp), then records every case of `cases()` through
graphite-web's Django views with `now` pinned: status, content type and body, in order
(registration and deletion cases come last and change what later cases see).  The replay
is tests/integration/test_golden_tags.py, against a Strata store fed the same points.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

STEP = 60
ARCHIVES = [(STEP, 1440)]             # whisper: one day of minutes
RETENTIONS = "60s:1d"                 # the same for Strata's schema
HISTORY = 3600                        # points over the last hour

# (spelling sent to graphite-web's tagMultiSeries and to Strata's write, points seed);
# spellings exercise carbon's normalisation: unsorted tags, a leading '~', OpenMetrics.
SERIES = [
    ("cpu.user;dc=eu;host=web-1", 1),
    ("cpu.user;host=web-10;dc=eu", 2),
    ("cpu.user;dc=us;host=web-2", 3),
    ("cpu.user;dc=us;host=db-1;rack=r1", 4),
    ("cpu.user;dc=ap;host=web-11;env=prod", 5),
    ("cpu.system;dc=eu;host=web-1", 6),
    ("cpu.system;dc=us;host=web-2;env=dev", 7),
    ("~cpu.system;dc=ap;host=db-2", 8),
    ('disk.used{dc="eu",host="web-1",mount="/var"}', 9),
    ("disk.used;dc=eu;host=web-1;mount=/", 10),
    ("disk.used;dc=us;host=db-1;mount=/;rack=r2", 11),
    ("net.bytes;dc=eu;host=web-1;iface=eth0;dir=in", 12),
    ("net.bytes;dc=eu;host=web-1;iface=eth0;dir=out", 13),
    ("net.bytes;dc=us;host=x.y-z;iface=lo;dir=in", 14),
    ("mem.free;dc=eu;host=web-1;unit=bytes", 15),
    ("mem.free;dc=us;host=web-2;unit=bytes;zone=ü", 16),
    ("app.latency;dc=eu;service=api;quantile=0.99", 17),
    ("app.latency;dc=eu;service=api;quantile=0.5", 18),
    ("app.latency;dc=us;service=web;quantile=0.99", 19),
]


def points(now: int, seed: int) -> list[tuple[int, float]]:
    start = now - HISTORY
    start -= start % STEP
    return [(t, float((seed * 7 + (t // STEP) * (seed % 5 + 1)) % 97) + seed / 10)
            for t in range(start + STEP, now + 1, STEP)]


def _get(url: str, **params) -> dict:
    return {"method": "GET", "path": url, "params": params}


def _post(url: str, **params) -> dict:
    return {"method": "POST", "path": url, "params": params}


def _render(target) -> dict:
    targets = target if isinstance(target, list) else [target]
    return _get("/render", target=targets, format="json", **{"from": "-30min"})


CPU = "seriesByTag('name=cpu.user')"


def cases() -> list[dict]:
    """Every request, in recording order."""
    out = [
        _get("/tags"), _get("/tags/"), _get("/tags", filter="d"), _get("/tags", filter="^h|z"),
        _get("/tags", filter="o", limit="1"), _get("/tags", limit="0"), _get("/tags", pretty="1"),
        _get("/tags/dc"), _get("/tags/host", filter="web"), _get("/tags/host", limit="2"),
        _get("/tags/name", filter=".*u"), _get("/tags/nope"), _get("/tags/zone"),
        _get("/tags/dc", pretty="1"), _get("/tags", limit="x"),
    ]
    finds = [
        ["name=cpu.user"], ["name=cpu.user", "dc=eu"], ["dc=eu", "name=~cpu"],
        ["name=~cpu", "dc!=eu"], ["name=~cpu", "env="], ["name=~cpu", "env!="],
        ["name=~cpu", "env!=prod"], ["host=~web-1"], ["host=~web-1$"], ["host=~web-1", "host!=web-10"],
        ["host!=~web", "dc=~e|u"], ["name=~.*used", "rack=~.*"], ["name=~.*used", "rack!=~r1"],
        ["name=~^d|n"], ["name=~^(d|n)"], ["dc=eu", "mount=~/v"], ["host=~x\\.y"],
        ["zone=ü"], ["quantile=0.99"], ["quantile=~0\\.[5-9]+$"], ["dc=~(?i)EU"],
        ["name=nothing"], ["nope=x"], ["nope!=x", "name=mem.free"], ["dc!="],
        ["name=~cpu", "host=~.*", "dc!=~u"], ["iface=eth0", "dir=in"],
        # graphite-web's errors
        ["dc!=eu"], ["env="], ["name=~.*"], ["bad"], ["a;b=c"], ["name=~("], [],
    ]
    out += [_get("/tags/findSeries", expr=e) for e in finds]
    out += [_post("/tags/findSeries", **{"expr[]": ["name=mem.free", "dc=us"]}),
            _get("/tags/findSeries", expr=["dc=eu"], pretty="1")]
    out += [
        _get("/tags/autoComplete/tags"), _get("/tags/autoComplete/tags", tagPrefix="d"),
        _get("/tags/autoComplete/tags", tagPrefix="x"), _get("/tags/autoComplete/tags", limit="3"),
        _get("/tags/autoComplete/tags", limit="0"),
        _get("/tags/autoComplete/tags", expr="name=cpu.user"),
        _get("/tags/autoComplete/tags", expr=["name=cpu.user", "dc=us"]),
        _get("/tags/autoComplete/tags", expr="dc=eu", tagPrefix="h"),
        _get("/tags/autoComplete/tags", expr="dc=eu", limit="2"),
        _get("/tags/autoComplete/tags", expr="name=~nothing"),
        _get("/tags/autoComplete/tags", expr="dc!=eu"),
        _post("/tags/autoComplete/tags", expr="name=net.bytes"),
        _get("/tags/autoComplete/values", tag="dc"),
        _get("/tags/autoComplete/values", tag="host", valuePrefix="web"),
        _get("/tags/autoComplete/values", tag="host", valuePrefix="web-1", limit="2"),
        _get("/tags/autoComplete/values", tag="host", expr="dc=eu"),
        _get("/tags/autoComplete/values", tag="host", expr=["dc=eu", "name=~cpu"]),
        _get("/tags/autoComplete/values", tag="host", expr="dc=us", valuePrefix="w"),
        _get("/tags/autoComplete/values", tag="name", expr="host=web-1", limit="3"),
        _get("/tags/autoComplete/values", tag="env", expr="name=~cpu"),
        _get("/tags/autoComplete/values", tag="nope"),
        _get("/tags/autoComplete/values", tag="nope", expr="dc=eu"),
        _get("/tags/autoComplete/values", tag="dc", limit="0"),
        _get("/tags/autoComplete/values", tag="host", expr="dc=eu", limit="1"),
        _get("/tags/autoComplete/values"),
        _get("/tags/autoComplete/values", tag="dc", expr="bad"),
        _post("/tags/autoComplete/values", tag="quantile", expr="service=api"),
    ]
    renders = [
        CPU, "seriesByTag('name=~cpu', 'dc=eu')", 'seriesByTag("name=cpu.user","dc!=eu")',
        "seriesByTag('name=~cpu','env=')", "seriesByTag('host=~web-1','host!=web-10')",
        "seriesByTag('name=nothing')",
        f"groupByTags({CPU},'sum','dc')", "groupByTags(seriesByTag('name=~cpu'),'average','dc','name')",
        f"groupByTags({CPU},'sumSeries','dc')", "groupByTags(seriesByTag('name=~cpu'),'max','dc')",
        f"groupByTags({CPU},'sum','env')",
        f"aliasByTags({CPU},'host','dc')", f"aliasByTags({CPU},1,'dc')", f"aliasByTags({CPU},'nope')",
        f"aliasByNode({CPU},0,'host')", f"aliasByNode({CPU},-1)",
        f"sumSeries({CPU})", f"scale({CPU},2)", f"averageSeries({CPU})",
        f"aliasByMetric({CPU})", f"groupByNode({CPU},1,'sum')", f"groupByNodes({CPU},'sum','dc')",
        "sumSeries(seriesByTag('name=~cpu','dc=eu'))|aliasByTags('dc')",
        "cpu.user;host=web-1;dc=eu", "cpu.user;dc=eu;host=web-1",
        "seriesByTag('name=~.*')", "seriesByTag('bad')",
        [CPU, "seriesByTag('name=mem.free')"],
    ]
    out += [_render(t) for t in renders]
    out += [
        _get("/tags/tagSeries", path="a;b=c"),
        _post("/tags/tagSeries", path="new.metric;z=1;a=2"),
        _post("/tags/tagSeries", path="~tilde;b=x"),
        _post("/tags/tagSeries", path='om{b="2",a="1"}'),
        _post("/tags/tagSeries"),
        _post("/tags/tagMultiSeries", path=["multi.one;k=v", "multi.two;k=w", "plain.path"]),
        _post("/tags/tagMultiSeries", **{"path[]": ["multi.three;k=v"]}),
        _post("/tags/tagMultiSeries"),
        _get("/tags/findSeries", expr="k=~."),
        _get("/tags/findSeries", expr="name=plain.path"),
        _get("/tags/findSeries", expr="z=1"),
        _get("/tags/autoComplete/values", tag="k"),
        _post("/tags/delSeries", path=["multi.one;k=v", "cpu.user;host=web-10;dc=eu"]),
        _post("/tags/delSeries", **{"path[]": ["plain.path"]}),
        _post("/tags/delSeries", path="never.seen;a=b"),
        _post("/tags/delSeries"),
        _get("/tags/delSeries", path="a;b=c"),
        _get("/tags/findSeries", expr="k=~."),
        _get("/tags/findSeries", expr="name=cpu.user"),
        _get("/tags/findSeries", expr="name=plain.path"),
        _get("/tags/host"), _get("/tags/k"), _get("/tags"),
        _get("/tags/autoComplete/values", tag="host", expr="dc=eu"),
        _render(CPU),
    ]
    return out


def main() -> None:
    from tests.golden.record import answer, setup_graphite
    root = tempfile.mkdtemp(prefix="strata-golden-tags-")
    client, whisper_dir = setup_graphite(root)
    import whisper
    from graphite.tags.utils import TaggedSeries
    now = int(time.time())
    now -= now % STEP
    reply = client.post("/tags/tagMultiSeries", {"path": [raw for raw, _ in SERIES]})
    assert reply.status_code == 200, reply.content
    for (_, seed), path in zip(SERIES, json.loads(reply.content)):
        wsp = os.path.join(whisper_dir, TaggedSeries.encode(path, os.sep, hash_only=True) + ".wsp")
        os.makedirs(os.path.dirname(wsp), exist_ok=True)
        whisper.create(wsp, ARCHIVES, xFilesFactor=0.0, aggregationMethod="average")
        whisper.update_many(wsp, points(now, seed), now=now)
    record = {"graphite_web": "1.1.10", "now": now, "cases": []}
    for case in cases():
        params = dict(case["params"])
        if case["path"] == "/render":
            params["now"] = str(now)
        send = client.get if case["method"] == "GET" else client.post
        record["cases"].append({**case, **answer(send(case["path"], params))})
    out = HERE / "graphite_web_tags.json"
    out.write_text(json.dumps(record, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    print(f"recorded {len(record['cases'])} tag cases into {out}")


if __name__ == "__main__":
    main()
