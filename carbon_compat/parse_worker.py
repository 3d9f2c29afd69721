"""Parsing in a worker process: the wire format between server and worker and the worker's
loop (``python -m carbon_compat.parse_worker``).  The worker's name cache is
name_ids.BytesNameCache; the server keeps each worker's names in a name_ids.NameTable.

Why: the server's one core (the GIL) runs the reactor, batching and the store writer; parsing
is the largest share of that core's work.  A worker process runs the same parsers
(carbon_compat.parsers: parse_pickle with its restricted unpickler and opcode pre-scan, and
parse_plaintext) on the second core, and answers with columns that are cheap to take in:
timestamps and values as float64 buffers, and each name as a small integer into a table of
names the server already holds.  A name crosses the pipe once, as text; afterwards it is 4
bytes, and the server hands the store the same ``str`` object every time, which the store's
index finds by identity instead of hashing a fresh string.

Wire format, little-endian, one length-prefixed stream each way (server -> worker on the
worker's stdin, answers on its stdout), answers in request order:

    request  = u32 payload_len | u32 seq | f64 now | u8 kind | 3 x u8 0 | payload
    answer   = u32 body_len | u32 seq | u8 kind | u8 flags | u16 0 | u32 points | u32 new_names
               | u32 names_bytes | u32 rejects_bytes | body
    body     = f64 timestamps[points] | f64 values[points] | u32 ids[points]
               | u32 name_chars[new_names] | names (UTF-8, surrogatepass) | rejects (JSON)

A request's ``kind`` is PICKLE (a pickle frame, length prefix removed) or PLAINTEXT (whole
plaintext lines).  An answer's ``kind`` is READY (sent once at start), POINTS or HOSTILE (a
pickle that names a global; body = the reason as UTF-8).  ``flags`` bit 0 (RESET) says the
worker's name cache started afresh before this answer's new names: the table is cleared
first.  New names take the next ids in order.  The server never unpickles anything a worker
sends.
"""

from __future__ import annotations

import json
import os
import signal
import struct
import sys
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np

from .name_ids import BytesNameCache
from .parsers import (BAD_LINE, BAD_PICKLE, Batch, HostilePickle, Rejects, _describe, now_for_minus_one,
                      parse_pickle, parse_plaintext)
from .pickle_elements import canonical_frame

REQUEST = struct.Struct("<IIdB3x")
PICKLE, PLAINTEXT = 1, 2            # request kinds
ANSWER = struct.Struct("<IIBBHIIII")
READY, POINTS, HOSTILE = 1, 2, 3
RESET = 1
MAX_ANSWER = 64 << 20      # an answer is at most ~20 B per point of a frame; anything larger is a broken stream


class WorkerProtocolError(Exception):
    """An answer from a parse worker that does not follow the wire format."""


# ------------------------------------------------------------------------------ requests

def request_header(seq: int, now: float, payload_len: int, kind: int = PICKLE) -> bytes:
    """What precedes a payload of `payload_len` bytes (sent separately to save a copy)."""
    return REQUEST.pack(payload_len, seq, now, kind)


def read_request(inp: BinaryIO) -> tuple[int, float, int, bytes] | None:
    """(seq, now, kind, payload) of the next request on a blocking stream; None at its end."""
    head = inp.read(REQUEST.size)
    if len(head) < REQUEST.size:
        return None
    length, seq, now, kind = REQUEST.unpack(head)
    payload = inp.read(length)
    return None if len(payload) < length else (seq, now, kind, payload)


# ------------------------------------------------------------------------------ answers

@dataclass
class Answer:
    """One decoded answer; arrays are read-only views of the message."""

    seq: int
    kind: int
    reset: bool = False
    ids: np.ndarray = field(default_factory=lambda: np.empty(0, np.uint32))
    timestamps: np.ndarray = field(default_factory=lambda: np.empty(0, np.float64))
    values: np.ndarray = field(default_factory=lambda: np.empty(0, np.float64))
    new_names: list[str] = field(default_factory=list)
    rejects: Rejects = field(default_factory=Rejects)
    reason: str = ""


