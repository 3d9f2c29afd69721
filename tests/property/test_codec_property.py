"""Property tests for tsdb.codec: every input round-trips bit for bit; bad bytes only ever
raise CodecError."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tsdb.codec import (
    CodecError,
    decode_block,
    decode_floats,
    decode_uints,
    encode_block,
    encode_floats,
    encode_uints,
)

SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Any float64 but NaN: +/-inf, -0.0, subnormals and the extremes included.
any_float = st.floats(allow_nan=False, allow_infinity=True, allow_subnormal=True, width=64)


@st.composite
def decimal_like(draw, n):
    """Values with a few decimals (the common case), sometimes with one odd value mixed in."""
    digits = draw(st.integers(0, 6))
    ints = draw(hnp.arrays(np.int64, n, elements=st.integers(-(10**9), 10**9)))
    values = ints / 10.0**digits
    if n and draw(st.booleans()):
        values[draw(st.integers(0, n - 1))] = draw(any_float)
    return values


@st.composite
def float_arrays(draw, max_size=300):
    n = draw(st.integers(0, max_size))
    return draw(
        st.one_of(
            hnp.arrays(np.float64, n, elements=any_float),
            decimal_like(n),
            # accumulated sums: a few ulps away from short decimals
            decimal_like(n).map(lambda a: np.cumsum(a) if a.size else a),
        )
    )


def same_bits(a, b):
    return np.array_equal(np.asarray(a).view(np.int64), np.asarray(b).view(np.int64))


@SETTINGS
@given(float_arrays())
def test_floats_round_trip_bit_for_bit(values):
    blob = encode_floats(values)
    got, used = decode_floats(blob, values.size)
    assert used == len(blob)
    assert same_bits(got, values)


@SETTINGS
@given(
    st.one_of(
        hnp.arrays(np.uint64, st.integers(0, 300)),
        hnp.arrays(np.uint32, st.integers(0, 300)),
        hnp.arrays(np.uint64, st.integers(0, 300), elements=st.integers(0, 2**64 - 1)),
        st.lists(st.integers(0, 2**20), max_size=300).map(lambda v: np.cumsum(np.array(v, np.uint64))),
    )
)
def test_uints_round_trip(values):
    blob = encode_uints(values)
    got, used = decode_uints(blob, values.size)
    assert used == len(blob)
    np.testing.assert_array_equal(got, values.astype(np.uint64))


count_value = st.one_of(st.just(0), st.just(1), st.integers(0, 3), st.integers(0, 2**32 - 1))


@st.composite
def blocks(draw):
    b = draw(st.integers(1, 300))
    count = draw(hnp.arrays(np.uint32, b, elements=count_value))
    cols = [draw(st.one_of(hnp.arrays(np.float64, b, elements=any_float), decimal_like(b))) for _ in range(5)]
    return count, cols


@SETTINGS
@given(blocks())
def test_blocks_round_trip_with_implied_and_empty_cells(block):
    count, cols = block
    blob = encode_block(count, *cols)
    got = decode_block(blob, count.size)
    np.testing.assert_array_equal(got[0], count)
    assert got[0].dtype == np.uint32
    empty, single, multi = count == 0, count == 1, count >= 2
    last = cols[0]
    with np.errstate(over="ignore"):
        implied = [last, last, last, last, last * last]
    for got_col, stored, implied_col in zip(got[1:], cols, implied):
        assert got_col.dtype == np.float64 and got_col.shape == count.shape
        assert np.isnan(got_col[empty]).all()
        assert same_bits(got_col[multi], stored[multi])
        assert same_bits(got_col[single], implied_col[single])
    assert (blob == b"") == (not count.any())


@SETTINGS
@given(blocks(), st.data())
def test_damaged_blobs_decode_or_raise_codec_error_only(block, data):
    count, cols = block
    blob = bytearray(encode_block(count, *cols))
    if not blob:
        return
    damage = data.draw(st.sampled_from(["truncate", "flip", "insert"]))
    at = data.draw(st.integers(0, len(blob) - 1))
    if damage == "truncate":
        blob = blob[:at]
    elif damage == "flip":
        blob[at] ^= data.draw(st.integers(1, 255))
    else:
        blob[at:at] = data.draw(st.binary(min_size=1, max_size=8))
    try:
        decode_block(bytes(blob), count.size)
    except CodecError:
        pass
