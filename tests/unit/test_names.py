"""tsdb.names: carbon name normalization, Graphite globs, NameTrie and TagIndex.

Normalization cases cite carbon 1.1.10 lib/carbon/util.py ``TaggedSeries`` (graphite-web 1.1.10
webapp/graphite/tags/utils.py holds the same class); find/expand cases cite GRAPHITE.md.
"""

import gc
import time
import tracemalloc

import pytest

from tsdb.names import (MAX_BRACE_DEPTH, MAX_PATTERN_LENGTH, InvalidName, InvalidPattern,
                        NameTrie, TagIndex, glob_to_regex, has_glob, is_tagged, normalize,
                        parse_tags)


def matches(glob: str, text: str) -> bool:
    return glob_to_regex(glob).fullmatch(text) is not None


# ---------------------------------------------------------------------------------- normalize

def test_plain_path_is_returned_unchanged():
    # util.py TaggedSeries.parse_carbon: no ';' -> the whole name is the metric, path = name
    assert normalize("collectd.host1.cpu-0.cpu-user") == "collectd.host1.cpu-0.cpu-user"


def test_plain_path_characters_are_not_validated():
    # carbon validates tags only; any character of a plain metric is kept
    assert normalize("a b.c=d!e^f.(g)") == "a b.c=d!e^f.(g)"


def test_plain_path_loses_leading_tilde():
    # util.py: every name goes through parse_carbon; sanitize_name_as_tag_value does lstrip('~')
    # and format() returns tags['name'], so carbon stores '~a.b' as 'a.b'
    assert normalize("~~a.b~") == "a.b~"


def test_tags_are_sorted():
    # util.py TaggedSeries.format: name + sorted ';tag=value' strings
    assert normalize("cpu;host=a;dc=x") == "cpu;dc=x;host=a"


def test_tags_sort_by_whole_segment_not_by_tag_name():
    # util.py TaggedSeries.format sorts ';a=1' and ';a-b=2' as strings: '-' < '='
    assert normalize("m;a=1;a-b=2") == "m;a-b=2;a=1"


def test_name_tag_is_metric_without_leading_tilde():
    # util.py sanitize_name_as_tag_value: name.lstrip('~')
    assert normalize("~~cpu.load;a=b") == "cpu.load;a=b"


def test_explicit_name_tag_is_overwritten_by_metric():
    # util.py parse_carbon: tags['name'] is assigned after the segment loop
    assert normalize("cpu;name=other;a=b") == "cpu;a=b"


def test_duplicate_tags_last_wins():
    # util.py parse_carbon: tags[tag[0]] = tag[1] in segment order
    assert normalize("cpu;a=1;b=2;a=3") == "cpu;a=3;b=2"


def test_value_splits_at_first_equals_only():
    # util.py parse_carbon: segment.split('=', 1)
    assert normalize("cpu;a=b=c") == "cpu;a=b=c"


def test_value_may_hold_characters_forbidden_in_tags():
    # util.py validateTagAndValue: values only refuse ';' and a leading '~'
    assert normalize("cpu;a=x!^~.y") == "cpu;a=x!^~.y"


def test_tag_may_hold_tilde_and_dots():
    # util.py prohibitedTagChars = ';!^=' and nothing else
    assert normalize("cpu;~t.x=v") == "cpu;~t.x=v"


def test_openmetrics_form_is_normalized():
    # util.py TaggedSeries.parse: ends with '"}' and contains '{' -> parse_openmetrics
    assert normalize('cpu{host="a",dc="x"}') == "cpu;dc=x;host=a"


def test_openmetrics_unescapes_quote_and_backslash():
    # util.py parse_openmetrics: .replace(r'\"', '"').replace(r'\\', '\\')
    assert normalize(r'cpu{a="x\"y",b="p\\q"}') == 'cpu;a=x"y;b=p\\q'


def test_openmetrics_accepts_colon_comma_separator():
    # util.py parse_openmetrics regex ends in '(:?,|$)' (a typo for '(?:,|$)'): ':,' separates
    assert normalize('cpu{a="1":,b="2"}') == "cpu;a=1;b=2"


def test_openmetrics_keeps_space_after_comma_in_tag():
    # util.py parse_openmetrics: the tag is '([^=]+)', so ', b' makes the tag ' b'
    assert normalize('cpu{a="1", b="2"}') == "cpu; b=2;a=1"


