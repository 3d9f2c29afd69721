"""The Graphite HTTP API inside `strata serve`: Grafana's request shapes over real sockets."""

from __future__ import annotations

import json
import signal
import socket
import time
import urllib.parse
import urllib.request

import pytest

from tests.integration.conftest import free_port, start_server, wait_for_port

pytestmark = pytest.mark.integration


@pytest.fixture
def api(tmp_path):
    port = free_port()
    server = start_server(tmp_path, "--http-port", str(port))
    wait_for_port(port)
    server.http = f"http://127.0.0.1:{port}"
    yield server
    if server.proc.poll() is None:
        server.stop(signal.SIGKILL)


def get(api, path: str, **params):
    url = f"{api.http}{path}?{urllib.parse.urlencode(params, doseq=True)}"
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.status, r.headers.get("Content-Type"), r.read()


def post(api, path: str, body: bytes, ctype: str = "application/x-www-form-urlencoded", query: str = ""):
    req = urllib.request.Request(f"{api.http}{path}{query}", data=body, headers={"Content-Type": ctype})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, r.headers.get("Content-Type"), r.read()


def send_lines(api, lines: str) -> None:
    with socket.create_connection(("127.0.0.1", api.line_port)) as s:
        s.sendall(lines.encode())


def wait_for_series(api, target: str, timeout: float = 10.0) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _, _, body = get(api, "/render", target=target, format="json", **{"from": "-10min"})
        data = json.loads(body)
        if data and any(v is not None for v, _ in data[0]["datapoints"]):
            return data
        time.sleep(0.1)
    raise AssertionError(f"{target} never became readable")


def test_points_sent_over_carbon_are_rendered_as_json(api):
    t = int(time.time()) - 60
    t -= t % 10
    send_lines(api, f"web.a.cpu 1.5 {t}\nweb.b.cpu 2.5 {t}\nweb.a.cpu 3 {t + 10}\n")
    data = wait_for_series(api, "sumSeries(web.*.cpu)")
    assert data[0]["target"] == "sumSeries(web.*.cpu)"
    values = {ts: v for v, ts in data[0]["datapoints"]}
    assert values[t] == 4.0 and values[t + 10] == 3.0


def test_grafana_post_render_with_alias_sub_and_max_data_points(api):
    t = int(time.time()) - 60
    t -= t % 10
    send_lines(api, f"app.req.count 7 {t}\n")
    wait_for_series(api, "app.req.count")
    body = urllib.parse.urlencode([
        ("target", 'aliasSub(app.req.count, "(^.*$)", "\\1 A")'), ("from", "-10min"), ("until", "now"),
        ("format", "json"), ("maxDataPoints", "1000")]).encode()
    status, ctype, raw = post(api, "/render", body)
    data = json.loads(raw)
    assert status == 200 and ctype.startswith("application/json")
    assert data[0]["target"] == "app.req.count A"
    assert [v for v, ts in data[0]["datapoints"] if ts == t] == [7.0]


def test_grafana_datasource_test_renders_constant_line(api):
    status, _, raw = get(api, "/render", target="constantLine(100)", format="json", **{"from": "-1h"})
    data = json.loads(raw)
    assert status == 200 and data[0]["target"] == "100.0"
    assert [v for v, _ in data[0]["datapoints"]] == [100.0, 100.0, 100.0]


def test_grafana_metric_tree_and_functions_and_version(api):
    t = int(time.time()) - 60
    send_lines(api, f"tree.x.leaf 1 {t}\ntree.y 2 {t}\n")
    wait_for_series(api, "tree.y")
    status, _, raw = post(api, "/metrics/find", b"query=tree.*", query="?from=-1h&until=now")
    nodes = json.loads(raw)
    assert status == 200
    assert [(n["text"], n["expandable"]) for n in nodes] == [("x", 1), ("y", 0)]
    status, ctype, raw = get(api, "/functions")
    functions = json.loads(raw)          # valid JSON: infinities as 1e9999, never Infinity
    assert status == 200 and functions["movingAverage"]["group"] == "Calculate"
    assert get(api, "/version")[2] == b"1.1.10"


def test_bad_requests_get_clear_errors_and_the_server_goes_on(api):
    with pytest.raises(urllib.error.HTTPError) as err:
        get(api, "/render", target="nosuchfunction(a.b)", format="json")
    assert err.value.code == 400 and b"unknown function" in err.value.read()
    with pytest.raises(urllib.error.HTTPError) as err:
        get(api, "/render", target="a.b", format="json", **{"from": "-5m"})
    assert err.value.code == 400
    with pytest.raises(urllib.error.HTTPError) as err:
        get(api, "/functions/nosuch")
    assert err.value.code == 404
    assert get(api, "/version")[0] == 200
    assert api.stop() == 0
