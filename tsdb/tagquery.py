"""Graphite tag expressions (seriesByTag, /tags/findSeries, autocomplete) over the TagIndex.

What: parses graphite-web 1.1.10's tag specs (``tag=v``, ``tag!=v``, ``tag=~re``,
``tag!=~re``) and evaluates a list of them with its LocalDatabaseTagDB rules: a regex is
anchored as ``^(re)`` unless it starts with ``^``; a spec that matches the empty string also
matches series without the tag and only filters; at least one spec must need a non-empty
value.  Specs that need a value are evaluated as graphite-web's SQL does (sqlite's REGEXP is
``re.search``), the filters as its Python does (``re.match``); the two differ only for
specs such as ``^a|b``.  Results are sorted by name (sqlite's binary collation = code point
order).
Why this shape: at 1M series a set per value is too big and a union of thousands of values
too slow.  The most selective spec (estimated from per-value counts) scans one column; the
others are checked by binary search of the survivors; a regex runs once per distinct value
(cached per pattern, narrowed by its literal prefix).  Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

try:
    import re._parser as _sre_parse          # Python >= 3.11
    import re._constants as _sre_const
except ImportError:                          # pragma: no cover - Python 3.10
    import sre_constants as _sre_const
    import sre_parse as _sre_parse

from .names import TagColumn, TagIndex

__all__ = ["TagQueryError", "Matcher", "parse_expression", "parse_expressions",
           "find_series", "autocomplete_tags", "autocomplete_values", "list_tags",
           "list_values", "literal_prefix", "DEFAULT_AUTOCOMPLETE_LIMIT"]

DEFAULT_AUTOCOMPLETE_LIMIT = 100        # graphite-web TAGDB_AUTOCOMPLETE_LIMIT
_TAGSPEC = re.compile(r"^([^;!=]+)(!?=~?)([^;]*)$")   # graphite-web BaseTagDB.parse_tagspec


class TagQueryError(ValueError):
    """A tag expression graphite-web refuses (HTTP 400); the message is graphite-web's."""


@dataclass(frozen=True)
class Matcher:
    tag: str
    op: str                  # '=', '!=', '=~' or '!=~'
    spec: str                # for the regex operators: anchored as graphite-web anchors it
    matches_empty: bool      # true for the empty value, i.e. for series without the tag


def parse_expression(expression: str) -> Matcher:
    """One tag spec, with graphite-web's anchoring and its 'matches empty' rule."""
    found = _TAGSPEC.match(expression)
    if found is None:
        raise TagQueryError(f"Invalid tagspec {expression}")
    tag, op, spec = found.groups()
    if op in ("=~", "!=~"):
        if not spec.startswith("^"):
            spec = "^(" + spec + ")"
        hit = _compiled(spec).match("") is not None
        return Matcher(tag, op, spec, hit if op == "=~" else not hit)
    return Matcher(tag, op, spec, spec == "" if op == "=" else spec != "")


def parse_expressions(expressions) -> list[Matcher]:
    """All specs, or TagQueryError if one is invalid or every one matches the empty value."""
    matchers = [parse_expression(e) for e in expressions]
    if all(m.matches_empty for m in matchers):
        raise TagQueryError("At least one tagspec must not match the empty string")
    return matchers


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern:
    try:
        return re.compile(pattern)
    except (re.error, OverflowError, RecursionError) as exc:
        raise TagQueryError(f"invalid regular expression {pattern!r}: {exc}") from None


def find_series(index: TagIndex, expressions) -> list[str]:
    """Names of the listed series matching every expression, sorted."""
    matchers = parse_expressions(expressions)
    with index.lock:
        return sorted(index.names_of(_matching(index, matchers)))


