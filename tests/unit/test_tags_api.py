"""render_api/tags.py: the Tags API handlers, seriesByTag resolution and tag persistence.

Shapes and values are checked against graphite-web 1.1.10 in tests/integration/
test_golden_tags.py; these tests pin Strata's own parts: the admin token, methods, errors,
names registered without points, and the tag events surviving a reopen.
"""

from __future__ import annotations

import json
import time

import pytest

from render_api import tags
from render_api.http import GraphiteApi
from render_api.handlers import RenderLimits
from render_api.storage import StoreReader
from tsdb import Store, StoreConfig
from tsdb.errors import CorruptFile, UnknownFormatVersion
from tsdb.format import NAMELOG_EVENTS_VERSION

NOW = 1_700_000_000
SERIES = ["cpu;dc=eu;host=a", "cpu;dc=us;host=b", "mem;dc=eu;host=a", "plain.metric"]


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "data", StoreConfig(shards=2), now=NOW)
    s.write(SERIES, [NOW] * 4, [1.0, 2.0, 3.0, 4.0], now=NOW)
    yield s
    s.close()


def call(store, url, method="GET", admin_token="", auth=None, **params):
    p = {k: v if isinstance(v, list) else [v] for k, v in params.items()}
    return tags.handle(url, method, p, store, admin_token, auth)


def body(response):
    return json.loads(response.content)


def test_find_series_returns_sorted_names(store):
    assert body(call(store, "/tags/findSeries", expr="dc=eu")) == ["cpu;dc=eu;host=a", "mem;dc=eu;host=a"]


def test_query_errors_are_400_json(store):
    got = call(store, "/tags/findSeries", expr="dc!=eu")
    assert got.status == 400 and body(got) == {"error": "At least one tagspec must not match the empty string"}
    assert call(store, "/tags/findSeries").status == 400
    assert call(store, "/tags/findSeries", expr="x=~(").status == 400


def test_wrong_method_is_405_with_empty_body(store):
    for path, method in [("/tags", "POST"), ("/tags/tagSeries", "GET"), ("/tags/dc", "POST"),
                         ("/tags/findSeries", "PUT")]:
        got = call(store, path, method)
        assert (got.status, got.content) == (405, b""), path


def test_tag_series_normalises_and_registers_without_points(store):
    got = call(store, "/tags/tagSeries", "POST", path="new;z=1;a=2")
    assert body(got) == "new;a=2;z=1"
    assert tags.tagged_names(store, ["name=new"]) == ["new;a=2;z=1"]
    assert "new;a=2;z=1" in store


def test_tag_series_of_a_plain_path_lists_it_by_name(store):
    assert tags.tagged_names(store, ["name=plain.metric"]) == []
    call(store, "/tags/tagMultiSeries", "POST", path=["plain.metric"])
    assert tags.tagged_names(store, ["name=plain.metric"]) == ["plain.metric"]


def test_tag_series_with_a_bad_name_is_400(store):
    got = call(store, "/tags/tagSeries", "POST", path="a;=b")
    assert got.status == 400 and "invalid metric name" in body(got)["error"]


def test_tag_series_over_the_series_limit_is_422(tmp_path):
    with Store.open(tmp_path / "d", StoreConfig(shards=1, max_series=1), now=NOW) as s:
        got = call(s, "/tags/tagMultiSeries", "POST", path=["a;b=c", "d;e=f"])
        assert got.status == 422 and "storage.max_series" in body(got)["error"]


def test_del_series_is_refused_without_a_configured_token(store):
    got = call(store, "/tags/delSeries", "POST", path="cpu;dc=eu;host=a")
    assert got.status == 403 and "render.admin_token" in body(got)["error"]
    assert tags.tagged_names(store, ["name=cpu"]) == ["cpu;dc=eu;host=a", "cpu;dc=us;host=b"]


@pytest.mark.parametrize("auth, params", [(None, {}), ("Bearer nope", {}), (None, {"token": "nope"})])
def test_del_series_is_refused_with_a_wrong_token(store, auth, params):
    got = call(store, "/tags/delSeries", "POST", "secret", auth, path="cpu;dc=eu;host=a", **params)
    assert got.status == 403 and body(got) == {"error": "missing or wrong admin token"}


@pytest.mark.parametrize("auth, params", [("Bearer secret", {}), (None, {"token": "secret"})])
def test_del_series_with_the_token_unlists(store, auth, params):
    got = call(store, "/tags/delSeries", "POST", "secret", auth, path="cpu;host=a;dc=eu", **params)
    assert body(got) is True
    assert tags.tagged_names(store, ["name=cpu"]) == ["cpu;dc=us;host=b"]
    assert "cpu;dc=eu;host=a" in store            # graphite-web keeps the data too


