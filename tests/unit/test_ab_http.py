"""benchmarks/ab_http.py: the copies it serves and the line it prints (no servers)."""

from benchmarks import ab_http


def test_a_copy_of_the_data_set_has_a_config_that_points_at_the_copy(tmp_path):
    data = tmp_path / "bench"
    (data / "strata-data").mkdir(parents=True)
    (data / "strata-data" / "meta").write_text("x")
    (data / "conf").mkdir()
    (data / "conf" / "strata.toml").write_text(f'[storage]\nschemas_file = "{data}/conf/schemas.conf"\n')
    copy = ab_http.copy_data(data, tmp_path / "new")
    assert (copy / "strata-data" / "meta").read_text() == "x"
    assert (copy / "conf" / "strata.toml").read_text() == \
        f'[storage]\nschemas_file = "{tmp_path}/new/conf/schemas.conf"\n'


def test_the_summary_gives_both_percentiles_and_the_old_over_new_ratio():
    line = ab_http.summary("/render", {"new": [0.001] * 10, "old": [0.002] * 10})
    assert line == ("/render: new p50 1.00 ms p95 1.00 ms  old p50 2.00 ms p95 2.00 ms  "
                    "(old/new p50 2.00x, n=10)")
