"""Properties of carbon_compat.parsers.

* Splitting a plaintext stream into chunks of complete lines changes nothing (the framer may
  cut anywhere between lines, and may strip the last b"\\n").
* The parsers agree, point for point and reject for reject, with a reference model written
  straight from carbon 1.1.10's receive loops (lib/carbon/protocols.py), where carbon's
  dropped connections become Strata's rejects.  This covers both the one-split fast path
  and the per-line path of parse_plaintext.
* Random or mutated bytes never raise (parse_pickle may raise only HostilePickle).
* Round trips: points rendered as carbon lines, or pickled, parse back to themselves.
"""

import math
import pickle

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carbon_compat import parsers
from carbon_compat.parsers import (
    HostilePickle,
    parse_pickle,
    parse_plaintext,
    parse_plaintext_datagram,
)

NOW = 1_700_000_123.25
SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------------------- reference model


def carbon_point(metric, ts_token, value_token):
    """carbon 1.1.10 float conversion + MetricReceiver.metricReceived, as one of:
    (name, ts, value), or the reject reason where carbon skips the point or drops the link."""
    try:
        ts = float(ts_token)  # carbon converts the timestamp first
    except (ValueError, TypeError, OverflowError):
        return "bad_timestamp"
    try:
        value = float(value_token)
    except (ValueError, TypeError, OverflowError):
        return "bad_value"
    if value != value:
        return "nan_value"
    try:
        if int(ts) == -1:
            ts = NOW
    except (ValueError, OverflowError):  # nan / inf: carbon loses the connection
        return "bad_timestamp"
    return (metric, ts, value)


def carbon_line(raw: bytes):
    """carbon 1.1.10 MetricLineReceiver.lineReceived on one line (without its b"\\n")."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError:  # carbon: connection dropped
        return "invalid_utf8"
    parts = line.strip().split()
    if not parts:
        return None  # Strata: blank lines are not rejects
    if len(parts) != 3:
        return "bad_line"
    metric, value, timestamp = parts
    return carbon_point(metric, timestamp, value)


def carbon_element(raw):
    """carbon 1.1.10 MetricPickleReceiver.stringReceived on one element of the list."""
    try:
        metric, (ts, value) = raw
    except (TypeError, ValueError):
        return "bad_element"
    if isinstance(metric, bytes):
        try:
            metric = metric.decode("utf-8")
        except UnicodeDecodeError:
            return "invalid_utf8"
    elif not isinstance(metric, str):
        return "bad_element"
    return carbon_point(metric, ts, value)


def reference(results) -> tuple[list, dict]:
    """Points in input order and reject counts from per-item reference results."""
    rows, counts = [], {}
    for result in results:
        if isinstance(result, tuple):
            rows.append(result)
        elif result is not None:
            counts[result] = counts.get(result, 0) + 1
    return rows, counts


def observed(batch, rejects) -> tuple[list, dict]:
    assert len(batch.names) == batch.timestamps.size == batch.values.size
    assert batch.timestamps.dtype == np.float64 and batch.values.dtype == np.float64
    rows = list(zip(batch.names, batch.timestamps.tolist(), batch.values.tolist()))
    return rows, dict(rejects.counts)


# ---------------------------------------------------------------------------- strategies

NUMBERS = ["1", "-1", "-1.0", "-1.9", "-2", "-0.5", "0", "1.5", "1e3", "1_000", "nan", "-nan",
           "inf", "-Infinity", "1e400", "x", "0x10", "1,5", "\u0661\u0662", "1700000000",
           "1700000000.75", "-1e0", ".", "_1"]
SEPARATORS = [" ", "  ", "\t", " \t ", "\r", "\x0b", "\x0c", "\x1c", "\x1f", "\xa0", "\u2003",
              "\x85"]

tokens = st.one_of(
    st.sampled_from(NUMBERS),
    st.floats().map(repr),
    st.text(alphabet="ab.;=\x00é", min_size=1, max_size=6),
)
separators = st.sampled_from(SEPARATORS)


@st.composite
def token_lines(draw) -> bytes:
    """0-5 tokens, mostly 3, joined by any whitespace carbon's str.split() knows."""
    count = draw(st.sampled_from([3, 3, 3, 3, 0, 1, 2, 4, 5]))
    words = [draw(tokens) for _ in range(count)]
    text = draw(separators).join(words)
    if draw(st.booleans()):
        text = draw(separators) + text + draw(separators)
    return text.encode("utf-8")


