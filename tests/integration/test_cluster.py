"""graphite-web 1.1.10 with CLUSTER_SERVERS at Strata shows Strata's data unchanged (issue #4).

One Strata node is fed two hours of 10 s points (a few hierarchies, gaps, a counter with a
reset, a tagged series).  graphite-web runs as a real server (graphite_web_peer.py) with the
Strata node as its only backend, once asking for pickle over GET and once for msgpack over
multipart POST, the two cluster encodings and transports graphite-web 1.1.10 has.  Every
case sends the same request, `now` pinned, to graphite-web and to Strata itself: the JSON
must be identical (names, tags, every value and timestamp).  graphite-web evaluates the
functions itself over the raw series it fetched from Strata, so a case passes only when
Strata's own functions agree with graphite-web's on Strata's data.

The cluster protocol is also checked directly (graphite-web's finders/remote.py and
readers/remote.py are the client): `/render/?local=1&format=pickle|msgpack&noCache=1`
answers getInfo dicts whose `pathExpression` is each target exactly as sent, and
`/metrics/find/?local=1&format=pickle|msgpack` answers path/is_leaf/intervals dicts.
"""

from __future__ import annotations

import json
import pickle
import random
import signal
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import msgpack
import pytest

from tests.integration.conftest import Server, free_port, start_server, wait_for_port
from tests.integration.graphite_web_peer import GraphiteWeb, graphite_web

pytestmark = pytest.mark.integration

HOURS = 2
STEP = 10
TAGGED = "disk.free;dc=east;host=web1"           # Strata's (and carbon's) normal form
TAGGED_AS_TYPED = "disk.free;host=web1;dc=east"  # how a user may write it in a target
GAUGES = ("servers.web1.cpu.user", "servers.web1.cpu.system", "servers.web2.cpu.user",
          "servers.web2.cpu.system", "servers.db1.disk.used", "servers.db1.disk.free",
          "apps.api.latency", "apps.worker.latency", TAGGED)
COUNTERS = ("apps.api.requests.count", "apps.worker.requests.count")
GETINFO_KEYS = {"name", "start", "end", "step", "values", "pathExpression", "valuesPerPoint",
                "consolidationFunc", "xFilesFactor"}


# ----------------------------------------------------------------------------- the data set


def dataset(now: int) -> dict[str, list[tuple[int, float]]]:
    """Every series' points over the two hours before `now`: 10 s apart, about 5% of the
    buckets empty, a 10-minute gap in servers.web2.cpu.user, counters with one reset."""
    rng = random.Random(20261121)
    stamps = range(now - HOURS * 3600 + STEP, now, STEP)
    out: dict[str, list[tuple[int, float]]] = {}
    for name in GAUGES:
        out[name] = [(t, round(rng.uniform(0, 100), 2)) for t in stamps if rng.random() > 0.05]
    gap = range(now - 3600, now - 3000)
    out["servers.web2.cpu.user"] = [p for p in out["servers.web2.cpu.user"] if p[0] not in gap]
    for name in COUNTERS:
        total, points = 0.0, []
        for i, t in enumerate(stamps):
            total = 0.0 if i == len(stamps) // 2 else total + rng.randint(0, 50)
            if rng.random() > 0.05:
                points.append((t, total))
        out[name] = points
    return out


@dataclass
class StrataNode:
    server: Server
    http: str
    http_port: int
    now: int
    points: dict[str, list[tuple[int, float]]] = field(repr=False)


