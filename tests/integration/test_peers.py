"""Real Carbon senders against `strata serve`: collectd, Etsy statsd and carbon-c-relay.

Each test runs the peer as its own process with a config written here, makes it send known
input, stops it (every peer here flushes or drains on the way), stops Strata with SIGTERM and
then compares the WHOLE store with the exact names and values the peer is known to emit: a
missing, renamed or extra series fails.  Strata's self-metrics are off ([metrics] interval = 0)
so that the store holds only what the peer sent.

A missing peer is a skip on a developer machine and a failure under STRATA_REQUIRE_PEERS=1,
which .ci/run sets after installing them (collectd-core and carbon-c-relay from Debian,
statsd from npm into /opt/strata-peers).
"""

from __future__ import annotations

import grp
import json
import os
import re
import signal
import socket
import tempfile
import time
from pathlib import Path

import pytest

from tests.integration.conftest import free_port, start_server
from tests.integration.peers import (need_binary, need_collectd, need_statsd, recent, running, send_tcp,
                                     send_udp, stop, stored, tcp_accepts, wait_until)

pytestmark = pytest.mark.integration

NO_SELF_METRICS = "[metrics]\ninterval = 0\n"


@pytest.fixture
def strata(tmp_path):
    srv = start_server(tmp_path, config=NO_SELF_METRICS)
    yield srv
    if srv.proc.poll() is None:
        srv.stop(signal.SIGKILL)


def stop_strata(server) -> None:
    assert server.stop() == 0, server.log()


def rejected(server) -> set[str]:
    """The reject reasons Strata logged (it logs samples of what it refused, by reason)."""
    return set(re.findall(r"rejected (\w+)", server.log()))


# ============================================================================== collectd
#
# collectd 5.12's write_graphite names a value  Prefix + host + Postfix + "." + plugin[-inst]
# + "." + type[-inst] [+ "." + data source], where
#   * dots, whitespace and control characters inside each part become EscapeCharacter, and
#     then any of  space tab " \ : ! / ( ) CR LF  in the whole name does too;
#   * SeparateInstances true joins an instance with "." instead of "-";
#   * the data source name is appended when the type has several (load: shortterm,
#     midterm, longterm; if_octets: rx, tx), or always with AlwaysAppendDS true;
#   * StoreRates true sends DERIVE/COUNTER as a per-second rate ("%f"), and "nan" for the
#     first value (no previous one); StoreRates false sends the raw integer.  GAUGE goes
#     out as "%.15g", and an unknown gauge (U) as "nan".
# Lines end in "\r\n".  Strata must drop the "nan" points as carbon does and create no
# series for a name that never got a number.
#
# Two <Node>s to the same Strata, one per naming style.  Values go in through the unixsock
# plugin's PUTVAL with explicit timestamps (deterministic), then FLUSH sends them at once.


COLLECTD_CONF = """\
Hostname "collectd-test"
FQDNLookup false
Interval 1
# PUTVAL only queues a value; a write thread later updates the value cache (where rates are
# computed) and calls the writers.  One write thread keeps that in PUTVAL order: with the
# default 5, two values of one series race and the first can go out with the rate computed
# from the second instead of "nan" (seen here).  Values still queued at shutdown are dropped,
# so the test waits for the queue to drain (see collectd_wait_written) before FLUSH.
WriteThreads 1
AutoLoadPlugin false
BaseDir "{dir}"
PIDFile "{dir}/collectd.pid"
PluginDir "/usr/lib/collectd"
TypesDB "/usr/share/collectd/types.db"

LoadPlugin logfile
<Plugin logfile>
  LogLevel info
  File "{dir}/collectd.log"
  Timestamp true
</Plugin>

LoadPlugin unixsock
<Plugin unixsock>
  SocketFile "{sock}"
  SocketGroup "{group}"
  SocketPerms "0600"
</Plugin>

LoadPlugin write_graphite
<Plugin write_graphite>
  # rates: collectd's defaults written out (StoreRates true, AlwaysAppendDS false,
  # SeparateInstances false) with the usual "collectd." prefix.
  <Node "rates">
    Host "127.0.0.1"
    Port "{port}"
    Protocol "{protocol}"
    Prefix "collectd."
    EscapeCharacter "_"
    StoreRates true
    AlwaysAppendDS false
    SeparateInstances false
    LogSendErrors true
  </Node>
  # raw: counters as sent, every name ends in its data source, instances as own nodes.
  <Node "raw">
    Host "127.0.0.1"
    Port "{port}"
    Protocol "{protocol}"
    Prefix "raw."
    EscapeCharacter "_"
    StoreRates false
    AlwaysAppendDS true
    SeparateInstances true
    LogSendErrors true
  </Node>
</Plugin>
"""


