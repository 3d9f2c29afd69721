"""benchmarks/ab_ingest.py: rounds alternate which side runs first; ratios pair by pair."""

from benchmarks import ab_ingest


def test_sides_alternate_who_goes_first_and_pairs_keep_new_and_old_apart():
    calls = []
    figures = iter([2.0, 1.0, 3.0, 1.5, 4.0, 2.0])

    def run(side):
        calls.append(side)
        return next(figures)

    pairs = ab_ingest.alternated(run, 3)
    assert calls == ["new", "old", "old", "new", "new", "old"]
    assert pairs == [(2.0, 1.0), (1.5, 3.0), (4.0, 2.0)]
    out = ab_ingest.summary(pairs, "points/s")
    assert "new/old by pair: 2.00 0.50 2.00; median 2.00" in out


def test_a_failed_run_is_shown_and_left_out_of_the_ratios():
    out = ab_ingest.summary([(None, 1.0), (2.0, 1.0)], "s")
    assert "new: - 2 s" in out and "new/old by pair: 2.00; median 2.00" in out


def test_config_text_from_the_command_line_gets_its_newlines():
    assert ab_ingest._toml("[limits]\\nmax_pending_points = 5") == "[limits]\nmax_pending_points = 5"
    assert ab_ingest._toml(None) is None
