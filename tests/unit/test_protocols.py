"""Framing of the Carbon protocols, replayed in every packet size with StringTransport."""

from __future__ import annotations

import os
import pickle
import struct
from collections import Counter

import pytest
from twisted.internet import task
from twisted.internet.testing import StringTransport

from carbon_compat.parse_worker import PLAINTEXT
from carbon_compat.protocols import CarbonFactory, PickleReceiver, PlaintextDatagram, PlaintextReceiver
from strata.config import LimitsConfig


class FakeIngest:
    def __init__(self, overloaded=False):
        self.points: list[tuple[str, float, float]] = []
        self.rejects: Counter = Counter()
        self.transports: set = set()
        self.overloaded = overloaded

    def submit(self, batch, rejects=None, peer="", internal=False):
        self.points += list(zip(batch.names, batch.timestamps.tolist(), batch.values.tolist()))
        if rejects is not None:
            self.note_rejects(rejects, peer)

    def note_rejects(self, rejects, peer):
        self.rejects.update(rejects.counts)

    def register(self, transport):
        self.transports.add(transport)

    def unregister(self, transport):
        self.transports.discard(transport)


def connect(cls, **limits):
    ingest = FakeIngest()
    factory = CarbonFactory(cls, ingest, LimitsConfig(idle_timeout=0, **limits), task.Clock())
    proto = factory.buildProtocol(None)
    transport = StringTransport()
    proto.makeConnection(transport)
    return proto, transport, ingest


def feed(proto, data: bytes, size: int) -> None:
    for i in range(0, len(data), size):
        proto.dataReceived(data[i:i + size])


STREAM = (b"a.b 1 100\nc.d 2.5 200\r\nbad line\n" + b"x" * 40 + b" 3 300\n"
          b"e.f  4\t400\n\ng.h nan 500\n")
EXPECTED = [("a.b", 100.0, 1.0), ("c.d", 200.0, 2.5), ("x" * 40, 300.0, 3.0), ("e.f", 400.0, 4.0)]


@pytest.mark.parametrize("size", range(1, len(STREAM) + 1))
def test_plaintext_stream_gives_the_same_points_in_every_packet_size(size):
    proto, _, ingest = connect(PlaintextReceiver)
    feed(proto, STREAM, size)
    assert ingest.points == EXPECTED
    assert ingest.rejects == Counter({"bad_line": 1, "nan_value": 1})


@pytest.mark.parametrize("size", [1, 7, 64, 10_000])
def test_overlong_line_is_skipped_and_the_connection_survives(size):
    # carbon's LineOnlyReceiver closes the connection past MAX_LENGTH; Strata skips the line.
    proto, transport, ingest = connect(PlaintextReceiver, max_line_length=50)
    feed(proto, b"a 1 1\n" + b"z" * 500 + b" 1 1\nb 2 2\n", size)
    assert [p[0] for p in ingest.points] == ["a", "b"]
    assert ingest.rejects["line_too_long"] == 1
    assert not transport.disconnecting


def test_unterminated_last_line_is_dropped_like_carbon():
    proto, _, ingest = connect(PlaintextReceiver)
    proto.dataReceived(b"a 1 1\nb 2")
    proto.connectionLost()
    assert [p[0] for p in ingest.points] == ["a"]


class RecordingParser:
    """Stands in for the factory's parser: records what the protocol hands over."""

    def __init__(self):
        self.calls: list[tuple[int, list[bytes]]] = []

    def parse(self, conn, kind, payloads, now):
        self.calls.append((kind, payloads))


def test_plaintext_chunks_go_to_the_parser_whole_and_input_after_a_refusal_is_dropped():
    proto, transport, ingest = connect(PlaintextReceiver)
    proto.factory.parser = parser = RecordingParser()
    proto.dataReceived(b"a 1 1\nb 2")
    proto.dataReceived(b" 2\nc 3 3\n")
    assert parser.calls == [(PLAINTEXT, [b"a 1 1\n"]), (PLAINTEXT, [b"b 2 2\nc 3 3\n"])]
    proto.refuse("parse_worker_died", "the parse worker died", "12 bytes")
    proto.dataReceived(b"d 4 4\n")
    assert len(parser.calls) == 2 and transport.disconnecting
    assert ingest.rejects == Counter({"parse_worker_died": 1})


