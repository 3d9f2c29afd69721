"""Carbon pickle elements read straight from the bytes, in numpy.

What: a pickle frame is a list of ``(metric, (timestamp, value))`` elements.  `element_chain`
finds a run of them as ``pickle.dumps`` writes them, each read opcode by opcode, so the
opcode pre-scan (parsers._scan_opcodes) crosses a run in one step.  `canonical_frame`
reads a whole frame laid out exactly as ``pickle.dumps`` writes such a list (protocols 2-5)
into its names' bytes, timestamps and values without building the list, its tuples or its
numbers: carbon's relay and aggregator and Python clients send frames of this shape.

Why: unpickling, transposing and float() of each element were most of a pickle worker's
time per point; here that is a handful of numpy operations per frame.  Anything else
(other opcodes, memo references, strings as numbers, NaN values...) returns None and the
frame takes the unpickler path, which alone decides rejects and hostility.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NAME_HEADS = {0x58: 5, 0x8C: 2}        # BINUNICODE (protocols 1-3), SHORT_BINUNICODE (4+): header length
_HEAD_LEN = np.zeros(256, np.int64)
_HEAD_LEN[list(NAME_HEADS)] = list(NAME_HEADS.values())
_PUT_LEN = np.zeros(256, np.int64)
_PUT_LEN[[0x71, 0x72, 0x94]] = [2, 5, 1]      # BINPUT, LONG_BINPUT, MEMOIZE
_NUMBER_LEN = np.zeros(256, np.int64)
_BINFLOAT, _BININT, _BININT1, _BININT2 = 0x47, 0x4A, 0x4B, 0x4D
_NUMBER_LEN[[_BINFLOAT, _BININT, _BININT1, _BININT2]] = [9, 5, 2, 3]
_TUPLE2 = 0x86
_PROTO, _FRAME, _EMPTY_LIST, _MARK, _APPENDS, _STOP = 0x80, 0x95, 0x5D, 0x28, 0x65, 0x2E
_RUN_WINDOW = 1 << 16    # bytes examined per call: bounds the work of a run cut short
_RUN_PAD = 320           # zeros after the window: an element's opcodes reach at most 300 bytes
_NAME_END = 0            # ends each name of a frame: a name holding it takes the unpickler


def element_chain(payload: bytes, i: int) -> tuple[int, np.ndarray]:
    """(end, starts) of the run of ``(name, (ts, value))`` elements starting at i.

    An element as pickle.dumps writes it: a name (BINUNICODE below 256 bytes or
    SHORT_BINUNICODE), a memo put (BINPUT, LONG_BINPUT below 65,536, MEMOIZE), two numbers
    (BINFLOAT, BININT, BININT1, BININT2), TUPLE2, put, TUPLE2, put.  Every byte that could
    start one is a candidate whose end is computed from its opcodes; the run is the chain of
    candidates from i, each ending where the next begins: exactly the opcode walk, as every
    opcode on the chain is read with its true length.  Candidates elsewhere (bytes inside
    names or floats) are never on the chain.  Memo puts here are harmless: indices < 65,536.
    `starts` are absolute offsets (int64); empty when no element starts at i.
    """
    none = np.empty(0, np.int64)
    head = NAME_HEADS[payload[i]]
    width = min(len(payload) - i, _RUN_WINDOW)
    a = np.zeros(width + _RUN_PAD, np.uint8)
    a[:width] = np.frombuffer(payload, np.uint8, width, i)
    starts = np.flatnonzero(a[:width] == payload[i])
    if head == 5:   # a 4-byte length below 256
        starts = starts[(a[starts + 2] == 0) & (a[starts + 3] == 0) & (a[starts + 4] == 0)]
    at = starts + head + a[starts + 1]
    at, bad = _after_put(a, at)
    for _ in range(2):
        step = _NUMBER_LEN[a[at]]
        bad |= step == 0
        at = at + step
    for _ in range(2):
        bad |= a[at] != _TUPLE2
        at, put_bad = _after_put(a, at + 1)
        bad |= put_bad
    keep = ~bad & (at <= width)
    starts, ends = starts[keep], at[keep]
    if not len(starts) or starts[0] != 0:
        return i, none
    # A candidate inside a name or a float is almost never where another one ends: drop
    # those first so that the chain is usually unbroken.
    reached = np.zeros(width + 1, bool)
    reached[ends] = True
    reached[0] = True
    linked = reached[starts]
    starts, ends = starts[linked], ends[linked]
    if (ends[:-1] == starts[1:]).all():     # one unbroken chain: the usual case
        return i + int(ends[-1]), starts + i
    following = dict(zip(starts.tolist(), ends.tolist()))
    at, chain = 0, []
    while (nxt := following.get(at)) is not None:
        chain.append(at)
        at = nxt
    return i + at, np.array(chain, np.int64) + i


def _after_put(a: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions after the memo put at each `at`, and where there is no (small) put."""
    step = _PUT_LEN[a[at]]
    bad = (step == 0) | ((step == 5) & ((a[at + 3] != 0) | (a[at + 4] != 0)))
    return at + step, bad


