"""Unit tests for carbon_compat.parsers: carbon 1.1.10's ingestion rules, one per test.

Each test cites where carbon 1.1.10 does the same (lib/carbon/protocols.py, lib/carbon/util.py),
or says where Strata deliberately differs (a reject instead of a dropped connection).  Reject
counts are asserted exactly, and so are the good points of the same input, which must survive.
"""

import copyreg
import io
import math
import os
import pickle
import pickletools
import random
import struct

import numpy as np
import pytest

from carbon_compat import parsers
from carbon_compat.parsers import (
    MAX_SAMPLES,
    SAMPLE_CHARS,
    Batch,
    HostilePickle,
    Rejects,
    parse_pickle,
    parse_plaintext,
    parse_plaintext_datagram,
)

NOW = 1_700_000_123.5
REASONS = {"invalid_utf8", "bad_line", "bad_value", "bad_timestamp", "nan_value", "bad_pickle",
           "bad_element", "too_many_points"}


def points(batch: Batch) -> list[tuple[str, float, float]]:
    """The batch as (name, timestamp, value) rows, for exact comparisons."""
    return list(zip(batch.names, batch.timestamps.tolist(), batch.values.tolist()))


def counts(rejects: Rejects) -> dict[str, int]:
    return dict(rejects.counts)


def plain(data: bytes) -> tuple[list, dict]:
    batch, rejects = parse_plaintext(data, NOW)
    return points(batch), counts(rejects)


# ============================================================================ plaintext


def test_typical_line_parses_to_float64_columns_and_str_names():
    # carbon 1.1.10 protocols.py MetricLineReceiver.lineReceived:
    # metric, value, timestamp = line.strip().split(); datapoint = (float(ts), float(value))
    batch, rejects = parse_plaintext(b"servers.host042.cpu.user 12.34 1700000000\n", NOW)
    assert points(batch) == [("servers.host042.cpu.user", 1700000000.0, 12.34)]
    assert batch.timestamps.dtype == np.float64 and batch.values.dtype == np.float64
    assert type(batch.names[0]) is str
    assert len(batch) == 1
    assert rejects.total() == 0 and rejects.samples == []


def test_final_line_without_newline_is_parsed():
    # The framer may hand lines over with b"\n" stripped (Twisted LineOnlyReceiver strips it
    # before carbon's lineReceived sees the line).
    assert plain(b"a 1 10\nb 2 20") == ([("a", 10.0, 1.0), ("b", 20.0, 2.0)], {})


def test_crlf_line_endings_are_tolerated():
    # carbon 1.1.10 lineReceived: line.strip() removes the \r left by the b"\n" delimiter.
    assert plain(b"a 1 10\r\nb 2 20\r\n") == ([("a", 10.0, 1.0), ("b", 20.0, 2.0)], {})


def test_tabs_and_repeated_whitespace_separate_tokens():
    # carbon 1.1.10 lineReceived: str.split() with no argument splits on whitespace runs.
    data = b"  a\t\t1  \t 10 \n\tb \x0b 2\x0c20\t\n"
    assert plain(data) == ([("a", 10.0, 1.0), ("b", 20.0, 2.0)], {})


def test_unicode_whitespace_separates_tokens_like_str_split():
    # carbon 1.1.10 decodes the line to str before split(), so U+00A0 and \x1c-\x1f are
    # separators too: "a\xa0b 1 10" has four tokens and is an invalid line.
    data = "a\u00a0b 1 10\nc\x1c2\x1f20\n".encode()
    assert plain(data) == ([("c", 20.0, 2.0)], {"bad_line": 1})


def test_blank_and_whitespace_only_lines_are_ignored_silently():
    # carbon 1.1.10 lineReceived: ''.split() unpacks into 3 names -> ValueError -> logged and
    # skipped. Strata: a blank line is not a reject at all (keep-alive newlines are harmless).
    assert plain(b"\n\n  \t \r\n\na 1 10\n\n") == ([("a", 10.0, 1.0)], {})


def test_empty_input_gives_an_empty_batch():
    batch, rejects = parse_plaintext(b"", NOW)
    assert len(batch) == 0 and batch.timestamps.shape == (0,) and batch.values.shape == (0,)
    assert rejects.total() == 0


@pytest.mark.parametrize("line", [b"a 1", b"a", b"a 1 2 3", b"a 1 10 x y"])
def test_line_without_exactly_three_tokens_is_bad_line_and_others_survive(line):
    # carbon 1.1.10 lineReceived: tuple unpacking of split() raises ValueError ->
    # 'invalid line received from client ..., ignoring'; the connection stays open.
    data = b"good.one 1 10\n" + line + b"\ngood.two 2 20\n"
    assert plain(data) == ([("good.one", 10.0, 1.0), ("good.two", 20.0, 2.0)], {"bad_line": 1})


def test_bare_carriage_return_does_not_end_a_tcp_line():
    # Twisted LineOnlyReceiver (carbon 1.1.10 MetricLineReceiver.delimiter = b"\n"): only b"\n"
    # ends a line, so "a 1 10\rb 2 20" is one line of six tokens.
    assert plain(b"a 1 10\rb 2 20\nc 3 30\n") == ([("c", 30.0, 3.0)], {"bad_line": 1})


