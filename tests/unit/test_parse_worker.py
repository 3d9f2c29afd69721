"""Parsing in worker processes: the wire format, the name cache and table, the worker's loop
(pickle frames and plaintext chunks), and the server side (order, hostile frames,
backpressure, a worker that dies), all without a reactor: the worker process is replaced by
a loopback that runs the same `answer`."""

from __future__ import annotations

import io
import os
import pickle
import struct
from collections import Counter

import numpy as np
import pytest
from twisted.internet import task

from carbon_compat import parse_pool
from carbon_compat.name_ids import BytesNameCache, NameTable
from carbon_compat.parsers import Rejects, parse_pickle, parse_plaintext
from carbon_compat.parse_pool import InlineParser, WorkerParser, make_parser
from carbon_compat.parse_worker import (ANSWER, HOSTILE, PICKLE, PLAINTEXT, POINTS, READY, AnswerSplitter,
                                         WorkerProtocolError, answer, decode_answer,
                                         encode_hostile, encode_points, encode_ready, read_request,
                                         request_header, serve)
from strata.config import LimitsConfig
from tests.worker_answers import assert_same_as_in_process

NOW = 1_700_000_000.0


def frame(points, protocol=2) -> bytes:
    return pickle.dumps(points, protocol=protocol)


class Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


# ------------------------------------------------------------------------------ wire format

def test_points_answer_round_trips_names_rejects_and_reset():
    names = ["a.b", "\u00e9t\u00e9.x", "lone\udcff.surrogate", ""]
    rejects = Rejects()
    rejects.add("bad_element", "('x',)")
    msg = encode_points(7, np.array([0, 1, 2, 3, 1], np.uint32), np.array([1.0, 2, 3, 4, 5]),
                        np.array([0.5, 1, 2, 3, 4]), names, True, rejects)
    ans = decode_answer(msg)
    assert (ans.seq, ans.kind, ans.reset) == (7, POINTS, True)
    assert ans.ids.tolist() == [0, 1, 2, 3, 1]
    assert ans.timestamps.tolist() == [1.0, 2, 3, 4, 5]
    assert ans.values.tolist() == [0.5, 1, 2, 3, 4]
    assert ans.new_names == names
    assert ans.rejects.counts == Counter({"bad_element": 1})
    assert ans.rejects.samples == [("bad_element", "('x',)")]


def test_hostile_and_ready_answers_round_trip():
    assert decode_answer(encode_ready()).kind == READY
    ans = decode_answer(encode_hostile(9, "pickle references global os.system"))
    assert (ans.seq, ans.kind, ans.reason) == (9, HOSTILE, "pickle references global os.system")


def test_answer_whose_sizes_disagree_is_a_protocol_error():
    msg = bytearray(encode_points(1, np.zeros(2, np.uint32), np.zeros(2), np.zeros(2), ["a"], False, Rejects()))
    struct.pack_into("<I", msg, ANSWER.size - 12, 5)       # claims 5 new names
    with pytest.raises(WorkerProtocolError, match="inconsistent sizes"):
        decode_answer(bytes(msg))
    with pytest.raises(WorkerProtocolError, match="says"):
        decode_answer(bytes(msg[:-1]))


def test_splitter_gives_the_same_answers_in_every_chunk_size():
    msgs = [encode_ready(), encode_hostile(1, "x"),
            encode_points(2, np.arange(3, dtype=np.uint32), np.ones(3), np.ones(3), ["a", "b", "c"],
                          False, Rejects())]
    stream = b"".join(msgs)
    for size in range(1, len(stream) + 1):
        splitter, got = AnswerSplitter(), []
        for i in range(0, len(stream), size):
            got += splitter.feed(stream[i:i + size])
        assert got == msgs, size


def test_splitter_refuses_an_absurd_length():
    with pytest.raises(WorkerProtocolError, match="beyond any frame"):
        AnswerSplitter().feed(b"\xff\xff\xff\xff")


# ------------------------------------------------------------------------------ names