def collectd_putvals(t: int) -> list[str]:
    """Identifiers are host/plugin[-instance]/type[-instance] (types from types.db)."""
    return [
        f'PUTVAL "web1.example.com/gauge-test/gauge" interval=10 {t}:42',
        f'PUTVAL "web1/exec-test/load" interval=10 {t}:0.5:1.5:2.5',       # 3 GAUGE sources
        f'PUTVAL "web1/net/if_octets-eth0" interval=10 {t}:1000:2000',      # 2 DERIVE: rx, tx
        f'PUTVAL "web1/net/if_octets-eth0" interval=10 {t + 10}:1500:4000',
        f'PUTVAL "web1/app/derive-req" interval=10 {t}:100',
        f'PUTVAL "web1/app/derive-req" interval=10 {t + 10}:300',
        f'PUTVAL "web1/app/counter-bytes" interval=10 {t}:7',
        f'PUTVAL "web1/app/counter-bytes" interval=10 {t + 10}:27',
        f'PUTVAL "web1/app/gauge-a:b" interval=10 {t}:-5.25',
        f'PUTVAL "web1/app/gauge-big" interval=10 {t}:1.5e+300',
        f'PUTVAL "{COLLECTD_LAST}" interval=10 {t}:U',       # last: see collectd_wait_written
    ]


# An unknown gauge goes out as "nan", which Strata drops: it leaves no series behind, so it
# can close the queue as a marker.
COLLECTD_LAST = "web1/app/gauge-unknown"


def collectd_expected(t: int) -> dict[str, dict[int, float]]:
    u = t + 10
    return {
        # Node "rates"
        "collectd.web1_example_com.gauge-test.gauge": {t: 42.0},
        "collectd.web1.exec-test.load.shortterm": {t: 0.5},
        "collectd.web1.exec-test.load.midterm": {t: 1.5},
        "collectd.web1.exec-test.load.longterm": {t: 2.5},
        "collectd.web1.net.if_octets-eth0.rx": {u: 50.0},      # (1500-1000)/10; t was "nan"
        "collectd.web1.net.if_octets-eth0.tx": {u: 200.0},
        "collectd.web1.app.derive-req": {u: 20.0},
        "collectd.web1.app.counter-bytes": {u: 2.0},
        "collectd.web1.app.gauge-a_b": {t: -5.25},              # ":" escaped by collectd
        "collectd.web1.app.gauge-big": {t: 1.5e300},
        # (no collectd.web1.app.gauge-unknown: only "nan" was sent for it)
        # Node "raw"
        "raw.web1_example_com.gauge.test.gauge.value": {t: 42.0},
        "raw.web1.exec.test.load.shortterm": {t: 0.5},
        "raw.web1.exec.test.load.midterm": {t: 1.5},
        "raw.web1.exec.test.load.longterm": {t: 2.5},
        "raw.web1.net.if_octets.eth0.rx": {t: 1000.0, u: 1500.0},
        "raw.web1.net.if_octets.eth0.tx": {t: 2000.0, u: 4000.0},
        "raw.web1.app.derive.req.value": {t: 100.0, u: 300.0},
        "raw.web1.app.counter.bytes.value": {t: 7.0, u: 27.0},
        "raw.web1.app.gauge.a_b.value": {t: -5.25},
        "raw.web1.app.gauge.big.value": {t: 1.5e300},
    }


