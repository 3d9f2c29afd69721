"""Pure parsers for carbon's plaintext (TCP and UDP) and pickle ingestion protocols.

What: bytes in, a ``Batch`` of points (numpy columns) and the ``Rejects`` (counts per reason,
plus a few samples for rate-limited logging) out.  No sockets, no clock, no logging here: the
Twisted protocols frame bytes and hand whole chunks to these functions, and ``now`` is passed
in, so every rule is testable without a reactor.

Why a separate module: carbon parses inside its socket callbacks, once per transport, and turns
some bad input into a dropped connection.  Here one parser serves TCP, UDP and pickle, and a bad
line or element is counted and dropped while the rest of the chunk survives.

Semantics follow carbon 1.1.10 (lib/carbon/protocols.py: ``MetricLineReceiver.lineReceived``,
``MetricDatagramReceiver.datagramReceived``, ``MetricPickleReceiver.stringReceived``,
``MetricReceiver.metricReceived``; lib/carbon/util.py: ``SafeUnpickler``).  Deliberate
differences, all of them "reject the item instead of dropping the connection or frame":

* invalid UTF-8: carbon's decode raises outside its ``try`` (TCP: connection dropped; UDP: the
  whole datagram lost); here only the affected line is rejected (``invalid_utf8``);
* NaN/inf timestamp: carbon's ``int(ts)`` raises (TCP: connection dropped); here ``bad_timestamp``;
* silent drops are counted: NaN values (``nan_value``), pickle elements whose floats fail;
* blank lines are ignored without a reject (carbon logs them as invalid lines);
* pickle: *every* global is refused (carbon allows ``copy_reg._reconstructor`` and
  ``__builtin__.object``) and refusing raises ``HostilePickle`` so the caller can close the
  connection (carbon ignores the frame).  Python 3 ``bytes`` pickled at protocol <= 2 go
  through the global ``_codecs.encode`` and are refused too;
* pickle: non-str metrics, huge ints (``OverflowError``) and non-UTF-8 py3 ``bytes`` metrics
  are per-element rejects (carbon loses the connection); UTF-8 ``bytes`` metrics are decoded;
* pickle: an opcode pre-scan refuses memo indices and declared lengths larger than the
  payload before CPython's unpickler allocates for them (see _scan_opcodes).
"""

from __future__ import annotations

import collections
import io
import itertools
import math
import pickle
import pickletools
import reprlib
import struct
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from .pickle_elements import NAME_HEADS, CanonicalFrame, canonical_frame, element_chain

# Reject reasons (the keys of Rejects.counts).
INVALID_UTF8 = "invalid_utf8"
BAD_LINE = "bad_line"
BAD_VALUE = "bad_value"
BAD_TIMESTAMP = "bad_timestamp"
NAN_VALUE = "nan_value"
BAD_PICKLE = "bad_pickle"
BAD_ELEMENT = "bad_element"
TOO_MANY_POINTS = "too_many_points"

MAX_SAMPLES = 5
SAMPLE_CHARS = 200

# Marks line ends in the one-split fast path (see _regular_tokens); a chunk that contains it
# takes the per-line path, so the mark can never be mistaken for a token.
_LINE_MARK = "\x00"


@dataclass
class Batch:
    """Parsed points as columns: names[i] has value values[i] at timestamps[i]."""

    names: list[str]
    timestamps: np.ndarray  # float64 epoch seconds; -1 already replaced by `now`
    values: np.ndarray  # float64; NaN values already removed
    known: KnownIds | None = None   # where the receiver keeps store ids of these names

    def __len__(self) -> int:
        return len(self.names)


@dataclass
class KnownIds:
    """Store ids a receiver keeps for the names it hands over again and again (a pickle
    worker's name table): point i's name has id ``cache[slots[i]]``, -1 until the store
    has told it (`learn`).  The cache only ever goes from -1 to the id the store gave,
    so the writer thread may fill it while the reactor thread reads it."""

    cache: np.ndarray   # int64, owned by the receiver; a new array when its names change
    slots: np.ndarray   # intp, one per point

    def ids(self) -> np.ndarray:
        return self.cache.take(self.slots)

    def learn(self, ids: np.ndarray) -> None:
        """Keep the ids `Store.write` resolved for these points (WriteResult.ids)."""
        got = ids >= 0
        self.cache[self.slots[got]] = ids[got]


