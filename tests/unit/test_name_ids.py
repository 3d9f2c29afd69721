"""carbon_compat.name_ids: runs of known names recognised whole, as bytes (a pickle worker)
and as str (the server's receivers), and the store ids a receiver hands the writer."""

import pickle

import numpy as np

from carbon_compat.name_ids import MIN_RUN, BytesNameCache, LineNames, NotRuns
from carbon_compat.parsers import Batch
from carbon_compat.pickle_elements import canonical_frame

NOW = 1_700_000_000.0


def frame(points) -> bytes:
    return pickle.dumps(points, protocol=2)


def known_cache(names, capacity=10_000) -> BytesNameCache:
    cache = BytesNameCache(capacity)
    cache.resolve(names)
    return cache


def run_ids_of(cache, names):
    got = canonical_frame(frame([(n, (NOW, 1.0)) for n in names]))
    return cache.run_ids(got.names_blob, got.name_ends)


def test_run_ids_recognise_known_names_in_runs_wherever_a_frame_cuts_them():
    names = [f"app{i // 40}.m{i % 40}.é" for i in range(400)]
    cache = known_cache(names)
    for part in (names, names[7:300], names[200:] + names[:50], names[:30] + names[100:180]):
        assert run_ids_of(cache, part).tolist() == [names.index(n) for n in part]


def test_run_ids_give_up_on_short_runs_unknown_names_and_undecodable_bytes():
    names = [f"m{i}" for i in range(100)]
    cache = known_cache(names)
    assert run_ids_of(cache, names[:MIN_RUN - 1] + names[50:]) is None      # a short run first
    assert run_ids_of(cache, names[:50] + names[60:60 + MIN_RUN - 1]) is not None   # the last may be short
    assert run_ids_of(cache, names[:50] + ["new"] + names[50:]) is None
    assert run_ids_of(cache, names[::-1]) is None
    bad = canonical_frame(frame([("m\udcff", (NOW, 1.0)), ("m0", (NOW, 1.0))]))
    assert bad is not None and cache.run_ids(bad.names_blob.replace(b"\xed\xb3\xbf", b"\xff\xfe\xfd"),
                                             bad.name_ends) is None


def test_run_ids_follow_the_cache_through_a_reset():
    cache = known_cache(["a", "b", "c"], capacity=3)
    cache.resolve(["d", "e"])                     # full: starts afresh with d, e
    assert run_ids_of(cache, ["a", "b"]) is None
    assert run_ids_of(cache, ["d", "e"]).tolist() == [0, 1]


# ------------------------------------------------------------------------------ LineNames

def line_batch(names):
    return Batch(list(names), np.full(len(names), NOW), np.arange(len(names), dtype=float))


def test_line_names_number_names_in_arrival_order_and_find_them_again_in_runs():
    names = [f"app{i // 40}.m{i % 40}" for i in range(400)]
    cache = LineNames(10_000)
    first = cache.batch(line_batch(names))
    assert first.known.slots.tolist() == list(range(400))
    for part in (names, names[7:300], names[200:] + names[:50]):
        fresh = [n.encode().decode() for n in part]          # equal, not the same objects
        assert cache.run_ids(fresh).tolist() == [names.index(n) for n in part]
        assert cache.batch(line_batch(fresh)).known.slots.tolist() == [names.index(n) for n in part]


def test_line_names_number_new_names_and_leave_known_ones_out_of_order_to_the_writer():
    names = [f"m{i}" for i in range(100)]
    cache = LineNames(10_000)
    cache.batch(line_batch(names))
    assert cache.run_ids(names[::-1]) is NotRuns.SHORT_RUN
    assert cache.run_ids(names[:MIN_RUN - 1] + names[50:]) is NotRuns.SHORT_RUN
    assert cache.run_ids(names[:50] + ["new"]) is NotRuns.UNKNOWN_NAME
    assert cache.batch(line_batch(names[::-1])).known is None             # the writer looks them up
    fresh = ["new", "m3"] + names[::-1]
    assert cache.batch(line_batch(fresh)).known.slots.tolist() == [100, 3] + list(range(99, -1, -1))
    assert cache.batch(line_batch(names[:40] + ["new"])).known.slots.tolist() == list(range(40)) + [100]


def test_line_names_hand_the_writer_the_store_ids_it_learned():
    cache = LineNames(10_000)
    first = cache.batch(line_batch(["a", "b", "c"]))
    assert first.known.ids().tolist() == [-1, -1, -1]
    first.known.learn(np.array([7, -2, 9]))              # b was refused by the store: not kept
    assert cache.batch(line_batch(["a", "b", "c"])).known.ids().tolist() == [7, -1, 9]
    many = [f"n{i}" for i in range(3000)]                  # the id array grows
    cache.batch(line_batch(many))
    assert cache.batch(line_batch(["a", "b", "c"] + many[:2])).known.ids().tolist() == [7, -1, 9, -1, -1]


def test_line_names_start_afresh_when_full_and_forget_learned_ids():
    cache = LineNames(3)
    stale = cache.batch(line_batch(["a", "b", "c"]))
    fresh = cache.batch(line_batch(["d", "a"]))               # over capacity: starts afresh
    assert fresh.known.slots.tolist() == [0, 1] and len(cache.ids) == 2
    stale.known.learn(np.array([1, 2, 3]))                     # learned for the old numbering
    assert cache.batch(line_batch(["d", "a"])).known.ids().tolist() == [-1, -1]
