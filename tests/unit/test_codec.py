"""Unit tests for tsdb.codec: each encoding path, the block layout rules, and corrupt input."""

import numpy as np
import pytest

from tsdb import codec
from tsdb.codec import (
    CodecError,
    decode_block,
    decode_floats,
    decode_uints,
    encode_block,
    encode_floats,
    encode_uints,
)

B = 720


def bits(a):
    return np.asarray(a, np.float64).view(np.int64)


def assert_same_floats(got, want):
    """Bit-for-bit equality (distinguishes -0.0 from 0.0, keeps NaN payloads)."""
    np.testing.assert_array_equal(bits(got), bits(want))


def raw_block(values):
    """Block columns for raw data: count 1 where a value exists (NaN = missing)."""
    values = np.asarray(values, np.float64)
    count = (~np.isnan(values)).astype(np.uint32)
    with np.errstate(over="ignore"):
        return count, values, values, values, values, values * values


def header(blob):
    return blob[0] >> 4, blob[0] & 0x0F


def float_round_trip(values):
    values = np.asarray(values, np.float64)
    blob = encode_floats(values)
    got, used = decode_floats(blob, values.size)
    assert used == len(blob)
    assert_same_floats(got, values)
    return blob


def uint_round_trip(values):
    blob = encode_uints(values)
    got, used = decode_uints(blob, len(values))
    assert used == len(blob)
    assert got.dtype == np.uint64
    np.testing.assert_array_equal(got, np.asarray(values, np.uint64))
    return blob


# --- empty and implied cells -------------------------------------------------------------------


def test_all_empty_block_encodes_to_no_bytes():
    nan = np.full(B, np.nan)
    assert encode_block(np.zeros(B, np.uint32), nan, nan, nan, nan, nan) == b""


def test_empty_blob_decodes_to_all_empty_block():
    count, *floats = decode_block(b"", B)
    assert count.dtype == np.uint32 and not count.any()
    for col in floats:
        assert col.shape == (B,) and np.isnan(col).all()


def test_count_one_cells_store_only_last():
    values = np.arange(B) * 0.5
    count = np.ones(B, np.uint32)
    garbage = np.full(B, 123.456)
    blob = encode_block(count, values, garbage, garbage, garbage, garbage)
    assert blob == encode_block(count, values, values, values, values, values * values)
    assert not blob[0] & codec.FLAG_COUNTS
    assert len(blob) == 1 + len(encode_floats(values))


def test_count_one_cells_decode_with_implied_aggregates():
    values = np.linspace(-3.0, 3.0, B)
    count, last, sum_, min_, max_, sumsq = decode_block(encode_block(*raw_block(values)), B)
    assert (count == 1).all()
    for col in (last, sum_, min_, max_):
        assert_same_floats(col, values)
    assert_same_floats(sumsq, values * values)


def test_empty_cells_decode_as_nan_in_every_float_column():
    values = np.where(np.arange(B) % 3 == 0, np.nan, 1.25)
    count, *floats = decode_block(encode_block(*raw_block(values)), B)
    empty = np.isnan(values)
    assert (count[empty] == 0).all() and (count[~empty] == 1).all()
    for col in floats:
        assert np.isnan(col[empty]).all() and not np.isnan(col[~empty]).any()


def test_multi_value_cells_round_trip_every_column():
    rng = np.random.default_rng(1)
    count = rng.choice([0, 1, 2, 6, 60], B).astype(np.uint32)
    cols = [np.round(rng.normal(50, 10, B), 2) for _ in range(5)]
    out = decode_block(encode_block(count, *cols), B)
    np.testing.assert_array_equal(out[0], count)
    multi, single = count >= 2, count == 1
    for got, want in zip(out[1:], cols):
        assert_same_floats(got[multi], want[multi])
    for got in out[1:5]:
        assert_same_floats(got[single], cols[0][single])
    assert_same_floats(out[5][single], cols[0][single] ** 2)