def http(base: str, path: str, params, method: str = "GET", body: bytes | None = None,
         ctype: str = "application/x-www-form-urlencoded") -> tuple[int, str, bytes]:
    """(status, content type, body) of one request; HTTP errors are answers too."""
    query = urllib.parse.urlencode(params, doseq=True)
    if method == "GET":
        req = urllib.request.Request(f"{base}{path}?{query}")
    else:
        req = urllib.request.Request(f"{base}{path}", data=query.encode() if body is None else body,
                                     headers={"Content-Type": ctype}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Content-Type", ""), err.read()


def json_body(base: str, path: str, params, method: str = "GET") -> bytes:
    status, _, body = http(base, path, params, method)
    assert status == 200, f"{base}{path} {params}: {status} {body[:2000]!r}"
    return body


def json_answer(base: str, path: str, params, method: str = "GET"):
    return json.loads(json_body(base, path, params, method))


def feed(node: StrataNode) -> None:
    lines = "".join(f"{name} {v!r} {t}\n" for name, pts in node.points.items() for t, v in pts)
    with socket.create_connection(("127.0.0.1", node.server.line_port)) as s:
        s.sendall(lines.encode())


def wait_until_stored(node: StrataNode, timeout: float = 20.0) -> None:
    """Until Strata renders every point sent (the render API sees new points within ~1 s)."""
    deadline = time.monotonic() + timeout
    missing = dict(node.points)
    while missing and time.monotonic() < deadline:
        for name in list(missing):
            got = json_answer(node.http, "/render", [("target", name), ("format", "json"),
                                                      ("from", "-3h"), ("now", node.now)])
            have = sum(v is not None for v, _ in got[0]["datapoints"]) if got else 0
            if have == len(node.points[name]):
                del missing[name]
        time.sleep(0.1)
    assert not missing, f"never readable in full: {sorted(missing)}\n{node.server.log()}"


@pytest.fixture(scope="module")
def strata(tmp_path_factory):
    root = tmp_path_factory.mktemp("strata")
    port = free_port()
    server = start_server(root, "--http-port", str(port), config="[metrics]\ninterval = 0\n")
    try:
        wait_for_port(port)
        now = int(time.time()) // STEP * STEP
        node = StrataNode(server, f"http://127.0.0.1:{port}", port, now, dataset(now))
        feed(node)
        wait_until_stored(node)
        yield node
    finally:
        if server.proc.poll() is None:
            server.stop(signal.SIGKILL)


@pytest.fixture(scope="module", params=[("pickle", False), ("msgpack", True)],
                ids=["pickle-GET", "msgpack-POST"])
def frontend(request, strata, tmp_path_factory) -> GraphiteWeb:
    cluster_format, use_post = request.param
    root = tmp_path_factory.mktemp(f"graphite-web-{cluster_format}")
    with graphite_web(Path(root), strata.http_port, cluster_format, use_post) as gw:
        yield gw


# ----------------------------------------------------------------------------- /render


@dataclass(frozen=True)
class RenderCase:
    id: str
    targets: tuple[str, ...]
    series: int                         # how many series the answer must hold (not vacuous)
    params: tuple[tuple[str, str], ...] = (("from", "-2h"), ("until", "now"))

    def request(self, now: int) -> list[tuple[str, str]]:
        # absolute times in a case are written relative to the pinned `now`
        expanded = [(k, v.format(now_minus_5003=now - 5003, now_minus_1234=now - 1234,
                                 now_plus_600=now + 600, now_plus_1200=now + 1200))
                    for k, v in self.params]
        return [("target", t) for t in self.targets] + expanded + [("format", "json"), ("now", str(now))]


RENDER_CASES = [
    RenderCase("plain", ("servers.web1.cpu.user",), 1),
    RenderCase("glob", ("servers.*.cpu.*",), 4),
    RenderCase("braces", ("servers.{web1,db1}.*.*",), 4),
    RenderCase("char-class", ("servers.web[12].cpu.user",), 2),
    RenderCase("sumSeries", ("sumSeries(servers.*.cpu.user)",), 1),
    RenderCase("averageSeries-gap", ("averageSeries(servers.web2.cpu.*)",), 1),
    RenderCase("aliasByNode", ("aliasByNode(servers.*.cpu.*, 1, 3)",), 4),
    RenderCase("aliasSub", (r"aliasSub(apps.*.requests.count, '^apps\.(\w+)\..*$', '\1 requests')",), 2),
    RenderCase("groupByNode", ("groupByNode(servers.*.cpu.*, 1, 'sum')",), 2),
    RenderCase("perSecond-counter-reset", ("perSecond(apps.*.requests.count)",), 2),
    RenderCase("divideSeries", ("divideSeries(servers.web1.cpu.user, servers.web2.cpu.user)",), 1),
    RenderCase("movingAverage-refetch", ("movingAverage(apps.api.latency, 6)",
                                         "movingAverage(apps.worker.latency, '5min')"), 2),
    RenderCase("timeShift-refetch", ("timeShift(servers.web1.cpu.user, '30min')",), 1,
               (("from", "-1h"), ("until", "now"))),
    RenderCase("summarize", ("summarize(servers.*.cpu.user, '15min', 'max')",), 2),
    RenderCase("highestMax", ("highestMax(servers.*.*.*, 2)",), 2),
    RenderCase("maxDataPoints", ("servers.*.cpu.user",), 2,
               (("from", "-2h"), ("until", "now"), ("maxDataPoints", "50"))),
    RenderCase("maxDataPoints-consolidateBy-max", ("consolidateBy(servers.web2.cpu.user, 'max')",), 1,
               (("from", "-2h"), ("until", "now"), ("maxDataPoints", "37"))),
    RenderCase("grafana-aliasSub-wrap", (r'aliasSub(sumSeries(apps.*.requests.count), "(^.*$)", "\1 A")',
                                         r'aliasSub(servers.web1.cpu.*, "(^.*$)", "\1 B")'), 3,
               (("from", "-2h"), ("until", "now"), ("maxDataPoints", "300"))),
    RenderCase("relative-window", ("servers.web1.cpu.*",), 2, (("from", "-90min"), ("until", "-30min"))),
    RenderCase("absolute-epoch", ("servers.web2.cpu.user",), 1,
               (("from", "{now_minus_5003}"), ("until", "{now_minus_1234}"))),
    RenderCase("one-day-back-rollup-level", ("servers.db1.disk.*",), 2, (("from", "-1d"), ("until", "now"))),
    RenderCase("tagged-name", (TAGGED_AS_TYPED,), 1),
    RenderCase("overlapping-targets", ("servers.web1.cpu.user", "servers.*.cpu.user",
                                       "no.such.metric"), 3),
    RenderCase("noNullPoints", ("servers.web2.cpu.user",), 1,
               (("from", "-70min"), ("until", "-40min"), ("noNullPoints", "1"))),
    RenderCase("no-match", ("no.such.*",), 0),
    RenderCase("seven-days-back-1m-level", ("servers.web1.cpu.user",), 1, (("from", "-7d"), ("until", "now"))),
    RenderCase("eight-days-back-10m-level", ("apps.*.requests.count",), 2, (("from", "-8d"),)),
    RenderCase("future-window", ("servers.web1.cpu.user",), 0,
               (("from", "{now_plus_600}"), ("until", "{now_plus_1200}"))),
    RenderCase("reversed-range", ("servers.web1.cpu.user",), 1, (("from", "-30min"), ("until", "-1h"))),
    RenderCase("noon-yesterday-in-a-zone", ("servers.db1.disk.used",), 1,
               (("from", "noon yesterday"), ("until", "now"), ("tz", "America/New_York"))),
    RenderCase("maxDataPoints-1", ("servers.*.cpu.system",), 2, (("from", "-2h"), ("maxDataPoints", "1"))),
    RenderCase("maxDataPoints-xFilesFactor", ("servers.web2.cpu.user",), 1,
               (("from", "-2h"), ("maxDataPoints", "20"), ("xFilesFactor", "0.9"))),
    RenderCase("countSeries-ints", ("countSeries(servers.*.*.*)",), 1),
    RenderCase("integral-nonNegativeDerivative", ("integral(servers.db1.disk.used)",
                                                  "nonNegativeDerivative(apps.api.requests.count)"), 2),
    RenderCase("keepLastValue-transformNull", ("keepLastValue(servers.web2.cpu.user, 3)",
                                               "transformNull(servers.web2.cpu.user, -1)"), 2),
    RenderCase("asPercent", ("asPercent(servers.web1.cpu.*)",), 2),
    RenderCase("removeBelowValue-scale-offset", ("offset(scale(removeBelowValue(servers.web1.cpu.user, 50), 2), 1)",), 1),
    RenderCase("sortByName-limit-exclude", ("limit(sortByName(exclude(servers.*.*.*, 'free')), 3)",), 3),
    RenderCase("pipe-syntax", ("servers.web1.cpu.*|sumSeries()|alias('total')",), 1),
    RenderCase("hitcount", ("hitcount(apps.api.latency, '10min')",), 1),
    RenderCase("seriesByTag", ("seriesByTag('name=disk.free', 'host=web1')",), 1),
    RenderCase("aliasByTags-seriesByTag", ("aliasByTags(seriesByTag('host=web1'), 'dc')",), 1),
]


@pytest.mark.parametrize("case", RENDER_CASES, ids=[c.id for c in RENDER_CASES])
def test_render_through_graphite_web_equals_strata(strata, frontend, case):
    params = case.request(strata.now)
    own = json_body(strata.http, "/render", params)
    via_cluster = json_body(frontend.url, "/render", params)
    series = json.loads(own)
    assert len(series) == case.series
    if case.series:
        assert any(v is not None for s in series for v, _ in s["datapoints"])
    # byte for byte: ints stay ints, floats print alike, keys in the same order
    assert via_cluster == own


def test_grafana_post_render_through_graphite_web_equals_strata(strata, frontend):
    params = [("target", r"aliasSub(servers.web1.cpu.*, '^.*\.(\w+)$', '\1')"),
              ("target", r'aliasSub(constantLine(100), "(^.*$)", "\1 B")'),
              ("from", "-6h"), ("until", "now"), ("format", "json"), ("maxDataPoints", "600"),
              ("now", str(strata.now))]
    own = json_body(strata.http, "/render", params, method="POST")
    assert [s["target"] for s in json.loads(own)] == ["system", "user", "100.0 B"]
    assert json_body(frontend.url, "/render", params, method="POST") == own


# ----------------------------------------------------------------------------- /metrics


FIND_QUERIES = ["*", "servers.*", "servers.web1.cpu.*", "servers.{web1,db1}.*", "apps.*.requests.*",
                "servers.*.cpu.user", "no.such.*"]


@pytest.mark.parametrize("fmt", ["treejson", "json", "completer"])
@pytest.mark.parametrize("query", FIND_QUERIES)
def test_find_through_graphite_web_equals_strata(strata, frontend, query, fmt):
    params = [("query", query), ("format", fmt)]
    own_body = json_body(strata.http, "/metrics/find", params)
    via_cluster_body = json_body(frontend.url, "/metrics/find", params)
    own, via_cluster = json.loads(own_body), json.loads(via_cluster_body)
    if query != "no.such.*":
        assert own, f"{query} found nothing"
    if fmt == "completer":
        # graphite-web orders matches by node name and leaves ties (servers.*.cpu.user) in
        # random order; Strata breaks them by path
        names = [m["name"] for m in via_cluster["metrics"]]
        assert names == sorted(names)
        assert sorted(via_cluster["metrics"], key=json.dumps) == sorted(own["metrics"], key=json.dumps)
        assert names == [m["name"] for m in own["metrics"]]
    else:
        assert via_cluster_body == own_body


def test_grafana_find_post_through_graphite_web_equals_strata(strata, frontend):
    # Grafana's body is `query=<q>` unencoded, range in the query string
    body = b"query=servers.{web1,db1}.*"
    status, _, own = http(strata.http + "/metrics/find?from=-6h&until=now", "", [], "POST", body)
    assert status == 200
    status, _, via_cluster = http(frontend.url + "/metrics/find?from=-6h&until=now", "", [], "POST", body)
    assert status == 200
    assert [(n["text"], n["expandable"]) for n in json.loads(own)] == [("cpu", 1), ("disk", 1)]
    assert json.loads(via_cluster) == json.loads(own)


@pytest.mark.parametrize("extra", [[], [("leavesOnly", "1")], [("groupByExpr", "1")]],
                         ids=["flat", "leavesOnly", "groupByExpr"])
def test_expand_through_graphite_web_equals_strata(strata, frontend, extra):
    params = [("query", "servers.*.cpu"), ("query", "apps.*.requests.*"), ("query", "servers.db1.*")] + extra
    own = json_answer(strata.http, "/metrics/expand", params)
    assert own["results"]
    assert json_answer(frontend.url, "/metrics/expand", params) == own


def test_index_json_through_graphite_web_equals_strata(strata, frontend):
    own = json_answer(strata.http, "/metrics/index.json", [])
    # plain names only: graphite-web lists a tagged series by its hashed whisper file name
    assert set(strata.points) - {TAGGED} <= set(own)
    assert json_answer(frontend.url, "/metrics/index.json", []) == own


# ----------------------------------------------------------------------------- the wire itself


def decode(ctype: str, body: bytes):
    """What graphite-web's RemoteFinder.deserialize makes of a body: msgpack by content type,
    anything else unpickled."""
    if ctype == "application/x-msgpack":
        return msgpack.unpackb(body, raw=False)
    return pickle.loads(body)


def multipart(fields: list[tuple[str, str]]) -> tuple[bytes, str]:
    """A multipart/form-data body as urllib3 (graphite-web's REMOTE_STORE_USE_POST) sends it."""
    boundary = "strata-test-boundary-7f3a"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
             for k, v in fields]
    return ("".join(parts) + f"--{boundary}--\r\n").encode(), f"multipart/form-data; boundary={boundary}"


