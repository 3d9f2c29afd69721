"""Golden render tests: Strata's answers against graphite-web 1.1.10's, recorded on the same data.

tests/golden/graphite_web.json holds graphite-web's status, content type and body for every
case of tests/golden/cases.py, rendered over whisper files of tests/golden/dataset.py with
`now` pinned (tests/golden/record.py made it).  Here the same points go into a Store with the
same retentions and the same requests go through Strata's handlers.  JSON is compared value
by value (relative 1e-9: sums may add in another order) and name by name; other formats
byte for byte.  Where graphite-web 1.1.10 itself crashed (HTTP 500, Python 3 bugs listed in
docs/compatibility.md) Strata must answer 200.
"""

from __future__ import annotations

import json
import math
import pickle
from pathlib import Path
from zoneinfo import ZoneInfo

import msgpack
import numpy as np
import pytest

from render_api import handlers
from render_api.storage import StoreReader
from rollup.schemas import AggregationRule, Aggregations, SchemaRule, Schemas, parse_levels
from tests.golden import dataset
from tsdb import Store, StoreConfig

RECORD = json.loads((Path(__file__).parents[1] / "golden" / "graphite_web.json").read_text())
NOW = RECORD["now"]


@pytest.fixture(scope="module")
def reader(tmp_path_factory):
    rule = SchemaRule("golden", ".*", parse_levels(dataset.RETENTIONS))
    agg = AggregationRule("golden", ".*", dataset.XFF, "average")
    config = StoreConfig(schemas=Schemas((rule,), rule), aggregations=Aggregations((agg,), agg))
    store = Store.open(tmp_path_factory.mktemp("golden") / "data", config, now=NOW)
    for name, pts in dataset.points(NOW).items():
        ts = np.array([t for t, _ in pts], np.float64)
        vs = np.array([v for _, v in pts], np.float64)
        store.write([name] * len(pts), ts, vs, now=NOW)
    yield StoreReader(store, max_series=10_000)
    store.close()


def render(reader, params: dict) -> handlers.Response:
    p = {k: v if isinstance(v, list) else [v] for k, v in params.items()}
    p["now"] = [str(NOW)]
    return handlers.render(p, reader, handlers.RenderLimits(), NOW, ZoneInfo("UTC"))


def case_id(case: dict) -> str:
    p = case["params"]
    extra = ",".join(f"{k}={v}" for k, v in sorted(p.items()) if k != "target")
    return f"{'|'.join(p.get('target', []))} [{extra}]"


@pytest.mark.parametrize("case", RECORD["render"], ids=case_id)
def test_render_matches_graphite_web(reader, case):
    got = render(reader, case["params"])
    if case["status"] == 500:
        assert got.status == 200, got.content[:300]
        return
    assert got.status == case["status"], got.content[:300]
    if case["status"] != 200:
        assert got.content.decode().startswith(case["body"].split("(")[0])
        return
    fmt = case["params"].get("format")
    if fmt == "json" and "jsonp" not in case["params"]:
        assert_same_json(json.loads(got.content), json.loads(case["body"]))
    elif fmt == "pickle":
        assert_same_data(pickle.loads(got.content), case["body_data"])
    elif fmt == "msgpack":
        assert_same_data(msgpack.unpackb(got.content, raw=False), case["body_data"])
    else:
        assert got.content.decode() == case["body"]
    assert got.content_type.split(";")[0] == case["content_type"].split(";")[0]


def assert_same_json(got: list, want: list) -> None:
    assert [s["target"] for s in got] == [s["target"] for s in want]
    for g, w in zip(got, want):
        assert g["tags"] == w["tags"], g["target"]
        assert [p[1] for p in g["datapoints"]] == [p[1] for p in w["datapoints"]], g["target"]
        for (gv, t), (wv, _) in zip(g["datapoints"], w["datapoints"]):
            assert same_value(gv, wv), f"{g['target']} at {t}: {gv} != {wv}"


def assert_same_data(got, want) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want):
        g = {str(k): v for k, v in g.items()}
        assert set(g) == set(w)
        for key in w:
            if key == "values":
                assert len(g[key]) == len(w[key])
                assert all(same_value(a, b) for a, b in zip(g[key], w[key])), key
            else:
                assert g[key] == w[key], key


def same_value(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


@pytest.mark.parametrize("case", RECORD["find"], ids=lambda c: json.dumps(c["params"], sort_keys=True))
def test_find_matches_graphite_web(reader, case):
    p = {k: [v] for k, v in case["params"].items()}
    got = handlers.find(p, reader)
    assert (got.status, got.content.decode()) == (case["status"], case["body"])
