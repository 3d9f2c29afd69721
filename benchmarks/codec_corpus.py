"""Synthetic metric corpus for the block codec, and its bytes-per-point report.

Each kind imitates a family of series Graphite users send, so codec changes can be judged on
size and speed with one command:

    python -m benchmarks.codec_corpus [--series N] [--buckets B] [--seed S]

`corpus()` returns float64[n_series, buckets] with NaN for a missing point; the report encodes
each row as a raw block (count = 1 where a point exists) and prints bytes per stored point and
the encode/decode time per block.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

KINDS = ("noisy_gauge", "integer_gauge", "counter", "sparse", "constant", "random_double")


def corpus(kind: str, n_series: int, buckets: int, seed: int) -> np.ndarray:
    """float64[n_series, buckets] of one kind of series; NaN marks a missing point."""
    make = _MAKERS.get(kind)
    if make is None:
        raise ValueError(f"unknown corpus kind {kind!r}; expected one of {', '.join(KINDS)}")
    rng = np.random.default_rng([seed, KINDS.index(kind)])
    return make(rng, n_series, buckets)


def _drop(rng: np.random.Generator, values: np.ndarray, rate: float) -> np.ndarray:
    """values with a fraction `rate` of points missing (lost UDP packets, late collectors)."""
    values[rng.random(values.shape) < rate] = np.nan
    return values


def _noisy_gauge(rng, n, b):
    # cpu %, load, latency ms: a slow random walk plus noise, printed with 2 or 3 decimals
    level = rng.uniform(0.5, 500.0, (n, 1))
    walk = np.cumsum(rng.normal(0.0, 0.01, (n, b)), axis=1)
    noise = rng.normal(0.0, 0.03, (n, b))
    values = np.abs(level * (1.0 + walk + noise))
    decimals = rng.choice([2, 3], (n, 1))
    values = np.where(decimals == 2, np.round(values, 2), np.round(values, 3))
    return _drop(rng, values, 0.01)


def _integer_gauge(rng, n, b):
    # connections, queue depth, processes: small integers moving by a few units
    level = rng.integers(0, 2000, (n, 1))
    steps = rng.integers(-3, 4, (n, b))
    values = np.abs(level + np.cumsum(steps, axis=1)).astype(np.float64)
    return _drop(rng, values, 0.01)


def _counter(rng, n, b):
    # packets / bytes / requests counters: Poisson increments, a reset now and then
    rate = 10.0 ** rng.uniform(0, 6, (n, 1))
    inc = rng.poisson(rate * rng.uniform(0.8, 1.2, (n, b))).astype(np.float64)
    start = rng.integers(0, 2**40, (n, 1)).astype(np.float64)
    values = start + np.cumsum(inc, axis=1)
    for row in np.flatnonzero(rng.random(n) < 0.2):  # a process restart in ~20% of blocks
        at = rng.integers(1, b)
        values[row, at:] -= values[row, at - 1]
    return _drop(rng, values, 0.01)


def _sparse(rng, n, b):
    # error counts, batch job timings: a few bursts of points, nothing in between
    values = np.full((n, b), np.nan)
    for row in range(n):
        for _ in range(rng.integers(1, 4)):
            at = rng.integers(0, b)
            length = rng.integers(1, 20)
            burst = rng.integers(1, 50, min(length, b - at)).astype(np.float64)
            values[row, at : at + burst.size] = burst
    return values


def _constant(rng, n, b):
    # disk size, configured limits, up == 1: one value for the whole block
    return np.repeat(rng.choice([0.0, 1.0, 100.0, 1.5e12, 0.25], (n, 1)), b, axis=1)


def _random_double(rng, n, b):
    # full-precision computed values: the worst case, stored bit for bit
    return rng.random((n, b)) * 10.0 ** rng.uniform(-3, 6, (n, 1))


_MAKERS = {
    "noisy_gauge": _noisy_gauge,
    "integer_gauge": _integer_gauge,
    "counter": _counter,
    "sparse": _sparse,
    "constant": _constant,
    "random_double": _random_double,
}


def measure(kind: str, n_series: int, buckets: int, seed: int, repeat: int = 5) -> dict:
    """Bytes per point and encode/decode microseconds per block for one kind.

    Times are the mean over blocks of each block's best of `repeat` runs, so a busy machine
    inflates them less.
    """
    from tsdb.codec import decode_block, encode_block

    data = corpus(kind, n_series, buckets, seed)
    columns = []
    for row in data:
        count = (~np.isnan(row)).astype(np.uint32)
        columns.append((count, row, row, row, row, row * row))
    blocks = [encode_block(*cols) for cols in columns]
    encode = [_best(lambda: encode_block(*cols), repeat) for cols in columns]
    decode = [_best(lambda: decode_block(blob, buckets), repeat) for blob in blocks]
    points = int((~np.isnan(data)).sum())
    size = sum(len(b) for b in blocks)
    return {
        "kind": kind,
        "points": points,
        "bytes": size,
        "bytes_per_point": size / max(points, 1),
        "encode_us": float(np.mean(encode)) * 1e6,
        "decode_us": float(np.mean(decode)) * 1e6,
    }


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=200)
    parser.add_argument("--buckets", type=int, default=720)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print(f"{'kind':<15}{'points':>9}{'bytes':>10}{'B/point':>9}{'enc us/blk':>12}{'dec us/blk':>12}")
    mixed_points = mixed_bytes = 0
    for kind in KINDS:
        r = measure(kind, args.series, args.buckets, args.seed)
        print(
            f"{kind:<15}{r['points']:>9}{r['bytes']:>10}{r['bytes_per_point']:>9.3f}"
            f"{r['encode_us']:>12.1f}{r['decode_us']:>12.1f}"
        )
        if kind != "random_double":
            mixed_points += r["points"]
            mixed_bytes += r["bytes"]
    print(f"{'mixed (no random_double)':<24}{mixed_bytes / mixed_points:>9.3f} bytes/point")


if __name__ == "__main__":
    main()