def _matching(index: TagIndex, matchers: list[Matcher]) -> np.ndarray:
    """Ascending series numbers matching every matcher (index.lock held)."""
    required = []
    for m in matchers:
        if m.matches_empty:
            continue
        column = index.columns.get(m.tag)
        if column is None:
            return np.zeros(0, dtype=np.int32)
        required.append((m, column, _value_mask(column, m)))
    required.sort(key=lambda item: _estimate(item[1], item[2]))
    first, column, mask = required[0]
    codes = column.codes.view()
    if first.op == "=":
        code = column.code_of.get(first.spec)
        if code is None:
            return np.zeros(0, dtype=np.int32)
        found = column.series.view()[codes == code]
    else:
        found = column.series.view()[mask[codes]]
    for m, column, mask in required[1:]:
        if not len(found):
            break
        present, value = column.lookup(found)
        found = found[present & mask[value]]
    for m in matchers:
        if m.matches_empty and len(found):
            column = index.columns.get(m.tag)
            if column is not None:
                present, value = column.lookup(found)
                found = found[~present | _value_mask(column, m)[value]]
    return found[index.alive.view()[found]]


def _estimate(column: TagColumn, mask: np.ndarray | int) -> int:
    return int(column.counts.view()[mask].sum())


def _value_mask(column: TagColumn, m: Matcher) -> np.ndarray:
    """Bool per value code: the matcher accepts a series with that value."""
    n = len(column.values)
    if m.op in ("=", "!="):
        mask = np.zeros(n, dtype=bool)
        code = column.code_of.get(m.spec)
        if code is not None:
            mask[code] = True
        return mask if m.op == "=" else ~mask
    regex = _compiled(m.spec)
    # required specs follow graphite-web's SQL (sqlite REGEXP = re.search), filters its
    # Python loop (re.match)
    hits = column.regex_mask(regex, search=not m.matches_empty, prefix=literal_prefix(m.spec))
    return hits if m.op == "=~" else ~hits


@lru_cache(maxsize=1024)
def literal_prefix(pattern: str) -> str:
    """A literal every match of ``^``-anchored ``pattern`` starts with ('' if unknown).

    Used only to narrow which values a regex is tried on, so it may be shorter than the
    real prefix but never longer: it stops at the first element that is not a plain
    literal, and gives up on case-insensitive or multi-line patterns.
    """
    try:
        parsed = _sre_parse.parse(pattern)
    except Exception:          # the regex compiled; a parser quirk only costs the shortcut
        return ""
    if parsed.state.flags & (re.IGNORECASE | re.MULTILINE):
        return ""
    items = list(parsed)
    if not items or items[0] != (_sre_const.AT, _sre_const.AT_BEGINNING):
        return ""
    prefix, _ = _literals(items[1:])
    return prefix


def _literals(items) -> tuple[str, bool]:
    """(leading literal text, whether every item was literal)."""
    out = []
    for op, arg in items:
        if op is _sre_const.LITERAL:
            out.append(chr(arg))
        elif op is _sre_const.SUBPATTERN and not arg[1] and not arg[2]:
            inner, whole = _literals(list(arg[3]))
            out.append(inner)
            if not whole:
                return "".join(out), False
        else:
            return "".join(out), False
    return "".join(out), True


# --------------------------------------------------------------------------- listings

def list_tags(index: TagIndex, tag_filter: str | None = None, limit=None) -> list[dict]:
    """/tags: ``[{"id", "tag"}]`` sorted by tag; ``tag_filter`` an anchored regex."""
    regex = _anchored(tag_filter) if tag_filter else None
    with index.lock:
        rows = [{"id": index.columns[t].tag_id, "tag": t} for t in sorted(index.columns)
                if regex is None or regex.search(t)]
    return sql_limit(rows, limit)


def list_values(index: TagIndex, tag: str, value_filter: str | None = None,
                limit=None) -> list[dict]:
    """Values of ``tag`` held by listed series: ``[{"id", "value", "count"}]`` by value."""
    regex = _anchored(value_filter) if value_filter else None
    with index.lock:
        column = index.columns.get(tag)
        if column is None:
            return []
        values, codes = column.sorted_values()
        counts = column.counts.view()[codes].tolist()
        ids = index.value_ids
        rows = [{"id": ids[v], "value": v, "count": c} for v, c in zip(values, counts)
                if c > 0 and (regex is None or regex.search(v))]
    return sql_limit(rows, limit)