lines = st.one_of(
    token_lines(),
    token_lines(),
    st.text(st.characters(codec="utf-8", exclude_characters="\n"), max_size=20).map(str.encode),
    st.binary(max_size=20).map(lambda b: b.replace(b"\n", b"")),
)
line_lists = st.lists(lines, max_size=25)


def stream(line_list: list[bytes], crlf: bool) -> bytes:
    return b"".join(line + (b"\r\n" if crlf else b"\n") for line in line_list)


def concat(parts):
    """Batches and rejects of consecutive chunks, joined as one result."""
    rows, counts = [], {}
    for batch, rejects in parts:
        chunk_rows, chunk_counts = observed(batch, rejects)
        rows += chunk_rows
        for reason, count in chunk_counts.items():
            counts[reason] = counts.get(reason, 0) + count
    return rows, counts


# ---------------------------------------------------------------------------- plaintext


@SETTINGS
@given(line_list=line_lists, cuts=st.lists(st.integers(0, 25), max_size=6),
       crlf=st.booleans(), strip_last_newline=st.booleans())
def test_any_split_into_complete_line_chunks_gives_the_same_points(
    line_list, cuts, crlf, strip_last_newline
):
    pieces = [stream([line], crlf) for line in line_list]
    bounds = sorted({0, len(pieces), *(c % (len(pieces) + 1) for c in cuts)})
    chunks = [b"".join(pieces[a:b]) for a, b in zip(bounds, bounds[1:])]
    if strip_last_newline:  # the framer may hand lines over without their delimiter
        chunks = [c[:-1] if c.endswith(b"\n") else c for c in chunks]
    whole = observed(*parse_plaintext(b"".join(pieces), NOW))
    assert concat(parse_plaintext(chunk, NOW) for chunk in chunks) == whole


@SETTINGS
@given(line_list=line_lists, crlf=st.booleans(), final_newline=st.booleans())
def test_plaintext_agrees_with_carbons_line_receiver(line_list, crlf, final_newline):
    # carbon 1.1.10 LineOnlyReceiver splits on b"\n" only; lineReceived parses each line.
    data = stream(line_list, crlf)
    if not final_newline and data:
        data = data[:-1]
    pieces = data.split(b"\n")
    expected = reference(carbon_line(piece) for piece in pieces)
    assert observed(*parse_plaintext(data, NOW)) == expected


@SETTINGS
@given(line_list=line_lists, joiner=st.sampled_from(["\n", "\r\n", "\r", "\x0b", "\x1e",
                                                     "\u2028", "\x85"]))
def test_datagram_agrees_with_carbons_datagram_receiver(line_list, joiner):
    # carbon 1.1.10 datagramReceived: data.decode('utf-8').splitlines(), each line parsed;
    # Strata rejects undecodable lines one by one instead of losing the datagram.
    data = joiner.encode().join(line_list)
    text = data.decode("utf-8", "surrogateescape")
    pieces = [line.encode("utf-8", "surrogateescape") for line in text.splitlines()]
    expected = reference(carbon_line(piece) for piece in pieces)
    assert observed(*parse_plaintext_datagram(data, NOW)) == expected


names = st.text(st.characters(codec="utf-8"), min_size=1, max_size=20).filter(
    lambda s: s.split() == [s])
finite = st.floats(allow_nan=False, allow_infinity=False)


def expected_ts(ts: float) -> float:
    return NOW if int(ts) == -1 else ts


@SETTINGS
@given(rows=st.lists(st.tuples(names, finite, st.floats(allow_nan=False)), max_size=30),
       sep=separators, crlf=st.booleans())
def test_points_rendered_as_carbon_lines_parse_back(rows, sep, crlf):
    data = "".join(f"{n}{sep}{v!r}{sep}{t!r}" + ("\r\n" if crlf else "\n")
                   for n, t, v in rows).encode()
    want = [(n, expected_ts(t), v) for n, t, v in rows]
    assert observed(*parse_plaintext(data, NOW)) == (want, {})
    if len(f"a{sep}b".splitlines()) == 1:  # \r, \x0b, \x85... end a datagram line
        assert observed(*parse_plaintext_datagram(data, NOW)) == (want, {})