@pytest.mark.parametrize(
    "token, expected",
    [
        (b"1", 1.0),
        (b"1.5", 1.5),
        (b"1e3", 1000.0),
        (b"-2.5E-1", -0.25),
        (b".5", 0.5),
        (b"7.", 7.0),
        (b"inf", math.inf),
        (b"+Infinity", math.inf),
        (b"-Infinity", -math.inf),
        (b"1e400", math.inf),
        (b"1_000", 1000.0),  # Python float() accepts digit separators; carbon inherits that
        ("\u0661\u0662".encode(), 12.0),  # Arabic-Indic digits: float() of the decoded str
    ],
)
def test_value_is_parsed_exactly_as_python_float(token, expected):
    # carbon 1.1.10 lineReceived: float(value) on the decoded str token.
    assert plain(b"a " + token + b" 10\n") == ([("a", 10.0, expected)], {})


@pytest.mark.parametrize("token", [b"x", b"0x10", b"1,5", b"1__0", b"_1", b"1.5e", b"--1", b"in"])
def test_unparseable_value_is_bad_value_and_others_survive(token):
    # carbon 1.1.10 lineReceived: float(value) raises ValueError -> invalid line, skipped.
    data = b"a 1 10\nb " + token + b" 20\nc 3 30\n"
    assert plain(data) == ([("a", 10.0, 1.0), ("c", 30.0, 3.0)], {"bad_value": 1})


@pytest.mark.parametrize("token", [b"x", b"0x10", b"17OO000000", b"", b"nan?"])
def test_unparseable_timestamp_is_bad_timestamp_and_others_survive(token):
    # carbon 1.1.10 lineReceived: float(timestamp) raises ValueError -> invalid line.
    # (The empty token cannot occur inside a 3-token line; it becomes a 2-token bad_line.)
    data = b"a 1 10\nb 2 " + token + b"\nc 3 30\n"
    expected = {"bad_line": 1} if token == b"" else {"bad_timestamp": 1}
    assert plain(data) == ([("a", 10.0, 1.0), ("c", 30.0, 3.0)], expected)


def test_line_with_both_value_and_timestamp_bad_counts_once_as_bad_timestamp():
    # carbon 1.1.10 lineReceived builds (float(timestamp), float(value)): the timestamp is
    # converted first, so that is the failure carbon hits.
    assert plain(b"a x y\nb 2 20\n") == ([("b", 20.0, 2.0)], {"bad_timestamp": 1})


@pytest.mark.parametrize("token", [b"nan", b"NaN", b"-nan", b"+NAN"])
def test_nan_value_is_dropped_and_counted(token):
    # carbon 1.1.10 MetricReceiver.metricReceived: `if datapoint[1] != datapoint[1]: return`
    # (dropped silently; Strata counts it as nan_value).
    data = b"a 1 10\nb " + token + b" 20\nc 3 30\n"
    assert plain(data) == ([("a", 10.0, 1.0), ("c", 30.0, 3.0)], {"nan_value": 1})


@pytest.mark.parametrize("token", [b"nan", b"inf", b"-inf", b"Infinity", b"1e400"])
def test_nan_or_inf_timestamp_is_bad_timestamp(token):
    # carbon 1.1.10 metricReceived: int(datapoint[0]) raises on nan/inf, which drops the TCP
    # connection. Strata deviates: only that line is rejected.
    data = b"a 1 10\nb 2 " + token + b"\nc 3 30\n"
    assert plain(data) == ([("a", 10.0, 1.0), ("c", 30.0, 3.0)], {"bad_timestamp": 1})


def test_nan_value_wins_over_inf_timestamp():
    # carbon 1.1.10 metricReceived checks the NaN value before it calls int(timestamp).
    assert plain(b"a nan inf\n") == ([], {"nan_value": 1})


def test_infinite_values_are_kept():
    # carbon 1.1.10 metricReceived filters only NaN (v != v); +/-inf reach the cache.
    assert plain(b"a inf 10\nb -inf 20\n") == ([("a", 10.0, math.inf), ("b", 20.0, -math.inf)], {})


@pytest.mark.parametrize("token", [b"-1", b"-1.0", b"-1.9", b"-1.999999", b"-1e0", b"-10e-1"])
def test_timestamp_whose_int_is_minus_one_means_now(token):
    # carbon 1.1.10 metricReceived: `if int(datapoint[0]) == -1: datapoint = (time.time(), ...)`
    # (carbon issue #54); int() truncates toward zero, so every ts in (-2, -1] qualifies.
    assert plain(b"a 1 " + token + b"\n") == ([("a", NOW, 1.0)], {})


@pytest.mark.parametrize("token, expected", [(b"-2", -2.0), (b"-0.5", -0.5), (b"-0.999", -0.999),
                                             (b"0", 0.0), (b"-2.0", -2.0)])
def test_timestamps_outside_minus_one_are_passed_through(token, expected):
    # carbon 1.1.10 metricReceived: only int(ts) == -1 is replaced; the rest reach the cache.
    assert plain(b"a 1 " + token + b"\n") == ([("a", expected, 1.0)], {})


