"""Grafana's Graphite data source against `strata serve`: the requests it sends, the shapes it reads.

Shapes from Grafana's public/app/plugins/datasource/graphite: datasource.ts `query` (POST
/render, form body of `target=<encodeURIComponent>` pairs then from, until, format,
maxDataPoints; every target wrapped as `aliasSub(<t>, "(^.*$)", "\\1 <refId>")` and the refId
split off the returned `target` at the last space), `requestMetricFind` (POST /metrics/find,
body `query=<q>` NOT url-encoded, range in the query string), `requestMetricExpand` (GET
/metrics/expand), `getVersion` (semver text), `getFuncDefs` + gfunc.ts `parseFuncDefs`
(GET /functions) and `testDatasource` (constantLine(100) over now-1h..now, maxDataPoints 300).
test_http.py covers the basic round trip; test_cluster.py checks these answers against
graphite-web itself.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.integration.conftest import free_port, start_server, wait_for_port

pytestmark = pytest.mark.integration

STEP = 10
NAMES = ("app.web1.requests", "app.web1.errors", "app.web2.requests", "app.db.latency")
# datasource.ts / gfunc.ts: the param types parseFuncDefs maps, and the rest it reads as strings
PARAM_TYPES = {"boolean", "date", "float", "integer", "interval", "intOrInterval", "intOrInf", "node",
               "nodeOrTag", "series", "seriesList", "seriesLists", "string", "tag", "any", "aggFunc",
               "aggOrSeriesFunc"}
SEMVER = re.compile(r"^\d+\.\d+\.\d+$")
BACKREF = "\\1"


def encode_uri_component(text: str) -> str:
    """JavaScript's encodeURIComponent, which Grafana applies to each target."""
    return urllib.parse.quote(text, safe="-_.!~*'()")


def request(base: str, path: str, body: bytes | None = None,
            ctype: str = "application/x-www-form-urlencoded") -> tuple[int, str, bytes]:
    req = urllib.request.Request(base + path, data=body, method="GET" if body is None else "POST",
                                 headers={} if body is None else {"Content-Type": ctype})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Content-Type", ""), err.read()


def grafana_render_body(targets: dict[str, str], start: str, until: str, max_points: int,
                        now: int | None = None) -> bytes:
    """datasource.ts `query` + `buildGraphiteParams`: wrapped targets, then the options.
    `now` is not Grafana's; tests pin it so two requests see the same buckets."""
    wrapped = [f'aliasSub({t}, "(^.*$)", "{BACKREF} {ref}")' for ref, t in targets.items()]
    parts = [f"target={encode_uri_component(w)}" for w in wrapped]
    parts += [f"from={start}", f"until={until}", "format=json", f"maxDataPoints={max_points}"]
    if now is not None:
        parts.append(f"now={now}")
    return "&".join(parts).encode()


def strict_json(body: bytes):
    """JSON.parse's grammar: NaN and Infinity are not JSON."""
    def refuse(token):
        raise ValueError(f"{token} is not valid JSON")
    return json.loads(body, parse_constant=refuse)


def split_ref_id(target: str) -> tuple[str, str]:
    """convertResponseToDataFrames: the refId is the last space-separated word."""
    name, _, ref = target.rpartition(" ")
    return name, ref


@pytest.fixture(scope="module")
def grafana_api(tmp_path_factory):
    root = tmp_path_factory.mktemp("grafana")
    port = free_port()
    server = start_server(root, "--http-port", str(port), config="[metrics]\ninterval = 0\n")
    try:
        wait_for_port(port)
        now = int(time.time()) // STEP * STEP
        stamps = range(now - 3600 + STEP, now, STEP)
        points = {name: [(t, float((i * (k + 3)) % 97)) for i, t in enumerate(stamps)]
                  for k, name in enumerate(NAMES)}
        lines = "".join(f"{n} {v!r} {t}\n" for n, pts in points.items() for t, v in pts)
        with socket.create_connection(("127.0.0.1", server.line_port)) as s:
            s.sendall(lines.encode())
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            _, _, body = request(base, f"/render?target=app.db.latency&format=json&from=-2h&now={now}")
            got = json.loads(body)
            if got and sum(v is not None for v, _ in got[0]["datapoints"]) == len(stamps):
                break
            time.sleep(0.1)
        else:
            raise AssertionError("points never became readable:\n" + server.log())
        yield base, now, points
    finally:
        if server.proc.poll() is None:
            server.stop(signal.SIGKILL)