def test_name_cache_numbers_each_name_once_and_reports_only_new_ones():
    cache = BytesNameCache(100)
    ids, new, reset = cache.resolve(["a", "b", "a"])
    assert (ids.tolist(), new, reset) == ([0, 1, 0], ["a", "b"], False)
    ids, new, reset = cache.resolve(["b", "c"])
    assert (ids.tolist(), new, reset) == ([1, 2], ["c"], False)
    ids, new, reset = cache.resolve(["c", "a"])
    assert (ids.tolist(), new, reset) == ([2, 0], [], False)


def test_name_cache_starts_afresh_when_full_and_stays_bounded():
    cache = BytesNameCache(3)
    cache.resolve(["a", "b", "c"])
    ids, new, reset = cache.resolve(["a", "d"])
    assert reset and new == ["a", "d"] and ids.tolist() == [0, 1]
    assert len(cache.ids) == 2


def test_name_table_follows_the_cache_through_a_reset():
    cache, table = BytesNameCache(2), NameTable()
    for names in (["x", "y"], ["y", "z"], ["z", "x"]):
        ids, new, reset = cache.resolve(names)
        table.update(reset, new)
        assert table.names_of(ids) == names


def test_name_table_hands_out_the_same_str_objects():
    table = NameTable()
    table.update(False, ["m.one", "m.two"])
    first = table.names_of(np.array([0, 1], np.uint32))
    again = table.names_of(np.array([1, 0], np.uint32))
    assert again[0] is first[1] and again[1] is first[0]


def test_name_table_grows_past_its_first_allocation():
    table = NameTable()
    names = [f"n{i}" for i in range(5000)]
    for k in range(0, 5000, 700):
        table.update(False, names[k:k + 700])
    assert table.names_of(np.arange(5000, dtype=np.uint32)) == names


def test_name_table_batches_carry_the_store_ids_it_learned():
    table = NameTable()
    table.update(False, ["m.one", "m.two"])
    ids = np.array([1, 0, 1], np.uint32)
    first = table.batch(ids, np.zeros(3), np.ones(3))
    assert first.names == ["m.two", "m.one", "m.two"]
    assert first.known.ids().tolist() == [-1, -1, -1]
    first.known.learn(np.array([70, -2, 70]))      # m.one's name was rejected: not kept
    assert table.batch(ids, np.zeros(3), np.ones(3)).known.ids().tolist() == [70, -1, 70]


def test_name_table_keeps_learned_ids_as_it_grows_and_forgets_them_on_reset():
    table = NameTable()
    table.update(False, ["a"])
    table.batch(np.array([0], np.uint32), np.zeros(1), np.ones(1)).known.learn(np.array([5]))
    table.update(False, [f"n{i}" for i in range(5000)])
    assert table.batch(np.array([0, 1], np.uint32), np.zeros(2), np.ones(2)).known.ids().tolist() == [5, -1]
    stale = table.batch(np.array([0], np.uint32), np.zeros(1), np.ones(1))
    table.update(True, ["b"])
    stale.known.learn(np.array([9]))                # learned for "a" after the reset
    assert table.batch(np.array([0], np.uint32), np.zeros(1), np.ones(1)).known.ids().tolist() == [-1]


def test_worker_answers_repeated_frames_from_runs_with_the_same_ids():
    payloads = [frame([(f"s.{i}", (NOW + 10 * r, float(i + r))) for i in range(500)]) for r in range(3)]
    answers = run_worker(payloads)
    assert answers[1].new_names == [f"s.{i}" for i in range(500)]
    assert all(a.new_names == [] and a.ids.tolist() == list(range(500)) for a in answers[2:])
    assert answers[3].values.tolist() == [float(i + 2) for i in range(500)]
    assert answers[3].timestamps.tolist() == [NOW + 20] * 500