def test_a_timestamp_shared_by_every_line_is_read_once_with_the_same_rules():
    # carbon converts each line's timestamp with float(); one shared token gives one value,
    # and a bad shared token is a bad timestamp on every line.
    assert plain(b"a 1 1_0\nb 2 1_0\n") == ([("a", 10.0, 1.0), ("b", 10.0, 2.0)], {})
    assert plain(b"a 1 -1\nb 2 -1\n") == ([("a", NOW, 1.0), ("b", NOW, 2.0)], {})
    assert plain(b"a 1 x\nb 2 x\n") == ([], {"bad_timestamp": 2})
    assert plain(b"a 1 nan\nb 2 nan\n") == ([], {"bad_timestamp": 2})
    assert plain(b"a 1 10\nb 2 10\nc 3 20\n") == ([("a", 10.0, 1.0), ("b", 10.0, 2.0), ("c", 20.0, 3.0)], {})


def test_float_timestamps_are_passed_through_untruncated():
    # carbon 1.1.10: with MIN_TIMESTAMP_RESOLUTION = 0 (code default) float timestamps reach
    # the cache as floats; truncation is the store's job (whisper int()s them).
    assert plain(b"a 1 1700000000.75\n") == ([("a", 1700000000.75, 1.0)], {})


def test_invalid_utf8_rejects_only_that_line():
    # carbon 1.1.10 lineReceived: line.decode('utf-8') raises outside the try and the
    # connection drops. Strata deviates: the line is rejected as invalid_utf8.
    data = b"a 1 10\n\xff\xfe.bad 2 20\nb 3 30\n"
    batch, rejects = parse_plaintext(data, NOW)
    assert points(batch) == [("a", 10.0, 1.0), ("b", 30.0, 3.0)]
    assert counts(rejects) == {"invalid_utf8": 1}
    assert rejects.samples == [("invalid_utf8", "\\xff\\xfe.bad 2 20")]


def test_invalid_utf8_blank_looking_line_is_still_rejected():
    # carbon 1.1.10 decodes before it looks at the tokens, so even a lone bad byte fails.
    assert plain(b"\x80\na 1 10\n") == ([("a", 10.0, 1.0)], {"invalid_utf8": 1})


def test_utf8_names_are_decoded():
    # carbon 1.1.10 lineReceived decodes the line as UTF-8; the name is a str.
    assert plain("métrique.é 1 10\n".encode()) == ([("métrique.é", 10.0, 1.0)], {})


def test_names_are_not_validated_here():
    # carbon 1.1.10 does not check name characters (only tag syntax, later, in the cache);
    # Strata's store checks tags. NUL and ';' pass through the parser.
    assert plain(b"a\x00b 1 10\nx;=y 2 20\n") == ([("a\x00b", 10.0, 1.0), ("x;=y", 20.0, 2.0)], {})


def test_mixed_rejects_are_counted_per_reason_in_one_chunk():
    data = (b"ok.1 1 10\n"
            b"short 1\n"
            b"v x 10\n"
            b"t 1 y\n"
            b"n nan 10\n"
            b"i 1 inf\n"
            b"\xc3\x28 1 10\n"
            b"now 5 -1\n")
    assert plain(data) == (
        [("ok.1", 10.0, 1.0), ("now", NOW, 5.0)],
        {"bad_line": 1, "bad_value": 1, "bad_timestamp": 2, "nan_value": 1, "invalid_utf8": 1},
    )


def test_samples_are_capped_at_five_and_truncated():
    data = b"".join(b"bad%d\n" % i for i in range(7)) + b"x" * 500 + b" 1\n"
    batch, rejects = parse_plaintext(data, NOW)
    assert len(batch) == 0
    assert counts(rejects) == {"bad_line": 8}
    assert len(rejects.samples) == MAX_SAMPLES
    assert rejects.samples[0] == ("bad_line", "bad0")
    long_batch, long_rejects = parse_plaintext(b"x" * 500 + b" 1\n", NOW)
    assert long_rejects.samples == [("bad_line", "x" * SAMPLE_CHARS)]


def test_many_point_rejects_are_all_counted_with_few_samples():
    data = b"".join(b"m%d nan 10\n" % i for i in range(1000)) + b"ok 1 10\n"
    batch, rejects = parse_plaintext(data, NOW)
    assert points(batch) == [("ok", 10.0, 1.0)]
    assert counts(rejects) == {"nan_value": 1000}
    assert rejects.samples == [("nan_value", f"m{i} nan 10") for i in range(MAX_SAMPLES)]


def test_rejects_merge_adds_counts_and_keeps_at_most_five_samples():
    left, right = Rejects(), Rejects()
    for i in range(3):
        left.add("bad_line", f"l{i}")
        right.add("bad_value", f"r{i}")
    right.add("bad_line", "r3")
    left.merge(right)
    assert counts(left) == {"bad_line": 4, "bad_value": 3}
    assert left.total() == 7
    assert left.samples == [("bad_line", "l0"), ("bad_line", "l1"), ("bad_line", "l2"),
                            ("bad_value", "r0"), ("bad_value", "r1")]


def test_one_bad_line_in_a_large_chunk_keeps_every_good_line():
    # The one-split fast path gives up on an irregular chunk; the per-line path must agree.
    good = [b"servers.host%03d.cpu %d %d\n" % (i, i, 1700000000 + i) for i in range(1000)]
    data = b"".join(good[:500]) + b"oops\n" + b"".join(good[500:])
    batch, rejects = parse_plaintext(data, NOW)
    assert batch.names == [f"servers.host{i:03d}.cpu" for i in range(1000)]
    assert batch.values.tolist() == [float(i) for i in range(1000)]
    assert counts(rejects) == {"bad_line": 1}


