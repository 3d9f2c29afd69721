"""Model-based test of the store: random write streams against tests/reference_model.py.

Streams mix out-of-order and duplicate timestamps, NaN values, several points per bucket,
points past every retention and in the future, maintenance (seal, fold, expire) and
reopening, across block and level boundaries of a small schema.  Every read at every level
and every aggregate must match the reference exactly (stddev to 1e-9 relative).  Values are
multiples of 1/4 so that float sums are exact in any order.
"""

from __future__ import annotations

import math
import shutil
import tempfile

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from rollup.schemas import parse_aggregation, parse_schemas
from tests.reference_model import ReferenceStore
from tsdb import Store, StoreConfig
from tsdb.view import StoreView

LEVELS = [(10, 36), (60, 30), (300, 24)]          # 10s:6m, 1m:30m, 5m:2h
SCHEMA = "[all]\npattern = .*\nretentions = 10s:6m,1m:30m,5m:2h\n"
NAMES = ["a.b.c", "a.b.d", "a.b.e", "a.f", "x.y;dc=eu"]
AGGREGATES = ["average", "sum", "min", "max", "count", "last", "stddev", "avg_zero", "absmax", "absmin"]
START = 1_700_000_000

point = hs.tuples(
    hs.sampled_from(NAMES),
    hs.integers(-30, 2 * 3600 + 600),                 # age; negative = future
    hs.one_of(hs.integers(-400, 400).map(lambda k: k / 4), hs.just(math.nan)),
)
op = hs.one_of(
    hs.tuples(hs.just("write"), hs.lists(point, min_size=1, max_size=12)),
    hs.tuples(hs.just("advance"), hs.integers(1, 900)),
    hs.tuples(hs.just("maintain"), hs.none()),
    hs.tuples(hs.just("reopen"), hs.none()),
)


def config(method: str, xff: float) -> StoreConfig:
    aggregation = f"[all]\npattern = .*\nxFilesFactor = {xff}\naggregationMethod = {method}\n"
    return StoreConfig(shards=2, schemas=parse_schemas(SCHEMA), aggregations=parse_aggregation(aggregation),
                       block_buckets=6, seal_grace=30)


def check_reads(store: Store, ref: ReferenceStore, now: int) -> None:
    for name in NAMES:
        for back, span in [(60, 60), (300, 300), (30 * 60, 30 * 60), (7200, 7200), (3000, 600), (7300, 7300)]:
            from_, until = now - back, now - back + span
            for agg in AGGREGATES:
                want = ref.fetch(name, from_, until, now, agg)
                got = store.read(name, from_, until, aggregate=agg, now=now)
                if want is None:
                    assert got is None, (name, from_, until, agg)
                    continue
                assert got is not None, (name, from_, until, agg)
                assert (got.start, got.step) == want[:2], (name, from_, until, agg)
                expect = np.array([np.nan if v is None else v for v in want[2]])
                where = (name, from_, until, agg, got.values, expect)
                assert np.array_equal(np.isnan(got.values), np.isnan(expect)), where
                ok = ~np.isnan(expect)
                if agg == "stddev":
                    assert np.allclose(got.values[ok], expect[ok], rtol=1e-9, atol=1e-12), where
                else:
                    assert np.array_equal(got.values[ok], expect[ok]), where
        default = store.read(name, now - 7200, now, now=now)
        want = ref.fetch(name, now - 7200, now, now)
        assert (default is None) == (want is None)
    check_batched_reads(store, now)


def check_batched_reads(store: Store, now: int) -> None:
    """read_many over every name (and an unknown one) equals one read per name."""
    names = NAMES[::-1] + ["no.such.series"]
    for back, span in [(300, 300), (30 * 60, 30 * 60), (7300, 7300)]:
        for agg in (None, "max", "stddev"):
            batch = store.read_many(names, now - back, now - back + span, aggregate=agg, now=now)
            for name, got in zip(names, batch):
                one = store.read(name, now - back, now - back + span, aggregate=agg, now=now)
                assert (got is None) == (one is None), (name, back, agg)
                if got is not None:
                    assert (got.name, got.start, got.step) == (one.name, one.start, one.step)
                    np.testing.assert_array_equal(got.values, one.values)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=hs.lists(op, min_size=1, max_size=40), method=hs.sampled_from(["average", "max", "last", "sum"]),
       xff=hs.sampled_from([0.0, 0.5]))
def test_reads_match_reference_model(ops, method, xff):
    root = tempfile.mkdtemp(prefix="strata-model-")
    cfg = config(method, xff)
    ref = ReferenceStore(LEVELS, method=method, xff=xff)
    now = START
    store = Store.open(root, cfg, now=now)
    view = StoreView.open(root, cfg, max_age=0)
    try:
        for kind, arg in ops:
            if kind == "write":
                names = [n for n, _, _ in arg]
                ts = [now - age for _, age, _ in arg]
                vals = [v for _, _, v in arg]
                store.write(names, ts, vals, now=now)
                for n, t, v in zip(names, ts, vals):
                    ref.write(_norm(n), t, v, now)
            elif kind == "advance":
                now += arg
            elif kind == "maintain":
                store.maintain(now=now)
            else:
                store.close()
                store = Store.open(root, cfg, now=now)
        check_reads(store, ref, now)
        check_view(store, view, now)
    finally:
        view.close()
        store.close()
        shutil.rmtree(root, ignore_errors=True)


def check_view(store: Store, view: StoreView, now: int) -> None:
    """A read-only view opened before every write, seal, expiry and reopen reads what the
    writer reads."""
    assert sorted(view.expand("*.*.*")) == sorted(store.expand("*.*.*"))
    for back in (300, 30 * 60, 7300):
        for agg in (None, "max"):
            mine = store.read_many(NAMES, now - back, now, aggregate=agg, now=now)
            seen = view.read_many(NAMES, now - back, now, aggregate=agg, now=now)
            for a, b in zip(mine, seen):
                assert (a is None) == (b is None)
                if a is not None:
                    assert (a.name, a.start, a.step) == (b.name, b.start, b.step)
                    np.testing.assert_array_equal(a.values, b.values)


def _norm(name: str) -> str:
    return name
