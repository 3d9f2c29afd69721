"""Parsers for carbon's storage-schemas.conf and storage-aggregation.conf.

A new metric gets its retention levels and its roll-up method the way carbon 1.1.10 picks
them (lib/carbon/storage.py): INI sections in file order, the first whose `pattern` regex
`re.search`es the metric name wins, and a built-in default applies when none does.
Carbon logs and skips a broken section, or exits on the first bad retention; here every
broken rule is collected and raised as one ConfigError that names the source, the section
and the offending text, so an operator fixes the whole file in one pass.

Parsing is pure (text in, frozen dataclasses out); `load_schemas` and `load_aggregation`
only add reading a file.  Where Strata deliberately differs from carbon:

* units: any prefix of seconds/minutes/hours/days/weeks/years as whisper-create accepts
  (`min`, `hours`, `d`, ...), a superset of carbon's single letters s m h d w y;
* a section missing `pattern` or `retentions`, a bad regex, a bad xFilesFactor or method,
  or levels failing whisper's validateArchiveList are problems, not silently skipped;
* only ASCII digits count as numbers (carbon's `str.isdigit` also takes e.g. '²').
"""

from __future__ import annotations

import numbers
import operator
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

DEFAULT_LEVELS_TEXT = "10s:6h,1m:7d,10m:5y"
# carbon lib/carbon/storage.py defaultArchive = Archive(60, 60 * 24 * 7): used when a
# schemas file is given but no section matches.
CARBON_NO_MATCH_LEVELS_TEXT = "60:10080"

# whisper.py aggregationTypeToMethod, in whisper's type-number order (1..8).
AGGREGATION_METHODS = ("average", "sum", "last", "max", "min", "avg_zero", "absmax", "absmin")
# whisper.create's values when carbon passes None for a missing key.
DEFAULT_XFILES_FACTOR = 0.5
DEFAULT_AGGREGATION_METHOD = "average"