def test_a_repeated_frame_builds_no_name(monkeypatch):
    cache = BytesNameCache(1000)
    payload = frame([(f"s.{i}", (-1, float(i))) for i in range(100)])
    answer(cache, 1, PICKLE, payload, NOW, 1000)
    assert decode_answer(answer(cache, 2, PICKLE, payload, NOW, 99)).rejects.counts == Counter({"too_many_points": 1})
    monkeypatch.setattr(cache, "resolve", lambda names: pytest.fail("resolved name by name"))
    ans = decode_answer(answer(cache, 3, PICKLE, payload, NOW, 1000))
    assert ans.ids.tolist() == list(range(100)) and ans.timestamps.tolist() == [NOW] * 100


# ------------------------------------------------------------------------------ the worker loop

def run_worker(payloads, capacity=1000, max_points=500_000, kind=PICKLE) -> list:
    inp = io.BytesIO(b"".join(request_header(i + 1, NOW, len(p), kind) + p for i, p in enumerate(payloads)))
    out = io.BytesIO()
    serve(inp, out, max_points, capacity)
    return [decode_answer(m) for m in AnswerSplitter().feed(out.getvalue())]


def test_worker_answers_every_request_in_order_like_the_in_process_parser():
    payloads = [frame([(f"s{k}.{i}", (NOW - 10 * i, float(i))) for i in range(20)]) for k in range(30)]
    payloads.append(frame([("ok", (-1, 2.0)), ("bad", (1, "x")), ("nan", (1, float("nan")))], protocol=0))
    answers = run_worker(payloads)
    assert answers[0].kind == READY
    assert_same_as_in_process(answers[1:], payloads, lambda p: parse_pickle(p, NOW))
    assert answers[-1].rejects.counts == Counter({"bad_value": 1, "nan_value": 1})


def lines(names, ts, values) -> bytes:
    return b"".join(f"{n} {v} {t}\n".encode() for n, t, v in zip(names, ts, values))


PLAINTEXT_CHUNKS = [
    lines([f"s.{i}" for i in range(40)], [NOW] * 40, range(40)),
    lines([f"s.{i}" for i in range(40)], [NOW + 10] * 40, range(40, 80)),    # one run of known names
    lines([f"s.{i}" for i in reversed(range(40))], [-1] * 40, range(40)),    # known, not in runs
    lines(["s.1", "new.1", "s.2"], [NOW] * 3, [1, 2, 3]),                    # known and new mixed
    b"ok 1 2\nbad line\nnan nan 5\n\xff\xfe 1 2\n\nlast 3 4",             # rejects, no last newline
    b"nul\x00name 1 2\nplain 1 2\n",                                         # a name holding a NUL
]


def test_worker_parses_plaintext_chunks_like_the_in_process_parser():
    answers = run_worker(PLAINTEXT_CHUNKS, kind=PLAINTEXT)
    assert_same_as_in_process(answers[1:], PLAINTEXT_CHUNKS, lambda p: parse_plaintext(p, NOW))
    assert answers[4].new_names == ["new.1"]
    assert answers[5].rejects.counts == Counter({"bad_line": 1, "nan_value": 1, "invalid_utf8": 1})


def test_a_repeated_plaintext_chunk_is_one_run_and_resolves_no_name(monkeypatch):
    cache = BytesNameCache(1000)
    chunk = lines([f"s.{i}" for i in range(100)], [NOW] * 100, range(100))
    answer(cache, 1, PLAINTEXT, chunk, NOW, 10)     # max_points bounds pickle frames only
    monkeypatch.setattr(cache, "resolve", lambda names: pytest.fail("resolved name by name"))
    ans = decode_answer(answer(cache, 2, PLAINTEXT, chunk, NOW, 10))
    assert ans.ids.tolist() == list(range(100)) and ans.new_names == []


def test_worker_gives_up_on_a_request_of_unknown_kind():
    inp = io.BytesIO(request_header(1, NOW, 1, 9) + b"x")
    with pytest.raises(WorkerProtocolError, match="unknown kind 9"):
        serve(inp, io.BytesIO(), 10, 10)


def test_answer_turns_an_unexpected_plaintext_parser_error_into_a_reject(monkeypatch):
    def broken(payload, now):
        raise MemoryError("no room")
    monkeypatch.setattr("carbon_compat.parse_worker.parse_plaintext", broken)
    ans = decode_answer(answer(BytesNameCache(10), 4, PLAINTEXT, b"a 1 2\n", NOW, 10))
    assert ans.seq == 4 and ans.rejects.counts == Counter({"bad_line": 1})