# ----------------------------------------------------------------------------- /render


def test_panel_query_answers_what_grafana_parses(grafana_api):
    base, now, points = grafana_api
    body = grafana_render_body({"A": r"aliasSub(app.*.requests, '(\w+)', '\1')",
                                "B": "sumSeries(app.web1.*)"}, "-6h", "now", 300, now)
    status, ctype, raw = request(base, "/render", body)
    assert status == 200 and ctype == "application/json"
    series = strict_json(raw)
    assert [split_ref_id(s["target"]) for s in series] == [
        ("app.web1.requests", "A"), ("app.web2.requests", "A"), ("sumSeries(app.web1.*)", "B")]
    for s in series:
        assert set(s) == {"target", "tags", "datapoints"}
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in s["tags"].items())
        stamps = [ts for _, ts in s["datapoints"]]
        assert all(isinstance(ts, int) for ts in stamps)
        assert len(stamps) <= 300
        gaps = {b - a for a, b in zip(stamps, stamps[1:])}
        assert len(gaps) == 1 and gaps.pop() % STEP == 0
        assert all(v is None or isinstance(v, (int, float)) for v, _ in s["datapoints"])
    # aliasSub renames; the tags keep the series' own name, as graphite-web's do
    assert series[0]["tags"] == {"name": "app.web1.requests"}
    # each consolidated value averages raw sums, so it lies between their extremes
    raw_sums = [a + b for (_, a), (_, b) in zip(points["app.web1.requests"], points["app.web1.errors"])]
    consolidated = [v for v, _ in series[2]["datapoints"] if v is not None]
    assert len(consolidated) > 40
    assert min(raw_sums) <= min(consolidated) and max(consolidated) <= max(raw_sums)
    assert len(set(consolidated)) > 1


def test_render_json_body_equals_form_body(grafana_api):
    base, now, _ = grafana_api
    targets = ["app.web*.requests", 'aliasSub(app.db.latency, "(^.*$)", "\\1 C")']
    form = "&".join([f"target={encode_uri_component(t)}" for t in targets]
                    + ["from=-6h", "until=now", "format=json", "maxDataPoints=300", f"now={now}"])
    as_json = json.dumps({"target": targets, "from": "-6h", "until": "now", "format": "json",
                          "maxDataPoints": 300, "now": now})
    status, _, by_form = request(base, "/render", form.encode())
    assert status == 200
    status, ctype, by_json = request(base, "/render", as_json.encode(), "application/json")
    assert status == 200 and ctype == "application/json"
    assert strict_json(by_json) == strict_json(by_form)
    assert [s["target"] for s in strict_json(by_json)] == [
        "app.web1.requests", "app.web2.requests", "app.db.latency C"]


def test_render_json_body_that_is_not_an_object_is_a_clear_400(grafana_api):
    base, _, _ = grafana_api
    status, ctype, body = request(base, "/render", b'["app.db.latency"]', "application/json")
    assert status == 400 and ctype == "application/json"
    assert "JSON body must be an object" in json.loads(body)["error"]


def test_save_and_test_renders_constant_line(grafana_api):
    # datasource.ts testDatasource: refId A, now-1h..now, maxDataPoints 300
    base, _, _ = grafana_api
    status, ctype, raw = request(base, "/render",
                                 grafana_render_body({"A": "constantLine(100)"}, "-1h", "now", 300))
    assert status == 200 and ctype == "application/json"
    (series,) = strict_json(raw)
    assert split_ref_id(series["target"]) == ("100.0", "A")
    (t0, v0), (t1, v1), (t2, v2) = [(ts, v) for v, ts in series["datapoints"]]
    assert (v0, v1, v2) == (100.0, 100.0, 100.0)
    assert t2 - t0 == 3600 and t1 - t0 == 1800


# ----------------------------------------------------------------------------- /metrics


