"""Property: tag queries over the TagIndex equal a brute-force filter with graphite-web's rules.

The reference below is graphite-web 1.1.10's LocalDatabaseTagDB written out per series:
specs that need a value are its SQL (the tag present, sqlite REGEXP = re.search), specs that
match the empty value are its Python filter (missing tag = '', re.match), regexes anchored
as ^(re) unless they start with ^.  Random tag sets, random deletions and random specs
(regexes with alternation and ^ included) must give exactly the same sorted names, the same
errors, and the same autocomplete answers.
"""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from tsdb import tagquery
from tsdb.names import TagIndex, normalize, parse_tags

TAGS = ["a", "b", "c", "name"]
VALUES = ["x", "y", "xy", "yx", "x1", "y.z"]
SPECS = VALUES + ["", "x.*", ".*", ".+", "^y", "y|x", "[xy]1", "^x|y", "x$", "(", "z", "X"]

tag_sets = st.dictionaries(st.sampled_from(TAGS[:3]), st.sampled_from(VALUES), max_size=3)
series = st.lists(st.tuples(st.sampled_from(["m", "n.o", "p"]), tag_sets), min_size=1, max_size=40)
expressions = st.lists(st.builds(lambda t, op, s: f"{t}{op}{s}", st.sampled_from(TAGS + ["zz"]),
                                 st.sampled_from(["=", "!=", "=~", "!=~"]), st.sampled_from(SPECS)),
                       min_size=0, max_size=4)


def build(items, deleted_mask) -> tuple[TagIndex, list[str]]:
    index = TagIndex()
    names = sorted({normalize(metric + "".join(f";{t}={v}" for t, v in tags.items()))
                    for metric, tags in items})
    for name in names:
        index.add(name)
    deleted = [n for n, d in zip(names, deleted_mask) if d]
    for name in deleted:
        index.remove(name)
    return index, [n for n in names if n not in deleted]


def reference(names: list[str], exprs: list[str]) -> list[str] | str:
    """graphite-web's answer, or 'error' where it raises (400 or 500)."""
    parsed = []
    for expr in exprs:
        m = re.match(r"^([^;!=]+)(!?=~?)([^;]*)$", expr)
        if m is None:
            return "error"
        tag, op, spec = m.groups()
        if op in ("=~", "!=~"):
            spec = spec if spec.startswith("^") else f"^({spec})"
            try:
                empty = bool(re.match(spec, ""))
            except re.error:
                return "error"
            empty = empty if op == "=~" else not empty
        else:
            empty = spec == "" if op == "=" else spec != ""
        parsed.append((tag, op, spec, empty))
    if all(p[3] for p in parsed):
        return "error"
    out = []
    for name in names:
        tags = parse_tags(name)
        if all(_accepts(tags, *p) for p in parsed):
            out.append(name)
    return sorted(out)


def _accepts(tags, tag, op, spec, empty) -> bool:
    if not empty and tag not in tags:   # the SQL join: the tag must be present
        return False
    v = tags.get(tag, "")
    if op in ("=", "!="):
        return (v == spec) == (op == "=")
    found = (re.search if not empty else re.match)(spec, v) is not None
    return found == (op == "=~")


def ours(index: TagIndex, exprs: list[str]) -> list[str] | str:
    try:
        return tagquery.find_series(index, exprs)
    except tagquery.TagQueryError:
        return "error"


@settings(max_examples=400, deadline=None)
@given(series, st.lists(st.booleans(), max_size=40), expressions)
@example([("m", {"a": "x"}), ("m", {"a": "x", "b": "y"})], [], ["a=x", "b!=z"])   # filter, tag absent
@example([("m", {"a": "xy"}), ("n.o", {"a": "y"})], [], ["a=~^x|y"])        # search, not match
@example([("m", {"a": "x"}), ("p", {"a": "x"})], [True], ["a=x"])            # a removed series
def test_find_series_equals_brute_force(items, deleted, exprs):
    index, live = build(items, deleted)
    assert ours(index, exprs) == reference(live, exprs)


@settings(max_examples=200, deadline=None)
@given(series, st.lists(st.booleans(), max_size=40), expressions, st.sampled_from(TAGS + ["zz"]),
       st.sampled_from(["", "x", "y"]), st.integers(0, 5))
def test_autocomplete_values_equals_brute_force(items, deleted, exprs, tag, prefix, limit):
    index, live = build(items, deleted)
    if exprs:
        matched = reference(live, exprs + [tag + "!="])
        if matched == "error":
            return
        values = sorted({parse_tags(n)[tag] for n in matched})
    else:
        values = sorted({parse_tags(n)[tag] for n in live if tag in parse_tags(n)})
    want = [v for v in values if v.startswith(prefix)][:limit] if limit else \
        [v for v in values if v.startswith(prefix)] if not exprs else []
    got = tagquery.autocomplete_values(index, exprs, tag, prefix, limit)
    assert got == want


@settings(max_examples=200, deadline=None)
@given(series, st.lists(st.booleans(), max_size=40), expressions, st.sampled_from(["", "a", "n"]))
def test_autocomplete_tags_equals_brute_force(items, deleted, exprs, prefix):
    index, live = build(items, deleted)
    if exprs:
        matched = reference(live, exprs)
        if matched == "error":
            return
        searched = {re.match(r"^([^;!=]+)", e).group(1) for e in exprs}
        want = sorted({t for n in matched for t in parse_tags(n) if t not in searched})
    else:   # every tag ever seen, as graphite-web's tags_tag table keeps them
        want = sorted({t for metric, tags in items for t in list(tags) + ["name"]})
    want = [t for t in want if t.startswith(prefix)]
    assert tagquery.autocomplete_tags(index, exprs, prefix) == want