# ============================================================================ UDP datagrams


def test_datagram_lines_split_like_str_splitlines():
    # carbon 1.1.10 MetricDatagramReceiver.datagramReceived: data.decode('utf-8').splitlines(),
    # so \r, \r\n, \x0b, \x0c, \x1c-\x1e, \x85, U+2028/2029 all end a line.
    data = "a 1 10\rb 2 20\r\nc 3 30\x1ed 4 40\u2028e 5 50\x85f 6 60\x0bg 7 70".encode()
    batch, rejects = parse_plaintext_datagram(data, NOW)
    assert batch.names == ["a", "b", "c", "d", "e", "f", "g"]
    assert batch.values.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    assert rejects.total() == 0


def test_datagram_bad_lines_are_skipped_individually():
    # carbon 1.1.10 datagramReceived: the try/except ValueError is inside the per-line loop.
    data = b"a 1 10\nbad\nb x 20\nc nan 30\nd 4 -1\n"
    batch, rejects = parse_plaintext_datagram(data, NOW)
    assert points(batch) == [("a", 10.0, 1.0), ("d", NOW, 4.0)]
    assert counts(rejects) == {"bad_line": 1, "bad_value": 1, "nan_value": 1}


def test_datagram_invalid_utf8_rejects_only_that_line():
    # carbon 1.1.10 datagramReceived decodes the whole datagram first; invalid UTF-8 loses all
    # of it. Strata deviates: only the line holding the bad bytes is rejected.
    batch, rejects = parse_plaintext_datagram(b"a 1 10\n\xff 2 20\nb 3 30", NOW)
    assert points(batch) == [("a", 10.0, 1.0), ("b", 30.0, 3.0)]
    assert counts(rejects) == {"invalid_utf8": 1}


# ============================================================================ pickle


def pickled(obj, protocol=2) -> bytes:
    return pickle.dumps(obj, protocol=protocol)


def unpickled(payload: bytes, max_points: int = 500_000) -> tuple[list, dict]:
    batch, rejects = parse_pickle(payload, NOW, max_points=max_points)
    return points(batch), counts(rejects)


@pytest.mark.parametrize("protocol", range(0, pickle.HIGHEST_PROTOCOL + 1))
def test_pickle_list_of_points_every_protocol(protocol):
    # carbon 1.1.10 MetricPickleReceiver.stringReceived: list of (metric, (timestamp, value)).
    payload = pickled([("a.b.c", (1700000000, 1.5)), ("d", (1700000010.5, -2))], protocol)
    assert unpickled(payload) == ([("a.b.c", 1700000000.0, 1.5), ("d", 1700000010.5, -2.0)], {})


def test_pickle_top_level_tuple_is_accepted():
    # carbon 1.1.10 stringReceived iterates whatever it unpickled; relays send lists.
    assert unpickled(pickled((("a", (10, 1.0)),))) == ([("a", 10.0, 1.0)], {})


def test_python2_protocol0_pickle_with_str_metric():
    # A python 2 relay's pickle.dumps(..., 0); carbon 1.1.10 util.SafeUnpickler.loads uses
    # encoding='utf-8', so py2 str becomes str.
    payload = b"(lp0\n(S'a.b.c'\np1\n(I1700000000\nF1.5\ntp2\ntp3\na."
    assert unpickled(payload) == ([("a.b.c", 1700000000.0, 1.5)], {})


def test_python2_protocol2_pickle_with_short_binstring_metric():
    # What a python 2 carbon-relay sends (protocol 2, SHORT_BINSTRING metric).
    payload = (b"\x80\x02]q\x00U\x05a.b.cq\x01J\x00\xf1SeG?\xf8\x00\x00\x00\x00\x00\x00"
               b"\x86q\x02\x86q\x03a.")
    assert unpickled(payload) == ([("a.b.c", 1700000000.0, 1.5)], {})


def test_python2_str_that_is_not_utf8_rejects_the_frame():
    # carbon 1.1.10: decoding py2 str with encoding='utf-8' raises UnicodeDecodeError, a
    # ValueError, which stringReceived catches: 'invalid pickle received', frame ignored.
    payload = b"\x80\x02]U\x02\xff\xfeJ\x01\x00\x00\x00K\x01\x86\x86a."
    assert unpickled(payload) == ([], {"bad_pickle": 1})


def test_bytes_metric_is_decoded_as_utf8():
    # carbon 1.1.10 treats a py2 str metric as UTF-8; a py3 bytes metric (protocol >= 3) is
    # decoded the same way (carbon itself would call bytes.encode and crash).
    payload = pickled([(b"a.b", (10, 1.0)), ("c", (20, 2.0))], protocol=3)
    assert unpickled(payload) == ([("a.b", 10.0, 1.0), ("c", 20.0, 2.0)], {})


def test_bytes_metric_that_is_not_utf8_is_rejected_alone():
    payload = pickled([(b"\xff.bad", (10, 1.0)), ("c", (20, 2.0))], protocol=3)
    assert unpickled(payload) == ([("c", 20.0, 2.0)], {"invalid_utf8": 1})


