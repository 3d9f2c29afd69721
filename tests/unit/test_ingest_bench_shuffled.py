"""ingest_bench's shuffled pickle load: every series once per round with its round's value,
in an order of the round's own, and the read-back count knows what a cut-short round sent."""

import pickle
import struct

from benchmarks import ingest_bench as ib
from strata.bench.senders import Load, LoadRun


def frames_of(data: bytes) -> list[list]:
    out, at = [], 0
    while at < len(data):
        size = struct.unpack("!L", data[at:at + 4])[0]
        out.append(pickle.loads(data[at + 4:at + 4 + size]))
        at += 4 + size
    return out


def test_each_order_sends_every_series_once_with_its_rounds_value_in_an_order_of_its_own():
    chunks = ib.build_shuffled_chunks("pickle", 100, 1100, 300)
    assert len(chunks) == ib.SHUFFLED_ORDERS
    series = {ib.series_name(i): i for i in range(100, 1100)}
    orders = []
    for k, order_chunks in enumerate(chunks):
        points = [p for data, _ in order_chunks for frame in frames_of(data) for p in frame]
        names = [n for n, _ in points]
        assert sorted(names) == sorted(series)
        assert all(v == ib.series_value(series[n], k % ib.VARIANTS) for n, (_, v) in points)
        assert names == [ib.series_name(i) for i in ib.shuffled_order(100, 1100, k)]
        orders.append(tuple(names))
    assert len(set(orders)) == ib.SHUFFLED_ORDERS


def test_rounds_sent_counts_a_cut_short_round_by_each_series_place_in_it():
    run = LoadRun.__new__(LoadRun)
    run.load = Load("pickle", 0, 2000, 0, 3, 10, None, 1.0, 2, builder=ib.build_shuffled_chunks,
                    position=ib.shuffled_position)
    run.bounds = [(0, 1000), (1000, 2000)]
    run.res = [{"rounds_done": 4, "partial": 250}, {"rounds_done": 5, "partial": 0}]
    cut = 3 + 4                                       # the round sender 0 was in when it stopped
    sent = set(ib.shuffled_order(0, 1000, cut % ib.SHUFFLED_ORDERS)[:250].tolist())
    assert [run.rounds_sent(i) for i in range(1000)] == [5 if i in sent else 4 for i in range(1000)]
    assert {run.rounds_sent(i) for i in range(1000, 2000)} == {5}
    run.load.position = None                          # in series order: the first 250 of them
    assert [run.rounds_sent(i) for i in range(1000)] == [5] * 250 + [4] * 750
