"""Protocols under random input: splitting never changes the points; garbage never crashes.

Good lines interleaved with random bytes must all arrive, whatever the packet boundaries,
and nothing but counted rejects may come of the garbage.
"""

from __future__ import annotations

import pickle
import struct

from hypothesis import given, settings
from hypothesis import strategies as hs

from carbon_compat.protocols import PickleReceiver, PlaintextReceiver
from tests.unit.test_protocols import connect

name = hs.from_regex(r"[a-z][a-z0-9_.-]{0,30}", fullmatch=True).filter(lambda s: not s.endswith("."))
good_line = hs.tuples(name, hs.integers(-10 ** 6, 10 ** 6), hs.integers(1, 2 ** 31))
garbage = hs.binary(max_size=60).map(lambda b: b.replace(b"\n", b" ") + b"\n")


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    out, prev = [], 0
    for p in points + [len(data)]:
        out.append(data[prev:p])
        prev = p
    return out


@settings(max_examples=300, deadline=None)
@given(lines=hs.lists(hs.one_of(good_line, garbage), max_size=40), cuts=hs.lists(hs.integers(0, 10 ** 6), max_size=20))
def test_plaintext_any_split_same_points_and_garbage_only_rejected(lines, cuts):
    data = b"".join(l if isinstance(l, bytes) else f"{l[0]} {l[1]} {l[2]}\n".encode() for l in lines)
    whole_proto, whole_t, whole = connect(PlaintextReceiver)
    whole_proto.dataReceived(data)
    parts_proto, parts_t, parts = connect(PlaintextReceiver)
    for chunk in split(data, cuts):
        parts_proto.dataReceived(chunk)
    assert parts.points == whole.points
    assert parts.rejects == whole.rejects
    good = [(n, float(t), float(v)) for n, v, t in (l for l in lines if not isinstance(l, bytes))]
    assert [p for p in whole.points if p in good] == good      # every good point survives, in order
    assert not whole_t.disconnecting and not parts_t.disconnecting


@settings(max_examples=300, deadline=None)
@given(frames=hs.lists(hs.one_of(hs.lists(good_line, max_size=5), hs.binary(max_size=80)), max_size=10),
       cuts=hs.lists(hs.integers(0, 10 ** 6), max_size=20))
def test_pickle_random_frames_never_crash_and_good_frames_survive(frames, cuts):
    data = b""
    good = []
    for f in frames:
        if isinstance(f, bytes):
            payload = f
        else:
            payload = pickle.dumps([(n, (t, v)) for n, v, t in f], protocol=2)
            good += [(n, float(t), float(v)) for n, v, t in f]
        data += struct.pack("!I", len(payload)) + payload
    proto, transport, ingest = connect(PickleReceiver)
    for chunk in split(data, cuts):
        if transport.disconnecting:
            break
        proto.dataReceived(chunk)
    if not transport.disconnecting:                # random bytes may spell a GLOBAL opcode
        assert [p for p in ingest.points if p in good] == good