def test_statsd_style_string_value_and_large_int_timestamp():
    # statsd's graphite backend pickles the value as a string and the timestamp as an int
    # (possibly past 2**31); carbon 1.1.10's float(v), float(t) accept both.
    payload = pickled([("stats.x", (2**31 + 5, "12.5")), ("stats.y", (1700000000, "-1e3"))])
    assert unpickled(payload) == (
        [("stats.x", float(2**31 + 5), 12.5), ("stats.y", 1700000000.0, -1000.0)], {}
    )


@pytest.mark.parametrize(
    "element",
    [5, None, "ab", ("a",), ("a", (1, 2), 3), ("a", 1), ("a", (1,)), ("a", (1, 2, 3)), []],
)
def test_element_that_does_not_unpack_is_bad_element_and_others_survive(element):
    # carbon 1.1.10 stringReceived: `(metric, (value, timestamp)) = raw` in a try ->
    # 'Error decoding pickle', element skipped.
    payload = pickled([("a", (10, 1.0)), element, ("b", (20, 2.0))])
    assert unpickled(payload) == ([("a", 10.0, 1.0), ("b", 20.0, 2.0)], {"bad_element": 1})


@pytest.mark.parametrize("metric", [7, None, 1.5, ("a",), ["a"]])
def test_metric_that_is_not_str_or_bytes_is_bad_element(metric):
    # carbon 1.1.10 stringReceived calls metric.encode('utf-8') on non-str metrics, which
    # raises AttributeError outside any try (connection lost). Strata: bad_element.
    payload = pickled([(metric, (10, 1.0)), ("b", (20, 2.0))])
    assert unpickled(payload) == ([("b", 20.0, 2.0)], {"bad_element": 1})


def test_unpacking_is_python_unpacking_as_in_carbon():
    # carbon 1.1.10 stringReceived uses plain tuple unpacking, so any 2-item iterable fits:
    # lists as well as tuples, and even a 2-character string as the (timestamp, value) pair.
    payload = pickled([["a", [10, 1.0]], ("b", "52")])
    assert unpickled(payload) == ([("a", 10.0, 1.0), ("b", 5.0, 2.0)], {})


@pytest.mark.parametrize("value", [None, "abc", [1], {}, b"\xff", "0x10"])
def test_pickle_value_float_failure_is_bad_value(value):
    # carbon 1.1.10 stringReceived: float() raising ValueError/TypeError -> `continue`
    # (silently); Strata counts it.
    payload = pickled([("a", (10, value)), ("b", (20, 2.0))], protocol=3)  # 3: bytes w/o globals
    assert unpickled(payload) == ([("b", 20.0, 2.0)], {"bad_value": 1})


@pytest.mark.parametrize("ts", [None, "abc", (1,), 10**400, float("nan"), float("inf"), "-inf"])
def test_pickle_timestamp_failure_is_bad_timestamp(ts):
    # carbon 1.1.10: float(ts) fails -> skipped silently; 10**400 raises OverflowError and nan/
    # inf make metricReceived's int(ts) raise, both uncaught (connection lost). Strata: a reject.
    payload = pickled([("a", (ts, 1.0)), ("b", (20, 2.0))])
    assert unpickled(payload) == ([("b", 20.0, 2.0)], {"bad_timestamp": 1})


def test_pickle_huge_int_value_is_bad_value():
    # float(10**400) raises OverflowError, which carbon 1.1.10 does not catch; Strata rejects.
    payload = pickled([("a", (10, 10**400)), ("b", (20, 2.0))])
    assert unpickled(payload) == ([("b", 20.0, 2.0)], {"bad_value": 1})


@pytest.mark.parametrize("value", [float("nan"), "nan", "-NaN"])
def test_pickle_nan_value_is_dropped_and_counted(value):
    # carbon 1.1.10 metricReceived: NaN values dropped silently.
    payload = pickled([("a", (10, value)), ("b", (20, 2.0))])
    assert unpickled(payload) == ([("b", 20.0, 2.0)], {"nan_value": 1})


@pytest.mark.parametrize("ts", [-1, -1.0, -1.5, "-1"])
def test_pickle_minus_one_timestamp_means_now(ts):
    # carbon 1.1.10 metricReceived: int(ts) == -1 -> time.time().
    assert unpickled(pickled([("a", (ts, 3.0))])) == ([("a", NOW, 3.0)], {})


def test_pickle_bools_are_numbers_as_in_float():
    # float(True) == 1.0: carbon 1.1.10's float() conversion accepts bools.
    assert unpickled(pickled([("a", (True, False))])) == ([("a", 1.0, 0.0)], {})


@pytest.mark.parametrize("obj", [{"a": (1, 2)}, 5, "a 1 2", None, b"xyz", 1.5])
def test_pickle_top_level_not_a_list_is_bad_pickle(obj):
    # carbon 1.1.10 iterates the object (a dict or str would "work" element by element);
    # Strata accepts only a list or tuple, as every carbon client sends.
    assert unpickled(pickled(obj, protocol=3)) == ([], {"bad_pickle": 1})


def test_more_than_max_points_rejects_the_frame():
    # Relays send <= MAX_DATAPOINTS_PER_MESSAGE (500) points; a bigger frame is refused whole,
    # counted once.
    payload = pickled([("a", (i, 1.0)) for i in range(4)])
    assert unpickled(payload, max_points=3) == ([], {"too_many_points": 1})
    assert len(unpickled(payload, max_points=4)[0]) == 4