# Largest first so that a level prints with the coarsest unit that divides it exactly.
_UNITS = (("y", 31536000), ("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
# whisper.py getUnitString checks prefixes against these words in this order, which
# gives carbon's letters their meaning too ('m' is minutes because 'seconds' is tried first).
_UNIT_WORDS = (("seconds", 1), ("minutes", 60), ("hours", 3600), ("days", 86400),
               ("weeks", 604800), ("years", 31536000))
_AMOUNT = re.compile(r"([0-9]+)([A-Za-z]*)")
# configparser's OPTCRE: the key ends at the first '=' or ':'.
_OPTION = re.compile(r"(?P<key>.*?)\s*[=:]\s*(?P<value>.*)")
# configparser's default_section: its keys are inherited by every other section.
_CONFIGPARSER_DEFAULTS = "DEFAULT"
_CATCH_ALL = ".*"


class ConfigError(ValueError):
    """A configuration text is invalid; `problems` holds one line per broken rule."""

    def __init__(self, problems: str | Iterable[str]):
        problems = (problems,) if isinstance(problems, str) else problems
        # Config text quoted in a problem may hold line breaks; escaping them keeps the
        # promise of one problem per line for whoever logs or splits the message.
        self.problems = tuple(_printable(problem) for problem in problems)
        super().__init__("\n".join(self.problems))

    def __reduce__(self):
        return (type(self), (self.problems,))


@dataclass(frozen=True)
class Level:
    """One retention level (a whisper archive): `points` buckets of `step` seconds.

    str() gives `precision:duration`, each written with the largest unit of s m h d w y
    that divides it exactly: Level(60, 1440) -> '1m:1d', Level(10, 7) -> '10s:70s'.
    parse_level(str(level)) == level for every level.
    """

    step: int
    points: int

    def __post_init__(self):
        problems = [f"{name} must be a positive integer, got {value!r}"
                    for name, value in (("step", self.step), ("points", self.points))
                    if not _is_positive_int(value)]
        if problems:
            raise ConfigError(problems)
        # Normalise numpy integers and the like so levels hash and compare as plain ints.
        object.__setattr__(self, "step", operator.index(self.step))
        object.__setattr__(self, "points", operator.index(self.points))

    @property
    def retention(self) -> int:
        return self.step * self.points

    def __str__(self) -> str:
        return f"{_span(self.step)}:{_span(self.retention)}"


def parse_level(text: str) -> Level:
    """One `precision:duration` item, e.g. '10s:7d' -> Level(10, 60480).

    precision: digits are seconds, or <int><unit>.  duration: digits are a number of
    points, or <int><unit>, giving int*unit // precision points (carbon util.py
    parseRetentionDef).  Surrounding whitespace is ignored.
    """
    level = _level_or_problem(text.strip())
    if isinstance(level, str):
        raise ConfigError(f"retention {_quoted(text.strip())}: {level}")
    return level


def parse_levels(text: str) -> tuple[Level, ...]:
    """A comma list of levels, sorted by step and checked with whisper's rules.

    Raises ConfigError listing every unparseable item, or else every validation problem.
    """
    levels, problems = _levels_and_problems(text)
    if problems:
        raise ConfigError(problems)
    return levels


def validate_levels(levels: Iterable[Level]) -> list[str]:
    """The problems whisper.validateArchiveList would find, all of them; [] when valid."""
    return _order_problems([(level, _quoted(str(level))) for level in levels])


def _levels_and_problems(text: str) -> tuple[tuple[Level, ...], list[str]]:
    """Parsed, sorted levels and problems naming the offending items as written."""
    items = [item.strip() for item in text.split(",")]
    if items == [""]:
        return (), ["retentions '': no levels given"]
    labelled, problems = [], []
    for position, item in enumerate(items, 1):
        level = _level_or_problem(item)
        if isinstance(level, Level):
            labelled.append((level, _quoted(item)))
        elif item:
            problems.append(f"retentions {_quoted(item)}: {level}")
        else:
            problems.append(f"retentions {_quoted(text.strip())}: level {position} is empty")
    if problems:
        # Whisper's ordering rules over a partial list would only add misleading problems.
        return (), problems
    problems = [f"retentions: {p}" for p in _order_problems(labelled)]
    return tuple(level for level, _ in sorted(labelled, key=lambda pair: pair[0].step)), problems


def _level_or_problem(text: str) -> Level | str:
    """The level `text` describes, or why it describes none."""
    parts = text.split(":")
    if len(parts) != 2:
        return "expected <precision>:<duration>, e.g. 10s:7d"
    precision, duration = parts
    amount = _amount_or_problem(precision, "precision")
    if isinstance(amount, str):
        return amount
    number, unit = amount
    step = number * (unit or 1)
    if step == 0:
        return f"precision {_quoted(precision)} must be positive"
    amount = _amount_or_problem(duration, "duration")
    if isinstance(amount, str):
        return amount
    number, unit = amount
    points = number if unit is None else number * unit // step
    if points == 0:
        return f"duration {_quoted(duration)} keeps no point of precision {_quoted(precision)}"
    return Level(step, points)


def _amount_or_problem(text: str, what: str) -> tuple[int, int | None] | str:
    """(number, seconds per unit or None for bare digits), or why `text` is not one."""
    match = _AMOUNT.fullmatch(text)
    if match is None:
        return f"invalid {what} {_quoted(text)}"
    digits, unit = match.groups()
    if not unit:
        return int(digits), None
    seconds = _unit_seconds(unit)
    if seconds is None:
        return f"unknown unit {_quoted(unit)} (use s, m, h, d, w, y or a prefix of " \
               "seconds, minutes, hours, days, weeks, years)"
    return int(digits), seconds


def _unit_seconds(unit: str) -> int | None:
    for word, seconds in _UNIT_WORDS:
        if word.startswith(unit):
            return seconds
    return None


def _order_problems(labelled: list[tuple[Level, str]]) -> list[str]:
    """whisper.validateArchiveList's rules over (level, label) pairs, every failure listed.

    Whisper stops at the first failure; all are reported here.  After a duplicate
    precision the other rules are meaningless for that pair and are not checked.
    """
    if not labelled:
        return ["no levels given (whisper needs at least one archive)"]
    ordered = sorted(labelled, key=lambda pair: pair[0].step)
    problems = []
    for (fine, fine_label), (coarse, coarse_label) in zip(ordered, ordered[1:]):
        if fine.step == coarse.step:
            problems.append(f"{fine_label} and {coarse_label} have the same precision "
                            f"{_span(fine.step)}")
            continue
        if coarse.step % fine.step:
            problems.append(f"precision {_span(coarse.step)} of {coarse_label} is not a "
                            f"multiple of precision {_span(fine.step)} of {fine_label}")
        if coarse.retention <= fine.retention:
            problems.append(f"{coarse_label} must cover more time than {fine_label}, but "
                            f"covers {_span(coarse.retention)} against {_span(fine.retention)}")
        needed = coarse.step // fine.step
        if fine.points < needed:
            problems.append(f"{fine_label} keeps {fine.points} points, fewer than the "
                            f"{needed} that make one point of {coarse_label}")
    return problems


@dataclass(frozen=True)
class SchemaRule:
    """One storage-schemas.conf section; `levels` are kept sorted by step."""

    name: str
    pattern: str
    levels: tuple[Level, ...]
    regex: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        regex = _regex_or_problem(self.pattern)
        levels = tuple(sorted(self.levels, key=lambda level: level.step))
        problems = ([] if isinstance(regex, re.Pattern) else [regex]) + validate_levels(levels)
        if problems:
            raise ConfigError(problems)
        object.__setattr__(self, "regex", regex)
        object.__setattr__(self, "levels", levels)


@dataclass(frozen=True)
class Schemas:
    rules: tuple[SchemaRule, ...]
    default: SchemaRule

    def __post_init__(self):
        object.__setattr__(self, "rules", tuple(self.rules))

    def match(self, metric: str) -> SchemaRule:
        """The first rule whose pattern re.search()es `metric`, in file order, else default."""
        return _first_match(self.rules, metric, self.default)


@dataclass(frozen=True)
class AggregationRule:
    """One storage-aggregation.conf section."""

    name: str
    pattern: str
    xff: float
    method: str
    regex: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        regex = _regex_or_problem(self.pattern)
        problems = [] if isinstance(regex, re.Pattern) else [regex]
        if isinstance(self.xff, numbers.Real) and not isinstance(self.xff, bool):
            problems += _xff_problems(self.xff, repr(self.xff))
        else:
            problems.append(f"xFilesFactor {self.xff!r}: not a number")
        problems += _method_problems(self.method)
        if problems:
            raise ConfigError(problems)
        object.__setattr__(self, "regex", regex)
        object.__setattr__(self, "xff", float(self.xff))


@dataclass(frozen=True)
class Aggregations:
    rules: tuple[AggregationRule, ...]
    default: AggregationRule

    def __post_init__(self):
        object.__setattr__(self, "rules", tuple(self.rules))

    def match(self, metric: str) -> AggregationRule:
        """The first rule whose pattern re.search()es `metric`, in file order, else default."""
        return _first_match(self.rules, metric, self.default)


def _first_match(rules, metric: str, default):
    for rule in rules:
        if rule.regex.search(metric):
            return rule
    return default


def default_schemas() -> Schemas:
    """Strata's schemas when no file is configured: one catch-all rule 'default'."""
    rule = SchemaRule("default", _CATCH_ALL, parse_levels(DEFAULT_LEVELS_TEXT))
    return Schemas((rule,), rule)


def default_aggregations() -> Aggregations:
    """Whisper's defaults for every metric: xFilesFactor 0.5, average."""
    rule = AggregationRule("default", _CATCH_ALL, DEFAULT_XFILES_FACTOR, DEFAULT_AGGREGATION_METHOD)
    return Aggregations((rule,), rule)


def parse_schemas(text: str, source: str = "storage-schemas.conf") -> Schemas:
    """storage-schemas.conf text as rules in file order; no match -> carbon's 60:10080.

    Every section needs `pattern` and `retentions`.  Raises one ConfigError with every
    problem of the file, each naming `source`, the section and the offending text.
    """
    rules = _rules(text, source, _schema_rule_or_problems)
    no_match = SchemaRule("default", _CATCH_ALL, parse_levels(CARBON_NO_MATCH_LEVELS_TEXT))
    return Schemas(rules, no_match)


def parse_aggregation(text: str, source: str = "storage-aggregation.conf") -> Aggregations:
    """storage-aggregation.conf text as rules in file order; no match -> whisper defaults.

    A matching section missing xFilesFactor or aggregationMethod gets 0.5 or 'average'
    (whisper.create's defaults), not the value of a later section.
    """
    rules = _rules(text, source, _aggregation_rule_or_problems)
    return Aggregations(rules, default_aggregations().default)


def _rules(text: str, source: str, rule_or_problems) -> tuple:
    """The rules of an INI text in file order; ConfigError with every problem, by line."""
    sections, problems = _read_ini(text, source)
    rules = []
    for section in sections:
        rule = rule_or_problems(section)
        if isinstance(rule, list):
            problems += [(section.line, f"{source} [{section.name}]: {p}") for p in rule]
        elif rule is not None:
            rules.append(rule)
    if problems:
        raise ConfigError([message for _, message in sorted(problems, key=lambda pair: pair[0])])
    return tuple(rules)


def load_schemas(path) -> Schemas:
    """parse_schemas of the file at `path`, named by its path in problems.

    A missing or unreadable file raises OSError: whether to fall back is the caller's call.
    """
    return parse_schemas(_file_text(path), str(path))


def load_aggregation(path) -> Aggregations:
    """parse_aggregation of the file at `path`; OSError as for load_schemas."""
    return parse_aggregation(_file_text(path), str(path))


def _file_text(path) -> str:
    data = Path(path).read_bytes()
    try:
        # utf-8-sig: editors on some systems prepend a BOM that configparser would choke on.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from None


@dataclass(frozen=True)
class _Section:
    name: str
    line: int
    options: dict  # lower-cased key -> value, configparser DEFAULT keys merged in
    holds_defaults: bool


def _schema_rule_or_problems(section: _Section) -> SchemaRule | list[str] | None:
    """The rule `section` describes, or its problems; None for a pure DEFAULT section."""
    options = section.options
    if section.holds_defaults and "pattern" not in options:
        return None
    problems = _pattern_problems(options)
    levels: tuple[Level, ...] = ()
    if "retentions" not in options:
        problems.append("missing 'retentions'")
    else:
        levels, level_problems = _levels_and_problems(options["retentions"])
        problems += level_problems
    if problems:
        return problems
    return SchemaRule(section.name, options["pattern"], levels)


def _aggregation_rule_or_problems(section: _Section) -> AggregationRule | list[str] | None:
    """The rule `section` describes, or its problems; None for a pure DEFAULT section."""
    options = section.options
    if section.holds_defaults and "pattern" not in options:
        return None
    problems = _pattern_problems(options)
    xff = DEFAULT_XFILES_FACTOR
    if "xfilesfactor" in options:
        text = options["xfilesfactor"]
        try:
            xff = float(text)
        except ValueError:
            problems.append(f"xFilesFactor {_quoted(text)}: not a number")
        else:
            problems += _xff_problems(xff, _quoted(text))
    method = options.get("aggregationmethod", DEFAULT_AGGREGATION_METHOD)
    problems += _method_problems(method)
    if problems:
        return problems
    return AggregationRule(section.name, options["pattern"], xff, method)


def _pattern_problems(options: dict) -> list[str]:
    if "pattern" not in options:
        return ["missing 'pattern'"]
    if not options["pattern"]:
        return ["pattern is empty"]
    regex = _regex_or_problem(options["pattern"])
    return [] if isinstance(regex, re.Pattern) else [regex]


def _regex_or_problem(pattern: str) -> re.Pattern | str:
    try:
        return re.compile(pattern)
    except re.error as err:
        return f"pattern {_quoted(pattern)}: invalid regex: {err}"


def _xff_problems(xff: float, shown: str) -> list[str]:
    # Written so that NaN fails too.
    if 0.0 <= xff <= 1.0:
        return []
    return [f"xFilesFactor {shown}: must be between 0 and 1"]


def _method_problems(method: str) -> list[str]:
    if method in AGGREGATION_METHODS:
        return []
    return [f"aggregationMethod {_quoted(str(method))}: unknown, expected one of "
            + ", ".join(AGGREGATION_METHODS)]


def _read_ini(text: str, source: str) -> tuple[list[_Section], list[tuple[int, str]]]:
    """Sections in file order and (line, problem) pairs, with configparser's syntax.

    Full-line '#' and ';' comments, `key = value` or `key: value`, keys lower-cased,
    values stripped, a line indented deeper than its key continues the value (joined
    with a newline), and a [DEFAULT] section's keys are inherited by every section.
    Duplicate sections and keys, lines outside a section and unparseable lines are
    problems (configparser raises on each, so carbon would not start).
    """
    raw_sections: list[tuple[str, int, dict]] = []
    problems: list[tuple[int, str]] = []
    first_line: dict[str, int] = {}
    options: dict | None = None  # the current section's; a scratch dict in a rejected one
    target: dict = {}
    key, key_indent = None, 0
    for number, line in enumerate(_lines(text), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        indent = len(line) - len(line.lstrip())
        if key is not None and indent > key_indent:
            target[key] += "\n" + stripped
            continue
        key = None
        if stripped.startswith("["):
            name = stripped[1:-1] if stripped.endswith("]") else ""
            options = {}
            if not name:
                problems.append((number, f"{source} line {number}: bad section header "
                                         f"{_quoted(stripped)}"))
            elif name in first_line:
                problems.append((number, f"{source} [{name}]: duplicate section at line "
                                         f"{number} (first at line {first_line[name]})"))
            else:
                first_line[name] = number
                raw_sections.append((name, number, options))
            continue
        match = _OPTION.fullmatch(stripped)
        if options is None:
            problems.append((number, f"{source} line {number}: {_quoted(stripped)} is "
                                     "outside any [section]"))
        elif match is None or not match["key"]:
            problems.append((number, f"{source} line {number}: expected 'key = value', got "
                                     f"{_quoted(stripped)}"))
        else:
            key, key_indent, target = match["key"].lower(), indent, options
            if key in options:
                problems.append((number, f"{source} line {number}: duplicate key "
                                         f"{_quoted(match['key'])}"))
                target = {}  # so its continuation lines are consumed, not misread as keys
            target[key] = match["value"]
    defaults = next((opts for name, _, opts in raw_sections if name == _CONFIGPARSER_DEFAULTS), {})
    sections = [_Section(name, line, {**defaults, **opts}, name == _CONFIGPARSER_DEFAULTS)
                for name, line, opts in raw_sections]
    return sections, problems


def _lines(text: str) -> list[str]:
    # Universal newlines, as configparser sees a file opened in text mode.
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _span(seconds: int) -> str:
    """`seconds` with the largest unit that divides it exactly: 604800 -> '1w'."""
    for unit, size in _UNITS:
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _quoted(text: str) -> str:
    return f"'{text}'"


def _printable(text: str) -> str:
    """`text` with every non-printable character (line breaks among them) escaped."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
                   for char in text)


def _is_positive_int(value) -> bool:
    if isinstance(value, bool):
        return False
    try:
        return operator.index(value) > 0
    except TypeError:
        return False
