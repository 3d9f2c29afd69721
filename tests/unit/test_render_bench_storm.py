"""benchmarks/render_bench.py's storm verdict: a pair's two runs are compared with each other."""

from benchmarks.render_bench import storm_row


def _run(rate: float, storm: bool) -> dict:
    run = {"stored_rate": rate, "cpu_pct": 100.0, "sample_read": 10, "sample_expected": 10,
           "value_mismatches": 0}
    if storm:
        run.update(refresh_p50=0.5, refreshes=3, refresh_errors=0, client_nice=0, clients_cpu_pct=10.0)
    return run


def test_the_verdict_is_the_median_pair_ratio_not_a_ratio_of_medians():
    # the machine's speed drifts between pairs; the storms keep 95%, 92% and 100% of the
    # solo run beside them
    solo, kept = [1_200_000, 900_000, 1_000_000], [0.95, 0.92, 1.0]
    runs = {"solo": [_run(r, False) for r in solo],
            "storm": [_run(r * k, True) for r, k in zip(solo, kept)]}
    row = storm_row(runs, 100_000)
    assert round(row.ratio, 3) == 0.95 and row.status == "met"
    assert "median storm over median solo 100%" in row.note


def test_a_pair_losing_more_than_a_tenth_misses():
    runs = {"solo": [_run(1e6, False)] * 3, "storm": [_run(r, True) for r in (0.95e6, 0.85e6, 0.80e6)]}
    row = storm_row(runs, 100_000)
    assert row.status == "MISSED: 85%"
    assert "pair by pair 95%, 85%, 80%" in row.note