@dataclass
class Rejects:
    """What a parser refused: a count per reason and the first few offending texts.

    A count is of lines (plaintext), elements (pickle) or whole frames (``bad_pickle``,
    ``too_many_points``), whichever the reason names.
    """

    counts: collections.Counter = field(default_factory=collections.Counter)
    samples: list[tuple[str, str]] = field(default_factory=list)

    def add(self, reason: str, text: str, count: int = 1) -> None:
        """Count `count` rejects for `reason`; keep `text` as a sample while there is room."""
        self.counts[reason] += count
        if len(self.samples) < MAX_SAMPLES:
            self.samples.append((reason, text[:SAMPLE_CHARS]))

    def merge(self, other: Rejects) -> None:
        self.counts.update(other.counts)
        room = MAX_SAMPLES - len(self.samples)
        self.samples.extend(other.samples[: max(room, 0)])

    def total(self) -> int:
        return sum(self.counts.values())


class HostilePickle(Exception):
    """The pickle names a global or a persistent id: it tries to import or call something."""


# --------------------------------------------------------------------------------------------
# Plaintext


def parse_plaintext(data: bytes, now: float) -> tuple[Batch, Rejects]:
    """Parse complete lines of carbon's plaintext protocol (TCP port 2003).

    `data` is one or more lines, each ended by b"\\n" except perhaps the last (the framer may
    strip it).  Lines are separated by b"\\n" only, as Twisted's LineOnlyReceiver does.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return _parse_lines(_decoded_lines(data, "\n"), now)
    tokens = _regular_tokens(text)
    if tokens is None:  # blank or malformed lines: take them one by one
        return _parse_lines(text.split("\n"), now)
    return _points_from_tokens(tokens[0::4], tokens[1::4], tokens[2::4], now, Rejects())


def parse_plaintext_datagram(data: bytes, now: float) -> tuple[Batch, Rejects]:
    """Parse one UDP datagram of plaintext lines.

    carbon decodes the datagram and splits it with ``str.splitlines()``, so ``\\r``, ``\\x0b``,
    ``\\x0c``, ``\\x1c``-``\\x1e``, ``\\x85``, U+2028 and U+2029 also end a line here.
    """
    return _parse_lines(_decoded_lines(data, None), now)


def _decoded_lines(data: bytes, sep: str | None) -> list[str]:
    """Lines of `data`; bytes that are not UTF-8 survive as lone surrogates (see _is_utf8).

    Splitting after a surrogateescape decode matches splitting the bytes: neither b"\\n" nor
    any other line break is part of a multi-byte UTF-8 sequence, and escapes never break lines.
    """
    text = data.decode("utf-8", "surrogateescape")
    return text.split(sep) if sep is not None else text.splitlines()


def _is_utf8(line: str) -> bool:
    """False if the line came from invalid UTF-8 (it then holds surrogateescape escapes)."""
    if line.isascii():
        return True
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _printable(line: str) -> str:
    """A line holding surrogateescape escapes, with the bad bytes shown as \\xNN."""
    return line.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _regular_tokens(text: str) -> list[str] | None:
    """All tokens of `text` in one split if every line holds exactly 3 tokens, else None.

    One ``str.split()`` over the whole chunk is ~3x cheaper than splitting line by line.  Each
    line end is replaced by a lone mark token, so the chunk is regular exactly when the token
    list is [name, value, ts, MARK] * lines.  str.split() is carbon's own tokeniser (unicode
    whitespace included), so regular chunks give the same tokens as the per-line path.
    """
    if _LINE_MARK in text:
        return None
    if text and not text.endswith("\n"):
        text += "\n"
    lines = text.count("\n")
    tokens = text.replace("\n", " " + _LINE_MARK + " ").split()
    if len(tokens) != 4 * lines or tokens[3::4].count(_LINE_MARK) != lines:
        return None
    return tokens


def _parse_lines(lines: Sequence[str], now: float) -> tuple[Batch, Rejects]:
    """The per-line path: carbon's ``metric, value, timestamp = line.strip().split()``."""
    rejects = Rejects()
    names: list[str] = []
    values: list[str] = []
    stamps: list[str] = []
    for line in lines:
        if not _is_utf8(line):
            rejects.add(INVALID_UTF8, _printable(line))
            continue
        tokens = line.split()  # split() with no argument also strips, like carbon's strip()
        if len(tokens) == 3:
            names.append(tokens[0])
            values.append(tokens[1])
            stamps.append(tokens[2])
        elif tokens:  # blank lines: carbon logs them as invalid; here they are no reject
            rejects.add(BAD_LINE, line.strip())
    return _points_from_tokens(names, values, stamps, now, rejects)