def test_multi_value_cells_only_store_their_own_aggregates():
    count = np.ones(B, np.uint32)
    count[10] = 5
    values = np.arange(B, dtype=np.float64)
    blob = encode_block(count, values, values, values, values, values)
    noisy = np.where(count >= 2, values, np.random.default_rng(0).random(B))
    assert blob == encode_block(count, values, noisy, noisy, noisy, noisy)


# --- presence ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "present, kind",
    [
        (np.ones(B, bool), codec.PRESENCE_ALL),
        (np.arange(B) % 2 == 0, codec.PRESENCE_BITMAP),
        (np.isin(np.arange(B), [5, 6, 7, 400]), codec.PRESENCE_INDICES),
        (~np.isin(np.arange(B), [5, 300, 301]), codec.PRESENCE_ABSENT),
    ],
    ids=["all", "bitmap", "present-list", "absent-list"],
)
def test_presence_uses_the_cheapest_form_and_round_trips(present, kind):
    values = np.where(present, 7.0, np.nan)
    blob = encode_block(*raw_block(values))
    assert (blob[0] & codec.PRESENCE_MASK) >> codec.PRESENCE_SHIFT == kind
    count = decode_block(blob, B)[0]
    np.testing.assert_array_equal(count, present.astype(np.uint32))


def test_single_bucket_blocks_round_trip():
    for value in (0.0, -0.0, 1e300, 5e-324):
        out = decode_block(encode_block(*raw_block([value])), 1)
        assert_same_floats(out[1], [value])


# --- float streams -----------------------------------------------------------------------------


def test_short_decimals_use_the_decimal_path_with_the_smallest_exponent():
    blob = float_round_trip([12.5, 0.25, 99.75, 3.125, -7.0])
    assert blob[0] == codec.FLOAT_DECIMAL and blob[1] == 3


def test_whole_numbers_with_trailing_zeros_get_a_negative_exponent():
    blob = float_round_trip([1000.0, 25000.0, 3000.0, -7000.0])
    assert blob[0] == codec.FLOAT_DECIMAL and blob[1] == (-3) & 0xFF


def test_constant_series_costs_a_few_bytes():
    blob = float_round_trip(np.full(B, 42.17))
    assert len(blob) <= 8


def test_constant_rate_series_packs_at_width_zero():
    blob = float_round_trip(1000.0 + 0.5 * np.arange(B))
    assert len(blob) <= 12


def test_sums_a_few_ulps_off_a_decimal_use_the_ulp_path():
    rng = np.random.default_rng(2)
    parts = np.round(rng.uniform(0, 100, (B, 6)), 2)
    sums = np.zeros(B)
    for j in range(6):  # accumulated in order, as ingestion does
        sums += parts[:, j]
    blob = float_round_trip(sums)
    assert blob[0] == codec.FLOAT_DECIMAL_ULPS
    assert len(blob) < 4 * B


def test_full_precision_doubles_use_the_xor_path():
    values = np.random.default_rng(3).random(B) * 1000
    blob = float_round_trip(values)
    assert blob[0] == codec.FLOAT_XOR


@pytest.mark.parametrize(
    "special",
    [-0.0, np.inf, -np.inf, 5e-324, 2.2250738585072014e-308, -1e-310, np.finfo(float).max],
    ids=["neg-zero", "inf", "-inf", "min-subnormal", "min-normal", "neg-subnormal", "max"],
)
def test_special_values_round_trip_bit_for_bit(special):
    values = np.round(np.linspace(0, 10, 50), 1)
    values[17] = special
    float_round_trip(values)


def test_negative_zero_is_not_folded_into_positive_zero():
    blob = float_round_trip([0.0, -0.0, 1.0, -0.0])
    decoded, _ = decode_floats(blob, 4)
    assert np.signbit(decoded[1]) and not np.signbit(decoded[0])


def test_nan_in_a_present_cell_round_trips_with_its_payload():
    odd_nan = np.array([0x7FF8DEADBEEF0001], np.int64).view(np.float64)[0]
    float_round_trip([1.5, np.nan, odd_nan, 2.5])


def test_empty_float_stream_round_trips():
    float_round_trip(np.empty(0))


