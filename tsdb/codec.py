"""Series-block codec: one sealed block of one series <-> one compact blob, validated on read.

Sealed chunks store each series' block (B buckets of count, sum, min, max, sumsq, last) as its
own blob, so a read decompresses only that series' bytes (DESIGN.md §4). Only present cells
are stored, and count==1 cells store only `last` (the other aggregates are implied, §3).
Floats are stored as scaled decimals when that is bit-exact (most metrics arrive as short
decimal strings), as decimals plus ulp corrections when they are a few ulps off (rollup sums),
else as XOR-with-previous bit planes. Integers are delta coded and bit packed, with outliers
(counter resets, spikes) patched in separately. The blob is lz4-compressed when that helps.
tsdb/FORMAT.md section 7 is the byte layout. Every path is numpy-vectorised: Python loops run over columns,
delta orders and exponents, never over values.
"""

from __future__ import annotations

import functools

import lz4.block
import numpy as np

__all__ = [
    "CodecError",
    "VERSION",
    "encode_block",
    "decode_block",
    "encode_floats",
    "decode_floats",
    "encode_uints",
    "decode_uints",
]

VERSION = 1

# Header byte: format version in the high nibble, flags in the low nibble.
FLAG_LZ4 = 0x01
PRESENCE_SHIFT = 1
PRESENCE_MASK = 0x06
PRESENCE_ALL = 0  # every bucket present: nothing stored
PRESENCE_BITMAP = 1  # ceil(B/8) bytes, bit i (LSB first) = bucket i present
PRESENCE_INDICES = 2  # varint k, then an integer stream of the k present bucket indices
PRESENCE_ABSENT = 3  # varint k, then an integer stream of the k absent bucket indices
FLAG_COUNTS = 0x08  # some count >= 2: counts and the four multi-value columns are stored

# Float stream methods (first byte of a float stream).
FLOAT_DECIMAL = 0  # exponent byte, integer stream of mantissas: v = m / 10**e exactly
FLOAT_XOR = 1  # 64-bit plane mask, bit planes of each value XOR the previous one
FLOAT_DECIMAL_ULPS = 2  # as FLOAT_DECIMAL, then an integer stream of ulp corrections
ULP_SLACK = 4096  # "near a decimal": within this many ulps (sets the exponent search)

# Integer stream header: bits 0-1 = delta order, bit 2 = exceptions follow.
INT_ORDER_MASK = 0x03
INT_EXCEPTIONS = 0x04

# Widths 57..63 are widened to 64 so every packed value lies inside one unaligned 64-bit word
# at a whole-byte offset (value bits + bit offset <= 56 + 7 < 64).
MAX_PACKED_WIDTH = 56
MAX_DECIMAL_EXPONENT = 22  # 10**22 is the largest power of ten exact in float64
MAX_SCALE_DOWN = 15  # integers are divided by at most 10**15 (trailing zeros)
_EXACT_INT = float(2**53)
_U64 = (1 << 64) - 1

_WIDTHS = np.where(np.arange(65) > MAX_PACKED_WIDTH, 64, np.arange(65))  # bits per value
_LOW_BITS = [np.uint64((1 << w) - 1) for w in range(64)]
_POW10 = [10.0**e for e in range(MAX_DECIMAL_EXPONENT + 1)]


class CodecError(ValueError):
    """A blob or stream is truncated, corrupt, or from an unknown format version."""


# ---------------------------------------------------------------------------------------------
# varints and zigzag (scalars: a handful per stream)


def _varint(x: int) -> bytes:
    out = bytearray()
    while x >= 0x80:
        out.append((x & 0x7F) | 0x80)
        x >>= 7
    out.append(x)
    return bytes(out)


def _read_varint(mv: memoryview, pos: int, what: str, field: str) -> tuple[int, int]:
    x = shift = 0
    end = len(mv)
    while True:
        if pos >= end:
            raise CodecError(f"truncated {what}: {field} (varint) cut off at byte {pos}")
        b = mv[pos]
        pos += 1
        x |= (b & 0x7F) << shift
        if b < 0x80:
            break
        shift += 7
        if shift > 63:
            raise CodecError(f"corrupt {what}: {field} varint longer than 10 bytes at byte {pos}")
    if x > _U64:
        raise CodecError(f"corrupt {what}: {field} varint exceeds 64 bits at byte {pos}")
    return x, pos


