"""Properties of rollup.schemas: levels round-trip through their text form, and no text,
however broken, makes the parsers fail with anything but ConfigError."""

import re

import pytest
from hypothesis import given, strategies as st

from rollup.schemas import (
    ConfigError,
    Level,
    parse_aggregation,
    parse_level,
    parse_levels,
    parse_schemas,
    validate_levels,
)

levels = st.builds(Level, st.integers(1, 10**6), st.integers(1, 10**7))


@st.composite
def valid_level_lists(draw) -> list[Level]:
    """Level lists that pass whisper.validateArchiveList, built finest first."""
    step = draw(st.integers(1, 3600))
    factors = draw(st.lists(st.integers(2, 12), max_size=4))
    steps = [step]
    for factor in factors:
        steps.append(steps[-1] * factor)
    chosen, covered = [], 0
    for position, step in enumerate(steps):
        # Enough points to fill one coarser bucket, and more time than the finer level.
        needed = steps[position + 1] // step if position + 1 < len(steps) else 1
        least = max(needed, covered // step + 1)
        points = draw(st.integers(least, least + 100_000))
        chosen.append(Level(step, points))
        covered = step * points
    return chosen


@given(levels)
def test_level_text_round_trips(level):
    assert parse_level(str(level)) == level


@given(valid_level_lists(), st.randoms(use_true_random=False))
def test_valid_level_lists_round_trip_in_any_order(chosen, random):
    assert validate_levels(chosen) == []
    shuffled = list(chosen)
    random.shuffle(shuffled)
    assert parse_levels(",".join(str(level) for level in shuffled)) == tuple(chosen)


@given(st.lists(levels, max_size=5))
def test_parse_levels_agrees_with_validate_levels(chosen):
    text = ",".join(str(level) for level in chosen)
    problems = validate_levels(chosen)
    try:
        parsed = parse_levels(text)
    except ConfigError as err:
        assert problems and err.problems == tuple(
            "retentions: " + p if chosen else "retentions '': no levels given" for p in problems)
    else:
        assert problems == [] and parsed == tuple(sorted(chosen, key=lambda level: level.step))


retention_ish = st.text(alphabet="0123456789smhdwyinour:, x-.", max_size=30)


@given(retention_ish)
def test_parse_levels_fails_only_with_config_error(text):
    try:
        result = parse_levels(text)
    except ConfigError as err:
        assert err.problems and all("\n" not in p for p in err.problems)
    else:
        assert validate_levels(result) == []


ini_ish = st.lists(
    st.one_of(
        st.sampled_from(["[a]", "[b]", "[DEFAULT]", "[", "# c", "", "  ", "junk"]),
        st.builds("{} = {}".format,
                  st.sampled_from(["pattern", "retentions", "xFilesFactor", "aggregationMethod"]),
                  st.one_of(retention_ish, st.sampled_from(["(", ".*", "sum", "0.5", "2"]))),
        st.builds("  {}".format, retention_ish),
        st.text(max_size=20),
    ),
    max_size=12,
).map("\n".join)


@given(ini_ish)
def test_parsers_fail_only_with_config_error_one_problem_per_line(text):
    for parse in (parse_schemas, parse_aggregation):
        try:
            parse(text)
        except ConfigError as err:
            assert err.problems
            assert str(err).splitlines() == list(err.problems)


@given(st.lists(st.sampled_from(["^a", "b$", "c", ".*", r"\.x"]), min_size=1, max_size=5),
       st.text(alphabet="abcx.", max_size=8))
def test_schemas_match_is_the_first_searching_rule(patterns, metric):
    text = "".join(f"[r{i}]\npattern = {p}\nretentions = 1m:1d\n" for i, p in enumerate(patterns))
    schemas = parse_schemas(text)
    expected = next((f"r{i}" for i, p in enumerate(patterns) if re.search(p, metric)), None)
    rule = schemas.match(metric)
    assert (rule.name if rule is not schemas.default else None) == expected


# Differential checks against whisper 1.1.10 itself (installed with the `bench` extra).

@given(retention_ish)
def test_parse_level_agrees_with_whisper_parse_retention_def(text):
    whisper = pytest.importorskip("whisper")
    try:
        expected = whisper.parseRetentionDef(text)
    except ValueError:
        expected = None
    try:
        level = parse_level(text)
    except ConfigError:
        # Strata also refuses what whisper would turn into a zero step or zero points.
        assert expected is None or 0 in expected
    else:
        assert (level.step, level.points) == expected


@given(st.lists(levels, max_size=5))
def test_validate_levels_agrees_with_whisper_validate_archive_list(chosen):
    whisper = pytest.importorskip("whisper")
    try:
        whisper.validateArchiveList([(level.step, level.points) for level in chosen])
        whisper_accepts = True
    except whisper.InvalidConfiguration:
        whisper_accepts = False
    assert (validate_levels(chosen) == []) == whisper_accepts