def test_float_streams_report_bytes_consumed_so_they_can_be_chained():
    a, b = np.array([1.5, 2.5, 3.5]), np.random.default_rng(4).random(9)
    buf = encode_floats(a) + encode_floats(b) + b"tail"
    got_a, used_a = decode_floats(buf, 3)
    got_b, used_b = decode_floats(memoryview(buf)[used_a:], 9)
    assert_same_floats(got_a, a)
    assert_same_floats(got_b, b)
    assert buf[used_a + used_b :] == b"tail"


# --- integer streams ---------------------------------------------------------------------------


def int_order(blob):
    return blob[0] & codec.INT_ORDER_MASK


def test_uint_noise_is_packed_raw():
    blob = uint_round_trip(np.random.default_rng(5).integers(0, 1000, B))
    assert int_order(blob) == 0 and len(blob) <= B * 10 // 8 + 8


def test_constant_rate_counter_is_delta_coded_at_width_zero():
    blob = uint_round_trip(10**12 + 300 * np.arange(B, dtype=np.uint64))
    assert int_order(blob) == 1 and len(blob) <= 16


def test_quadratic_series_is_delta_of_delta_coded():
    n = np.arange(B, dtype=np.uint64)
    blob = uint_round_trip(5 + 3 * n * n)
    assert int_order(blob) == 2 and len(blob) <= 16


def test_counter_reset_becomes_an_exception_not_a_wider_width():
    rng = np.random.default_rng(6)
    counter = np.cumsum(rng.integers(90, 110, B)).astype(np.uint64) + 2**40
    counter[400:] -= counter[399]
    blob = uint_round_trip(counter)
    assert blob[0] & codec.INT_EXCEPTIONS
    assert len(blob) < B * 6 // 8 + 40  # ~5 bits per delta, not ~41


def test_uint64_extremes_round_trip():
    uint_round_trip(np.array([0, 2**64 - 1, 1, 2**63, 2**63 - 1, 0], np.uint64))


def test_wide_values_take_the_64_bit_width():
    values = np.random.default_rng(7).integers(0, 2**63, 50, dtype=np.uint64) * np.uint64(2)
    uint_round_trip(values)


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_very_short_uint_streams_round_trip(n):
    uint_round_trip(np.arange(7, 7 + n, dtype=np.uint32))


def test_encode_uints_rejects_negative_values():
    with pytest.raises(ValueError, match="negative"):
        encode_uints(np.array([1, -1]))


# --- compression -------------------------------------------------------------------------------