def encode_ready() -> bytes:
    return ANSWER.pack(ANSWER.size - 4, 0, READY, 0, 0, 0, 0, 0, 0)


def encode_hostile(seq: int, reason: str) -> bytes:
    text = reason.encode("utf-8", "backslashreplace")
    return ANSWER.pack(ANSWER.size - 4 + len(text), seq, HOSTILE, 0, 0, 0, 0, 0, 0) + text


def encode_points(seq: int, ids: np.ndarray, ts: np.ndarray, vals: np.ndarray,
                  new_names: list[str], reset: bool, rejects: Rejects) -> bytes:
    n = len(ids)
    names = "".join(new_names).encode("utf-8", "surrogatepass")
    chars = np.fromiter(map(len, new_names), np.uint32, len(new_names))
    rej = _rejects_json(rejects)
    body_len = ANSWER.size - 4 + 20 * n + 4 * len(new_names) + len(names) + len(rej)
    head = ANSWER.pack(body_len, seq, POINTS, RESET if reset else 0, 0, n, len(new_names),
                       len(names), len(rej))
    return b"".join((head, np.ascontiguousarray(ts, "<f8").tobytes(),
                     np.ascontiguousarray(vals, "<f8").tobytes(),
                     np.ascontiguousarray(ids, "<u4").tobytes(), chars.tobytes(), names, rej))


def decode_answer(msg: bytes) -> Answer:
    """The answer in `msg` (one whole message, length prefix included)."""
    if len(msg) < ANSWER.size:
        raise WorkerProtocolError(f"answer of {len(msg)} bytes is shorter than its header")
    body_len, seq, kind, flags, _, n, k, name_bytes, rej_bytes = ANSWER.unpack_from(msg)
    if body_len + 4 != len(msg):
        raise WorkerProtocolError(f"answer says {body_len + 4} bytes, has {len(msg)}")
    if kind == READY:
        return Answer(seq, READY)
    if kind == HOSTILE:
        return Answer(seq, HOSTILE, reason=msg[ANSWER.size:].decode("utf-8", "replace"))
    if kind != POINTS or ANSWER.size + 20 * n + 4 * k + name_bytes + rej_bytes != len(msg):
        raise WorkerProtocolError(f"answer of kind {kind} with inconsistent sizes")
    at = ANSWER.size
    ts = np.frombuffer(msg, "<f8", n, at)
    vals = np.frombuffer(msg, "<f8", n, at + 8 * n)
    ids = np.frombuffer(msg, "<u4", n, at + 16 * n)
    at += 20 * n
    chars = np.frombuffer(msg, "<u4", k, at)
    at += 4 * k
    names = _split_names(msg[at:at + name_bytes], chars)
    rejects = _rejects_from_json(msg[at + name_bytes:])
    return Answer(seq, POINTS, bool(flags & RESET), ids, ts, vals, names, rejects)


def _split_names(blob: bytes, chars: np.ndarray) -> list[str]:
    text = blob.decode("utf-8", "surrogatepass")
    ends = np.cumsum(chars, dtype=np.int64).tolist()
    if (ends[-1] if ends else 0) != len(text):
        raise WorkerProtocolError("new names do not add up to their declared lengths")
    return [text[a:b] for a, b in zip([0] + ends[:-1], ends)]


def _rejects_json(rejects: Rejects) -> bytes:
    if not rejects.total():
        return b""
    return json.dumps({"counts": dict(rejects.counts), "samples": rejects.samples}).encode()


def _rejects_from_json(data: bytes) -> Rejects:
    rejects = Rejects()
    if data:
        try:
            doc = json.loads(data)
            rejects.counts.update({str(k): int(v) for k, v in doc["counts"].items()})
            rejects.samples.extend((str(r), str(t)) for r, t in doc["samples"])
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise WorkerProtocolError(f"rejects are not valid: {exc}") from None
    return rejects