def test_empty_list_is_an_empty_batch():
    assert unpickled(pickled([])) == ([], {})


def test_pickle_rejects_keep_short_samples():
    payload = pickled([("a", (10, None)), 5])
    batch, rejects = parse_pickle(payload, NOW)
    assert rejects.samples == [("bad_element", "5"), ("bad_value", "('a', (10, None))")]


# ---------------------------------------------------------------------------- broken pickles


@pytest.mark.parametrize("protocol", range(0, pickle.HIGHEST_PROTOCOL + 1))
def test_every_truncation_of_a_valid_pickle_is_bad_pickle(protocol):
    # carbon 1.1.10 stringReceived: UnpicklingError/EOFError/... -> 'invalid pickle received',
    # frame ignored, connection kept.
    payload = pickled([("a.b", (1700000000, 1.5)), ("c", (1, 2))], protocol)
    for cut in range(len(payload) - 1):
        assert unpickled(payload[:cut]) == ([], {"bad_pickle": 1}), cut


def deep_list(depth: int) -> bytes:
    """A list nested `depth` deep, built from opcodes (pickle.dumps itself would recurse)."""
    return b"\x80\x02" + b"]" * depth + b"a" * (depth - 1) + b"."


def test_deeply_nested_list_is_rejected_without_recursion():
    # CPython's unpickler is a stack machine, so depth raises no RecursionError while loading;
    # the one (absurd) element is a bad_element, and its sample repr is bounded.
    batch, rejects = parse_pickle(deep_list(200_000), NOW)
    assert len(batch) == 0
    assert counts(rejects) == {"bad_element": 1}
    assert len(rejects.samples[0][1]) < 50


def test_deeply_nested_value_is_bad_value():
    inner = b"]" * 100_000 + b"a" * 99_999
    payload = b"\x80\x02]X\x01\x00\x00\x00aK\x01" + inner + b"\x86\x86a."
    assert unpickled(payload) == ([], {"bad_value": 1})


HUGE_LENGTHS = {
    "BINUNICODE 2**32-1": b"\x80\x04X\xff\xff\xff\xffabc",
    "BINBYTES 2**32-1": b"\x80\x03B\xff\xff\xff\xffabc",
    "BINBYTES8 2**63-1": b"\x80\x04\x8e" + struct.pack("<Q", 2**63 - 1) + b"abc",
    "BINBYTES8 2**64-1": b"\x80\x04\x8e" + struct.pack("<Q", 2**64 - 1) + b"abc",
    "BINUNICODE8 2**62": b"\x80\x04\x8d" + struct.pack("<Q", 2**62) + b"abc",
    "LONG4 2**31-1": b"\x80\x02\x8b\xff\xff\xff\x7fabc",
    "FRAME 2**63": b"\x80\x04\x95" + struct.pack("<Q", 2**63) + b"].",
    "BINSTRING 2**31-1": b"\x80\x02T\xff\xff\xff\x7fabc",
    "BYTEARRAY8 2**40": b"\x80\x05\x96" + struct.pack("<Q", 2**40) + b"abc",
    "BYTEARRAY8 10": b"\x80\x05\x96" + struct.pack("<Q", 10) + b"abc",
    "LONG text of 10000 digits": b"L" + b"9" * 10_000 + b"L\n.",
}


@pytest.mark.parametrize("payload", HUGE_LENGTHS.values(), ids=HUGE_LENGTHS.keys())
def test_huge_declared_lengths_are_bad_pickle(payload):
    # carbon 1.1.10 stringReceived: the unpickler raises; frame ignored. Strata refuses a
    # declared length past the payload's end before CPython allocates it (a failed BYTEARRAY8
    # allocation even prints a spurious SystemError in CPython 3.11).
    assert unpickled(payload) == ([], {"bad_pickle": 1})


@pytest.mark.parametrize("payload", [
    b"\x8fr\x00\x00\x00\x10.",              # LONG_BINPUT 2**28: 4 GiB of zeroed memo in CPython
    b"\x80\x02]r\xff\xff\xff\x7fa.",         # LONG_BINPUT 2**31-1
    b"]p268435456\n.",                         # protocol 0 PUT
    b"]p 1_000_000_000\n.",                    # int() syntax the C unpickler also accepts
], ids=["LONG_BINPUT 2**28", "LONG_BINPUT 2**31-1", "PUT 2**28", "PUT 1e9 with _"])
def test_memo_index_beyond_the_payload_is_refused_before_loading(payload):
    # CPython's unpickler resizes its memo array to twice the index and zero-fills it; a
    # 6-byte frame would cost gigabytes and seconds. The reason names the pre-scan's check.
    batch, rejects = parse_pickle(payload, NOW)
    assert (len(batch), counts(rejects)) == (0, {"bad_pickle": 1})
    assert rejects.samples[0][1].startswith("memo index")


def test_memo_bomb_right_after_a_metric_name_is_refused():
    # The pre-scan matches the usual opcodes after a name in one step; a LONG_BINPUT with a
    # huge index in that position must still be seen.
    good = pickle.dumps([("a.b", (1.0, 2.0))], protocol=2)
    name_end = good.index(b"a.b") + 3
    bomb = good[:name_end] + b"r\x00\x00\x00\x10" + good[name_end + 2:]
    batch, rejects = parse_pickle(bomb, NOW)
    assert (len(batch), counts(rejects)) == (0, {"bad_pickle": 1})
    assert rejects.samples[0][1].startswith("memo index")


