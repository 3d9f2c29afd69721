"""tsdb.tagquery: graphite-web 1.1.10's tag spec parsing and evaluation rules over TagIndex.

Rules from graphite-web tags/base.py (parse_tagspec) and tags/localdatabase.py
(find_series_query, _find_series); whole-system agreement is in the golden and property tests.
"""

from __future__ import annotations

import pytest

from tsdb import tagquery
from tsdb.names import TagIndex
from tsdb.tagquery import Matcher, TagQueryError, find_series, literal_prefix, parse_expression

NAMES = ["cpu;dc=eu;host=web-1", "cpu;dc=eu;host=web-10", "cpu;dc=us;host=db-1",
         "mem;dc=eu;host=web-1;env=prod", "mem;dc=us;host=web-2"]


@pytest.fixture
def index() -> TagIndex:
    idx = TagIndex()
    for name in NAMES:
        idx.add(name)
    return idx


@pytest.mark.parametrize("expr, want", [
    ("dc=eu", Matcher("dc", "=", "eu", False)),
    ("dc=", Matcher("dc", "=", "", True)),
    ("dc!=eu", Matcher("dc", "!=", "eu", True)),
    ("dc!=", Matcher("dc", "!=", "", False)),
    ("dc=~e", Matcher("dc", "=~", "^(e)", False)),
    ("dc=~.*", Matcher("dc", "=~", "^(.*)", True)),
    ("dc=~^e|u", Matcher("dc", "=~", "^e|u", False)),
    ("dc!=~e", Matcher("dc", "!=~", "^(e)", True)),
    ("dc!=~.*", Matcher("dc", "!=~", "^(.*)", False)),
])
def test_parse_expression_anchors_and_classifies(expr, want):
    assert parse_expression(expr) == want


@pytest.mark.parametrize("expr", ["dc", "=x", "a;b=c", "d!c=x", "a=b;c"])
def test_invalid_tagspec_message_is_graphite_webs(expr):
    with pytest.raises(TagQueryError, match=f"^Invalid tagspec {expr}$"):
        parse_expression(expr)


def test_every_spec_matching_empty_is_refused(index):
    with pytest.raises(TagQueryError, match="At least one tagspec must not match the empty string"):
        find_series(index, ["dc!=eu", "env="])
    with pytest.raises(TagQueryError):
        find_series(index, [])


def test_bad_regex_is_a_query_error(index):
    with pytest.raises(TagQueryError, match="invalid regular expression"):
        find_series(index, ["dc=~("])


def test_equal_and_not_equal(index):
    assert find_series(index, ["name=cpu", "dc=eu"]) == NAMES[:2]
    assert find_series(index, ["name=cpu", "dc!=eu"]) == ["cpu;dc=us;host=db-1"]


def test_not_equal_matches_series_without_the_tag(index):
    assert find_series(index, ["name=mem", "env!=prod"]) == ["mem;dc=us;host=web-2"]
    assert find_series(index, ["name=cpu", "env!=prod"]) == NAMES[:3]


def test_empty_value_means_tag_absent_and_not_equal_empty_means_present(index):
    assert find_series(index, ["name=mem", "env="]) == ["mem;dc=us;host=web-2"]
    assert find_series(index, ["env!="]) == ["mem;dc=eu;host=web-1;env=prod"]


def test_regex_is_anchored_at_start_only(index):
    assert find_series(index, ["host=~web-1"]) == ["cpu;dc=eu;host=web-1", "cpu;dc=eu;host=web-10",
                                                   "mem;dc=eu;host=web-1;env=prod"]
    assert find_series(index, ["host=~eb"]) == []
    assert find_series(index, ["host=~web-1$"]) == ["cpu;dc=eu;host=web-1", "mem;dc=eu;host=web-1;env=prod"]