def frame(obj, protocol=2) -> bytes:
    payload = pickle.dumps(obj, protocol=protocol)
    return struct.pack("!I", len(payload)) + payload


PICKLES = frame([("p.a", (100, 1.0)), ("p.b", (200, "2"))]) + frame([("p.c", (300, 3))], protocol=0)


@pytest.mark.parametrize("size", range(1, len(PICKLES) + 1, 3))
def test_pickle_frames_in_every_packet_size(size):
    proto, _, ingest = connect(PickleReceiver)
    feed(proto, PICKLES, size)
    assert ingest.points == [("p.a", 100.0, 1.0), ("p.b", 200.0, 2.0), ("p.c", 300.0, 3.0)]


@pytest.mark.parametrize("size", [1, 5, 100, 100_000])
def test_oversize_pickle_frame_is_skipped_and_the_stream_stays_in_sync(size):
    # carbon closes the connection past PICKLE_RECEIVER_MAX_LENGTH; Strata skips the frame.
    big = frame([(f"big{i}", (i, float(i))) for i in range(400)])
    assert len(big) > 1000
    proto, transport, ingest = connect(PickleReceiver, max_pickle_frame=1000)
    feed(proto, frame([("a", (1, 1.0))]) + big + frame([("b", (2, 2.0))]), size)
    assert [p[0] for p in ingest.points] == ["a", "b"]
    assert ingest.rejects["frame_too_long"] == 1
    assert not transport.disconnecting


def test_hostile_pickle_aborts_the_connection_and_runs_nothing(tmp_path):
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    proto, transport, ingest = connect(PickleReceiver)
    proto.dataReceived(frame([("a", (1, 1.0))]) + frame([("x", (1, Evil()))]) + frame([("b", (1, 1.0))]))
    assert transport.disconnecting
    assert not marker.exists()
    assert ingest.rejects["hostile_pickle"] == 1
    assert [p[0] for p in ingest.points] == ["a"]


def test_connections_over_the_limit_are_refused():
    ingest = FakeIngest()
    factory = CarbonFactory(PlaintextReceiver, ingest, LimitsConfig(max_connections=1, idle_timeout=0), task.Clock())
    first, second = factory.buildProtocol(None), factory.buildProtocol(None)
    t1, t2 = StringTransport(), StringTransport()
    first.makeConnection(t1)
    second.makeConnection(t2)
    assert not t1.disconnecting and t2.disconnecting
    assert ingest.rejects["too_many_connections"] == 1
    second.connectionLost()
    assert factory.connections == 1


def test_idle_connection_is_closed_after_the_timeout():
    clock = task.Clock()
    factory = CarbonFactory(PlaintextReceiver, FakeIngest(), LimitsConfig(idle_timeout=5), clock)
    proto = factory.buildProtocol(None)
    proto.callLater = clock.callLater
    transport = StringTransport()
    proto.makeConnection(transport)
    clock.advance(4)
    proto.dataReceived(b"a 1 1\n")
    clock.advance(4)
    assert not transport.disconnecting
    clock.advance(2)
    assert transport.disconnecting


def test_udp_datagram_lines_and_overload_drop():
    ingest = FakeIngest()
    udp = PlaintextDatagram(ingest, task.Clock())
    udp.datagramReceived(b"a 1 1\nb 2 2", ("127.0.0.1", 9))
    assert [p[0] for p in ingest.points] == ["a", "b"]
    ingest.overloaded = True
    udp.datagramReceived(b"c 3 3\n", ("127.0.0.1", 9))
    assert [p[0] for p in ingest.points] == ["a", "b"]
    assert ingest.rejects["overloaded"] == 1