@SETTINGS
@given(data=st.binary(max_size=3000))
def test_random_bytes_never_raise_from_plaintext(data):
    for parse in (parse_plaintext, parse_plaintext_datagram):
        batch, rejects = parse(data, NOW)
        observed(batch, rejects)


# ---------------------------------------------------------------------------- pickle

junk = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.binary(max_size=4),
                 st.text(max_size=4), st.sampled_from(NUMBERS), st.integers(10**300, 10**400))
pair = st.one_of(st.tuples(junk, junk), st.lists(junk, max_size=3), junk)
elements = st.one_of(
    st.tuples(st.one_of(names, st.binary(max_size=6), junk), pair),
    st.lists(st.one_of(names, pair, junk), max_size=3),
    junk,
)


@SETTINGS
@given(element_list=st.lists(elements, max_size=20), protocol=st.integers(3, 5))
def test_pickle_agrees_with_carbons_pickle_receiver(element_list, protocol):
    # Protocols >= 3 pickle bytes without a global (at 0-2 they need _codecs.encode).
    expected = reference(carbon_element(e) for e in element_list)
    payload = pickle.dumps(element_list, protocol=protocol)
    assert observed(*parse_pickle(payload, NOW)) == expected


timestamps = st.one_of(finite, st.integers(-2**53, 2**53))
values = st.one_of(st.floats(allow_nan=False), st.integers(-2**60, 2**60),
                   st.floats(allow_nan=False).map(repr))


@SETTINGS
@given(rows=st.lists(st.tuples(names, timestamps, values), max_size=30),
       protocol=st.integers(0, pickle.HIGHEST_PROTOCOL))
def test_pickled_points_parse_back(rows, protocol):
    payload = pickle.dumps([(n, (t, v)) for n, t, v in rows], protocol=protocol)
    want = [(n, expected_ts(float(t)), float(v)) for n, t, v in rows]
    assert observed(*parse_pickle(payload, NOW)) == (want, {})


@SETTINGS
@given(data=st.one_of(st.binary(max_size=300),
                      st.binary(max_size=300).map(lambda b: b"\x80\x02" + b)))
def test_random_bytes_never_raise_from_pickle_except_hostile(data):
    try:
        batch, rejects = parse_pickle(data, NOW)
    except HostilePickle:
        return
    observed(batch, rejects)


def mutated(payload: bytes, edits: list[tuple[int, int]], cut: int | None) -> bytes:
    """`payload` with bytes overwritten at (position mod length) and optionally cut short."""
    out = bytearray(payload)
    for position, byte in edits:
        out[position % len(out)] = byte
    if cut is not None:
        out = out[: cut % (len(out) + 1)]
    return bytes(out)


@SETTINGS
@given(rows=st.lists(st.tuples(names, timestamps, values), min_size=1, max_size=10),
       protocol=st.integers(0, pickle.HIGHEST_PROTOCOL),
       edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1,
                      max_size=4),
       cut=st.none() | st.integers(0, 10**6))
def test_mutated_pickles_never_raise_except_hostile(rows, protocol, edits, cut):
    payload = mutated(pickle.dumps([(n, (t, v)) for n, t, v in rows], protocol=protocol), edits, cut)
    try:
        batch, rejects = parse_pickle(payload, NOW)
    except HostilePickle:
        return
    observed(batch, rejects)
    assert math.isfinite(rejects.total())


opcode_names = st.text(alphabet=st.sampled_from("GJKMqr.X\x86\x94\x8c(ea]" + "abc"), min_size=1, max_size=12)


def scan_verdict(payload: bytes, element_runs: bool):
    try:
        return parsers._scan_opcodes(payload, element_runs=element_runs)
    except HostilePickle as exc:
        return ("hostile", str(exc))


@SETTINGS
@given(rows=st.lists(st.tuples(st.one_of(names, opcode_names), timestamps,
                               st.one_of(st.floats(allow_nan=False), st.integers(-2**40, 2**40))),
                     min_size=1, max_size=40),
       protocol=st.integers(0, pickle.HIGHEST_PROTOCOL),
       edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=4),
       cut=st.none() | st.integers(0, 10**6))
def test_element_runs_give_the_opcode_walks_verdict(rows, protocol, edits, cut):
    # The numpy shortcut over runs of elements must see exactly what the opcode-by-opcode
    # walk sees, on intact and on damaged pickles (memo bombs, globals, truncation).
    payload = mutated(pickle.dumps([(n, (t, v)) for n, t, v in rows], protocol=protocol), edits, cut)
    assert scan_verdict(payload, True) == scan_verdict(payload, False)