def test_openmetrics_name_tag_is_metric_without_leading_tilde():
    # util.py parse_openmetrics: tags['name'] = sanitize_name_as_tag_value(metric)
    assert normalize('~cpu{name="x",a="b"}') == "cpu;a=b"


def test_openmetrics_without_tags_is_a_plain_path():
    # 'cpu{}' does not end with '"}', so carbon takes it as a plain name
    assert normalize("cpu{}") == "cpu{}"


def test_normalize_is_a_fixed_point_on_its_output():
    name = normalize('~m{b="2",a="1"}')
    assert normalize(name) == name == "m;a=1;b=2"


@pytest.mark.parametrize("name, rule", [
    ("", "name is empty"),
    ("a\x00b", "name contains NUL"),
    ("a.b\n", "name contains a newline"),
    # util.py parse_carbon: 'Cannot parse path %s, no metric found'
    (";a=b", "no metric found before ';'"),
    # util.py parse_carbon: 'Cannot parse path %s, invalid segment %s'
    ("cpu;a", "invalid segment 'a' (expected tag=value)"),
    ("cpu;=b", "invalid segment '=b' (expected tag=value)"),
    ("cpu;a=b;", "invalid segment '' (expected tag=value)"),
    # util.py validateTagAndValue
    ("cpu;a=", 'value for tag "a" may not be empty'),
    ("cpu;a!=b", 'character "!" is not allowed in tag "a!"'),
    ("cpu;a^b=c", 'character "^" is not allowed in tag "a^b"'),
    ("cpu;a=~b", 'value of tag "a" may not start with "~"'),
    # util.py sanitize_name_as_tag_value
    ("~;a=b", "metric '~' is empty once leading '~' are stripped"),
    ("~~", "metric '~~' is empty once leading '~' are stripped"),
    # util.py parse_openmetrics
    ('{a="b"}', "no metric found before '{'"),
    ('cpu{a=b"}', "invalid segment 'a=b\"' (expected tag=\"value\")"),
    ('cpu{a=""}', "invalid segment 'a=\"\"' (expected tag=\"value\")"),
    ('cpu{a="x;y"}', 'character ";" is not allowed in value "x;y" of tag "a"'),
    ('cpu{a="~x"}', 'value of tag "a" may not start with "~"'),
    ('cpu{a!="b"}', 'character "!" is not allowed in tag "a!"'),
    ('cpu{a="b"}{c="d"}', "OpenMetrics name has more than one '{'"),
    # Strata only: carbon would store names that do not parse back to themselves
    ('a;b{c="d"}', "OpenMetrics metric part 'a;b' contains ';'"),
    ('a{;u=x"};t=y', "normalized form 'a{;t=y;u=x\"}' would parse as OpenMetrics"),
])
def test_normalize_rejects(name, rule):
    with pytest.raises(InvalidName) as caught:
        normalize(name)
    assert str(caught.value) == f"invalid metric name {name!r}: {rule}"
    assert caught.value.name == name and caught.value.rule == rule


def test_invalid_name_is_a_value_error():
    with pytest.raises(ValueError):
        normalize("")


@pytest.mark.parametrize("name, tagged", [
    ("a.b", False), ("a;b=c", True), ('a{b="c"}', True), ("a{b}", False), ('a"}', False),
])
def test_is_tagged(name, tagged):
    assert is_tagged(name) is tagged


def test_parse_tags_of_plain_path_is_name_only():
    assert parse_tags("a.b.c") == {"name": "a.b.c"}


def test_parse_tags_of_tagged_name():
    assert parse_tags("cpu.load;dc=x;host=a=b") == {"name": "cpu.load", "dc": "x", "host": "a=b"}


def test_parse_tags_rejects_segment_without_equals():
    with pytest.raises(InvalidName) as caught:
        parse_tags("cpu;dc")
    assert str(caught.value) == \
        "invalid metric name 'cpu;dc': invalid segment 'dc' (expected tag=value)"


# ---------------------------------------------------------------------------------- globs

@pytest.mark.parametrize("component, expected", [
    ("abc", False), ("a*", True), ("a?", True), ("[ab]", True), ("{a,b}", True),
    ("a]", False), ("a}", False), ("a,b", False), ("a!", False),
])
def test_has_glob(component, expected):
    assert has_glob(component) is expected