def unixsock_command(sock: socket.socket, reader, command: str, check: bool = True) -> str:
    """Send one unixsock command; return its status line ("<n> text"), n < 0 on error."""
    sock.sendall(command.encode() + b"\n")
    status = reader.readline().decode().strip()
    for _ in range(max(int(status.split(" ", 1)[0]), 0)):   # n > 0: n lines follow (GETVAL)
        reader.readline()
    if check:
        assert status.startswith("0 "), f"collectd refused {command!r}: {status!r}"
    return status


def collectd_wait_written(sock, reader, proc, out) -> None:
    """With one write thread, once the last value is in the cache every earlier value has
    been handed to write_graphite (its cache update happens right before its writes)."""
    wait_until(lambda: not unixsock_command(sock, reader, f'GETVAL "{COLLECTD_LAST}"',
                                            check=False).startswith("-"),
               "collectd's write queue to drain", 10, proc, out)


@pytest.mark.parametrize("protocol", ["tcp", "udp"])
def test_collectd_write_graphite(strata, tmp_path, protocol):
    collectd = need_collectd()
    # unix socket paths are limited to 107 bytes; pytest's tmp_path can be longer.
    sockdir = Path(tempfile.mkdtemp(prefix="strata-cd-"))
    sock_path = sockdir / "collectd.sock"
    conf = tmp_path / "collectd.conf"
    conf.write_text(COLLECTD_CONF.format(dir=tmp_path, sock=sock_path,
                                         port=strata.line_port if protocol == "tcp" else strata.udp_port,
                                         protocol=protocol, group=grp.getgrgid(os.getgid()).gr_name))
    log = tmp_path / "collectd.log"
    t = recent()
    try:
        with running([collectd, "-f", "-C", str(conf)], tmp_path / "collectd.out") as proc:
            wait_until(sock_path.exists, "collectd's unixsock socket", 10, proc, tmp_path / "collectd.out")
            with socket.socket(socket.AF_UNIX) as sock:
                sock.settimeout(10)
                sock.connect(str(sock_path))
                reader = sock.makefile("rb")
                for command in collectd_putvals(t):
                    unixsock_command(sock, reader, command)
                collectd_wait_written(sock, reader, proc, tmp_path / "collectd.out")
                # Flush every write callback now (write_graphite otherwise sends when its
                # buffer fills); the reply comes after both nodes have sent.
                assert unixsock_command(sock, reader, "FLUSH").endswith(" 0 errors")
            assert stop(proc) == 0, log.read_text()
        if protocol == "udp":
            time.sleep(0.5)   # datagrams are in the socket buffer; let the server read them
        stop_strata(strata)
    finally:
        for p in sockdir.iterdir():
            p.unlink()
        sockdir.rmdir()
    got, total = stored(strata.data_dir, t, t + 10)
    assert got == collectd_expected(t), log.read_text()
    assert total == len(got)
    # The "nan" lines were dropped as carbon drops them; nothing else was refused.
    assert rejected(strata) <= {"nan_value"}, strata.log()


# ============================================================================== Etsy statsd
#
# statsd 0.9.0's backends/graphite.js, with deleteIdleStats (each metric is flushed once, in
# the flush after it arrived; statsd's own counters keep flushing as 0):
#   legacyNamespace false: stats.counters.<k>.rate / .count, stats.timers.<k>.<stat>,
#     stats.gauges.<k>, stats.sets.<k>.count, stats.statsd.numStats, ...
#   legacyNamespace true (the default): stats.<k> (rate), stats_counts.<k> (count),
#     stats.timers..., stats.gauges..., stats.sets..., and statsd.numStats WITHOUT "stats.".
# rate = count / (flushInterval / 1000); flushInterval is 2000 here so rate != count.
# Text mode: one TCP connection per flush, "name value ts\n".  Pickle mode: one frame per
# flush, pickle protocol 0 written by hand: (S'name' (L<ts>L S'<value>' tt a ...  -- the
# values are STRINGS, which carbon (and Strata) turn into floats.