@pytest.mark.parametrize("protocol", range(0, pickle.HIGHEST_PROTOCOL + 1))
def test_names_made_of_opcode_bytes_do_not_fool_the_pre_scan(protocol):
    # Names full of bytes that are also opcodes (G, J, r, q, \x86, \x94, '.') parse intact.
    names = ["G" * 9 + "\x86r", "q.J\x94", ".", "r" * 300, "\x86\x86\x86"]
    rows = [(n, (1_700_000_000 + i, float(i))) for i, n in enumerate(names)]
    batch, rejects = parse_pickle(pickled(rows, protocol=protocol), NOW)
    assert rejects.total() == 0 and batch.names == names


def test_large_legitimate_pickle_with_long_memo_indices_is_accepted():
    # 30,000 points use ~90,000 memo entries: LONG_BINPUT indices with a non-zero third byte.
    rows = [(f"m.{i}", (1_700_000_000 + i, float(i))) for i in range(30_000)]
    batch, rejects = parse_pickle(pickled(rows, protocol=2), NOW)
    assert rejects.total() == 0
    assert batch.names == [r[0] for r in rows]
    assert batch.values.tolist() == [r[1][1] for r in rows]


def test_memo_is_bounded_by_the_payload_length_not_a_constant():
    # A legitimate protocol 0 pickle memoizes sequentially; PUT indices stay below its length.
    payload = pickled([(f"m.{i}", (i, 1.0)) for i in range(300)], protocol=0)
    assert len(parse_pickle(payload, NOW)[0]) == 300


BROKEN = {
    "empty": b"",
    "STOP only": b".",
    "unknown opcode": b"\x80\x02\xff.",
    "memo miss": b"\x80\x02h\x05.",
    "out-of-band buffer": b"\x80\x05\x97.",
    "BUILD on a list": b"\x80\x02]}(U\x01aK\x01ub.",
    "REDUCE a list": b"\x80\x02])R.",
    "OBJ a list": b"(]o.",
    "SETITEMS on a list": b"\x80\x02](K\x01K\x02u.",
    "unhashable dict key": b"\x80\x02}(]K\x01u.",
    "MARK never closed": b"(" * 10_000 + b".",
    "bad protocol": b"\x80\x09].",
}


@pytest.mark.parametrize("payload", BROKEN.values(), ids=BROKEN.keys())
def test_malformed_pickles_are_bad_pickle(payload):
    # carbon 1.1.10 stringReceived catches UnpicklingError, ValueError, IndexError,
    # ImportError, KeyError, EOFError; Strata catches every exception the unpickler raises
    # (TypeError, AttributeError, OverflowError... included) so a frame never crashes.
    assert unpickled(payload) == ([], {"bad_pickle": 1})


def test_random_bytes_never_raise_anything_but_hostile_pickle():
    rng = random.Random(20240101)
    for _ in range(3000):
        payload = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
        if rng.random() < 0.5:
            payload = b"\x80" + bytes([rng.randrange(6)]) + payload
        try:
            batch, rejects = parse_pickle(payload, NOW)
        except HostilePickle:
            continue
        assert len(batch.names) == batch.timestamps.size == batch.values.size
        assert set(rejects.counts) <= REASONS


# ---------------------------------------------------------------------------- hostile pickles


class Canary:
    """Leaves a file behind when constructed: proves whether a pickle ran code."""

    def __new__(cls, path, *args, **kwargs):
        with open(path, "w"):
            pass
        return super().__new__(cls)

    def __init__(self, path, *args, **kwargs):
        pass


def ustr(text: str) -> bytes:
    """SHORT_BINUNICODE opcode (protocol 4) for a short str."""
    raw = text.encode()
    return b"\x8c" + bytes([len(raw)]) + raw


def bstr(text: str) -> bytes:
    """BINUNICODE opcode (protocol 1+) for a str."""
    raw = text.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw


def q(path) -> bytes:
    """A protocol 0 STRING argument."""
    return repr(str(path)).encode()


CANARY = f"{Canary.__module__}\nCanary\n".encode()

# name -> builder(path) of a pickle that, loaded by pickle.loads, creates `path`.
HOSTILE = {
    "GLOBAL+REDUCE os.system": lambda p: b"cos\nsystem\n(S" + q(f"touch {p}") + b"\ntR.",
    "STACK_GLOBAL+REDUCE builtins.eval": lambda p: (
        b"\x80\x04" + ustr("builtins") + ustr("eval") + b"\x93"
        + ustr(f"open({str(p)!r}, 'w').close()") + b"\x85R."),
    "GLOBAL+REDUCE subprocess.Popen": lambda p: (
        b"csubprocess\nPopen\n((S'touch'\nS" + q(p) + b"\nltR."),
    "INST os.system": lambda p: b"(S" + q(f"touch {p}") + b"\nios\nsystem\n.",
    "OBJ os.system": lambda p: b"(cos\nsystem\nS" + q(f"touch {p}") + b"\no.",
    "NEWOBJ Canary": lambda p: b"\x80\x02c" + CANARY + bstr(str(p)) + b"\x85\x81.",
    "NEWOBJ_EX Canary": lambda p: (
        b"\x80\x04c" + CANARY + ustr(str(p)) + b"\x85}\x92."),
    "os.system hidden after a good point": lambda p: (
        b"\x80\x02](X\x01\x00\x00\x00aK\x01K\x02\x86\x86cos\nsystem\n"
        + bstr(f"touch {p}") + b"\x85Re."),
}