def test_worker_refuses_a_hostile_pickle_without_running_it_and_goes_on(tmp_path):
    marker = tmp_path / "pwned"
    answers = run_worker([frame([("evil", (1, Evil(marker)))]), frame([("good", (1, 1.0))])])
    assert answers[1].kind == HOSTILE and "posix.system" in answers[1].reason
    assert answers[2].kind == POINTS and answers[2].new_names == ["good"]
    assert not marker.exists()


def test_worker_counts_a_memory_bomb_as_a_bad_pickle():
    # LONG_BINPUT with index 2**28: CPython's unpickler would zero-fill a 4 GiB memo.
    bomb = b"\x80\x02]r\x00\x00\x00\x10."
    ans = run_worker([bomb])[1]
    assert ans.kind == POINTS and ans.rejects.counts == Counter({"bad_pickle": 1})


def test_worker_respects_max_points():
    ans = run_worker([frame([("a", (1, 1.0))] * 10)], max_points=5)[1]
    assert ans.rejects.counts == Counter({"too_many_points": 1}) and len(ans.ids) == 0


def test_worker_stops_at_a_truncated_request():
    payload = frame([("a", (1, 1.0))])
    inp = io.BytesIO(request_header(1, NOW, len(payload)) + payload[:-1])
    out = io.BytesIO()
    serve(inp, out, 10, 10)
    assert [decode_answer(m).kind for m in AnswerSplitter().feed(out.getvalue())] == [READY]


def test_answer_turns_an_unexpected_parser_error_into_a_reject(monkeypatch):
    def broken(payload, now, max_points):
        raise MemoryError("no room")
    monkeypatch.setattr("carbon_compat.parse_worker.parse_pickle", broken)
    ans = decode_answer(answer(BytesNameCache(10), 3, PICKLE, b"x", NOW, 10))
    assert ans.seq == 3 and ans.rejects.counts == Counter({"bad_pickle": 1})


# ------------------------------------------------------------------------------ the server side

class FakeIngest:
    def __init__(self, max_pending=10**9):
        self.points: list[tuple[str, str, float, float]] = []
        self.rejects: Counter = Counter()
        self.pending = 0
        self.max_reserved = 0
        self.max_pending = max_pending

    def submit(self, batch, rejects=None, peer="", internal=False):
        self.points += [(peer, n, t, v) for n, t, v in
                        zip(batch.names, batch.timestamps.tolist(), batch.values.tolist())]
        if rejects is not None:
            self.rejects.update(rejects.counts)

    def note_rejects(self, rejects, peer):
        self.rejects.update(rejects.counts)

    def reserve(self, n):
        self.pending += n
        self.max_reserved = max(self.max_reserved, self.pending)

    def release(self, n):
        self.pending -= n


class FakeConn:
    def __init__(self, peer):
        self.peer = peer
        self.refused_input = False
        self.refusals: list[str] = []

    def refuse(self, reason, message, detail):
        self.refused_input = True
        self.refusals.append(reason)


class LoopbackProcess:
    """Stands in for Twisted's process transport: requests are answered by `answer` when
    `deliver` is called, and the answers fed back in `chunk`-byte pieces."""

    def __init__(self, proto, pid, capacity):
        self.proto, self.pid, self.pipes, self.status = proto, pid, {}, None
        self.requests = b""
        self.cache = BytesNameCache(capacity)
        self.stdin_closed = False
        self.signals: list[str] = []

    def writeSequence(self, parts):
        assert not self.stdin_closed
        self.requests += b"".join(parts)

    def closeStdin(self):
        self.stdin_closed = True

    def signalProcess(self, sig):
        self.signals.append(sig)

    def reapProcess(self):
        pass

    def deliver(self, chunk=7, limit=None, ready=True):
        out = encode_ready() if ready else b""
        buf = io.BytesIO(self.requests)
        done = 0
        while limit is None or done < limit:
            req = read_request(buf)
            if req is None:
                break
            seq, now, kind, payload = req
            out += answer(self.cache, seq, kind, payload, now, 500_000)
            done += 1
        self.requests = buf.read()
        for i in range(0, len(out), chunk):
            self.proto.childDataReceived(1, out[i:i + chunk])

    def die(self):
        self.pid = None
        self.proto.childConnectionLost(1)