STATSD_FLUSH_MS = 2000
STATSD_PACKET = b"\n".join([
    b"test.counter:5|c",
    b"test.counter:2|c|@0.5",          # sampled: counts as 4
    b"test.gauge:7|g",
    b"test.gauge:+3|g",                # relative gauge: 10
    b"test.timer:100|ms",
    b"test.timer:300|ms",
    b"test.set:a|s", b"test.set:b|s", b"test.set:a|s",
    b"test.tagged:3|c|#zone:b,app:a",  # statsd 0.9 turns these into graphite tags ;zone=b;app=a
    b"this is not a metric",           # counted in statsd.bad_lines_seen
])
STATSD_LINES = 11  # metrics_received counts every line of the packet, the bad one too

TIMER_STATS = {  # statsd's timer summary for [100, 300] with percentThreshold 90
    "count_90": 2, "mean_90": 200, "upper_90": 300, "sum_90": 400, "sum_squares_90": 100000,
    "std": 100, "upper": 300, "lower": 100, "count": 2, "count_ps": 1, "sum": 400,
    "sum_squares": 100000, "mean": 200, "median": 200,
}


def statsd_mgmt(port: int, command: str) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(command.encode() + b"\n")
        data = b""
        while not data.endswith(b"END\n\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return data.decode()


def run_statsd(tmp_path, server, graphite: dict) -> tuple[int, int]:
    """Run statsd with `graphite` settings merged in, send STATSD_PACKET, wait for the flush
    that carries it, stop statsd.  Returns the wall-clock window (from, until) of the flushes."""
    node, pkg = need_statsd()
    port, mgmt = free_port(socket.SOCK_DGRAM), free_port()
    config = {
        "address": "127.0.0.1", "port": port, "mgmt_address": "127.0.0.1", "mgmt_port": mgmt,
        "flushInterval": STATSD_FLUSH_MS, "deleteIdleStats": True,
        "backends": ["./backends/graphite"], "graphiteHost": "127.0.0.1",
        "graphitePort": server.line_port, "graphitePicklePort": server.pickle_port,
        **graphite,
    }
    conf = tmp_path / "statsd-config.js"
    conf.write_text(json.dumps(config, indent=2))   # statsd eval()s it: JSON is valid JS
    out = tmp_path / "statsd.out"
    began = int(time.time()) - 1
    began -= began % 10   # a read covers (from, until]: start on a bucket boundary
    with running([node, str(pkg / "stats.js"), str(conf)], out, cwd=pkg) as proc:
        wait_until(lambda: tcp_accepts(mgmt), "statsd's management port", 10, proc, out)
        send_udp(port, STATSD_PACKET)
        # Processed: statsd's never-reset messages.bad_lines_seen counts our one bad line.
        # Flushed: with deleteIdleStats the counter leaves statsd's table in the flush that
        # sends it (polling for the counter itself could miss a flush right after arrival).
        wait_until(lambda: "messages.bad_lines_seen: 1\n" in statsd_mgmt(mgmt, "stats")
                   and "test.counter" not in statsd_mgmt(mgmt, "counters"),
                   "statsd to receive the packet and flush it", 10, proc, out)
        time.sleep(0.5)  # the flush connects and writes asynchronously; loopback takes < 1 ms
        stop(proc)       # statsd exits on SIGTERM without a final flush
    stop_strata(server)
    return began, int(time.time()) + 1


def split_statsd(got: dict[str, dict[int, float]], ours: set[str]):
    """(values of our metrics as {name: [values]}, names of statsd's own metrics)."""
    mine = {n: sorted(v.values()) for n, v in got.items() if n in ours}
    return mine, set(got) - ours


def statsd_own_sums(server, began, ended, names) -> dict[str, float]:
    sums, _ = stored(server.data_dir, began, ended, aggregate="sum")
    return {n: sum(sums[n].values()) for n in names}


def test_statsd_text_new_namespace(strata, tmp_path):
    began, ended = run_statsd(tmp_path, strata, {"graphite": {"legacyNamespace": False}})
    # statsd appends the tags after the suffix; Strata (like carbon) sorts them.
    tagged = {"stats.counters.test.tagged.rate;app=a;zone=b": [1.5],
              "stats.counters.test.tagged.count;app=a;zone=b": [3.0]}
    got, total = stored(strata.data_dir, began, ended, extra_names=tagged)
    ours = {
        **tagged,
        "stats.counters.test.counter.rate": [4.5],     # (5 + 2/0.5) / 2 s
        "stats.counters.test.counter.count": [9.0],
        "stats.gauges.test.gauge": [10.0],
        "stats.sets.test.set.count": [2.0],
        **{f"stats.timers.test.timer.{k}": [float(v)] for k, v in TIMER_STATS.items()},
    }
    mine, own = split_statsd(got, set(ours))
    assert mine == ours
    assert total == len(got)
    counters = [f"stats.counters.statsd.{c}.{k}" for c in ("bad_lines_seen", "packets_received",
                                                           "metrics_received") for k in ("rate", "count")]
    expected_own = {*counters, "stats.statsd.numStats", "stats.statsd.processing_time",
                    "stats.statsd.graphiteStats.calculationtime",
                    *(f"stats.statsd.graphiteStats.{k}" for k in ("last_exception", "last_flush",
                                                                    "flush_time", "flush_length"))}
    # statsd.timestamp_lag is a gauge from the second flush on: there when statsd flushed twice.
    assert own - {"stats.gauges.statsd.timestamp_lag"} == expected_own
    # Each flush sends its own count and then 0s; summed over the run they are exact.
    assert statsd_own_sums(strata, began, ended, [
        "stats.counters.statsd.bad_lines_seen.count", "stats.counters.statsd.packets_received.count",
        "stats.counters.statsd.metrics_received.count"]) == {
        "stats.counters.statsd.bad_lines_seen.count": 1.0,
        "stats.counters.statsd.packets_received.count": 1.0,
        "stats.counters.statsd.metrics_received.count": float(STATSD_LINES)}


def test_statsd_pickle_legacy_namespace(strata, tmp_path):
    began, ended = run_statsd(tmp_path, strata, {"graphiteProtocol": "pickle"})
    tagged = {"stats.test.tagged;app=a;zone=b": [1.5], "stats_counts.test.tagged;app=a;zone=b": [3.0]}
    got, total = stored(strata.data_dir, began, ended, extra_names=tagged)
    ours = {
        **tagged,
        "stats.test.counter": [4.5],                   # legacy: the rate under stats.<key>
        "stats_counts.test.counter": [9.0],            # ... and the count under stats_counts.
        "stats.gauges.test.gauge": [10.0],
        "stats.sets.test.set.count": [2.0],
        **{f"stats.timers.test.timer.{k}": [float(v)] for k, v in TIMER_STATS.items()},
    }
    mine, own = split_statsd(got, set(ours))
    assert mine == ours
    assert total == len(got)
    counters = [f"{p}.statsd.{c}" for c in ("bad_lines_seen", "packets_received", "metrics_received")
                for p in ("stats", "stats_counts")]
    expected_own = {*counters, "statsd.numStats", "stats.statsd.processing_time",
                    "stats.statsd.graphiteStats.calculationtime",
                    *(f"stats.statsd.graphiteStats.{k}" for k in ("last_exception", "last_flush",
                                                                    "flush_time", "flush_length"))}
    assert own - {"stats.gauges.statsd.timestamp_lag"} == expected_own
    assert statsd_own_sums(strata, began, ended, [
        "stats_counts.statsd.bad_lines_seen", "stats_counts.statsd.packets_received",
        "stats_counts.statsd.metrics_received"]) == {
        "stats_counts.statsd.bad_lines_seen": 1.0, "stats_counts.statsd.packets_received": 1.0,
        "stats_counts.statsd.metrics_received": float(STATSD_LINES)}
    assert rejected(strata) == set(), strata.log()


# ============================================================================== carbon-c-relay
#
# carbon-c-relay 3.7.3 (Debian bookworm) forwards each line it accepts after cleaning the
# metric name: runs of dots are collapsed, a trailing dot is cut, every byte outside
# [A-Za-z0-9] and the -c set ("-_:#" by default) becomes "_" (tags after ";" are kept), and
# the separators become single spaces.  A line without a space is dropped; the rest of a line
# after the metric (value, timestamp, anything more) is passed on as is, so Strata has to
# apply carbon's own rules to what is left.
# The relay listens only on 127.0.0.1 (its -p would also bind 0.0.0.0, :: and a unix socket
# in /tmp), and it drains its queues on SIGTERM.


RELAY_CONF = """\
listen
    type linemode
        127.0.0.1:{listen} proto tcp
    ;
cluster strata
    forward
        127.0.0.1:{port} {transport}
    ;
{statistics}
match *
    send to strata
    stop
    ;
"""


def relay_lines(t: int) -> tuple[bytes, dict[str, dict[int, float]]]:
    """(what is sent to the relay, what Strata must hold afterwards)."""
    lines = [
        f"relay.plain 1.5 {t}",
        f"relay.int 42 {t}",
        f"relay.neg -2.5 {t}",
        f"relay.exp 1e3 {t}",
        f"relay.float_ts 6 {t}.9",                       # carbon: int(float(ts))
        f"relay.last 1 {t}",                             # same bucket twice: last write wins
        f"relay.last 2 {t + 5}",
        f"relay.next 3 {t + 10}",
        f"relay..double.dot 4 {t}",                      # relay: "relay.double.dot"
        f"relay.trailing. 5 {t}",                        # relay: "relay.trailing"
        f"relay.paren(x) 6 {t}",                         # relay: "relay.paren_x_"
        f"relay.utf8.\u00e9 7 {t}",                      # relay: two bytes -> "__"
        f"relay.chars-_:# 8 {t}",                        # allowed by the relay as they are
        f"relay.tagged;zone=b;app=a 9 {t}",              # Strata sorts tags as carbon does
        f"  relay.leading.space 10 {t}",
        f"relay.tabs\t11\t{t}",
        f"relay.crlf 12 {t}\r",
        f"relay.nan nan {t}",                            # relay passes it; carbon drops it
        "relay.no_ts 13",                               # relay passes it; carbon: bad line
        f"relay.extra 14 {t} x",                         # relay passes it; carbon: bad line
        "nospace",                                       # the relay drops it
    ]
    expected = {
        "relay.plain": {t: 1.5}, "relay.int": {t: 42.0}, "relay.neg": {t: -2.5},
        "relay.exp": {t: 1000.0}, "relay.float_ts": {t: 6.0}, "relay.last": {t: 2.0},
        "relay.next": {t + 10: 3.0}, "relay.double.dot": {t: 4.0}, "relay.trailing": {t: 5.0},
        "relay.paren_x_": {t: 6.0}, "relay.utf8.__": {t: 7.0}, "relay.chars-_:#": {t: 8.0},
        "relay.tagged;app=a;zone=b": {t: 9.0}, "relay.leading.space": {t: 10.0},
        "relay.tabs": {t: 11.0}, "relay.crlf": {t: 12.0},
    }
    return ("\n".join(lines) + "\n").encode(), expected


def relay_setup(tmp_path, server, transport: str, statistics: str = "", host: str = "relay-test"):
    """(relay's listening port, its log path, its command line) for a relay to `server`."""
    relay = need_binary("carbon-c-relay", "apt-get install --no-install-recommends carbon-c-relay")
    listen = free_port()
    conf = tmp_path / "relay.conf"
    port = server.udp_port if "proto udp" in transport else server.line_port
    conf.write_text(RELAY_CONF.format(listen=listen, port=port, transport=transport, statistics=statistics))
    return listen, tmp_path / "relay.out", [relay, "-f", str(conf), "-w", "1", "-H", host]


def test_carbon_c_relay_tcp_linemode(strata, tmp_path):
    # The relay's own statistics every second, sent straight to the cluster: their names
    # (host "relay.test" -> "relay_test" via the \.1 reference, destination
    # "127_0_0_1:<port>" with a colon) must all arrive.
    stats = "statistics\n    submit every 1 seconds\n    reset counters after interval\n" \
            "    prefix with relaystats.\\.1\n    send to strata\n    stop\n    ;\n"
    listen, out, args = relay_setup(tmp_path, strata, "type linemode", stats, host="relay.test")
    t = recent()
    data, expected = relay_lines(t)
    with running(args, out) as proc:
        wait_until(lambda: tcp_accepts(listen), "carbon-c-relay to listen", 10, proc, out)
        send_tcp(listen, data)
        time.sleep(2.0)      # two statistics intervals: each statistics series is sent
        assert stop(proc) == 0, out.read_text()   # drains its queues before it exits
    stop_strata(strata)
    got, total = stored(strata.data_dir, t, t + 10, extra_names=["relay.tagged;app=a;zone=b"])
    assert {n: v for n, v in got.items() if n.startswith("relay.")} == expected, out.read_text()
    stat_names = {n for n in got if n.startswith("relaystats.")}
    assert total == len(expected) + len(stat_names)
    prefix, dest = "relaystats.relay_test.", f"destinations.127_0_0_1:{strata.line_port}."
    assert stat_names == {prefix + n for n in [
        "dispatcher1.metricsReceived", "dispatcher1.metricsBlackholed", "dispatcher1.metricsDiscarded",
        "dispatcher1.wallTime_us", "dispatcher1.sleepTime_us",
        "metricsReceived", "metricsBlackholed", "metricsDiscarded", "dispatch_wallTime_us",
        "dispatch_sleepTime_us", "metricsSent", "metricsQueued", "metricStalls", "metricsDropped",
        "server_wallTime_us", "connections", "disconnects",
        *(f"destinations.internal.{k}" for k in ("sent", "queued", "stalls", "dropped", "wallTime_us")),
        *(dest + k for k in ("sent", "queued", "stalls", "dropped", "wallTime_us"))]}, out.read_text()
    # Their values depend on timing (metricsReceived counts the relay's own statistics
    # lines in some intervals, not in others), so only check that each series got numbers.
    now = int(time.time())
    recent_stats, _ = stored(strata.data_dir, now - now % 10 - 60, now + 1)
    assert all(recent_stats[n] for n in stat_names), recent_stats
    # What the relay passed on and carbon would refuse: "nan", no timestamp, a 4th field.
    assert rejected(strata) <= {"nan_value", "bad_line"}, strata.log()


def test_carbon_c_relay_udp_forward(strata, tmp_path):
    listen, out, args = relay_setup(tmp_path, strata, "proto udp type linemode")
    t = recent()
    # One datagram per line: 60 stay well inside the server's default socket buffer.
    data = "".join(f"relay.udp.s{i % 6} {i} {t - 10 * (i // 6)}\n" for i in range(60)).encode()
    with running(args + ["-s"], out) as proc:    # -s: submission mode, no statistics
        wait_until(lambda: tcp_accepts(listen), "carbon-c-relay to listen", 10, proc, out)
        send_tcp(listen, data)
        time.sleep(0.5)
        assert stop(proc) == 0, out.read_text()
    time.sleep(0.5)          # datagrams are in the socket buffer; let the server read them
    stop_strata(strata)
    got, total = stored(strata.data_dir, t - 90, t)
    assert got == {f"relay.udp.s{s}": {t - 10 * r: float(6 * r + s) for r in range(10)}
                   for s in range(6)}, out.read_text()
    assert total == 6
