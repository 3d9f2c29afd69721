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


def test_the_servers_children_are_labelled_by_role():
    import os
    import subprocess
    import sys

    from benchmarks.render_bench import _children_cpu, child_role
    worker = subprocess.Popen([sys.executable, "-c", "import time; print(flush=True); time.sleep(30)",
                               "-m", "carbon_compat.parse_worker"], stdout=subprocess.PIPE)
    try:
        worker.stdout.readline()        # running its own command line by now
        assert child_role(worker.pid) == "parse worker"
        assert child_role(os.getpid()) == "render"
    finally:
        worker.kill()
        worker.wait()
    assert child_role(worker.pid) == "gone"
    assert _children_cpu({"parse worker": [66.2], "render": [11.0, 5.4]}) == "parse worker 66%, render 11%+5%"
    assert _children_cpu(None) == "children -"


def test_storm_notes_name_the_children_by_role():
    runs = {"solo": [_run(1e6, False)] * 3, "storm": [_run(0.95e6, True)] * 3}
    runs["storm"][-1] = dict(runs["storm"][-1], server_children_cpu_pct={"parse worker": [70.0], "render": [12.0]})
    assert "server 100%, parse worker 70%, render 12%" in storm_row(runs, 100_000).note