def get_tag(index: TagIndex, tag: str, value_filter: str | None = None, limit=None) -> dict | None:
    """/tags/<tag>: ``{"id", "tag", "values"}``, or None for a tag never seen."""
    with index.lock:
        column = index.columns.get(tag)
        if column is None:
            return None
        tag_id = column.tag_id
    return {"id": tag_id, "tag": tag, "values": list_values(index, tag, value_filter, limit)}


def _anchored(pattern: str) -> re.Pattern:
    # graphite-web anchors every filter as ^(...) unless it starts with ^; sqlite REGEXP is re.search
    return _compiled(pattern if pattern.startswith("^") else "^(" + pattern + ")")


def sql_limit(rows: list, limit) -> list:
    """graphite-web's ``if limit: sql += ' LIMIT %s' % int(limit)`` on sqlite (negative = all)."""
    if limit:
        n = int(limit)
        if n >= 0:
            return rows[:n]
    return rows


# ----------------------------------------------------------------------- autocomplete

def autocomplete_tags(index: TagIndex, expressions, tag_prefix: str | None = None,
                      limit=None) -> list[str]:
    """Tag names to offer next (graphite-web auto_complete_tags, unsorted by the TagDB).

    Without expressions: every tag with the prefix.  With them: the tags of the matching
    series, less the tags the expressions name.
    """
    n = DEFAULT_AUTOCOMPLETE_LIMIT if limit is None else int(limit)
    if not expressions:
        pattern = "^(" + re.escape(tag_prefix) + ")" if tag_prefix else None
        return [row["tag"] for row in list_tags(index, pattern, n)]
    matchers = parse_expressions(expressions)
    searched = {m.tag for m in matchers}
    with index.lock:
        found = _matching(index, matchers)
        tags = [t for t in sorted(index.columns) if t not in searched
                and (not tag_prefix or t.startswith(tag_prefix))
                and _any_present(index.columns[t], found)]
    return tags[:max(n, 0)]


def _any_present(column: TagColumn, found: np.ndarray) -> bool:
    if not len(found):
        return False
    have = column.series.view()
    if len(found) <= len(have):
        return bool(column.lookup(found)[0].any())
    pos = np.minimum(np.searchsorted(found, have), len(found) - 1)
    return bool((found[pos] == have).any())


def autocomplete_values(index: TagIndex, expressions, tag: str, value_prefix: str | None = None,
                        limit=None) -> list[str]:
    """Values of ``tag`` to offer (graphite-web auto_complete_values).

    Without expressions: the listed values with the prefix.  With them: the values ``tag``
    takes among the series matching the expressions plus ``tag!=``.
    """
    n = DEFAULT_AUTOCOMPLETE_LIMIT if limit is None else int(limit)
    if not expressions:
        with index.lock:
            column = index.columns.get(tag)
            if column is None:
                return []
            codes = column.prefix_codes(value_prefix or "")
            live = codes[column.counts.view()[codes] > 0]
            values = [column.values[c] for c in live.tolist()]
        # list_values(limit=n): sqlite LIMIT, where 0 means no LIMIT clause at all
        return sql_limit(values, n)
    matchers = parse_expressions(list(expressions) + [tag + "!="])
    with index.lock:
        found = _matching(index, matchers)
        column = index.columns.get(tag)
        if column is None:
            return []
        present, codes = column.lookup(found)
        codes = np.unique(codes[present])
        if value_prefix:    # narrow by code first: sorting strings is the costly part
            wanted = np.zeros(len(column.values), dtype=bool)
            wanted[column.prefix_codes(value_prefix)] = True
            codes = codes[wanted[codes]]
        values = sorted(column.values[c] for c in codes.tolist())
    return values[:max(n, 0)]
