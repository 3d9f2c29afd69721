"""rollup.schemas against carbon 1.1.10 / whisper 1.1.10 semantics (GRAPHITE.md §2.1, §2.2).

Each test cites where carbon or whisper does the same; tests marked "Strata:" pin a
documented difference (stricter reporting, or whisper-create's wider unit spelling).
"""

import pickle
import textwrap

import numpy as np
import pytest

from rollup.schemas import (
    AGGREGATION_METHODS,
    CARBON_NO_MATCH_LEVELS_TEXT,
    DEFAULT_LEVELS_TEXT,
    AggregationRule,
    Aggregations,
    ConfigError,
    Level,
    SchemaRule,
    Schemas,
    default_aggregations,
    default_schemas,
    load_aggregation,
    load_schemas,
    parse_aggregation,
    parse_level,
    parse_levels,
    parse_schemas,
    validate_levels,
)


def conf(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def problems_of(call, *args) -> tuple[str, ...]:
    with pytest.raises(ConfigError) as info:
        call(*args)
    return info.value.problems


# --- ConfigError -------------------------------------------------------------------------

def test_config_error_is_a_value_error_listing_one_problem_per_line():
    err = ConfigError(["first", "second"])
    assert isinstance(err, ValueError)
    assert err.problems == ("first", "second")
    assert str(err) == "first\nsecond"


def test_config_error_accepts_a_single_problem_string():
    assert ConfigError("only one").problems == ("only one",)


def test_config_error_survives_pickling_with_its_problems():
    err = pickle.loads(pickle.dumps(ConfigError(["a", "b"])))
    assert err.problems == ("a", "b")


def test_config_error_escapes_line_breaks_so_each_problem_stays_one_line():
    # Regression: found by the hypothesis property test_parsers_fail_only_with_config_error
    # ('\x1e' is a line break to str.splitlines).
    err = ConfigError(["a\nb", "c\x1ed\u2028e\tf"])
    assert err.problems == ("a\\nb", "c\\x1ed\\u2028e\\tf")
    assert str(err).splitlines() == list(err.problems)


# --- parse_level: units and point counts (carbon lib/carbon/util.py parseRetentionDef) ----

@pytest.mark.parametrize("text, step, points", [
    ("10s:7d", 10, 60480),      # GRAPHITE.md §2.1 example
    ("60:1440", 60, 1440),      # bare digits: precision in seconds, duration in points
    ("1h:5y", 3600, 43800),     # y = 365 days (carbon util.py UnitMultipliers)
    ("1m:1w", 60, 10080),       # w = 7 days
    ("1d:1y", 86400, 365),
    ("1s:1m", 1, 60),
])
def test_parse_level_units_and_points(text, step, points):
    assert parse_level(text) == Level(step, points)


def test_parse_level_floors_points_when_duration_is_not_a_multiple_of_precision():
    # carbon util.py parseRetentionDef: int*unit / precision, then Archive() int()s it;
    # whisper.py parseRetentionDef uses // directly.
    assert parse_level("7s:1m") == Level(7, 8)


def test_parse_level_strips_surrounding_whitespace():
    # carbon util.py parseRetentionDef: retentionDef.strip()
    assert parse_level("  10s:7d \n") == Level(10, 60480)


@pytest.mark.parametrize("text, step, points", [
    ("1min:1day", 60, 1440),
    ("1minute:2days", 60, 2880),
    ("1minutes:1week", 60, 10080),
    ("30sec:1hour", 30, 120),
    ("1hours:1years", 3600, 8760),
    ("1h:1year", 3600, 8760),
])
def test_parse_level_accepts_whisper_create_unit_prefixes(text, step, points):
    # Strata: superset of carbon.  whisper.py getUnitString accepts any prefix of
    # seconds/minutes/hours/days/weeks/years (whisper-create "1min:1day").
    assert parse_level(text) == Level(step, points)


@pytest.mark.parametrize("unit", ["x", "ms", "mins", "hrs", "M", "S", "D"])
def test_parse_level_rejects_unknown_units_naming_the_unit(unit):
    # carbon util.py getUnitString: ValueError("Invalid unit '%s'"); units are case-sensitive.
    problems = problems_of(parse_level, f"1{unit}:1d")
    assert problems == (f"retention '1{unit}:1d': unknown unit '{unit}' (use s, m, h, d, w, y "
                        "or a prefix of seconds, minutes, hours, days, weeks, years)",)


def test_parse_level_rejects_unknown_unit_in_duration():
    problems = problems_of(parse_level, "60s:1x")
    assert problems[0].startswith("retention '60s:1x': unknown unit 'x'")


@pytest.mark.parametrize("text", ["60", "60:1:2", "", "10s-7d"])
def test_parse_level_needs_exactly_one_colon(text):
    # carbon util.py: (precision, points) = retentionDef.strip().split(':') fails to unpack.
    assert problems_of(parse_level, text) == (
        f"retention '{text}': expected <precision>:<duration>, e.g. 10s:7d",)


@pytest.mark.parametrize("text, problem", [
    ("1.5m:1d", "invalid precision '1.5m'"),
    ("m:1d", "invalid precision 'm'"),
    ("-10:1d", "invalid precision '-10'"),
    ("10s :7d", "invalid precision '10s '"),   # carbon strips the item only, not each side
    ("²:10", "invalid precision '²'"),          # Strata: ASCII digits only ('²'.isdigit())
])
def test_parse_level_rejects_malformed_precision(text, problem):
    # carbon util.py: "Invalid precision specification '%s'"
    assert problems_of(parse_level, text) == (f"retention '{text}': {problem}",)


@pytest.mark.parametrize("text, problem", [
    ("10s:1.5d", "invalid duration '1.5d'"),
    ("10s:d", "invalid duration 'd'"),
    ("10s:", "invalid duration ''"),
])
def test_parse_level_rejects_malformed_duration(text, problem):
    # carbon util.py: "Invalid retention specification '%s'"
    assert problems_of(parse_level, text) == (f"retention '{text}': {problem}",)


def test_parse_level_rejects_zero_precision():
    # Strata: whisper would divide by zero; step must be positive.
    assert problems_of(parse_level, "0s:1d") == ("retention '0s:1d': precision '0s' must be positive",)


def test_parse_level_rejects_zero_points():
    assert problems_of(parse_level, "10s:0") == (
        "retention '10s:0': duration '0' keeps no point of precision '10s'",)


def test_parse_level_rejects_duration_shorter_than_precision():
    # carbon: 5 // 10 = 0 points, which whisper.create would write as an empty archive.
    assert problems_of(parse_level, "10s:5s") == (
        "retention '10s:5s': duration '5s' keeps no point of precision '10s'",)


# --- Level ---------------------------------------------------------------------------------

def test_level_retention_is_step_times_points():
    assert Level(10, 60480).retention == 604800


@pytest.mark.parametrize("level, text", [
    (Level(10, 2160), "10s:6h"),
    (Level(60, 1440), "1m:1d"),
    (Level(3600, 43800), "1h:5y"),
    (Level(10, 60480), "10s:1w"),
    (Level(10, 7), "10s:70s"),
    (Level(90, 4), "90s:6m"),
])
def test_level_str_uses_largest_exact_unit_and_round_trips(level, text):
    assert str(level) == text
    assert parse_level(text) == level


@pytest.mark.parametrize("step, points, problem", [
    (0, 10, "step must be a positive integer, got 0"),
    (-60, 10, "step must be a positive integer, got -60"),
    (60, 0, "points must be a positive integer, got 0"),
    (60.0, 10, "step must be a positive integer, got 60.0"),
    (True, 10, "step must be a positive integer, got True"),
])
def test_level_rejects_non_positive_or_non_integer_fields(step, points, problem):
    assert problems_of(Level, step, points) == (problem,)


def test_level_normalises_numpy_integers_to_int():
    level = Level(np.int64(60), np.uint32(1440))
    assert type(level.step) is int and type(level.points) is int
    assert level == Level(60, 1440)


# --- parse_levels and validate_levels (whisper.py validateArchiveList) ---------------------

def test_parse_levels_default_text():
    assert parse_levels(DEFAULT_LEVELS_TEXT) == (Level(10, 2160), Level(60, 10080), Level(600, 262800))


def test_parse_levels_strips_whitespace_around_items():
    # carbon storage.py: retentions.split(','), each stripped by parseRetentionDef.
    assert parse_levels(" 10s:6h ,\n 1m:7d ") == (Level(10, 2160), Level(60, 10080))


def test_parse_levels_sorts_by_step():
    # whisper.py validateArchiveList: archiveList.sort(key=lambda a: a[0])
    assert parse_levels("10m:5y,10s:6h,1m:7d") == parse_levels(DEFAULT_LEVELS_TEXT)


def test_parse_levels_rejects_empty_text():
    # whisper.py validateArchiveList: "You must specify at least one archive configuration!"
    assert problems_of(parse_levels, "  ") == ("retentions '': no levels given",)


def test_parse_levels_rejects_an_empty_item():
    # carbon: ''.split(':') does not unpack, so carbon exits.
    assert problems_of(parse_levels, "10s:6h,,1m:7d") == (
        "retentions '10s:6h,,1m:7d': level 2 is empty",)


def test_parse_levels_reports_every_bad_item_at_once():
    # Strata: carbon exits at the first bad item.
    assert problems_of(parse_levels, "60s:1x,1m:7d,abc,10s:") == (
        "retentions '60s:1x': unknown unit 'x' (use s, m, h, d, w, y or a prefix of seconds, "
        "minutes, hours, days, weeks, years)",
        "retentions 'abc': expected <precision>:<duration>, e.g. 10s:7d",
        "retentions '10s:': invalid duration ''",
    )


def test_parse_levels_rejects_equal_precisions():
    # whisper.py validateArchiveList: "may not be configured having two archives with the same precision"
    assert problems_of(parse_levels, "1m:1d,60:2880") == (
        "retentions: '1m:1d' and '60:2880' have the same precision 1m",)


def test_parse_levels_rejects_precision_that_does_not_divide_the_next():
    # whisper.py validateArchiveList: "Higher precision archives' precision must evenly divide ..."
    assert problems_of(parse_levels, "10s:6h,15s:7d") == (
        "retentions: precision 15s of '15s:7d' is not a multiple of precision 10s of '10s:6h'",)


def test_parse_levels_rejects_coarser_level_not_covering_more_time():
    # whisper.py validateArchiveList: "Lower precision archives must cover larger time intervals ..."
    assert problems_of(parse_levels, "10s:7d,1m:7d") == (
        "retentions: '1m:7d' must cover more time than '10s:7d', but covers 1w against 1w",)


def test_parse_levels_rejects_too_few_points_to_fill_the_next_level():
    # whisper.py validateArchiveList: "Each archive must have at least enough points to
    # consolidate to the next archive": points >= next.step // step.
    assert problems_of(parse_levels, "10s:50s,1m:1d") == (
        "retentions: '10s:50s' keeps 5 points, fewer than the 6 that make one point of '1m:1d'",)


def test_parse_levels_accepts_exactly_enough_points_for_the_next_level():
    assert parse_levels("10s:1m,1m:1d") == (Level(10, 6), Level(60, 1440))


def test_parse_levels_reports_every_validation_problem_at_once():
    # Strata: whisper raises at the first failing rule of the first failing pair.
    assert problems_of(parse_levels, "10s:50s,15s:45s,15s:1h,1m:1d") == (
        "retentions: precision 15s of '15s:45s' is not a multiple of precision 10s of '10s:50s'",
        "retentions: '15s:45s' must cover more time than '10s:50s', but covers 45s against 50s",
        "retentions: '15s:45s' and '15s:1h' have the same precision 15s",
    )


def test_validate_levels_is_empty_for_valid_levels():
    assert validate_levels(parse_levels(DEFAULT_LEVELS_TEXT)) == []


def test_validate_levels_sorts_before_checking():
    assert validate_levels([Level(60, 10080), Level(10, 2160)]) == []


def test_validate_levels_rejects_no_levels():
    assert validate_levels([]) == ["no levels given (whisper needs at least one archive)"]


def test_validate_levels_names_levels_by_their_str_form():
    assert validate_levels([Level(10, 5), Level(60, 1440)]) == [
        "'10s:50s' keeps 5 points, fewer than the 6 that make one point of '1m:1d'"]


def test_validate_levels_lists_problems_of_every_pair():
    assert validate_levels([Level(10, 360), Level(60, 60), Level(600, 6)]) == [
        "'1m:1h' must cover more time than '10s:1h', but covers 1h against 1h",
        "'10m:1h' must cover more time than '1m:1h', but covers 1h against 1h",
    ]


# --- SchemaRule and Schemas ----------------------------------------------------------------

def test_schema_rule_regex_is_compiled_and_not_part_of_equality_or_repr():
    rule = SchemaRule("carbon", r"^carbon\.", (Level(60, 1440),))
    assert rule.regex.search("carbon.agents.x")
    assert rule == SchemaRule("carbon", r"^carbon\.", (Level(60, 1440),))
    assert "regex" not in repr(rule)
    assert hash(rule) == hash(SchemaRule("carbon", r"^carbon\.", (Level(60, 1440),)))


def test_schema_rule_sorts_its_levels():
    rule = SchemaRule("r", "x", [Level(60, 10080), Level(10, 2160)])
    assert rule.levels == (Level(10, 2160), Level(60, 10080))


def test_schema_rule_rejects_bad_regex_and_invalid_levels_together():
    assert problems_of(SchemaRule, "r", "(", (Level(10, 6), Level(15, 100))) == (
        "pattern '(': invalid regex: missing ), unterminated subpattern at position 0",
        "precision 15s of '15s:25m' is not a multiple of precision 10s of '10s:1m'",
    )


def test_default_schemas_is_one_catch_all_rule_with_strata_default_levels():
    schemas = default_schemas()
    assert [rule.name for rule in schemas.rules] == ["default"]
    assert schemas.match("anything.at.all") is schemas.default
    assert schemas.default.levels == parse_levels(DEFAULT_LEVELS_TEXT)


CARBON_EXAMPLE = conf(r"""
    [carbon]
    pattern = ^carbon\.
    retentions = 60:90d

    [default]
    pattern = .*
    retentions = 60s:1d,5m:30d,1h:3y
    """)


def test_parse_schemas_carbon_example():
    schemas = parse_schemas(CARBON_EXAMPLE)
    assert schemas.rules == (
        SchemaRule("carbon", r"^carbon\.", (Level(60, 129600),)),
        SchemaRule("default", ".*", (Level(60, 1440), Level(300, 8640), Level(3600, 26280))),
    )


def test_schemas_first_match_in_file_order_wins():
    # carbon lib/carbon/writer.py: `for schema in schemas: if schema.matches(metric): break`
    schemas = parse_schemas(CARBON_EXAMPLE)
    assert schemas.match("carbon.agents.a.cpuUsage").name == "carbon"
    assert schemas.match("servers.web1.load").name == "default"


def test_schemas_order_decides_even_for_a_section_named_default():
    # carbon storage.py: a section called [default] is an ordinary PatternSchema.
    schemas = parse_schemas(conf(r"""
        [default]
        pattern = .*
        retentions = 1m:1d
        [carbon]
        pattern = ^carbon\.
        retentions = 10s:1d
        """))
    assert schemas.match("carbon.agents.a").name == "default"


def test_schemas_pattern_uses_search_not_match():
    # carbon storage.py PatternSchema.test: self.regex.search(metric)
    schemas = parse_schemas("[cpu]\npattern = cpu\nretentions = 1m:1d\n")
    assert schemas.match("servers.web1.cpu.user").name == "cpu"


def test_schemas_no_match_falls_back_to_carbon_default_60_for_7_days():
    # carbon storage.py: defaultArchive = Archive(60, 60 * 24 * 7), appended last.
    schemas = parse_schemas("[carbon]\npattern = ^carbon\\.\nretentions = 10s:1d\n")
    rule = schemas.match("servers.web1.load")
    assert rule is schemas.default
    assert rule.levels == (Level(60, 10080),) == parse_levels(CARBON_NO_MATCH_LEVELS_TEXT)


def test_schemas_empty_file_has_no_rules():
    schemas = parse_schemas("# nothing configured\n\n")
    assert schemas.rules == ()
    assert schemas.match("a.b").levels == (Level(60, 10080),)


def test_schemas_comments_blank_lines_and_key_case():
    # configparser: full-line '#'/';' comments (also indented), keys lower-cased
    # (optionxform), values stripped, ':' as well as '=' separates key and value.
    schemas = parse_schemas(conf(r"""
        # leading comment
        ; another

        [Carbon]
          # indented comment
        PATTERN   =   ^carbon\.
        Retentions: 60:90d
        """))
    assert schemas.rules == (SchemaRule("Carbon", r"^carbon\.", (Level(60, 129600),)),)


def test_schemas_pattern_keeps_equals_and_colons_after_the_first_separator():
    # configparser OPTCRE: the key ends at the first '=' or ':'.
    schemas = parse_schemas("[s]\npattern = ^a=b:c\nretentions = 1m:1d\n")
    assert schemas.rules[0].pattern == "^a=b:c"


def test_schemas_indented_lines_continue_a_value():
    # configparser: a line indented deeper than its key continues the value; carbon then
    # splits retentions on ',' and strips each, so multi-line lists work in carbon.
    schemas = parse_schemas(conf("""
        [s]
        pattern = x
        retentions = 10s:6h,
            # a comment inside the value is skipped
            1m:7d,

            10m:5y
        """))
    assert schemas.rules[0].levels == parse_levels(DEFAULT_LEVELS_TEXT)


def test_schemas_crlf_line_endings():
    schemas = parse_schemas("[s]\r\npattern = x\r\nretentions = 1m:1d\r\n")
    assert schemas.rules[0].levels == (Level(60, 1440),)


def test_schemas_uppercase_default_section_is_inherited_by_every_section():
    # configparser default_section 'DEFAULT': carbon's config.items(section) includes its
    # keys, and carbon's OrderedConfigParser also lists it as a section in file order.
    schemas = parse_schemas(conf("""
        [DEFAULT]
        retentions = 1m:1d
        [a]
        pattern = ^a
        [b]
        pattern = ^b
        retentions = 10s:1h
        """))
    assert [(rule.name, rule.levels) for rule in schemas.rules] == [
        ("a", (Level(60, 1440),)), ("b", (Level(10, 360),))]


def test_schemas_default_section_with_a_pattern_is_also_a_rule():
    schemas = parse_schemas("[DEFAULT]\npattern = .*\nretentions = 1m:1d\n[a]\npattern = ^a\n")
    assert [rule.name for rule in schemas.rules] == ["DEFAULT", "a"]


# --- schema problems: all reported at once, each naming source, section and text -----------

def test_schemas_bad_unit_names_source_section_and_text():
    problems = problems_of(parse_schemas, "[carbon]\npattern = ^carbon\\.\nretentions = 60s:1x\n")
    assert problems == ("storage-schemas.conf [carbon]: retentions '60s:1x': unknown unit 'x' "
                        "(use s, m, h, d, w, y or a prefix of seconds, minutes, hours, days, "
                        "weeks, years)",)


def test_schemas_section_without_pattern_is_a_problem():
    # Strata: carbon storage.py logs "Schema %s missing 'pattern', skipping".
    assert problems_of(parse_schemas, "[nopat]\nretentions = 1m:1d\n") == (
        "storage-schemas.conf [nopat]: missing 'pattern'",)


def test_schemas_section_without_retentions_is_a_problem():
    # Strata: carbon storage.py logs "Schema %s missing 'retentions', skipping".
    assert problems_of(parse_schemas, "[noret]\npattern = x\n") == (
        "storage-schemas.conf [noret]: missing 'retentions'",)


def test_schemas_empty_pattern_is_a_problem():
    # Strata: carbon storage.py `if pattern:` treats '' as missing and skips the section.
    assert problems_of(parse_schemas, "[e]\npattern =\nretentions = 1m:1d\n") == (
        "storage-schemas.conf [e]: pattern is empty",)


def test_schemas_invalid_regex_names_the_section():
    # carbon storage.py PatternSchema: re.compile(pattern) raises, carbon does not start.
    assert problems_of(parse_schemas, "[r]\npattern = a(b\nretentions = 1m:1d\n") == (
        "storage-schemas.conf [r]: pattern 'a(b': invalid regex: missing ), unterminated "
        "subpattern at position 1",)


def test_schemas_levels_failing_validation_are_a_problem():
    # Strata: carbon storage.py logs "Invalid schemas found in %s" and skips the section.
    assert problems_of(parse_schemas, "[v]\npattern = x\nretentions = 10s:6h,15s:7d\n") == (
        "storage-schemas.conf [v]: retentions: precision 15s of '15s:7d' is not a multiple "
        "of precision 10s of '10s:6h'",)


def test_schemas_duplicate_section_is_a_problem():
    # configparser (strict) raises DuplicateSectionError, so carbon does not start.
    text = "[a]\npattern = x\nretentions = 1m:1d\n[a]\npattern = y\nretentions = 1m:1d\n"
    assert problems_of(parse_schemas, text) == (
        "storage-schemas.conf [a]: duplicate section at line 4 (first at line 1)",)


def test_schemas_duplicate_key_is_a_problem():
    # configparser (strict) raises DuplicateOptionError; keys compare lower-cased.
    text = "[a]\npattern = x\nPattern = y\n    continued\nretentions = 1m:1d\n"
    assert problems_of(parse_schemas, text) == (
        "storage-schemas.conf line 3: duplicate key 'Pattern'",)


def test_schemas_line_before_any_section_is_a_problem():
    # configparser raises MissingSectionHeaderError.
    assert problems_of(parse_schemas, "pattern = x\n[a]\npattern = x\nretentions = 1m:1d\n") == (
        "storage-schemas.conf line 1: 'pattern = x' is outside any [section]",)


def test_schemas_line_without_separator_is_a_problem():
    # configparser raises ParsingError (allow_no_value is off).
    assert problems_of(parse_schemas, "[a]\npattern = x\nretentions = 1m:1d\njunk\n") == (
        "storage-schemas.conf line 4: expected 'key = value', got 'junk'",)


@pytest.mark.parametrize("header", ["[]", "[a", "[a] trailing"])
def test_schemas_malformed_section_header_is_a_problem(header):
    assert problems_of(parse_schemas, f"{header}\npattern = x\nretentions = 1m:1d\n") == (
        f"storage-schemas.conf line 1: bad section header '{header}'",)


def test_schemas_reports_every_broken_rule_at_once_in_file_order():
    text = conf(r"""
        [carbon]
        pattern = ^carbon\.
        retentions = 60s:1x
        [nopat]
        retentions = 1m:1d
        [good]
        pattern = ^ok
        retentions = 1m:1d
        [regex]
        pattern = (
        retentions = 10s:6h,15s:7d
        [carbon]
        pattern = x
        retentions = 1m:1d
        stray line
        """)
    assert problems_of(parse_schemas, text, "/etc/strata/storage-schemas.conf") == (
        "/etc/strata/storage-schemas.conf [carbon]: retentions '60s:1x': unknown unit 'x' (use "
        "s, m, h, d, w, y or a prefix of seconds, minutes, hours, days, weeks, years)",
        "/etc/strata/storage-schemas.conf [nopat]: missing 'pattern'",
        "/etc/strata/storage-schemas.conf [regex]: pattern '(': invalid regex: missing ), "
        "unterminated subpattern at position 0",
        "/etc/strata/storage-schemas.conf [regex]: retentions: precision 15s of '15s:7d' is "
        "not a multiple of precision 10s of '10s:6h'",
        "/etc/strata/storage-schemas.conf [carbon]: duplicate section at line 12 (first at line 1)",
        "/etc/strata/storage-schemas.conf line 15: expected 'key = value', got 'stray line'",
    )


def test_schemas_multi_line_value_stays_on_one_problem_line():
    text = "[s]\npattern = x\nretentions = 10s:6h,\n  1m:7x\n"
    error = pytest.raises(ConfigError, parse_schemas, text).value
    assert len(str(error).splitlines()) == 1
    assert "retentions '1m:7x': unknown unit 'x'" in str(error)


# --- aggregation (carbon storage.py loadAggregationSchemas) ---------------------------------

AGGREGATION_EXAMPLE = conf(r"""
    [min]
    pattern = \.min$
    xFilesFactor = 0.1
    aggregationMethod = min

    [count]
    pattern = \.count$
    xFilesFactor = 0
    aggregationMethod = sum

    [default_average]
    pattern = .*
    xFilesFactor = 0.5
    aggregationMethod = average
    """)


def test_parse_aggregation_carbon_example():
    aggregations = parse_aggregation(AGGREGATION_EXAMPLE)
    assert aggregations.rules == (
        AggregationRule("min", r"\.min$", 0.1, "min"),
        AggregationRule("count", r"\.count$", 0.0, "sum"),
        AggregationRule("default_average", ".*", 0.5, "average"),
    )


def test_aggregation_first_match_wins_with_search():
    aggregations = parse_aggregation(AGGREGATION_EXAMPLE)
    assert aggregations.match("requests.count").name == "count"
    assert aggregations.match("latency.min").name == "min"
    assert aggregations.match("latency.mean").name == "default_average"


def test_aggregation_no_match_uses_whisper_defaults():
    # carbon storage.py defaultAggregation = (None, None) -> whisper.create: xff 0.5, average.
    aggregations = parse_aggregation("[sum]\npattern = \\.count$\naggregationMethod = sum\n")
    rule = aggregations.match("latency.p99")
    assert rule is aggregations.default
    assert (rule.xff, rule.method) == (0.5, "average")


def test_aggregation_missing_keys_take_whisper_defaults_not_later_sections():
    # carbon passes None for a missing key and whisper.create substitutes its default; the
    # first matching section is final even when it omits a key.
    aggregations = parse_aggregation(conf("""
        [only_xff]
        pattern = ^a
        xFilesFactor = 0
        [only_method]
        pattern = ^a
        aggregationMethod = max
        """))
    rule = aggregations.match("a.b")
    assert (rule.name, rule.xff, rule.method) == ("only_xff", 0.0, "average")
    assert aggregations.rules[1].xff == 0.5


def test_aggregation_keys_are_case_insensitive():
    # carbon reads options.get('xfilesfactor') / 'aggregationmethod' after configparser lower-cases.
    rule = parse_aggregation("[a]\nPATTERN = x\nXFILESFACTOR = 1\nAggregationMethod = last\n").rules[0]
    assert (rule.xff, rule.method) == (1.0, "last")


@pytest.mark.parametrize("method", AGGREGATION_METHODS)
def test_aggregation_accepts_every_whisper_method(method):
    # whisper.py aggregationTypeToMethod.
    rule = parse_aggregation(f"[a]\npattern = x\naggregationMethod = {method}\n").rules[0]
    assert rule.method == method


@pytest.mark.parametrize("method", ["avg", "Average", "median", ""])
def test_aggregation_rejects_unknown_method(method):
    # carbon storage.py: aggregationMethod not in state.database.aggregationMethods.
    assert problems_of(parse_aggregation, f"[a]\npattern = x\naggregationMethod = {method}\n") == (
        f"storage-aggregation.conf [a]: aggregationMethod '{method}': unknown, expected one of "
        "average, sum, last, max, min, avg_zero, absmax, absmin",)


@pytest.mark.parametrize("text", ["0", "1", "0.25", "1e-1", "1.0"])
def test_aggregation_accepts_xff_in_unit_interval(text):
    rule = parse_aggregation(f"[a]\npattern = x\nxFilesFactor = {text}\n").rules[0]
    assert rule.xff == float(text)


@pytest.mark.parametrize("text", ["1.5", "-0.1", "nan", "inf"])
def test_aggregation_rejects_xff_outside_unit_interval(text):
    # carbon storage.py: "xFilesFactor value out of [0,1] bounds"
    assert problems_of(parse_aggregation, f"[a]\npattern = x\nxFilesFactor = {text}\n") == (
        f"storage-aggregation.conf [a]: xFilesFactor '{text}': must be between 0 and 1",)


@pytest.mark.parametrize("text", ["half", "", "0,5"])
def test_aggregation_rejects_xff_that_is_not_a_number(text):
    # carbon storage.py: float(xFilesFactor) ValueError -> "Invalid schemas found in %s."
    assert problems_of(parse_aggregation, f"[a]\npattern = x\nxFilesFactor = {text}\n") == (
        f"storage-aggregation.conf [a]: xFilesFactor '{text}': not a number",)


def test_aggregation_section_without_pattern_is_a_problem():
    # Strata: carbon storage.py logs "Section missing 'pattern'" and skips it.
    assert problems_of(parse_aggregation, "[p]\naggregationMethod = sum\n") == (
        "storage-aggregation.conf [p]: missing 'pattern'",)


def test_aggregation_reports_every_broken_rule_at_once():
    text = conf("""
        [a]
        pattern = (
        xFilesFactor = 2
        aggregationMethod = mean
        [b]
        xFilesFactor = x
        """)
    assert problems_of(parse_aggregation, text, "agg.conf") == (
        "agg.conf [a]: pattern '(': invalid regex: missing ), unterminated subpattern at position 0",
        "agg.conf [a]: xFilesFactor '2': must be between 0 and 1",
        "agg.conf [a]: aggregationMethod 'mean': unknown, expected one of average, sum, last, "
        "max, min, avg_zero, absmax, absmin",
        "agg.conf [b]: missing 'pattern'",
        "agg.conf [b]: xFilesFactor 'x': not a number",
    )


def test_aggregation_default_section_supplies_missing_keys():
    # configparser DEFAULT inheritance, as for schemas.
    aggregations = parse_aggregation("[DEFAULT]\nxFilesFactor = 0\n[a]\npattern = x\n")
    assert aggregations.rules == (AggregationRule("a", "x", 0.0, "average"),)


def test_aggregation_rule_rejects_bad_values_when_built_directly():
    assert problems_of(AggregationRule, "r", "(", 1.5, "mean") == (
        "pattern '(': invalid regex: missing ), unterminated subpattern at position 0",
        "xFilesFactor 1.5: must be between 0 and 1",
        "aggregationMethod 'mean': unknown, expected one of average, sum, last, max, min, "
        "avg_zero, absmax, absmin",
    )


def test_aggregation_rule_rejects_non_numeric_xff_when_built_directly():
    assert problems_of(AggregationRule, "r", "x", "0.5", "sum") == ("xFilesFactor '0.5': not a number",)


def test_default_aggregations_are_whisper_defaults_for_everything():
    aggregations = default_aggregations()
    rule = aggregations.match("any.metric")
    assert rule is aggregations.default
    assert (rule.name, rule.xff, rule.method) == ("default", 0.5, "average")


def test_rule_collections_store_rules_as_tuples():
    rule = AggregationRule("a", "x", 0.5, "sum")
    assert Aggregations([rule], rule).rules == (rule,)
    schema = SchemaRule("a", "x", (Level(60, 1440),))
    assert Schemas([schema], schema).rules == (schema,)


# --- loading files ---------------------------------------------------------------------------

def test_load_schemas_names_the_file_in_problems(tmp_path):
    path = tmp_path / "storage-schemas.conf"
    path.write_text("[carbon]\npattern = ^carbon\\.\nretentions = 60s:1x\n")
    problems = problems_of(load_schemas, path)
    assert problems[0].startswith(f"{path} [carbon]: retentions '60s:1x': unknown unit 'x'")


def test_load_schemas_reads_a_valid_file_with_a_byte_order_mark(tmp_path):
    path = tmp_path / "storage-schemas.conf"
    path.write_bytes(b"\xef\xbb\xbf" + CARBON_EXAMPLE.encode())
    assert load_schemas(path) == parse_schemas(CARBON_EXAMPLE)


def test_load_aggregation_reads_a_file(tmp_path):
    path = tmp_path / "storage-aggregation.conf"
    path.write_text(AGGREGATION_EXAMPLE)
    assert load_aggregation(str(path)) == parse_aggregation(AGGREGATION_EXAMPLE)


def test_load_rejects_a_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "storage-aggregation.conf"
    path.write_bytes(b"[a]\npattern = \xff\n")
    assert problems_of(load_aggregation, path) == (
        f"{path}: not UTF-8 text (invalid start byte at byte 14)",)


def test_load_missing_file_raises_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_schemas(tmp_path / "absent.conf")
