"""benchmarks/microbench.py runs and reports what it says, at small sizes."""

from benchmarks import microbench


def test_pickle_worker_reports_a_cost_per_point():
    assert microbench.pickle_worker(1000).startswith("pickle worker: ")


def test_view_memory_counts_every_name():
    assert "StoreView of 2,000 names: " in microbench.view_memory(2000)