def test_lz4_is_used_when_it_shrinks_the_blob():
    values = np.tile(np.random.default_rng(8).random(8), B // 8)  # repeats lz4 can find
    blob = encode_block(*raw_block(values))
    assert blob[0] & codec.FLAG_LZ4
    assert_same_floats(decode_block(blob, B)[1], values)


def test_lz4_is_skipped_when_it_does_not_help():
    values = np.round(np.random.default_rng(9).uniform(0, 100, B), 2)
    blob = encode_block(*raw_block(values))
    assert not blob[0] & codec.FLAG_LZ4


def test_mixed_corpus_stays_under_three_bytes_per_point():
    from benchmarks.codec_corpus import corpus

    size = points = 0
    for kind in ("noisy_gauge", "integer_gauge", "counter", "sparse", "constant"):
        for row in corpus(kind, 8, B, seed=11):
            size += len(encode_block(*raw_block(row)))
            points += int((~np.isnan(row)).sum())
    assert size / points <= 3.0


# --- corrupt and truncated input ---------------------------------------------------------------


def sample_blobs():
    rng = np.random.default_rng(10)
    gauge = np.round(rng.normal(100, 5, B), 2)
    gauge[rng.random(B) < 0.3] = np.nan
    count = rng.choice([0, 1, 2, 6], B).astype(np.uint32)
    cols = [np.round(rng.normal(50, 10, B), 2) for _ in range(5)]
    cols[1] = np.cumsum(np.full(B, 0.1))  # ulp path
    cols[4] = rng.random(B)  # xor path
    return {
        "raw": encode_block(*raw_block(gauge)),
        "multi": encode_block(count, *cols),
        "lz4": encode_block(*raw_block(np.tile(rng.random(8), B // 8))),
    }


@pytest.mark.parametrize("name", ["raw", "multi", "lz4"])
def test_every_truncation_raises_codec_error(name):
    blob = sample_blobs()[name]
    for cut in range(1, len(blob)):
        with pytest.raises(CodecError):
            decode_block(blob[:cut], B)


@pytest.mark.parametrize("name", ["raw", "multi", "lz4"])
def test_trailing_bytes_raise_codec_error(name):
    blob = sample_blobs()[name]
    with pytest.raises(CodecError):
        decode_block(blob + b"\x00", B)


def test_truncated_column_names_the_column():
    blob = sample_blobs()["raw"]
    assert not blob[0] & codec.FLAG_LZ4
    with pytest.raises(CodecError, match=r"^truncated last column: need \d+ bytes at byte \d+, have \d+$"):
        decode_block(blob[:-5], B)


def test_unknown_version_is_refused():
    blob = bytearray(sample_blobs()["raw"])
    blob[0] = (2 << 4) | (blob[0] & 0x0F)
    with pytest.raises(CodecError, match=r"unknown block format version 2 \(expected 1\)"):
        decode_block(bytes(blob), B)


def test_corrupt_lz4_payload_raises_codec_error():
    blob = bytearray(sample_blobs()["lz4"])
    blob[3:] = b"\xff" * (len(blob) - 3)
    with pytest.raises(CodecError, match="lz4 payload is corrupt"):
        decode_block(bytes(blob), B)


def test_oversized_uncompressed_length_is_refused_before_allocating():
    blob = bytes([1 << 4 | codec.FLAG_LZ4]) + codec._varint(10**12) + b"\x00" * 8
    with pytest.raises(CodecError, match="uncompressed size 1000000000000 too large for 720 buckets"):
        decode_block(blob, B)


def test_bitmap_marking_buckets_past_the_block_is_refused():
    values = np.where(np.arange(10) % 2 == 0, 1.0, np.nan)
    blob = bytearray(encode_block(*raw_block(values)))
    assert (blob[0] & codec.PRESENCE_MASK) >> codec.PRESENCE_SHIFT == codec.PRESENCE_BITMAP
    blob[2] |= 0x80  # bit 15: bucket 15 of a 10-bucket block
    with pytest.raises(CodecError, match="presence bitmap marks buckets beyond 10"):
        decode_block(bytes(blob), 10)


def test_invalid_bit_width_is_refused():
    blob = bytes([0, 0, 60])  # order 0, base 0, width 60
    with pytest.raises(CodecError, match="invalid bit width 60 for uints"):
        decode_uints(blob + b"\x00" * 64, 4)


def test_unknown_float_method_is_refused():
    with pytest.raises(CodecError, match="unknown float method 9"):
        decode_floats(b"\x09\x00", 1)


def test_overlong_varint_is_refused():
    with pytest.raises(CodecError, match="varint longer than 10 bytes"):
        decode_uints(b"\x01" + b"\xff" * 12, 2)


def test_exception_position_out_of_range_is_refused():
    # order 0 + exceptions, base 0, width 1, five 1-bit slots, 1 exception at (3-bit) slot 7
    blob = bytes([codec.INT_EXCEPTIONS, 0, 1, 0, 1, 7, 0, 0])
    with pytest.raises(CodecError, match="exception position 7 beyond 4 for uints"):
        decode_uints(blob, 5)


def test_decode_rejects_a_non_positive_bucket_count():
    with pytest.raises(ValueError, match="buckets must be >= 1"):
        decode_block(b"", 0)


def test_encode_rejects_mismatched_column_shapes():
    with pytest.raises(ValueError, match="shape"):
        encode_block(np.ones(3, np.uint32), np.ones(3), np.ones(3), np.ones(3), np.ones(2), np.ones(3))


def test_encode_rejects_negative_counts():
    ones = np.ones(3)
    with pytest.raises(ValueError, match="uint32"):
        encode_block(np.array([1, -1, 0]), ones, ones, ones, ones, ones)