@pytest.mark.parametrize("query, expected", [
    ("*", [("app", True)]),
    ("app.*", [("db", True), ("web1", True), ("web2", True)]),
    ("app.{web1,db}.*", [("errors", False), ("latency", False), ("requests", False)]),
    ("app.web1.*", [("errors", False), ("requests", False)]),
    ("app.nothing.*", []),
])
def test_metric_find_post_answers_text_and_expandable(grafana_api, query, expected):
    base, now, _ = grafana_api
    # requestMetricFind: the query is NOT url-encoded in the body; the range is epoch seconds
    status, ctype, raw = request(base, f"/metrics/find?from={now - 21600}&until={now}",
                                 f"query={query}".encode())
    assert status == 200 and ctype.startswith("application/json")
    nodes = strict_json(raw)
    assert [(n["text"], bool(n["expandable"])) for n in nodes] == expected
    for n in nodes:
        assert n["leaf"] == 1 - n["expandable"] and n["id"].endswith(n["text"])


def test_expand_variable_answers_results(grafana_api):
    base, now, _ = grafana_api
    # requestMetricExpand: GET with query, from and until as parameters
    params = urllib.parse.urlencode({"query": "app.*.requests", "from": now - 21600, "until": now})
    status, _, raw = request(base, f"/metrics/expand?{params}")
    assert status == 200
    assert strict_json(raw) == {"results": ["app.web1.requests", "app.web2.requests"]}


# ----------------------------------------------------------------------------- /functions, /version


def parse_func_defs(raw: dict) -> dict:
    """gfunc.ts parseFuncDefs, the parts that can fail on a wrong shape."""
    defs = {}
    for key, fn in raw.items():
        if fn["group"] == "Graph":
            continue
        params = list(fn["params"])
        if params and re.fullmatch(r"seriesLists?", params[0].get("type", "")):
            if params[0].get("multiple"):
                params[0] = dict(params[0], required=False)
            else:
                params.pop(0)
        defs[key] = {"name": fn["name"], "category": fn["group"], "description": fn["description"],
                     "params": [{"name": p["name"], "type": p["type"], "optional": not p.get("required"),
                                 "multiple": bool(p.get("multiple")),
                                 "options": [str(o) for o in p.get("options", p.get("suggestions", []))]}
                                for p in params]}
    return defs


def test_functions_is_strict_json_in_the_shape_grafana_parses(grafana_api):
    base, _, _ = grafana_api
    status, ctype, raw = request(base, "/functions")
    assert status == 200 and ctype == "application/json"
    functions = strict_json(raw)
    for key, fn in functions.items():
        assert isinstance(fn["name"], str) and isinstance(fn["group"], str), key
        assert isinstance(fn["description"], str) and fn["function"].startswith(key + "("), key
        for p in fn["params"]:
            assert set(p) <= {"name", "type", "required", "default", "multiple", "options", "suggestions"}
            assert p["type"] in PARAM_TYPES, (key, p)
            assert p.get("required", True) is True and p.get("multiple", True) is True, (key, p)
            assert isinstance(p.get("options", []), list) and isinstance(p.get("suggestions", []), list)
    defs = parse_func_defs(functions)
    assert defs["aliasSub"]["params"] == [
        {"name": "search", "type": "string", "optional": False, "multiple": False, "options": []},
        {"name": "replace", "type": "string", "optional": False, "multiple": False, "options": []}]
    assert defs["sumSeries"]["params"][0]["optional"] and defs["sumSeries"]["params"][0]["multiple"]
    window = defs["movingAverage"]["params"][0]
    assert window["type"] == "intOrInterval" and "5min" in window["options"]
    assert functions["keepLastValue"]["params"][1]["default"] == float("inf")   # sent as 1e9999
    assert {"sum", "avg", "aliasSub", "aliasByNode", "constantLine", "seriesByTag"} <= set(defs)


def test_functions_pretty_and_single_function(grafana_api):
    base, _, _ = grafana_api
    _, _, plain = request(base, "/functions")
    status, _, pretty = request(base, "/functions?pretty=1")
    assert status == 200 and pretty.startswith(b'{\n  "')
    assert strict_json(pretty) == strict_json(plain)
    status, ctype, one = request(base, "/functions/aliasSub")
    assert status == 200 and ctype == "application/json"
    assert strict_json(one) == strict_json(plain)["aliasSub"]


def test_version_is_semver_text(grafana_api):
    base, _, _ = grafana_api
    status, _, body = request(base, "/version")
    assert status == 200 and SEMVER.match(body.decode())