def test_star_matches_any_run_including_empty():
    assert matches("cpu*", "cpu") and matches("cpu*", "cpu-0") and matches("*", "")


def test_star_never_crosses_a_dot():
    assert not matches("a*", "ab.c") and not matches("*", "a.b")


def test_several_stars():
    assert matches("*a*b*", "xxaxxbxx") and not matches("*a*b*", "xxbxxaxx")


def test_question_mark_matches_exactly_one_character():
    assert matches("cpu-?", "cpu-1")
    assert not matches("cpu-?", "cpu-") and not matches("cpu-?", "cpu-12")


def test_question_mark_does_not_match_a_dot():
    assert not matches("a?b", "a.b")


def test_class_matches_listed_characters():
    assert matches("[abc]x", "bx") and not matches("[abc]x", "dx")


def test_class_range():
    assert matches("host[0-3]", "host2") and not matches("host[0-3]", "host4")


def test_class_negation():
    assert matches("[!a]x", "bx") and not matches("[!a]x", "ax")


def test_negated_class_does_not_match_a_dot():
    assert not matches("a[!b]c", "a.c")


def test_class_takes_a_leading_close_bracket_literally():
    # fnmatch: ']' first in the class (or after '!') is a member
    assert matches("[]a]", "]") and matches("[!]]", "a") and not matches("[!]]", "]")


def test_class_with_trailing_dash_takes_it_literally():
    assert matches("[a-]", "-") and not matches("[a-]", "b")


def test_class_with_reversed_range_matches_nothing():
    # fnmatch drops empty ranges; 'z-a' alone leaves a class that never matches
    assert not matches("[z-a]", "m") and not matches("[z-a]", "z")


def test_unclosed_bracket_is_literal():
    assert matches("a[b", "a[b") and matches("[*", "[xyz")


def test_braces_are_alternatives():
    assert [matches("cpu-{user,system}", n) for n in ("cpu-user", "cpu-system", "cpu-idle")] \
        == [True, True, False]


def test_braces_nest():
    glob = "{a,b{c,d{e,f}}}"
    candidates = ("a", "bc", "bde", "bdf", "bd", "b")
    assert [n for n in candidates if matches(glob, n)] == ["a", "bc", "bde", "bdf"]


def test_brace_alternatives_may_hold_wildcards():
    glob = "{web*,db[0-9],c?}"
    candidates = ("web12", "db7", "dbx", "cz", "c")
    assert [n for n in candidates if matches(glob, n)] == ["web12", "db7", "cz"]


def test_empty_alternative_matches_nothing_in_its_place():
    assert matches("cpu{,-0}", "cpu") and matches("cpu{,-0}", "cpu-0") and matches("a{}b", "ab")


def test_unbalanced_braces_are_literal():
    assert matches("a{b", "a{b") and matches("a}b", "a}b") and matches("{a{b,c}", "{ab")


def test_comma_outside_braces_is_literal():
    assert matches("a,b", "a,b") and not matches("a,b", "a")


def test_class_binds_tighter_than_braces():
    assert matches("[{,}]", ",") and matches("[{,}]", "{") and not matches("[{,}]", "")


def test_regex_metacharacters_are_literal():
    assert matches("a+b(c)|$^\\", "a+b(c)|$^\\") and not matches("a+", "aa")


def test_glob_must_match_the_whole_component():
    # .match as well as .fullmatch: the regex is anchored at the end
    assert glob_to_regex("cpu").match("cpu-0") is None
    assert glob_to_regex("cpu").fullmatch("xcpu") is None


def test_pattern_longer_than_limit_is_refused():
    glob = "a" * (MAX_PATTERN_LENGTH + 1)
    with pytest.raises(InvalidPattern) as caught:
        glob_to_regex(glob)
    assert str(caught.value) == (f"invalid path expression '{'a' * 77}...': "
                                 f"longer than {MAX_PATTERN_LENGTH} characters")


def test_braces_nested_to_the_limit_compile():
    glob = "{a," * MAX_BRACE_DEPTH + "x" + "}" * MAX_BRACE_DEPTH
    assert matches(glob, "x") and matches(glob, "a") and not matches(glob, "b")