CLUSTER_TARGETS = ["servers.*.cpu.user", "servers.web1.cpu.user", "servers.{web1,db1}.disk.*",
                   TAGGED_AS_TYPED, "no.such.metric"]


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("fmt", ["pickle", "msgpack"])
def test_cluster_render_echoes_each_path_expression_as_sent(strata, fmt, method):
    start, end = strata.now - 3600, strata.now
    fields = [("format", fmt), ("local", "1"), ("noCache", "1"), ("from", str(start)),
              ("until", str(end))] + [("target", t) for t in CLUSTER_TARGETS] + [
              ("now", str(strata.now)), ("maxDataPoints", "5")]
    if method == "GET":
        status, ctype, body = http(strata.http, "/render/", fields)
    else:
        data, ctype_sent = multipart(fields)
        status, ctype, body = http(strata.http, "/render/", [], "POST", data, ctype_sent)
    assert status == 200
    assert ctype == {"pickle": "application/pickle", "msgpack": "application/x-msgpack"}[fmt]
    answer = decode(ctype, body)
    by_expression: dict[str, list[str]] = {}
    for info in answer:
        assert set(info) == GETINFO_KEYS
        by_expression.setdefault(info["pathExpression"], []).append(info["name"])
        # raw values, whatever maxDataPoints says: the frontend consolidates
        assert info["valuesPerPoint"] == 1 and info["step"] == STEP
        assert len(info["values"]) == (info["end"] - info["start"]) // info["step"]
        assert info["start"] == start + STEP and info["end"] == end + STEP
    assert by_expression == {
        "servers.*.cpu.user": ["servers.web1.cpu.user", "servers.web2.cpu.user"],
        "servers.web1.cpu.user": ["servers.web1.cpu.user"],
        "servers.{web1,db1}.disk.*": ["servers.db1.disk.free", "servers.db1.disk.used"],
        TAGGED_AS_TYPED: [TAGGED],
    }
    stored = dict(strata.points["servers.web2.cpu.user"])
    web2 = next(i for i in answer if i["name"] == "servers.web2.cpu.user")
    values = {web2["start"] + k * STEP: v for k, v in enumerate(web2["values"])}
    assert {t: v for t, v in values.items() if v is not None} == \
        {t: v for t, v in stored.items() if start < t <= end}


@pytest.mark.parametrize("fmt", ["pickle", "msgpack"])
def test_cluster_find_answers_path_is_leaf_and_intervals(strata, fmt):
    status, ctype, body = http(strata.http, "/metrics/find/",
                               [("local", "1"), ("format", fmt), ("query", "servers.web1.*.*"),
                                ("from", str(strata.now - 3600)), ("until", str(strata.now))])
    assert status == 200
    answer = decode(ctype, body)
    assert [(n["path"], n["is_leaf"]) for n in answer] == [
        ("servers.web1.cpu.system", True), ("servers.web1.cpu.user", True)]
    for node in answer:
        assert set(node) == {"path", "is_leaf", "intervals"}
        assert all(len(interval) == 2 for interval in node["intervals"])
    status, ctype, body = http(strata.http, "/metrics/find/",
                               [("local", "1"), ("format", fmt), ("query", "servers.*")])
    branches = decode(ctype, body)
    assert branches == [{"path": p, "is_leaf": False}
                        for p in ("servers.db1", "servers.web1", "servers.web2")]
