"""benchmarks/microbench.py runs and reports what it says, at small sizes."""

from benchmarks import microbench


def test_worker_reports_a_cost_per_point_for_each_protocol():
    assert microbench.worker(1000).startswith("pickle worker: ")
    assert microbench.worker(1000, shuffled=True).startswith("pickle worker, shuffled: ")
    assert microbench.worker(3000, "plaintext").startswith("plaintext worker: ")


def test_view_memory_counts_every_name():
    assert "StoreView of 2,000 names: " in microbench.view_memory(2000)


def test_pickle_parse_reports_both_paths():
    out = microbench.pickle_parse(1000, rounds=1)
    assert "with the decoder " in out and "unpickled " in out


def test_store_write_reports_the_head_segments_it_wrote_to():
    import re
    one = microbench.store_write(1000, batches=2)
    chunked = microbench.store_write(1000, creation_chunks=4, batches=2)
    assert "up to 1 head segments per block" in one
    assert int(re.search(r"up to (\d+) head", chunked).group(1)) > 1


def test_plaintext_parse_reports_both_chunk_shapes():
    out = microbench.plaintext_parse(lines=100, chunks=2)
    assert "one timestamp " in out and "last timestamp differs " in out


def test_name_memory_reports_both_caches():
    out = microbench.name_memory(2000)
    assert "receivers " in out and "pickle worker " in out