def test_braces_nested_past_the_limit_are_refused():
    glob = "{a," * (MAX_BRACE_DEPTH + 1) + "x" + "}" * (MAX_BRACE_DEPTH + 1)
    with pytest.raises(InvalidPattern) as caught:
        glob_to_regex(glob)
    assert caught.value.rule == f"braces nested deeper than {MAX_BRACE_DEPTH}"


def test_hundred_alternatives_compile_to_one_alternation():
    glob = "{" + ",".join(f"host{i}" for i in range(100)) + "}"
    regex = glob_to_regex(glob)
    assert regex.fullmatch("host57") and not regex.fullmatch("host100")
    assert len(regex.pattern) < 2 * len(glob)


def test_runaway_backtracking_pattern_is_refused():
    with pytest.raises(InvalidPattern) as caught:
        glob_to_regex("*{a*,b}*{a*,b}*c")
    assert caught.value.rule == ("too many '*' and brace groups of varying width "
                                 "to match without runaway backtracking")


@pytest.mark.parametrize("glob", [
    # each took seconds to minutes with a naive glob -> regex translation
    "*a*a*a*a*a*a*a*a*a*a*a*a*b",
    "*{a,aa}*{a,aa}*{a,aa}*{a,aa}*c",
    "{a,?}" * 40 + "b",
    "*{a*,b}*c",
])
def test_hostile_globs_match_quickly(glob):
    regex = glob_to_regex(glob)
    start = time.perf_counter()
    for text in ("a" * 255, "a" * 254 + "b", "ab" * 127):
        regex.fullmatch(text)
    assert time.perf_counter() - start < 0.5


# ---------------------------------------------------------------------------------- NameTrie

def trie_of(*names: str) -> NameTrie:
    trie = NameTrie()
    for name in names:
        trie.add(name)
    return trie


def test_add_reports_new_names():
    trie = NameTrie()
    assert trie.add("a.b") is True and trie.add("a.b") is False


def test_len_counts_leaves():
    assert len(trie_of("a.b", "a.c", "a.b.d", "a.b")) == 3


def test_contains_leaves_only():
    trie = trie_of("a.b.c")
    assert "a.b.c" in trie and "a.b" not in trie and "a.b.c.d" not in trie and 3 not in trie


def test_name_can_be_leaf_and_branch_in_either_order():
    first_leaf, first_branch = trie_of("a.b", "a.b.c"), trie_of("a.b.c", "a.b")
    for trie in (first_leaf, first_branch):
        assert "a.b" in trie and "a.b.c" in trie and len(trie) == 2


def test_adding_a_branch_twice_as_leaf_is_not_new():
    trie = trie_of("a.b.c", "a.b")
    assert trie.add("a.b") is False and len(trie) == 2


@pytest.mark.parametrize("name", ["", "cpu;dc=x"])
def test_add_refuses_empty_and_tagged_names(name):
    with pytest.raises(InvalidName) as caught:
        NameTrie().add(name)
    assert caught.value.rule == "NameTrie holds plain, non-empty paths only"


def test_find_exact_path():
    assert trie_of("a.b.c", "a.b.d").find("a.b.c") == [("a.b.c", True)]


def test_find_exact_branch():
    assert trie_of("a.b.c").find("a.b") == [("a.b", False)]


def test_find_nothing():
    assert trie_of("a.b.c").find("a.x") == [] and trie_of("a.b").find("a.b.c") == []


def test_find_returns_branches_and_leaves_of_one_level():
    trie = trie_of("servers.web1.cpu", "servers.web2", "servers.db1.cpu")
    assert trie.find("servers.*") == [
        ("servers.db1", False), ("servers.web1", False), ("servers.web2", True)]


def test_find_sorts_by_last_component_not_full_path():
    # GRAPHITE.md 4.1: matches sorted by node name (last path component)
    trie = trie_of("a.zeta", "b.alpha")
    assert trie.find("*.*") == [("b.alpha", True), ("a.zeta", True)]


def test_find_lists_branch_before_leaf_for_equal_names():
    # GRAPHITE.md 9.7: find sorts by last component, branches first
    trie = trie_of("a.x", "b.x.y")
    assert trie.find("*.x") == [("b.x", False), ("a.x", True)]