def run_control(payload: bytes) -> None:
    """Load with the unrestricted pickle module: the payload must really run its code."""
    obj = pickle.loads(payload)
    if hasattr(obj, "wait"):  # subprocess.Popen
        obj.wait()


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_pickle_raises_and_runs_nothing(name, tmp_path):
    # carbon 1.1.10 util.SafeUnpickler.find_class refuses unknown modules with
    # UnpicklingError (frame ignored). Strata refuses every global with HostilePickle.
    canary = tmp_path / "ran"
    with pytest.raises(HostilePickle, match="global"):
        parse_pickle(HOSTILE[name](canary), NOW)
    assert not canary.exists()


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_pickle_control_runs_under_plain_pickle(name, tmp_path):
    # Proves the payloads above are live: the unrestricted unpickler does run them.
    canary = tmp_path / "ran"
    run_control(HOSTILE[name](canary))
    assert canary.exists()


@pytest.mark.parametrize("payload", [b"\x80\x02\x82\xf0.", b"\x80\x02\x83\xf0\x00.",
                                     b"\x80\x02\x84\xf0\x00\x00\x00."],
                         ids=["EXT1", "EXT2", "EXT4"])
def test_extension_codes_are_hostile_even_when_unregistered(payload):
    # An extension code exists only to name a global through copyreg's registry.
    with pytest.raises(HostilePickle, match="global"):
        parse_pickle(payload, NOW)


def test_registered_extension_code_is_a_global(tmp_path):
    # EXT1 resolves through copyreg's registry and then find_class: still refused.
    canary = tmp_path / "ran"
    payload = b"\x80\x02\x82\xf0" + bstr(f"touch {canary}") + b"\x85R."
    copyreg.add_extension("os", "system", 0xF0)
    try:
        with pytest.raises(HostilePickle):
            parse_pickle(payload, NOW)
        assert not canary.exists()
        run_control(payload)
        assert canary.exists()
    finally:
        copyreg.remove_extension("os", "system", 0xF0)


@pytest.mark.parametrize("payload", [b"Pfoo\n.", b"\x80\x02X\x03\x00\x00\x00fooQ.",
                                     b"\x80\x02](Pfoo\nK\x01\x86a."],
                         ids=["PERSID", "BINPERSID", "PERSID inside a point"])
def test_persistent_ids_are_hostile(payload):
    with pytest.raises(HostilePickle, match="persistent id"):
        parse_pickle(payload, NOW)


@pytest.mark.parametrize("module, name", [("builtins", "list"), ("copy_reg", "_reconstructor"),
                                          ("__builtin__", "object"), ("copyreg", "_reconstructor")])
def test_even_harmless_globals_are_hostile(module, name):
    # carbon 1.1.10 SafeUnpickler.PICKLE_SAFE allows copy_reg._reconstructor and
    # __builtin__.object; Strata allows no global at all (no carbon client needs one).
    payload = b"c" + module.encode() + b"\n" + name.encode() + b"\n."
    with pytest.raises(HostilePickle, match=f"{module}.{name}"):
        parse_pickle(payload, NOW)


def test_python3_bytes_at_protocol_2_use_a_global_and_are_hostile():
    # Python 3 pickles bytes at protocol <= 2 through _codecs.encode: a global. carbon 1.1.10
    # refuses that too (frame ignored); Strata's caller closes the connection.
    payload = pickled([(b"a.b", (10, 1.0))], protocol=2)
    with pytest.raises(HostilePickle, match="_codecs.encode"):
        parse_pickle(payload, NOW)


def test_restricted_unpickler_refuses_globals_on_its_own(tmp_path):
    # Defence in depth: even if the opcode pre-scan missed a global, find_class refuses it.
    canary = tmp_path / "ran"
    payload = HOSTILE["GLOBAL+REDUCE os.system"](canary)
    with pytest.raises(HostilePickle, match="os.system"):
        parsers._RestrictedUnpickler(io.BytesIO(payload)).load()
    with pytest.raises(HostilePickle, match="persistent id"):
        parsers._RestrictedUnpickler(io.BytesIO(b"Pfoo\n.")).load()
    assert not canary.exists()


def test_pre_scan_knows_every_opcode_cpython_defines():
    # The scan must walk argument lengths exactly as the unpickler does, for every opcode.
    unknown = [op.name for op in pickletools.opcodes
               if parsers._OPCODES[ord(op.code)] == parsers._UNKNOWN]
    assert unknown == []


def test_hostile_pickle_does_not_leave_files_in_cwd(tmp_path, monkeypatch):
    # Belt and braces: a relative path payload, run from an empty cwd.
    monkeypatch.chdir(tmp_path)
    with pytest.raises(HostilePickle):
        parse_pickle(b"cos\nsystem\n(S'touch pwned'\ntR.", NOW)
    assert os.listdir(tmp_path) == []