def parsed_without_shortcut(payload: bytes):
    """parse_pickle's answer (or HostilePickle's message) with the canonical-layout decoder off."""
    saved = parsers.canonical_frame
    parsers.canonical_frame = lambda _payload: None
    try:
        return parsed_or_hostile(payload)
    finally:
        parsers.canonical_frame = saved


def canonical_columns(payload: bytes):
    """(names, timestamps, values) of a frame pickle_elements reads straight from its bytes,
    or None where the unpickler takes it."""
    from carbon_compat.pickle_elements import canonical_frame
    frame = canonical_frame(payload)
    names = frame.names() if frame is not None else None
    return (names, frame.timestamps, frame.values) if names is not None else None


def parsed_or_hostile(payload: bytes):
    try:
        return observed(*parse_pickle(payload, NOW))
    except HostilePickle as exc:
        return ("hostile", str(exc))


any_names = st.one_of(names, opcode_names, st.text(min_size=0, max_size=300),
                      st.just("a\x00b"), st.just("\udcff.x"))
numbers = st.one_of(st.floats(), st.integers(-2**33, 2**33), st.sampled_from([-1, -1.5, 0, 255, 65535, 65536]))


@SETTINGS
@given(rows=st.lists(st.tuples(any_names, numbers, numbers), min_size=0, max_size=1500),
       protocol=st.integers(0, pickle.HIGHEST_PROTOCOL),
       edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=3),
       cut=st.none() | st.integers(0, 10**6))
def test_canonical_layout_decoder_answers_as_the_unpickler(rows, protocol, edits, cut):
    # pickle.dumps' own layout is decoded straight from the bytes (pickle_elements); on any
    # frame, intact or damaged, the answer must be the unpickler path's, point for point.
    payload = mutated(pickle.dumps([(n, (t, v)) for n, t, v in rows], protocol=protocol), edits, cut)
    assert parsed_or_hostile(payload) == parsed_without_shortcut(payload)


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
@pytest.mark.parametrize("size", [2, 500, 1000, 1001, 2500])
def test_canonical_layout_decoder_takes_pickle_dumps_frames(protocol, size):
    rows = [(f"servers.host{i}.cpu.é", (1_700_000_000 + i, i / 7)) for i in range(size - 1)]
    rows.append(("servers.last", (1.7e9, -(2**31))))
    payload = pickle.dumps(rows, protocol=protocol)
    got = canonical_columns(payload)
    if protocol >= 4 and len(payload) > 65536:
        assert got is None                  # framed in pieces: the unpickler's
        return
    assert got is not None
    names_, ts, vs = got
    assert names_ == [n for n, _ in rows]
    assert ts.tolist() == [float(t) for _, (t, _) in rows]
    assert vs.tolist() == [float(v) for _, (_, v) in rows]


clean_numbers = st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(-2**31, 2**31 - 1),
                          st.sampled_from([-1, 0, 255, 256, 65535, 65536, -2**31, 2**31 - 1]))
odd_numbers = st.sampled_from([math.inf, -math.inf, math.nan])


@SETTINGS
@given(rows=st.lists(st.tuples(names, clean_numbers, clean_numbers), min_size=2, max_size=1200),
       protocol=st.integers(2, pickle.HIGHEST_PROTOCOL),
       odd=st.lists(st.tuples(st.integers(0, 10**6), st.booleans(), odd_numbers), max_size=2))
def test_canonical_layout_decoder_reads_every_number_and_name_as_the_unpickler(rows, protocol, odd):
    for at, in_ts, number in odd:
        n, t, v = rows[at % len(rows)]
        rows[at % len(rows)] = (n, number, v) if in_ts else (n, t, number)
    payload = pickle.dumps([(n, (t, v)) for n, t, v in rows], protocol=protocol)
    shortcut = canonical_columns(payload)
    decodable = (len({n for n, _, _ in rows}) == len(rows) and not any("\x00" in n for n, _, _ in rows)
                 and (protocol < 4 or len(payload) <= 65536)
                 and all(math.isfinite(t) and v == v for _, t, v in rows))
    # memo references, NULs and points the unpickler path rejects are not decoded here
    assert (shortcut is not None) == decodable
    assert parsed_or_hostile(payload) == parsed_without_shortcut(payload)