def _zigzag(x: int) -> int:
    return (x << 1) ^ (x >> 63)


def _unzigzag(z: int) -> int:
    return (z >> 1) ^ -(z & 1)


def _zigzag_array(x: np.ndarray) -> np.ndarray:
    return ((x << 1) ^ (x >> 63)).view(np.uint64)


def _read_byte(mv: memoryview, pos: int, what: str, field: str) -> tuple[int, int]:
    if pos >= len(mv):
        raise CodecError(f"truncated {what}: {field} missing at byte {pos}")
    return mv[pos], pos + 1


# ---------------------------------------------------------------------------------------------
# fixed-width bit packing: value i occupies stream bits [i*w, (i+1)*w), LSB first


def _packed_width(span: int) -> int:
    w = span.bit_length()
    return 64 if w > MAX_PACKED_WIDTH else w


def _pack(values: np.ndarray, w: int) -> bytes:
    if w == 0 or values.size == 0:
        return b""
    if w == 64:
        return values.astype("<u8", copy=False).tobytes()
    bits = (values[:, None] >> np.arange(w, dtype=np.uint64)) & np.uint64(1)
    return np.packbits(bits.astype(np.uint8).ravel(), bitorder="little").tobytes()


def _unpack(mv: memoryview, pos: int, n: int, w: int, what: str) -> tuple[np.ndarray, int]:
    if w > MAX_PACKED_WIDTH and w != 64:
        raise CodecError(f"invalid bit width {w} for {what}")
    nbytes = (n * w + 7) >> 3
    end = pos + nbytes
    if end > len(mv):
        raise CodecError(f"truncated {what}: need {nbytes} bytes at byte {pos}, have {len(mv) - pos}")
    if w == 0:
        return np.zeros(n, np.uint64), end
    if w == 64:
        return np.frombuffer(mv, "<u8", n, pos).astype(np.uint64), end
    # Overlapping unaligned 64-bit windows, one per byte offset: each value is then one
    # gather, one shift and one mask. The last window reads 7 bytes past the stream, so
    # copy into a padded buffer only when the stream ends the blob.
    if end + 7 <= len(mv):
        words = np.ndarray((nbytes,), dtype="<u8", buffer=mv, offset=pos, strides=(1,))
    else:
        padded = np.zeros(nbytes + 7, np.uint8)
        padded[:nbytes] = np.frombuffer(mv, np.uint8, nbytes, pos)
        words = np.ndarray((nbytes,), dtype="<u8", buffer=padded, strides=(1,))
    byte, shift = _bit_offsets(n, w)
    values = words.take(byte)  # take() gathers from the unaligned view ~3x faster than []
    values >>= shift
    values &= _LOW_BITS[w]
    return values, end