class FakeReactor(task.Clock):
    def __init__(self, capacity=1000, fail_spawn=False):
        super().__init__()
        self.processes: list[LoopbackProcess] = []
        self.capacity = capacity
        self.fail_spawn = fail_spawn

    def spawnProcess(self, proto, exe, args, env=None, childFDs=None):
        if self.fail_spawn:
            raise OSError("no such file")
        assert args[-2:] == ["500000", str(self.capacity)]
        proc = LoopbackProcess(proto, 1000 + len(self.processes), self.capacity)
        self.processes.append(proc)
        proto.makeConnection(proc)
        return proc


def pool(workers=1, capacity=1000, **kw):
    ingest, reactor = FakeIngest(), FakeReactor(capacity, **kw)
    parser = WorkerParser(ingest, reactor, workers=workers, max_points=500_000, name_capacity=capacity)
    parser.start()
    return parser, ingest, reactor


def test_make_parser_follows_the_settings():
    ingest, reactor = FakeIngest(), FakeReactor()
    assert isinstance(make_parser(ingest, reactor, LimitsConfig(parse_workers=0)), InlineParser)
    assert isinstance(make_parser(ingest, reactor, LimitsConfig(), tcp_listeners=False), InlineParser)
    assert isinstance(make_parser(ingest, reactor, LimitsConfig()), WorkerParser)


def test_points_keep_each_connections_order_across_many_frames_workers_and_chunkings():
    parser, ingest, reactor = pool(workers=2, capacity=50)     # small cache: resets on the way
    conns = [FakeConn(f"c{k}") for k in range(5)]
    expected = {c.peer: [] for c in conns}
    for rnd in range(40):
        for k, conn in enumerate(conns):
            pts = [(f"c{k}.s{(rnd * 7 + i) % 30}", (NOW + rnd, float(rnd * 100 + i))) for i in range(9)]
            expected[conn.peer] += [(conn.peer, n, t, v) for n, (t, v) in pts]
            parser.parse(conn, PICKLE, [frame(pts)], NOW)
        if rnd % 3 == 0:
            for proc in reactor.processes:
                proc.deliver(chunk=1 + rnd)
    for proc in reactor.processes:
        proc.deliver()
    assert parser.idle()
    for conn in conns:
        assert [p for p in ingest.points if p[0] == conn.peer] == expected[conn.peer]
    assert ingest.pending == 0


def test_plaintext_and_pickle_connections_share_the_workers_and_keep_their_order():
    parser, ingest, reactor = pool(workers=2, capacity=50)
    text, pick = FakeConn("text"), FakeConn("pick")
    expected = {"text": [], "pick": []}
    for rnd in range(20):
        names = [f"t.{(rnd * 3 + i) % 30}" for i in range(7)]
        parser.parse(text, PLAINTEXT, [lines(names, [NOW + rnd] * 7, range(7))], NOW)
        expected["text"] += [("text", n, NOW + rnd, float(i)) for i, n in enumerate(names)]
        parser.parse(pick, PICKLE, [frame([(f"p.{rnd}", (NOW, float(rnd)))])], NOW)
        expected["pick"].append(("pick", f"p.{rnd}", NOW, float(rnd)))
        if rnd % 4 == 0:
            for proc in reactor.processes:
                proc.deliver(chunk=3 + rnd)
    for proc in reactor.processes:
        proc.deliver()
    for peer, points in expected.items():
        assert [p for p in ingest.points if p[0] == peer] == points
    assert ingest.pending == 0 and parser.idle()