def _points_from_tokens(
    names: list[str], values: list[str], stamps: list[str], now: float, rejects: Rejects
) -> tuple[Batch, Rejects]:
    """Convert value and timestamp tokens with float() and apply the per-point rules."""

    def line_text(i: int) -> str:
        return f"{names[i]} {values[i]} {stamps[i]}"

    ts, ts_bad = _stamps(stamps)
    vs, vs_bad = _floats(values)
    return _assemble(names, ts, vs, ts_bad, vs_bad, line_text, now, rejects), rejects


def _stamps(tokens: list[str]) -> tuple[np.ndarray, np.ndarray | None]:
    """`_floats` of timestamp tokens.  A sender stamps a whole batch with one time, so when
    every token is the first one, one float() serves all (comparing is cheaper than float())."""
    if (tokens and tokens[0] == tokens[-1] == tokens[len(tokens) // 2]      # cheap: most mixed chunks stop here
            and tokens.count(tokens[0]) == len(tokens)):
        try:
            return np.full(len(tokens), float(tokens[0])), None
        except (ValueError, TypeError, OverflowError):
            pass
    return _floats(tokens)


def _floats(tokens: Sequence[Any]) -> tuple[np.ndarray, np.ndarray | None]:
    """float() of every token, NaN where float() fails, and the mask of failures (None if none).

    Python's float() is carbon's conversion (``1_0``, ``١٢``, ``-Infinity`` included), so it is
    used as is; fromiter over map() runs it at C speed.  Only a chunk with a bad token pays for
    the per-token retry that finds it.
    """
    try:
        return np.fromiter(map(float, tokens), np.float64, len(tokens)), None
    except (ValueError, TypeError, OverflowError):
        pass
    parsed = [_float_or_none(t) for t in tokens]
    bad = np.fromiter((p is None for p in parsed), bool, len(parsed))
    out = np.fromiter((math.nan if p is None else p for p in parsed), np.float64, len(parsed))
    return out, bad


def _float_or_none(token: Any) -> float | None:
    try:
        return float(token)
    except (ValueError, TypeError, OverflowError):  # OverflowError: float(10**400)
        return None


# --------------------------------------------------------------------------------------------
# Rules shared by every protocol (carbon's MetricReceiver.metricReceived)


def _assemble(
    names: list[str],
    ts: np.ndarray,
    vs: np.ndarray,
    ts_bad: np.ndarray | None,
    vs_bad: np.ndarray | None,
    text_of: Callable[[int], str],
    now: float,
    rejects: Rejects,
) -> Batch:
    """Apply carbon's per-point checks in carbon's order and keep the points that pass.

    Order (one reason per point): float(timestamp) fails, float(value) fails (carbon evaluates
    the timestamp first), NaN value (dropped before int(ts) is ever taken), then a NaN/inf
    timestamp (where carbon's int(ts) raises).
    """
    n = len(names)
    no = np.zeros(n, bool)
    ts_bad = no if ts_bad is None else ts_bad
    vs_bad = (no if vs_bad is None else vs_bad) & ~ts_bad
    ok = ~(ts_bad | vs_bad)
    nan_value = ok & np.isnan(vs)
    ok &= ~nan_value
    odd_ts = ok & ~np.isfinite(ts)
    ok &= ~odd_ts
    for reason, mask in (
        (BAD_TIMESTAMP, ts_bad | odd_ts),
        (BAD_VALUE, vs_bad),
        (NAN_VALUE, nan_value),
    ):
        _reject_points(rejects, reason, np.flatnonzero(mask), text_of)
    if not ok.all():
        names = list(itertools.compress(names, ok.tolist()))
        ts, vs = ts[ok], vs[ok]
    return Batch(names, now_for_minus_one(ts, now), vs)


def now_for_minus_one(ts: np.ndarray, now: float) -> np.ndarray:
    """carbon: ``if int(ts) == -1: ts = time.time()``; int() truncates, so -2 < ts <= -1."""
    return np.where((ts > -2.0) & (ts <= -1.0), np.float64(now), ts)


def _reject_points(
    rejects: Rejects, reason: str, idx: np.ndarray, text_of: Callable[[int], str]
) -> None:
    """Count every index in `idx`; render text only for the samples that will be kept."""
    if idx.size == 0:
        return
    room = max(MAX_SAMPLES - len(rejects.samples), 0)
    for i in idx[:room].tolist():
        rejects.add(reason, text_of(i))
    if idx.size > room:
        rejects.counts[reason] += idx.size - room


# --------------------------------------------------------------------------------------------
# Pickle


_UNREAD = object()


def parse_pickle(
    payload: bytes, now: float, max_points: int = 500_000,
    frame: CanonicalFrame | None | object = _UNREAD,
) -> tuple[Batch, Rejects]:
    """Parse one frame of carbon's pickle protocol (TCP port 2004), length prefix removed.

    The payload is a pickle (protocols 0-5) of ``[(metric, (timestamp, value)), ...]``.
    Raises HostilePickle if it names any global or persistent id; every other problem is a
    reject.  A frame in pickle.dumps' own layout whose points are all fine is decoded
    straight from its bytes (pickle_elements.canonical_frame, or `frame` if the caller has
    read it already); every other frame is pre-scanned and unpickled.
    """
    rejects = Rejects()
    if frame is _UNREAD:
        frame = canonical_frame(payload)
    names = frame.names() if frame is not None else None
    if names is not None:           # pickle.dumps' own layout, every point fine: no unpickling
        if len(names) > max_points:
            rejects.add(TOO_MANY_POINTS, f"{len(names)} points > {max_points}")
            return _empty_batch(), rejects
        return Batch(names, now_for_minus_one(frame.timestamps, now), frame.values), rejects
    problem = _scan_opcodes(payload)  # raises HostilePickle before anything is loaded
    if problem is None:
        try:
            points = _load(payload)
        except HostilePickle:
            raise
        except Exception as exc:  # pickle raises a wide range; any of them means a bad frame
            problem = _describe(exc)
    if problem is not None:
        rejects.add(BAD_PICKLE, problem)
        return _empty_batch(), rejects
    if not isinstance(points, (list, tuple)):
        rejects.add(BAD_PICKLE, f"top level is {type(points).__name__}, not a list")
        return _empty_batch(), rejects
    if len(points) > max_points:
        rejects.add(TOO_MANY_POINTS, f"{len(points)} points > {max_points}")
        return _empty_batch(), rejects
    return _points_from_elements(points, now, rejects), rejects


class _RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that builds only lists, tuples, dicts, sets, str, bytes, numbers, bool, None.

    Every way a pickle can reach code goes through a global (GLOBAL, STACK_GLOBAL, INST, EXT*;
    REDUCE, OBJ, NEWOBJ and BUILD need a callable or class that only a global can supply) or
    through a persistent id.  Both hooks refuse, so nothing is ever imported or called.
    _scan_opcodes already refuses those opcodes; this is the second, independent guard.
    """

    def find_class(self, module: str, name: str) -> Any:
        raise HostilePickle(f"pickle references global {_short(module)}.{_short(name)}")

    def persistent_load(self, pid: Any) -> Any:
        raise HostilePickle("pickle uses a persistent id")


def _load(payload: bytes) -> Any:
    # BufferedReader: the C unpickler reads a peek()-able file in chunks; over a bare BytesIO
    # it makes one Python call per opcode (4x slower).  encoding="utf-8" decodes python 2
    # str as carbon does (util.SafeUnpickler.loads).
    stream = io.BufferedReader(io.BytesIO(payload))
    return _RestrictedUnpickler(stream, encoding="utf-8").load()


# Opcode argument kinds for _scan_opcodes: a size >= 0 is a fixed-size argument.
(_UNKNOWN, _LEN1, _LEN4, _LEN8, _LINE, _STOP,
 _LONG_BINPUT, _PUT, _FRAME, _HOSTILE) = range(-1, -11, -1)
_HOSTILE_OPCODES = ("GLOBAL", "INST", "STACK_GLOBAL", "EXT1", "EXT2", "EXT4", "PERSID", "BINPERSID")
_U32 = struct.Struct("<I").unpack_from
_MIN_RUN = 8             # shorter element runs are not worth the numpy overhead: walk the rest
_U64 = struct.Struct("<Q").unpack_from


def _opcode_table() -> tuple[int, ...]:
    """Argument kind of each opcode byte, from pickletools' description of CPython's opcodes."""
    by_n = {
        pickletools.UP_TO_NEWLINE: _LINE,
        pickletools.TAKEN_FROM_ARGUMENT1: _LEN1,
        pickletools.TAKEN_FROM_ARGUMENT4: _LEN4,
        pickletools.TAKEN_FROM_ARGUMENT4U: _LEN4,
        pickletools.TAKEN_FROM_ARGUMENT8U: _LEN8,
    }
    table = [_UNKNOWN] * 256
    for op in pickletools.opcodes:
        arg = op.arg
        table[ord(op.code)] = 0 if arg is None else arg.n if arg.n >= 0 else by_n[arg.n]
    for name in _HOSTILE_OPCODES:
        table[ord(getattr(pickle, name))] = _HOSTILE
    table[ord(pickle.STOP)] = _STOP
    table[ord(pickle.LONG_BINPUT)] = _LONG_BINPUT
    table[ord(pickle.PUT)] = _PUT
    table[ord(pickle.FRAME)] = _FRAME
    return tuple(table)


_OPCODES = _opcode_table()

def _scan_opcodes(payload: bytes, element_runs: bool = True) -> str | None:
    """Walk the opcodes as the unpickler will; say why the payload must not be loaded, or None.

    Why: CPython's C unpickler trusts two numbers it reads.  A memo index (PUT, LONG_BINPUT)
    grows and zero-fills its memo array to twice the index: the 6 bytes
    ``\\x8fr\\x00\\x00\\x00\\x10`` cost 4 GiB and seconds of CPU.  A declared length
    (BINBYTES, BYTEARRAY8, FRAME...) is allocated before the bytes are read.  Legitimate pickles
    number their memo from 0 and declare only bytes that follow, so both are bounded by the
    payload's length here.  Opcodes that reach a global or a persistent id raise HostilePickle
    on sight (the unpickler's own hooks refuse them too).

    Runs of ordinary elements are crossed in one numpy step (element_chain) unless
    `element_runs` is False; the verdict is the same either way (a property test checks it).
    """
    n = len(payload)
    i = 0
    kinds = _OPCODES
    runs = element_runs
    try:
        while i < n:
            kind = kinds[payload[i]]
            if kind >= 0:
                i += 1 + kind
            elif kind == _LONG_BINPUT:
                # both high bytes are zero below 65,536 memo entries: no unpack needed
                if (payload[i + 3] or payload[i + 4]) and _U32(payload, i + 1)[0] > n:
                    return f"memo index {_U32(payload, i + 1)[0]} beyond a {n}-byte pickle"
                i += 5
            elif runs and payload[i] in NAME_HEADS:
                end, starts = element_chain(payload, i)
                runs = len(starts) >= _MIN_RUN
                i = end if len(starts) else i + NAME_HEADS[payload[i]] + (
                    payload[i + 1] if payload[i] == 0x8C else _U32(payload, i + 1)[0])
            elif kind == _LEN4:
                i += 5 + _U32(payload, i + 1)[0]
            elif kind == _LEN1:
                i += 2 + payload[i + 1]
            elif kind == _STOP:
                return None
            elif kind == _LEN8 or kind == _FRAME:
                size = _U64(payload, i + 1)[0]
                if size > n:
                    return f"opcode {payload[i]:#04x} declares {size} bytes in a {n}-byte pickle"
                i += 9 if kind == _FRAME else 9 + size
            elif kind == _LINE or kind == _PUT:
                end = payload.index(b"\n", i + 1)
                if kind == _PUT and not _small_index(payload[i + 1 : end], n):
                    return f"memo index {payload[i + 1:end][:20]!r} beyond a {n}-byte pickle"
                i = end + 1
            elif kind == _HOSTILE:
                raise HostilePickle(_hostile_reason(payload, i))
            else:
                return f"unknown opcode {payload[i]:#04x} at {i}"
    except (IndexError, ValueError, struct.error):  # an argument runs past the end
        pass
    return "pickle data was truncated"


def _small_index(text: bytes, limit: int) -> bool:
    try:
        return int(text) <= limit
    except ValueError:
        return False


def _hostile_reason(payload: bytes, i: int) -> str:
    op = pickletools.code2op[chr(payload[i])]
    if op.name in ("GLOBAL", "INST"):  # two text lines: module and name
        module, _, rest = payload[i + 1 : i + 300].partition(b"\n")
        name = rest.partition(b"\n")[0]
        where = f"{module.decode('utf-8', 'replace')}.{name.decode('utf-8', 'replace')}"
        return f"pickle references global {_short(where)}"
    if op.name in ("PERSID", "BINPERSID"):
        return f"pickle uses a persistent id ({op.name})"
    return f"pickle references a global ({op.name})"


def _points_from_elements(elements: Sequence[Any], now: float, rejects: Rejects) -> Batch:
    """Unpack each ``(metric, (timestamp, value))``; reject the elements that do not fit."""
    columns = _transposed(elements)
    if columns is not None:
        names, stamps, values = columns
        ts_col, ts_bad = _floats(stamps)
        vs_col, vs_bad = _floats(values)
        return _assemble(names, ts_col, vs_col, ts_bad, vs_bad,
                         lambda i: _safe_repr(elements[i]), now, rejects)
    names: list[str] = []
    stamps: list[Any] = []
    values: list[Any] = []
    kept: list[Any] = []
    for raw in elements:
        try:
            # Python unpacking, as carbon does: any 2-item iterables fit.
            metric, (ts, value) = raw
        except (TypeError, ValueError):
            rejects.add(BAD_ELEMENT, _safe_repr(raw))
            continue
        name = _metric_name(metric)
        if name is None:
            reason = INVALID_UTF8 if isinstance(metric, bytes) else BAD_ELEMENT
            rejects.add(reason, _safe_repr(raw))
            continue
        names.append(name)
        stamps.append(ts)
        values.append(value)
        kept.append(raw)

    def element_text(i: int) -> str:
        return _safe_repr(kept[i])

    ts_col, ts_bad = _floats(stamps)
    vs_col, vs_bad = _floats(values)
    return _assemble(names, ts_col, vs_col, ts_bad, vs_bad, element_text, now, rejects)


def _transposed(elements: Sequence[Any]) -> tuple[list[str], tuple, tuple] | None:
    """(names, timestamps, values) in three C-level passes when every element is a
    ``(str, (ts, value))`` pair; None sends the frame through the per-element loop.

    zip iterates each element exactly as carbon's ``metric, (ts, value) = element`` does,
    and strict=True refuses the elements whose length differs from the others'.
    """
    try:
        metrics, pairs = zip(*elements, strict=True)
        stamps, values = zip(*pairs, strict=True)
    except (TypeError, ValueError):
        return None
    if not set(map(type, metrics)) <= {str}:
        return None
    return list(metrics), stamps, values


def _metric_name(metric: Any) -> str | None:
    """The metric as str: py3 bytes are decoded as UTF-8 like carbon's py2 str; else None."""
    if isinstance(metric, str):
        return metric
    if isinstance(metric, bytes):
        try:
            return metric.decode("utf-8")
        except UnicodeDecodeError:
            return None
    return None


class _ShortRepr(reprlib.Repr):
    """reprlib with limits: a hostile element may nest a million lists deep or hold an int of
    millions of digits (whose str() raises past 4300 digits and is quadratic below that)."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel = 3
        self.maxstring = self.maxother = self.maxlong = 80

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 256:
            return f"<int of {x.bit_length()} bits>"
        return super().repr_int(x, level)


_REPR = _ShortRepr()


def _safe_repr(obj: Any) -> str:
    """A short repr that cannot raise or recurse (deep nesting, ints past str()'s digit limit)."""
    try:
        return _REPR.repr(obj)
    except Exception:  # e.g. ValueError: int of more than 4300 digits
        return f"<{type(obj).__name__}>"


def _describe(exc: BaseException) -> str:
    try:
        return f"{type(exc).__name__}: {exc}"[:SAMPLE_CHARS]
    except Exception:
        return type(exc).__name__


def _short(text: str) -> str:
    return text if len(text) <= 100 else text[:100] + "..."


def _empty_batch() -> Batch:
    return Batch([], np.empty(0, np.float64), np.empty(0, np.float64))