def test_required_regex_searches_filter_regex_matches(index):
    # sqlite REGEXP is re.search: '^d|2' finds '2' anywhere; the Python filter uses re.match
    assert find_series(index, ["host=~^d|2"]) == ["cpu;dc=us;host=db-1", "mem;dc=us;host=web-2"]
    assert find_series(index, ["name=~.", "host!=~^d|2"]) == ["cpu;dc=eu;host=web-1",
                                                             "cpu;dc=eu;host=web-10",
                                                             "mem;dc=eu;host=web-1;env=prod",
                                                             "mem;dc=us;host=web-2"]


def test_negated_regex_needing_a_value(index):
    assert find_series(index, ["env!=~.*"]) == []          # present and not matching '' -> none
    assert find_series(index, ["name=~.", "host!=~w.*"]) == ["cpu;dc=us;host=db-1"]


def test_unknown_tag_or_value_gives_nothing(index):
    assert find_series(index, ["nope=x"]) == [] and find_series(index, ["dc=mars"]) == []


def test_removed_series_are_not_found(index):
    index.remove("cpu;dc=eu;host=web-1")
    assert find_series(index, ["name=cpu", "dc=eu"]) == ["cpu;dc=eu;host=web-10"]


def test_regex_cache_sees_values_added_later(index):
    assert find_series(index, ["host=~web-3"]) == []
    index.add("cpu;dc=eu;host=web-3")
    assert find_series(index, ["host=~web-3"]) == ["cpu;dc=eu;host=web-3"]


@pytest.mark.parametrize("pattern, prefix", [
    ("^(web-1.*)", "web-1"), ("^(web)", "web"), ("^web\\.x", "web.x"), ("^(a|b)", ""),
    ("^a|b", ""), ("^(?i:ab)", ""), ("(?i)^ab", ""), ("^(ab?)", "a"), ("ab", ""),
    ("^(?m)ab", ""), ("^((ab)c)d*", "abc"),
])
def test_literal_prefix_never_claims_too_much(pattern, prefix):
    assert literal_prefix(pattern) == prefix


def test_list_tags_and_values(index):
    assert [r["tag"] for r in tagquery.list_tags(index)] == ["dc", "env", "host", "name"]
    assert [r["tag"] for r in tagquery.list_tags(index, "e|h")] == ["env", "host"]
    assert [r["tag"] for r in tagquery.list_tags(index, None, "2")] == ["dc", "env"]
    rows = tagquery.list_values(index, "dc")
    assert [(r["value"], r["count"]) for r in rows] == [("eu", 3), ("us", 2)]
    assert tagquery.get_tag(index, "nope") is None


def test_sql_limit_follows_sqlite():
    assert tagquery.sql_limit([1, 2, 3], "2") == [1, 2]
    assert tagquery.sql_limit([1, 2, 3], "0") == []
    assert tagquery.sql_limit([1, 2, 3], "-1") == [1, 2, 3]
    assert tagquery.sql_limit([1, 2, 3], None) == [1, 2, 3]
    with pytest.raises(ValueError, match="invalid literal for int"):
        tagquery.sql_limit([1], "x")


def test_autocomplete_tags(index):
    assert tagquery.autocomplete_tags(index, []) == ["dc", "env", "host", "name"]
    assert tagquery.autocomplete_tags(index, [], "h") == ["host"]
    assert tagquery.autocomplete_tags(index, ["name=cpu"]) == ["dc", "host"]
    assert tagquery.autocomplete_tags(index, ["name=mem"], limit="1") == ["dc"]


def test_autocomplete_values(index):
    assert tagquery.autocomplete_values(index, [], "host", "web-1") == ["web-1", "web-10"]
    assert tagquery.autocomplete_values(index, ["dc=us"], "host") == ["db-1", "web-2"]
    assert tagquery.autocomplete_values(index, ["dc=eu"], "env") == ["prod"]
    assert tagquery.autocomplete_values(index, ["dc=eu"], "nope") == []
    assert tagquery.autocomplete_values(index, [], "nope") == []