@dataclass
class CanonicalFrame:
    """A frame's points as read by `canonical_frame`, names still as bytes.

    `names_blob` is every name's UTF-8 bytes followed by one NUL, in point order;
    `name_ends[i]` is where name i's NUL ends in it.  Names are decoded only on demand
    (`names`): a reader that recognises a run of known names by its bytes needs no ``str``.
    """

    names_blob: bytes
    name_ends: np.ndarray       # int64
    timestamps: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.name_ends)

    def names(self) -> list[str] | None:
        """The names as the unpickler decodes them (UTF-8, surrogatepass); None if one is
        not decodable."""
        try:
            text = self.names_blob[:-1].decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            return None
        return text.split(chr(_NAME_END))


def canonical_frame(payload: bytes) -> CanonicalFrame | None:
    """The points of a frame laid out exactly as ``pickle.dumps`` (protocol 2-5) writes a
    list of ``(str, (number, number))`` elements, with no NaN value, no NaN or infinite
    timestamp and no NUL in a name; None for any other frame.

    The layout: PROTO, FRAME (protocol 4+, one, sized to the rest: a frame under 64 KiB),
    EMPTY_LIST, put, then batches of MARK, elements, APPENDS, and STOP as the last byte.
    The unpickler would build the same names and numbers from these bytes; every byte is
    accounted for, so such a frame holds nothing else (no global, no other memo use).
    """
    starts = _element_starts(payload)
    if starts is None:
        return None
    a = np.frombuffer(payload + bytes(8), np.uint8)     # a number may be read 8 bytes wide
    lengths = a[starts + 1].astype(np.int64)
    first = starts + _HEAD_LEN[a[starts]]
    ts_at = first + lengths
    ts_at += _PUT_LEN[a[ts_at]]
    value_at = ts_at + _NUMBER_LEN[a[ts_at]]
    ts, values = _numbers(a, ts_at), _numbers(a, value_at)
    if np.isnan(values).any() or not np.isfinite(ts).all():
        return None                                      # rejects: the unpickler path counts them
    blob = _names_blob(a, first, lengths)
    if blob is None:
        return None
    return CanonicalFrame(blob, np.cumsum(lengths + 1), ts, values)


def _element_starts(payload: bytes) -> np.ndarray | None:
    """Where each element of a canonical frame starts, or None if the frame is not one."""
    n = len(payload)
    try:
        if payload[0] != _PROTO or not 2 <= payload[1] <= 5 or payload[-1] != _STOP:
            return None
        i = 2
        if payload[i] == _FRAME:
            if int.from_bytes(payload[i + 1:i + 9], "little") != n - i - 9:
                return None
            i += 9
        put = int(_PUT_LEN[payload[i + 1]])
        if payload[i] != _EMPTY_LIST or not put or (put == 5 and (payload[i + 4] or payload[i + 5])):
            return None                 # memo indices from 65,536 up: the pre-scan's to judge
        i += 1 + put
        runs = []
        while payload[i] == _MARK:
            i += 1
            while True:
                if payload[i] not in NAME_HEADS:
                    return None
                i, starts = element_chain(payload, i)
                if not len(starts):
                    return None
                runs.append(starts)
                if payload[i] == _APPENDS:
                    break
            i += 1
    except IndexError:
        return None
    return np.concatenate(runs) if runs and i == n - 1 else None


def _numbers(a: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The numbers whose opcodes (BINFLOAT, BININT, BININT1, BININT2) are at `at`, as float64."""
    op = a[at]
    if (op == _BINFLOAT).all():             # the usual column: one kind, one view
        return a[at[:, None] + np.arange(1, 9)].view(">f8").ravel().astype(np.float64)
    raw = a[at[:, None] + np.arange(1, 9)]
    out = raw[:, 0].astype(np.float64)      # BININT1
    for code, dtype in ((_BINFLOAT, ">f8"), (_BININT, "<i4"), (_BININT2, "<u2")):
        rows = op == code
        if rows.any():
            width = np.dtype(dtype).itemsize
            out[rows] = raw[rows, :width].copy().view(dtype).ravel()
    return out


def _names_blob(a: np.ndarray, first: np.ndarray, lengths: np.ndarray) -> bytes | None:
    """The names at `first`, each taken with the byte after it (its memo put) turned into
    a NUL; None if a name holds a NUL itself."""
    end = first + lengths
    marked = a.copy()
    marked[end] = _NAME_END
    edges = np.zeros(len(a) + 1, np.int8)
    edges[first] = 1
    edges[end + 1] = -1
    picked = marked[np.cumsum(edges, dtype=np.int8)[:-1].view(bool)]
    if np.count_nonzero(picked == _NAME_END) != len(first):
        return None
    return picked.tobytes()
