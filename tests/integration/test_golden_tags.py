"""Golden tag tests: Strata's Tags API and tag functions against graphite-web 1.1.10's answers.

tests/golden/graphite_web_tags.json holds graphite-web's status, content type and body for
every case of tests/golden/record_tags.py, in order, over its LocalDatabaseTagDB and whisper
files fed record_tags.SERIES (record_tags.py made it).  Here the same spellings and points go
into a Store and the same requests, in the same order, go through render_api/tags.py and
the render handler.  Bodies are compared value by value, except the "id" fields of /tags
and /tags/<tag> (graphite-web's database row ids; docs/compatibility.md, "Tags").  Where
graphite-web answered 500 (a regex Python refuses, an invalid seriesByTag, a tag value
groupByTags cannot parse back) Strata must answer 400 with an error or 200, never 500.
"""

from __future__ import annotations

import json
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from render_api import handlers, tags
from render_api.storage import StoreReader
from rollup.schemas import AggregationRule, Aggregations, SchemaRule, Schemas, parse_levels
from tests.golden import record_tags
from tests.integration.test_golden import assert_same_json
from tsdb import Store, StoreConfig

RECORD = json.loads((Path(__file__).parents[1] / "golden" / "graphite_web_tags.json").read_text())
NOW = RECORD["now"]
TOKEN = "golden-token"
# graphite-web looks an unnormalised tagged path up verbatim (and finds no file); Strata
# normalises it first (docs/compatibility.md, "Tags")
NORMALISED_LOOKUP = "cpu.user;host=web-1;dc=eu"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    rule = SchemaRule("golden", ".*", parse_levels(record_tags.RETENTIONS))
    agg = AggregationRule("golden", ".*", 0.0, "average")
    config = StoreConfig(schemas=Schemas((rule,), rule), aggregations=Aggregations((agg,), agg))
    store = Store.open(tmp_path_factory.mktemp("golden-tags") / "data", config, now=NOW)
    for raw, seed in record_tags.SERIES:
        pts = record_tags.points(NOW, seed)
        store.write([raw] * len(pts), np.array([t for t, _ in pts], np.float64),
                    np.array([v for _, v in pts], np.float64), now=NOW)
    yield store
    store.close()


@pytest.fixture(scope="module")
def answers(store):
    """Strata's response to every case, asked in recording order (later cases see the
    series registered and deleted by earlier ones)."""
    return [ask(store, case) for case in RECORD["cases"]]


def ask(store: Store, case: dict) -> handlers.Response:
    params = {k: v if isinstance(v, list) else [v] for k, v in case["params"].items()}
    if case["path"] == "/render":
        params["now"] = [str(NOW)]
        return handlers.render(params, StoreReader(store, 10_000), handlers.RenderLimits(), NOW,
                               ZoneInfo("UTC"))
    path = case["path"].rstrip("/") or "/"
    return tags.handle(path, case["method"], params, store, TOKEN, f"Bearer {TOKEN}")


def case_id(case: dict) -> str:
    return f"{case['method']} {case['path']} {json.dumps(case['params'], sort_keys=True)}"


def without_ids(value):
    if isinstance(value, dict):
        return {k: without_ids(v) for k, v in value.items() if k != "id"}
    if isinstance(value, list):
        return [without_ids(v) for v in value]
    return value


@pytest.mark.parametrize("index", range(len(RECORD["cases"])),
                         ids=[case_id(c) for c in RECORD["cases"]])
def test_matches_graphite_web(answers, index):
    case, got = RECORD["cases"][index], answers[index]
    if case["status"] == 500:
        assert got.status in (200, 400), got.content[:300]
        return
    if case["params"].get("target") == [NORMALISED_LOOKUP]:
        assert [s["target"] for s in json.loads(got.content)] == ["cpu.user;dc=eu;host=web-1"]
        return
    assert got.status == case["status"], got.content[:300]
    if case["status"] == 405:
        assert got.content == b""
        return
    if case["path"] == "/render":
        if case["status"] == 200:
            assert_same_json(json.loads(got.content), json.loads(case["body"]))
        else:
            assert got.content.decode().startswith(case["body"].split("(")[0])
        return
    assert got.content_type == "application/json"
    assert without_ids(json.loads(got.content)) == without_ids(json.loads(case["body"]))
    if case["params"].get("pretty"):
        assert got.content.decode() == json.dumps(json.loads(got.content), indent=2, sort_keys=True)


def test_ids_are_positive_and_distinct_per_listing(store):
    listed = json.loads(tags.handle("/tags", "GET", {}, store).content)
    ids = [row["id"] for row in listed]
    assert len(set(ids)) == len(ids) and min(ids) >= 1


def test_tag_index_after_the_cases_survives_reopen(tmp_path):
    """Replaying every case (registrations and deletions included) into a fresh store, then
    reopening it, leaves the tag index answering exactly as before."""
    probes = ["k=~.", "name=plain.path", "name=~.", "z=1", "dc!=", "host=~web"]
    config = StoreConfig(shards=4)
    with Store.open(tmp_path / "data", config, now=NOW) as store:
        for raw, seed in record_tags.SERIES:
            store.write([raw], [NOW], [float(seed)], now=NOW)
        for case in RECORD["cases"]:
            if case["path"] != "/render":
                ask(store, case)
        before = {e: tags.tagged_names(store, [e]) for e in probes}
        listing = tags.handle("/tags/host", "GET", {}, store).content
    with Store.open(tmp_path / "data", config, now=NOW) as store:
        assert {e: tags.tagged_names(store, [e]) for e in probes} == before
        assert without_ids(json.loads(tags.handle("/tags/host", "GET", {}, store).content)) == \
            without_ids(json.loads(listing))
    assert before["k=~."] == ["multi.three;k=v", "multi.two;k=w"]
    assert before["name=plain.path"] == [] and "plain.path" not in before["name=~."]
    assert "cpu.user;dc=eu;host=web-10" not in before["name=~."]