class AnswerSplitter:
    """Cuts a byte stream into whole answers (length prefix included)."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._have = 0
        self._need = 4

    def feed(self, data: bytes) -> list[bytes]:
        self._chunks.append(data)
        self._have += len(data)
        if self._have < self._need:
            return []
        buf = b"".join(self._chunks)
        out, pos = [], 0
        while len(buf) - pos >= 4:
            size = 4 + int.from_bytes(buf[pos:pos + 4], "little")
            if size > MAX_ANSWER:
                raise WorkerProtocolError(f"answer of {size} bytes is beyond any frame's")
            if len(buf) - pos < size:
                break
            out.append(buf[pos:pos + size])
            pos += size
        rest = buf[pos:]
        self._chunks, self._have = [rest], len(rest)
        self._need = 4 + int.from_bytes(rest[:4], "little") if len(rest) >= 4 else 4
        return out


# ------------------------------------------------------------------------------ the worker

def answer(cache: BytesNameCache, seq: int, kind: int, payload: bytes, now: float, max_points: int) -> bytes:
    """The answer to one request: the parser's result with names turned into ids."""
    try:
        if kind == PLAINTEXT:
            batch, rejects = parse_plaintext(payload, now)
            return _points(cache, seq, batch, rejects, cache.run_ids_of(batch.names))
        frame = canonical_frame(payload)
        if frame is not None and len(frame) <= max_points:
            ids = cache.run_ids(frame.names_blob, frame.name_ends)
            if ids is not None:         # every name known, in runs: no str built for any
                return encode_points(seq, ids, now_for_minus_one(frame.timestamps, now), frame.values,
                                     [], False, Rejects())
        batch, rejects = parse_pickle(payload, now, max_points, frame)
    except HostilePickle as exc:
        return encode_hostile(seq, str(exc))
    except Exception as exc:   # e.g. MemoryError: bad input, not a reason for the worker to die
        rejects = Rejects()
        rejects.add(BAD_LINE if kind == PLAINTEXT else BAD_PICKLE, _describe(exc))
        return encode_points(seq, np.empty(0, np.uint32), np.empty(0), np.empty(0), [], False, rejects)
    return _points(cache, seq, batch, rejects, None)


def _points(cache: BytesNameCache, seq: int, batch: Batch, rejects: Rejects, ids: np.ndarray | None) -> bytes:
    """A POINTS answer for `batch`, whose names have `ids` if known, else get them now."""
    if ids is not None:
        return encode_points(seq, ids, batch.timestamps, batch.values, [], False, rejects)
    ids, new, reset = cache.resolve(batch.names)
    return encode_points(seq, ids, batch.timestamps, batch.values, new, reset, rejects)


def serve(inp: BinaryIO, out: BinaryIO, max_points: int, name_capacity: int) -> None:
    """Answer requests from `inp` on `out` until `inp` ends."""
    cache = BytesNameCache(name_capacity)
    out.write(encode_ready())
    out.flush()
    while (request := read_request(inp)) is not None:
        seq, now, kind, payload = request
        if kind not in (PICKLE, PLAINTEXT):
            raise WorkerProtocolError(f"request {seq} of unknown kind {kind}")
        out.write(answer(cache, seq, kind, payload, now, max_points))
        out.flush()


def main(argv: list[str]) -> int:
    # The server decides when a worker stops (it closes our stdin); a ^C or SIGTERM sent to
    # the whole process group must not cut a drain short.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    max_points, name_capacity = int(argv[0]), int(argv[1])
    inp = os.fdopen(0, "rb", buffering=1 << 20)
    out = os.fdopen(1, "wb", buffering=1 << 20)
    try:
        serve(inp, out, max_points, name_capacity)
    except BrokenPipeError:   # the server is gone: nobody to answer
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