def test_deletion_and_registration_survive_reopen(tmp_path):
    path = tmp_path / "data"
    with Store.open(path, StoreConfig(shards=2), now=NOW) as s:
        s.write(SERIES, [NOW] * 4, [1.0] * 4, now=NOW)
        assert s.tag_series(["cpu;dc=eu;host=a"], delete=True) == 1
        assert s.tag_series(["plain.metric", "fresh;k=v"]) == 1     # fresh is listed on creation
        assert s.tag_series(["mem;dc=eu;host=a"], delete=True) == 1
        assert s.tag_series(["mem;dc=eu;host=a"]) == 1                # revived
    with Store.open(path, StoreConfig(shards=2), now=NOW) as s:
        assert tags.tagged_names(s, ["name=~."]) == ["cpu;dc=us;host=b", "fresh;k=v",
                                                      "mem;dc=eu;host=a", "plain.metric"]
        assert tags.tagged_names(s, ["host=a"]) == ["mem;dc=eu;host=a"]


def test_first_event_turns_the_name_log_to_version_2(tmp_path):
    path = tmp_path / "data"
    with Store.open(path, StoreConfig(shards=1), now=NOW) as s:
        s.write(["a;b=c"], [NOW], [1.0], now=NOW)
    log = path / "shard-000" / "names.log"
    assert int.from_bytes(log.read_bytes()[8:10], "little") == 1
    with Store.open(path, StoreConfig(shards=1), now=NOW) as s:
        s.tag_series(["a;b=c"], delete=True)
    assert int.from_bytes(log.read_bytes()[8:10], "little") == NAMELOG_EVENTS_VERSION


def test_unknown_name_log_version_is_refused(tmp_path):
    path = tmp_path / "data"
    Store.open(path, StoreConfig(shards=1), now=NOW).close()
    log = path / "shard-000" / "names.log"
    raw = bytearray(log.read_bytes())
    raw[8:10] = (3).to_bytes(2, "little")
    log.write_bytes(bytes(raw))
    with pytest.raises(UnknownFormatVersion, match="unknown format version 3"):
        Store.open(path, StoreConfig(shards=1), now=NOW)


def test_an_event_in_a_version_1_log_is_corrupt(tmp_path):
    path = tmp_path / "data"
    with Store.open(path, StoreConfig(shards=1), now=NOW) as s:
        s.write(["a;b=c"], [NOW], [1.0], now=NOW)
        s.tag_series(["a;b=c"], delete=True)
    log = path / "shard-000" / "names.log"
    raw = bytearray(log.read_bytes())
    raw[8:10] = (1).to_bytes(2, "little")
    log.write_bytes(bytes(raw))
    with pytest.raises(CorruptFile, match="tag event"):
        Store.open(path, StoreConfig(shards=1), now=NOW)


def test_tag_expressions_reads_string_arguments():
    assert tags.tag_expressions("seriesByTag('name=a', \"dc=x\", 3)") == ["name=a", "dc=x"]


def test_render_resolves_series_by_tag(store):
    reader = StoreReader(store, max_series=100)
    got = reader.fetch("seriesByTag('name=cpu')", NOW - 60, NOW, NOW, 0.0)
    assert [s.name for s in got] == ["cpu;dc=eu;host=a", "cpu;dc=us;host=b"]
    assert got[0].tags == {"dc": "eu", "host": "a", "name": "cpu"}


def test_pretty_indents_and_sorts_keys(store):
    got = call(store, "/tags/dc", pretty="1")
    assert got.content.decode() == json.dumps(body(got), indent=2, sort_keys=True)


def test_http_routes_tags_with_method_and_authorization(store):
    api = GraphiteApi(StoreReader(store, 100), RenderLimits(), reactor=None, admin_token="t")
    route = api.route("/tags/delSeries/", method="POST", authorization="Bearer t")
    assert json.loads(route({"path": ["cpu;dc=us;host=b"]}).content) is True
    assert tags.tagged_names(store, ["name=cpu"]) == ["cpu;dc=eu;host=a"]
    assert api.route("/tags", method="GET")({}).status == 200


def test_autocomplete_is_fast_enough_to_type_with(store):
    # not a benchmark (benchmarks/tags_bench.py): a guard against an accidental full scan per value
    for i in range(2000):
        store.tag_series([f"m;host=h{i};dc=eu"])
    started = time.perf_counter()
    got = call(store, "/tags/autoComplete/values", tag="host", valuePrefix="h19", limit="5")
    assert body(got) == ["h19", "h190", "h1900", "h1901", "h1902"]
    assert time.perf_counter() - started < 0.5


def test_a_read_only_view_follows_tag_events_and_refuses_changes(tmp_path):
    from tsdb.view import StoreView
    path = tmp_path / "data"
    with Store.open(path, StoreConfig(shards=2), now=NOW) as writer:
        writer.write(SERIES, [NOW] * 4, [1.0] * 4, now=NOW)
        view = StoreView.open(path, StoreConfig(shards=2), max_age=0.0)
        try:
            assert body(call(view, "/tags/findSeries", expr="name=cpu")) == ["cpu;dc=eu;host=a",
                                                                           "cpu;dc=us;host=b"]
            writer.tag_series(["cpu;dc=eu;host=a"], delete=True)
            assert body(call(view, "/tags/findSeries", expr="name=cpu")) == ["cpu;dc=us;host=b"]
            got = call(view, "/tags/tagSeries", "POST", path="x;y=z")
            assert got.status == 503 and "render.isolated" in body(got)["error"]
            assert "x;y=z" not in view and "x;y=z" not in writer
        finally:
            view.close()