def _bit_offsets(n: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Byte offset and bit shift of each of n packed w-bit values."""
    if n <= 4096:  # shapes repeat from block to block; bigger ones would bloat the cache
        return _cached_bit_offsets(n, w)
    return _compute_bit_offsets(n, w)


def _compute_bit_offsets(n: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    bitpos = np.arange(0, n * w, w, dtype=np.intp)
    byte, shift = bitpos >> 3, (bitpos & 7).astype(np.uint64)
    byte.flags.writeable = shift.flags.writeable = False  # shared by every caller
    return byte, shift


_cached_bit_offsets = functools.lru_cache(maxsize=512)(_compute_bit_offsets)


# ---------------------------------------------------------------------------------------------
# integer streams (int64, arithmetic modulo 2**64 so uint64 and int64 share one path)


def _residual_plan(r: np.ndarray) -> tuple[int, dict]:
    """Size in bytes and layout of the cheapest patched frame-of-reference coding of r.

    Values far from the median become exceptions (position + value) so one counter reset
    or spike does not widen every other value.
    """
    m = r.size
    pivot = np.partition(r, m // 2)[m // 2]
    zz = _zigzag_array(r - pivot)
    # Bit lengths via the float exponent: may overstate huge values by one bit, which only
    # nudges the width choice; the packed widths below are exact.
    bitlen = np.minimum(np.frexp(zz.astype(np.float64))[1], 64)
    n_exc = m - np.cumsum(np.bincount(bitlen, minlength=65))
    pos_w = (m - 1).bit_length()
    cost = m * _WIDTHS + n_exc * (pos_w + int(bitlen.max())) + (n_exc > 0) * 40
    exc = bitlen > int(np.argmin(cost))
    plain = _for_plan(r, m)
    if not exc.any():
        return plain
    main = r[~exc]
    size, plan = _for_plan(main, m)
    pos = np.flatnonzero(exc)
    ev = r[exc]
    lo2 = int(ev.min())
    w2 = _packed_width(int((ev - np.int64(lo2)).view(np.uint64).max()))
    size += len(_varint(pos.size)) + ((pos.size * pos_w + 7) >> 3)
    size += len(_varint(_zigzag(lo2))) + 1 + ((pos.size * w2 + 7) >> 3)
    if size >= plain[0]:  # the median-centred estimate can be a bit pessimistic
        return plain
    plan["exc"] = (pos, pos_w, ev, lo2, w2)
    return size, plan


def _for_plan(values: np.ndarray, m: int) -> tuple[int, dict]:
    """Frame of reference: m slots of (value - min) at the width of the largest one."""
    lo = int(values.min())
    w = _packed_width(int((values - np.int64(lo)).view(np.uint64).max()))
    return len(_varint(_zigzag(lo))) + 1 + ((m * w + 7) >> 3), {"lo": lo, "w": w, "exc": None}


def _encode_ints(x: np.ndarray) -> bytes:
    """Integer stream: best of raw, delta and delta-of-delta, patched frame of reference."""
    n = x.size
    best = None
    for order in range(3):
        if order > n or (order == 2 and best[1] == 0):
            break  # if deltas did not beat raw values, deltas of deltas will not either
        lead = [int(np.diff(x[: order + 1], j)[0]) for j in range(order)]
        r = np.diff(x, order) if order else x
        size = 1 + sum(len(_varint(_zigzag(v))) for v in lead)
        plan = None
        if r.size:
            extra, plan = _residual_plan(r)
            size += extra
        if best is None or size < best[0]:
            best = (size, order, lead, r, plan)
    size, order, lead, r, plan = best
    head = order | (INT_EXCEPTIONS if plan and plan["exc"] is not None else 0)
    out = [bytes([head])] + [_varint(_zigzag(v)) for v in lead]
    if plan:
        lo, w = plan["lo"], plan["w"]
        main = (r - np.int64(lo)).view(np.uint64)
        if plan["exc"] is not None:
            pos, pos_w, ev, lo2, w2 = plan["exc"]
            main = main.copy()
            main[pos] = 0
        out += [_varint(_zigzag(lo)), bytes([w]), _pack(main, w)]
        if plan["exc"] is not None:
            out += [_varint(len(pos)), _pack(pos.astype(np.uint64), pos_w)]
            out += [_varint(_zigzag(lo2)), bytes([w2])]
            out.append(_pack((ev - np.int64(lo2)).view(np.uint64), w2))
    blob = b"".join(out)
    assert len(blob) == size, (len(blob), size)
    return blob


def _decode_ints(mv: memoryview, pos: int, n: int, what: str) -> tuple[np.ndarray, int]:
    head, pos = _read_byte(mv, pos, what, "integer header")
    order = head & INT_ORDER_MASK
    if head & ~(INT_ORDER_MASK | INT_EXCEPTIONS) or order > 2:
        raise CodecError(f"invalid integer stream header 0x{head:02x} for {what}")
    if order > n:
        raise CodecError(f"delta order {order} exceeds length {n} for {what}")
    # x[:order] = leading values, x[order:] = residuals; undo the deltas in place.
    x = np.empty(n, np.int64)
    for i in range(order):
        z, pos = _read_varint(mv, pos, what, "leading value")
        x[i] = _unzigzag(z)
    m = n - order
    if m:
        z, pos = _read_varint(mv, pos, what, "base")
        w, pos = _read_byte(mv, pos, what, "bit width")
        main, pos = _unpack(mv, pos, m, w, what)
        main += np.uint64(_unzigzag(z) & _U64)  # modulo 2**64, like the encoder
        r = x[order:]
        r[:] = main.view(np.int64)
        if head & INT_EXCEPTIONS:
            pos = _patch_exceptions(mv, pos, r, what)
    elif head & INT_EXCEPTIONS:
        raise CodecError(f"exceptions in an empty residual for {what}")
    if order == 2:
        np.add.accumulate(x[1:], out=x[1:])
    if order:
        np.add.accumulate(x, out=x)
    return x, pos


def _patch_exceptions(mv: memoryview, pos: int, r: np.ndarray, what: str) -> int:
    m = r.size
    k, pos = _read_varint(mv, pos, what, "exception count")
    if not 1 <= k <= m:
        raise CodecError(f"exception count {k} outside 1..{m} for {what}")
    where, pos = _unpack(mv, pos, k, _packed_width(m - 1), what)
    if where.max() >= m:
        raise CodecError(f"exception position {int(where.max())} beyond {m - 1} for {what}")
    z, pos = _read_varint(mv, pos, what, "exception base")
    w, pos = _read_byte(mv, pos, what, "exception bit width")
    ev, pos = _unpack(mv, pos, k, w, what)
    ev += np.uint64(_unzigzag(z) & _U64)
    r[where.astype(np.intp)] = ev.view(np.int64)
    return pos


def encode_uints(values: np.ndarray) -> bytes:
    """Integer stream of non-negative integers (any unsigned or non-negative int dtype)."""
    v = np.asarray(values)
    if v.ndim != 1 or v.dtype.kind not in "ui":
        raise ValueError(f"encode_uints needs a 1-D integer array, got {v.dtype}{v.shape}")
    if v.dtype.kind == "i" and v.size and v.min() < 0:
        raise ValueError("encode_uints got a negative value")
    return _encode_ints(v.astype(np.uint64).view(np.int64))


def decode_uints(buf: bytes | memoryview, n: int) -> tuple[np.ndarray, int]:
    """(uint64[n], bytes consumed) from an integer stream at the start of buf."""
    x, pos = _decode_ints(memoryview(buf).cast("B"), 0, n, "uints")
    return x.view(np.uint64), pos


# ---------------------------------------------------------------------------------------------
# float streams


def _from_decimal(m: np.ndarray, e: int) -> np.ndarray:
    """float64 m / 10**e, computed exactly the way encoder and decoder both must."""
    v = m.astype(np.float64)
    if e > 0:
        v /= _POW10[e]  # correctly rounded: the double a parser gives for the decimal string
    elif e < 0:
        v *= _POW10[-e]  # exact: the product is an integer below 2**53
    return v


def _mantissas(v: np.ndarray, e: int) -> np.ndarray:
    with np.errstate(all="ignore"):  # inf/NaN cast to garbage ints; the ulp residual fixes them
        return np.rint(v * _POW10[e] if e else v).astype(np.int64)


def _exact_at(v: np.ndarray, bits: np.ndarray, e: int) -> np.ndarray | None:
    """The int64 mantissas of v at exponent e if they give back v's exact bits, else None."""
    m = _mantissas(v, e)
    # Comparing rebuilt bit patterns (not values) is what rejects -0.0, inf and NaN.
    return m if (_from_decimal(m, e).view(np.int64) == bits).all() else None


def _exponent_cap(v: np.ndarray) -> int:
    """Largest exponent keeping every finite |v| * 10**e below 2**53 (-1: none does)."""
    with np.errstate(all="ignore"):
        amax = float(np.max(np.abs(v), where=np.isfinite(v), initial=0.0))
    if amax == 0.0:
        return 0
    # Subtract logarithms: 2**53 / 5e-324 overflows to inf.
    return min(MAX_DECIMAL_EXPONENT, int(np.floor(np.log10(_EXACT_INT) - np.log10(amax))))


def _bisect(ok, lo: int, hi: int):
    """Smallest e in (lo, hi] with ok(e) not None, given ok(hi) is not None."""
    best = ok(hi)
    if best is None:
        return None
    while hi - lo > 1:
        mid = (lo + hi) // 2
        got = ok(mid)
        if got is None:
            lo = mid
        else:
            hi, best = mid, got
    return hi, best


def _decimal_exact(v: np.ndarray) -> tuple[int, np.ndarray] | None:
    """(e, m) with v == m / 10**e bit for bit and the smallest such e, or None.

    Exactness is monotonic in e until mantissas pass 2**53, so e is found by bisection.
    Whole numbers with common trailing zeros get a negative e: smaller mantissas and deltas.
    """
    bits = v.view(np.int64)
    m = _exact_at(v, bits, 0)
    if m is not None:
        return _scale_down(bits, m)
    cap = _exponent_cap(v)
    return _bisect(lambda e: _exact_at(v, bits, e), 0, cap) if cap >= 1 else None


def _scale_down(bits: np.ndarray, m: np.ndarray) -> tuple[int, np.ndarray]:
    k = 0
    if m.any():
        while k < MAX_SCALE_DOWN and not (m % 10).any():
            m = m // 10
            k += 1
    while k and not (_from_decimal(m, -k).view(np.int64) == bits).all():  # never expected
        m, k = m * 10, k - 1
    return -k, m


def _decimal_ulps(v: np.ndarray) -> tuple[int, np.ndarray, np.ndarray] | None:
    """(e, m, ulps): v's bits == bits(m / 10**e) + ulps, with most ulps tiny, or None.

    Sums and sums of squares of short decimals land a few ulps off the decimal they
    approximate; storing the decimal plus that ulp distance beats raw bit patterns.
    Lossless whatever the data: the residual is taken modulo 2**64.
    """
    bits = v.view(np.int64)

    def ulps_at(e: int) -> tuple[np.ndarray, np.ndarray] | None:
        m = _mantissas(v, e)
        ulps = bits - _from_decimal(m, e).view(np.int64)
        near = np.count_nonzero((ulps + ULP_SLACK).view(np.uint64) <= 2 * ULP_SLACK)
        return (m, ulps) if near >= 0.9 * v.size else None

    cap = _exponent_cap(v)
    if cap < 0:
        return None
    found = _bisect(ulps_at, -1, cap)
    if found is None:
        return None
    e, (m, ulps) = found
    return e, m, ulps


def _xor_bitshuffle(v: np.ndarray) -> bytes:
    """XOR each value's bits with the previous value's, then transpose into 64 bit planes.

    Neighbours share sign, exponent and leading mantissa bits, so high planes are zero and
    dropped (a 64-bit mask says which are kept); repeating mantissa patterns in the others
    are left to lz4. Bit planes beat byte planes by 0.1-3.5 bytes/point on the corpus.
    """
    bits = v.view(np.uint64)
    x = bits.copy()
    x[1:] ^= bits[:-1]
    planes = np.unpackbits(x.astype("<u8").view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
    planes = np.ascontiguousarray(planes.T)  # [64, n]: row j = bit j of every value
    keep = planes.any(axis=1)
    mask = int(np.packbits(keep, bitorder="little").view("<u8")[0])
    stored = np.packbits(planes[keep], axis=1, bitorder="little")
    return mask.to_bytes(8, "little") + stored.tobytes()


def _unxor_bitshuffle(mv: memoryview, pos: int, n: int, what: str) -> tuple[np.ndarray, int]:
    if pos + 8 > len(mv):
        raise CodecError(f"truncated {what}: missing the bit-plane mask at byte {pos}")
    keep = np.unpackbits(np.frombuffer(mv, np.uint8, 8, pos), bitorder="little").view(bool)
    pos += 8
    row = (n + 7) >> 3
    stored = int(keep.sum())
    size = stored * row
    if pos + size > len(mv):
        raise CodecError(f"truncated {what}: need {size} bytes of bit planes at byte {pos}, have {len(mv) - pos}")
    planes = np.zeros((64, row), np.uint8)
    planes[keep] = np.frombuffer(mv, np.uint8, size, pos).reshape(stored, row)
    bits = np.unpackbits(planes, axis=1, count=n, bitorder="little")
    x = np.packbits(np.ascontiguousarray(bits.T), axis=1, bitorder="little").view("<u8").ravel()
    np.bitwise_xor.accumulate(x, out=x)
    return x.astype(np.uint64, copy=False).view(np.float64), pos + size


def _lz4_size(blob: bytes) -> int:
    return min(len(blob), len(lz4.block.compress(blob, store_size=False)))


def encode_floats(values: np.ndarray) -> bytes:
    """Float stream: exact decimal, decimal + ulp residual, or XOR bit planes; the smallest."""
    v = np.ascontiguousarray(values, dtype=np.float64)
    if v.ndim != 1:
        raise ValueError(f"encode_floats needs a 1-D array, got shape {v.shape}")
    if v.size == 0:
        return bytes([FLOAT_DECIMAL, 0]) + _encode_ints(np.empty(0, np.int64))
    candidates = []
    exact = _decimal_exact(v)
    if exact is not None:
        e, m = exact
        blob = bytes([FLOAT_DECIMAL, e & 0xFF]) + _encode_ints(m)
        if len(blob) <= 4 * v.size:  # short decimals: nothing else comes close
            return blob
        candidates.append((len(blob), blob))
    # Long exact decimals (69.11999999999999 is exact at e=14) are often a short decimal
    # plus an ulp or two, which the residual form stores far more cheaply.
    approx = _decimal_ulps(v)
    if approx is not None:
        e, m, ulps = approx
        blob = bytes([FLOAT_DECIMAL_ULPS, e]) + _encode_ints(m) + _encode_ints(ulps)
        candidates.append((len(blob), blob))
    xor = bytes([FLOAT_XOR]) + _xor_bitshuffle(v)
    # XOR planes still hold repeats lz4 removes; decimal streams are already dense.
    candidates.append((_lz4_size(xor), xor))
    return min(candidates, key=lambda c: c[0])[1]


def decode_floats(buf: bytes | memoryview, n: int) -> tuple[np.ndarray, int]:
    """(float64[n], bytes consumed) from a float stream at the start of buf."""
    return _decode_floats(memoryview(buf).cast("B"), 0, n, "floats")


def _decode_floats(mv: memoryview, pos: int, n: int, what: str) -> tuple[np.ndarray, int]:
    method, pos = _read_byte(mv, pos, what, "float method")
    if method == FLOAT_XOR:
        return _unxor_bitshuffle(mv, pos, n, what)
    if method not in (FLOAT_DECIMAL, FLOAT_DECIMAL_ULPS):
        raise CodecError(f"unknown float method {method} for {what}")
    e, pos = _read_byte(mv, pos, what, "decimal exponent")
    e = e - 256 if e > 127 else e
    if not -MAX_SCALE_DOWN <= e <= MAX_DECIMAL_EXPONENT:
        raise CodecError(f"decimal exponent {e} outside -{MAX_SCALE_DOWN}..{MAX_DECIMAL_EXPONENT} for {what}")
    m, pos = _decode_ints(mv, pos, n, what)
    v = _from_decimal(m, e)
    if method == FLOAT_DECIMAL_ULPS:
        ulps, pos = _decode_ints(mv, pos, n, f"{what} ulp residuals")
        v.view(np.int64)[:] += ulps
    return v, pos


# ---------------------------------------------------------------------------------------------
# blocks


def _presence(present: np.ndarray) -> tuple[int, bytes]:
    """The cheapest of: nothing (all present), a bitmap, the present or the absent indices."""
    if present.all():
        return PRESENCE_ALL, b""
    options = [(PRESENCE_BITMAP, np.packbits(present, bitorder="little").tobytes())]
    for kind, mask in ((PRESENCE_INDICES, present), (PRESENCE_ABSENT, ~present)):
        idx = np.flatnonzero(mask)
        if idx.size * 2 < present.size:  # listing the majority never beats the bitmap
            options.append((kind, _varint(idx.size) + _encode_ints(idx.astype(np.int64))))
    return min(options, key=lambda o: len(o[1]))


def encode_block(
    count: np.ndarray,
    last: np.ndarray,
    sum_: np.ndarray,
    min_: np.ndarray,
    max_: np.ndarray,
    sumsq: np.ndarray,
    slot: np.ndarray | None = None,
) -> bytes:
    """Blob for one series' block; b"" when no bucket has a point.

    `slot` (rollup levels: raw-step offset of each bucket's last) is stored as a trailing
    integer stream over the present buckets, and only when one of them is non-zero.
    """
    count = np.asarray(count)
    cols = [np.asarray(c, dtype=np.float64) for c in (last, sum_, min_, max_, sumsq)]
    if count.ndim != 1 or count.dtype.kind not in "ui":
        raise ValueError(f"count must be a 1-D integer array, got {count.dtype}{count.shape}")
    if any(c.shape != count.shape for c in cols):
        raise ValueError(f"all columns must have count's shape {count.shape}")
    if count.size and (count.min() < 0 or count.max() > 0xFFFFFFFF):
        raise ValueError("count values must fit uint32")
    present = count > 0
    if not present.any():
        return b""
    kind, presence = _presence(present)
    pc = count[present]
    multi = pc >= 2
    parts = [presence]
    flags = kind << PRESENCE_SHIFT
    if multi.any():
        flags |= FLAG_COUNTS
        parts.append(encode_uints(pc))
    parts.append(encode_floats(cols[0][present]))
    if flags & FLAG_COUNTS:
        for c in cols[1:]:
            parts.append(encode_floats(c[present][multi]))
    if slot is not None:
        ps = np.asarray(slot)[present]
        if ps.any():
            parts.append(encode_uints(ps.astype(np.uint64)))
    body = b"".join(parts)
    packed = lz4.block.compress(body, store_size=False, mode="high_compression")
    framed = _varint(len(body)) + packed
    if len(framed) < len(body):
        return bytes([VERSION << 4 | flags | FLAG_LZ4]) + framed
    return bytes([VERSION << 4 | flags]) + body


def _max_body(buckets: int) -> int:
    # presence + counts + six columns at 8 bytes + per-stream headers, generously rounded up
    return 64 * buckets + 1024


def decode_block(blob: bytes | memoryview, buckets: int, with_slot: bool = False) -> tuple[np.ndarray, ...]:
    """(count uint32, last, sum, min, max, sumsq float64), each of length `buckets`.

    With `with_slot`, a seventh array (int64) gives each bucket's slot (0 when not stored).
    """
    if buckets < 1:
        raise ValueError(f"buckets must be >= 1, got {buckets}")
    mv = memoryview(blob).cast("B")
    if len(mv) == 0:
        nan = np.full(buckets, np.nan)
        empty = (np.zeros(buckets, np.uint32), nan, nan.copy(), nan.copy(), nan.copy(), nan.copy())
        return empty + (np.zeros(buckets, np.int64),) if with_slot else empty
    head = mv[0]
    if head >> 4 != VERSION:
        raise CodecError(f"unknown block format version {head >> 4} (expected {VERSION})")
    kind = (head & PRESENCE_MASK) >> PRESENCE_SHIFT
    if head & FLAG_LZ4:
        mv = _decompress(mv, buckets)
        pos = 0
    else:
        pos = 1
    present_idx, pos = _read_presence(mv, pos, kind, buckets)
    n = buckets if present_idx is None else present_idx.size
    if head & FLAG_COUNTS:
        pc, pos = _decode_ints(mv, pos, n, "count column")
        if not ((pc >= 1) & (pc <= 0xFFFFFFFF)).all():
            raise CodecError("count column holds a count outside 1..2**32-1")
        if not (pc >= 2).any():
            raise CodecError("count column stored but no bucket has count >= 2")
        pc = pc.astype(np.uint32)
    else:
        pc = None
    vals, pos = _decode_floats(mv, pos, n, "last column")
    count = np.zeros(buckets, np.uint32)
    if present_idx is None:
        last = vals
        count[:] = 1 if pc is None else pc
    else:
        last = np.full(buckets, np.nan)
        last[present_idx] = vals
        count[present_idx] = 1 if pc is None else pc
    # |last| > 1.3e154 squares to inf (as at ingest); a signalling NaN sets "invalid".
    with np.errstate(over="ignore", invalid="ignore"):
        out = [last.copy(), last.copy(), last.copy(), last * last]
    if pc is not None:
        multi = np.flatnonzero(pc >= 2)
        where = multi if present_idx is None else present_idx[multi]
        for i, name in enumerate(("sum", "min", "max", "sumsq")):
            col, pos = _decode_floats(mv, pos, multi.size, f"{name} column")
            out[i][where] = col
    slot = np.zeros(buckets, np.int64)
    if pos != len(mv):
        ps, pos = _decode_ints(mv, pos, n, "slot column")
        if pos != len(mv):
            raise CodecError(f"{len(mv) - pos} trailing bytes after the slot column")
        slot[slice(None) if present_idx is None else present_idx] = ps.astype(np.int64)
    if with_slot:
        return (count, last, *out, slot)
    return (count, last, *out)


def _decompress(mv: memoryview, buckets: int) -> memoryview:
    size, pos = _read_varint(mv, 1, "blob", "uncompressed size")
    if size > _max_body(buckets):
        raise CodecError(f"uncompressed size {size} too large for {buckets} buckets")
    try:
        body = lz4.block.decompress(mv[pos:], uncompressed_size=size)
    except lz4.block.LZ4BlockError as exc:
        raise CodecError(f"lz4 payload is corrupt or truncated: {exc}") from None
    if len(body) != size:
        raise CodecError(f"lz4 payload gives {len(body)} bytes, header says {size}")
    return memoryview(body)


def _read_presence(
    mv: memoryview, pos: int, kind: int, buckets: int
) -> tuple[np.ndarray | None, int]:
    """Indices of present buckets (None = all present) and the position after them."""
    if kind == PRESENCE_ALL:
        return None, pos
    if kind == PRESENCE_BITMAP:
        nbytes = (buckets + 7) >> 3
        if pos + nbytes > len(mv):
            raise CodecError(f"truncated presence bitmap: need {nbytes} bytes at byte {pos}")
        bits = np.unpackbits(np.frombuffer(mv, np.uint8, nbytes, pos), bitorder="little")
        if bits[buckets:].any():
            raise CodecError(f"presence bitmap marks buckets beyond {buckets}")
        idx = np.flatnonzero(bits)
        pos += nbytes
    elif kind == PRESENCE_INDICES:
        idx, pos = _read_indices(mv, pos, buckets, "present")
    elif kind == PRESENCE_ABSENT:
        absent, pos = _read_indices(mv, pos, buckets, "absent")
        mask = np.ones(buckets, bool)
        mask[absent] = False
        idx = np.flatnonzero(mask)
    else:
        raise CodecError(f"unknown presence kind {kind}")
    if idx.size == 0:
        raise CodecError("non-empty blob with no present bucket")
    return idx, pos


def _read_indices(mv: memoryview, pos: int, buckets: int, what: str) -> tuple[np.ndarray, int]:
    k, pos = _read_varint(mv, pos, f"{what} bucket list", "count")
    if k > buckets:
        raise CodecError(f"{k} {what} buckets in a block of {buckets}")
    idx, pos = _decode_ints(mv, pos, k, f"{what} bucket indices")
    if k and (idx[0] < 0 or idx[-1] >= buckets or (k > 1 and not (idx[1:] > idx[:-1]).all())):
        raise CodecError(f"{what} bucket indices not increasing within 0..{buckets - 1}")
    return idx, pos
