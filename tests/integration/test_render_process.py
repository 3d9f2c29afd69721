"""The render API's own processes: idle CPU priority, sharing the port, restarted when one dies,
gone with the server."""

from __future__ import annotations

import json
import os
import signal
import socket
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.integration.conftest import free_port, start_server, wait_for_port

pytestmark = pytest.mark.integration


def children(pid: int) -> list[int]:
    """Pids of the render processes whose parent is `pid`."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == pid and b"render_api.process" in cmdline:
            out.append(int(stat.parent.name))
    return out


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_until(check, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.1)
    raise AssertionError(f"not true after {timeout}s: {check}")


def render(port: int, target: str) -> list:
    url = f"http://127.0.0.1:{port}/render?target={target}&from=-10min&format=json"
    with urllib.request.urlopen(url, timeout=20) as r:
        return json.loads(r.read())


def send(port: int, lines: list[str]) -> None:
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall("".join(line + "\n" for line in lines).encode())


@pytest.fixture
def api(tmp_path):
    port = free_port()
    server = start_server(tmp_path, "--http-port", str(port))
    wait_for_port(port)
    server.http_port = port
    yield server
    if server.proc.poll() is None:
        server.stop(signal.SIGKILL)


def test_queries_run_in_idle_priority_processes_of_their_own(api):
    kids = wait_until(lambda: len(children(api.proc.pid)) == 2 and children(api.proc.pid))  # render.processes
    render(api.http_port, "x")                       # answered: a child is set up
    wait_until(lambda: all(os.sched_getscheduler(c) == os.SCHED_IDLE for c in kids))   # render.priority
    assert os.sched_getscheduler(api.proc.pid) == os.SCHED_OTHER
    now = int(time.time())
    send(api.line_port, [f"iso.a {v} {now - 60 + 10 * v}" for v in range(3)])
    got = wait_until(lambda: [s for s in render(api.http_port, "iso.a")
                              if [p[0] for p in s["datapoints"] if p[0] is not None] == [0.0, 1.0, 2.0]])
    assert got[0]["target"] == "iso.a"


def test_a_free_render_process_answers_while_another_is_stuck(api):
    kids = wait_until(lambda: len(children(api.proc.pid)) == 2 and children(api.proc.pid))
    render(api.http_port, "x")
    os.kill(kids[0], signal.SIGSTOP)                 # as if busy with a long query
    try:
        for _ in range(6):                           # each on a new connection
            assert render(api.http_port, "x") == []
    finally:
        os.kill(kids[0], signal.SIGCONT)


def test_a_killed_render_process_is_restarted_and_ingestion_goes_on(api):
    originals = wait_until(lambda: len(children(api.proc.pid)) == 2 and children(api.proc.pid))
    first = originals[0]
    render(api.http_port, "x")
    os.kill(first, signal.SIGKILL)
    now = int(time.time())
    send(api.line_port, [f"iso.b 7 {now}"])          # while one render process is gone
    second = wait_until(lambda: [c for c in children(api.proc.pid) if c not in originals and alive(c)])[0]
    got = wait_until(lambda: [s for s in render(api.http_port, "iso.b")
                              if any(p[0] == 7.0 for p in s["datapoints"])])
    assert got and second != first
    assert "restarting" in api.log()
    assert api.stop() == 0
    assert not any(alive(c) for c in (second, *originals))


def test_render_process_exits_when_the_server_is_killed(api):
    child = wait_until(lambda: children(api.proc.pid))[0]
    api.stop(signal.SIGKILL)
    wait_until(lambda: not alive(child), timeout=10)


def test_tag_writes_are_forwarded_to_the_server_process(api):
    body = urllib.parse.urlencode({"path": "disk.used;rack=a1;dc=eu"}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{api.http_port}/tags/tagSeries", data=body)
    with urllib.request.urlopen(req, timeout=20) as r:
        assert json.loads(r.read()) == "disk.used;dc=eu;rack=a1"
    url = f"http://127.0.0.1:{api.http_port}/tags/findSeries?expr=rack=a1"
    with urllib.request.urlopen(url, timeout=20) as r:
        assert json.loads(r.read()) == ["disk.used;dc=eu;rack=a1"]
    assert api.stop() == 0
    from tsdb import Store
    with Store.open(api.data_dir) as store:                 # the writer's index has it
        assert "disk.used;dc=eu;rack=a1" in store