def test_dead_worker_drops_the_plaintext_chunk_it_was_parsing_and_parses_the_rest_here():
    parser, ingest, reactor = pool()
    a, b = FakeConn("a"), FakeConn("b")
    parser.parse(a, PLAINTEXT, [b"a.0 1 2\n"], NOW)
    parser.parse(b, PLAINTEXT, [b"b.0 1 2\n"], NOW)
    parser.parse(a, PLAINTEXT, [b"a.1 1 2\nbroken\n"], NOW)
    proc = reactor.processes[0]
    proc.deliver(limit=1)
    proc.die()
    assert [p[1] for p in ingest.points] == ["a.0", "a.1"]
    assert b.refusals == ["parse_worker_died"] and a.refusals == []
    assert ingest.rejects["bad_line"] == 1 and ingest.pending == 0


def test_frames_in_flight_count_as_pending_until_answered():
    parser, ingest, reactor = pool()
    payload = frame([(f"m{i}", (NOW, 1.0)) for i in range(100)])
    parser.parse(FakeConn("a"), PICKLE, [payload] * 3, NOW)
    assert ingest.pending == 3 * (len(payload) // parse_pool.EST_BYTES_PER_POINT + 1)
    assert not parser.idle()
    reactor.processes[0].deliver()
    assert ingest.pending == 0 and len(ingest.points) == 300 and parser.idle()


def test_hostile_frame_closes_its_connection_and_drops_its_later_frames_only(tmp_path):
    marker = tmp_path / "pwned"
    parser, ingest, reactor = pool()
    bad, good = FakeConn("bad"), FakeConn("good")
    parser.parse(bad, PICKLE, [frame([("b.1", (1, 1.0))]), frame([("evil", (1, Evil(marker)))]),
                       frame([("b.after", (1, 1.0))])], NOW)
    parser.parse(good, PICKLE, [frame([("g.1", (1, 2.0))])], NOW)
    reactor.processes[0].deliver()
    assert [p[1] for p in ingest.points] == ["b.1", "g.1"]
    assert bad.refusals == ["hostile_pickle"] and good.refusals == []
    assert not marker.exists() and ingest.pending == 0


def test_dead_worker_drops_the_frame_it_was_parsing_and_parses_the_rest_here_in_order():
    parser, ingest, reactor = pool()
    a, b = FakeConn("a"), FakeConn("b")
    for k in range(3):
        parser.parse(a, PICKLE, [frame([(f"a.{k}", (1, float(k)))])], NOW)
        parser.parse(b, PICKLE, [frame([(f"b.{k}", (1, float(k)))])], NOW)
    proc = reactor.processes[0]
    proc.deliver(limit=1)               # a.0 answered; the worker dies parsing b.0
    proc.die()
    assert [p[1] for p in ingest.points] == ["a.0", "a.1", "a.2"]
    assert b.refusals == ["parse_worker_died"] and a.refusals == []
    assert ingest.pending == 0 and parser.idle()
    parser.parse(a, PICKLE, [frame([("a.3", (1, 3.0))])], NOW)       # no worker yet: parsed here, in order
    assert ingest.points[-1][1] == "a.3"
    reactor.advance(parse_pool.RESTART_DELAY)
    assert len(reactor.processes) == 2 and parser.restarts == 1
    parser.parse(a, PICKLE, [frame([("a.4", (1, 4.0))])], NOW)
    reactor.processes[1].deliver()
    assert ingest.points[-1][1] == "a.4"


def test_worker_that_never_gets_ready_is_given_up_after_three_tries():
    parser, ingest, reactor = pool()
    conn = FakeConn("c")
    for attempt in range(parse_pool.STARTUP_FAILURES):
        parser.parse(conn, PICKLE, [frame([(f"m{attempt}", (1, 1.0))])], NOW)
        reactor.processes[-1].die()                 # before READY: nothing is suspect
        reactor.advance(parse_pool.RESTART_DELAY)
    assert len(reactor.processes) == parse_pool.STARTUP_FAILURES
    assert [p[1] for p in ingest.points] == ["m0", "m1", "m2"] and conn.refusals == []
    parser.parse(conn, PICKLE, [frame([("m.inline", (1, 1.0))])], NOW)
    assert ingest.points[-1][1] == "m.inline"


def test_broken_answer_kills_the_worker_and_its_frame_is_suspect():
    parser, ingest, reactor = pool()
    conn = FakeConn("c")
    parser.parse(conn, PICKLE, [frame([("m", (1, 1.0))])], NOW)
    proc = reactor.processes[0]
    proc.proto.childDataReceived(1, encode_ready() + encode_hostile(99, "wrong seq"))
    assert proc.signals == ["KILL"] and conn.refusals == ["parse_worker_died"]
    assert ingest.pending == 0


def test_answer_naming_an_id_the_table_does_not_hold_kills_the_worker():
    parser, ingest, reactor = pool()
    conn = FakeConn("c")
    parser.parse(conn, PICKLE, [frame([("m", (1, 1.0))])], NOW)
    proc = reactor.processes[0]
    bad = encode_points(1, np.array([0, 1], np.uint32), np.ones(2), np.ones(2), ["m"], False, Rejects())
    proc.proto.childDataReceived(1, encode_ready() + bad)
    assert proc.signals == ["KILL"] and conn.refusals == ["parse_worker_died"]
    assert ingest.points == []


def test_spawn_failure_falls_back_to_parsing_here():
    parser, ingest, reactor = pool(fail_spawn=True)
    parser.parse(FakeConn("c"), PICKLE, [frame([("m", (1, 1.0))])], NOW)
    assert [p[1] for p in ingest.points] == ["m"]


def test_stop_waits_for_the_answers_then_closes_the_workers():
    parser, ingest, reactor = pool(workers=2)
    parser.parse(FakeConn("a"), PICKLE, [frame([("a", (1, 1.0))])], NOW)
    stopped = parser.stop(timeout=10)
    assert not stopped.called and all(p.stdin_closed for p in reactor.processes)
    for proc in reactor.processes:
        proc.deliver()
        proc.die()
    assert stopped.called and [p[1] for p in ingest.points] == ["a"]


def test_stop_kills_a_stuck_worker_after_the_timeout_and_parses_its_frames_here():
    parser, ingest, reactor = pool()
    stuck, other = FakeConn("stuck"), FakeConn("other")
    parser.parse(stuck, PICKLE, [frame([("a", (1, 1.0))])], NOW)
    parser.parse(other, PICKLE, [frame([("b", (1, 1.0))])], NOW)
    reactor.processes[0].deliver(limit=0)           # READY only, then stuck on "a"
    stopped = parser.stop(timeout=5)
    reactor.advance(4.9)
    assert not stopped.called
    reactor.advance(0.1)
    assert stopped.called and reactor.processes[0].signals == ["KILL"]
    assert [p[1] for p in ingest.points] == ["b"]
    assert stuck.refusals == ["parse_worker_died"] and other.refusals == []


def test_a_worker_death_logged_before_its_exit_status_is_logged_again_once_reaped(caplog):
    # on a loaded machine the answer pipe closes well before the killed worker is reapable
    import signal as sig
    from types import SimpleNamespace

    from twisted.internet.task import Clock

    from carbon_compat.parse_pool import REAP_INTERVAL, _Worker

    class Transport:
        pid, status, reaps = 4242, None, 0

        def reapProcess(self):
            self.reaps += 1
            if self.reaps > 100:                  # long after REAP_WAIT
                self.pid, self.status = None, sig.SIGKILL   # a wait status: killed by signal 9

        def closeStdin(self):
            pass

    clock = Clock()
    pool = SimpleNamespace(reactor=clock, lost=lambda worker, status: None)
    worker = _Worker(pool, 0)
    worker.transport, worker.pid = Transport(), 4242
    worker.childConnectionLost(1)
    assert worker.died_unknown
    with caplog.at_level("WARNING", logger="strata.carbon"):
        for _ in range(200):
            clock.advance(REAP_INTERVAL)
    assert "parse worker pid 4242 died (signal 9)" in caplog.text
