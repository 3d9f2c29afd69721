"""Property of carbon_compat.parse_worker: whatever pickle frames or plaintext chunks arrive,
in whatever order, the names the server reads back through its NameTable are the names
parse_pickle or parse_plaintext reads, point for point, whether the worker recognised a run
of known names by its bytes or resolved them one by one, and across resets of a small name
cache."""

import pickle

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carbon_compat.parsers import parse_pickle, parse_plaintext
from carbon_compat.name_ids import BytesNameCache
from carbon_compat.parse_worker import PICKLE, PLAINTEXT, answer, decode_answer
from tests.worker_answers import assert_same_as_in_process

NOW = 1_700_000_000.0
POOL = [f"pool.h{i // 20}.m{i % 20}" for i in range(200)] + ["é.x", "\udcff.lone", "a" * 200, ""]

# a frame: slices of the pool (runs, possibly reversed), a few random names, new names
runs = st.tuples(st.integers(0, len(POOL)), st.integers(0, 60), st.booleans()).map(
    lambda t: POOL[t[0]:t[0] + t[1]][::-1 if t[2] else 1])
pieces = st.one_of(runs, runs, runs, st.lists(st.sampled_from(POOL), max_size=5),
                   st.lists(st.text(max_size=8), max_size=3))
frame = st.lists(pieces, max_size=4).map(lambda ps: [n for p in ps for n in p])
# senders repeat their frames: a few distinct ones, sent in any order
frames = st.tuples(st.lists(frame, min_size=1, max_size=4), st.lists(st.integers(0, 3), min_size=1, max_size=12)
                   ).map(lambda t: [t[0][i % len(t[0])] for i in t[1]])


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=150)
@given(frames=frames, capacity=st.sampled_from([30, 120, 10_000]), protocol=st.integers(2, 5))
def test_worker_names_are_the_parsers_names_for_any_frame_sequence(frames, capacity, protocol):
    payloads = [pickle.dumps([(n, (NOW + seq, float(i))) for i, n in enumerate(names)], protocol=protocol)
                for seq, names in enumerate(frames)]
    assert_worker_reads_what_the_parser_reads(PICKLE, payloads, capacity, lambda p: parse_pickle(p, NOW))


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=150)
@given(chunks=frames, capacity=st.sampled_from([30, 120, 10_000]))
def test_worker_names_are_the_parsers_names_for_any_plaintext_chunk_sequence(chunks, capacity):
    # names with whitespace, empty names and lone surrogates make bad or invalid lines
    payloads = ["".join(f"{n} {i} {NOW + seq:.0f}\n" for i, n in enumerate(names)).encode("utf-8", "surrogatepass")
                for seq, names in enumerate(chunks)]
    assert_worker_reads_what_the_parser_reads(PLAINTEXT, payloads, capacity, lambda p: parse_plaintext(p, NOW))


def assert_worker_reads_what_the_parser_reads(kind, payloads, capacity, parse) -> None:
    cache = BytesNameCache(capacity)
    answers = [decode_answer(answer(cache, seq, kind, payload, NOW, 500_000))
               for seq, payload in enumerate(payloads, start=1)]
    assert_same_as_in_process(answers, payloads, parse)