def test_find_lists_node_that_is_both_twice_branch_first():
    # graphite-web storage.py _list_nodes yields the BranchNode, then the LeafNode, of one path
    trie = trie_of("a.b.c", "a.b")
    assert trie.find("a.*") == [("a.b", False), ("a.b", True)]


def test_find_drops_backslashes_before_matching():
    # graphite-web finders/standard.py: query.pattern.replace('\\', '')
    assert trie_of("a.b").find("a\\.b") == [("a.b", True)]


def test_find_trailing_globstar_matches_everything_below():
    trie = trie_of("a.b", "a.c.d", "x.y")
    assert trie.find("a.**") == [("a.b", True), ("a.c", False), ("a.c.d", True)]


def test_find_inner_globstar_matches_zero_or_more_levels():
    trie = trie_of("a.cpu", "a.x.cpu", "a.x.y.cpu", "a.x.mem")
    assert trie.expand("a.**.cpu") == ["a.cpu", "a.x.cpu", "a.x.y.cpu"]


def test_repeated_globstar_finds_each_path_once():
    trie = trie_of("a.x.y.cpu")
    assert trie.expand("**.**.cpu") == ["a.x.y.cpu"]


def test_expand_returns_leaves_sorted_by_full_path():
    # GRAPHITE.md 9.7: render globs sort by full path, where 'a-c.x' < 'a.x' ('-' < '.')
    assert trie_of("a.x", "a-c.x").expand("*.x") == ["a-c.x", "a.x"]


def test_expand_skips_branches():
    assert trie_of("a.b.c", "a.d").expand("a.*") == ["a.d"]


def test_expand_with_braces_and_classes():
    trie = trie_of(*(f"collectd.host{h}.cpu-{c}.cpu-{s}"
                     for h in range(3) for c in range(2) for s in ("user", "idle")))
    assert trie.expand("collectd.host[02].cpu-1.cpu-{user,nice}") == [
        "collectd.host0.cpu-1.cpu-user", "collectd.host2.cpu-1.cpu-user"]


def test_find_refuses_overlong_pattern():
    with pytest.raises(InvalidPattern):
        NameTrie().find("a." * MAX_PATTERN_LENGTH)


def test_iter_leaves_yields_every_leaf_once():
    names = ["a.b", "a.b.c", "a.d", "e", "f.g.h"]
    assert sorted(trie_of(*names).iter_leaves()) == sorted(names)


def test_trie_memory_per_leaf_stays_under_budget():
    # Budget from the design brief: <= 120 bytes per leaf beyond the name strings themselves.
    names = [f"collectd.host{h}.cpu-{c}.cpu-{s}" for h in range(2500) for c in range(4)
             for s in ("user", "system", "idle", "wait", "nice", "interrupt", "softirq", "steal")]
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        trie = trie_of(*names)
        used = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(trie) == 80_000
    assert used / len(trie) <= 120


# ---------------------------------------------------------------------------------- TagIndex
# (queries over it: tests/unit/test_tagquery.py)

def tag_index() -> TagIndex:
    index = TagIndex()
    index.add("cpu;dc=x;host=a")
    index.add("cpu;dc=y;host=ab")
    index.add("mem;dc=x")
    return index


def test_tag_index_lists_tags_sorted():
    assert tag_index().tags() == ["dc", "host", "name"]


def test_tag_index_lists_values_sorted():
    assert tag_index().values("dc") == ["x", "y"] and tag_index().values("nope") == []


def test_count_values():
    assert tag_index().count("dc", "x") == 2 and tag_index().count("dc", "q") == 0


def test_remove_hides_emptied_values_but_keeps_tags():
    # graphite-web's delSeries leaves tags_tag rows: /tags still lists the tag
    index = tag_index()
    assert index.remove("cpu;dc=y;host=ab") and index.remove("mem;dc=x")
    assert not index.remove("mem;dc=x") and not index.remove("never;a=b")
    assert index.values("dc") == ["x"] and index.values("name") == ["cpu"]
    assert index.values("host") == ["a"] and index.tags() == ["dc", "host", "name"]
    assert len(index) == 1


def test_add_after_remove_revives():
    index = tag_index()
    index.remove("mem;dc=x")
    index.add("mem;dc=x")
    assert index.count("dc", "x") == 2 and len(index) == 3 and index.listed("mem;dc=x") is True
