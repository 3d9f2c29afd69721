"""Properties of tsdb.names: the trie agrees with brute force, globs agree with fnmatch, and
normalization (carbon 1.1.10 util.py TaggedSeries rules) is a fixed point of itself."""

import fnmatch

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tsdb.names import (InvalidName, InvalidPattern, NameTrie, glob_to_regex, is_tagged,
                        normalize, parse_tags)

# ---------------------------------------------------------------------------------- trie

components = st.text(alphabet="ab-", max_size=3)
names = st.lists(components, min_size=1, max_size=4).map(".".join).filter(bool)
glob_components = st.one_of(st.text(alphabet="ab-*?[]!{},", max_size=6), st.just("**"))
patterns = st.lists(glob_components, min_size=1, max_size=4).map(".".join)


def component_matches(parts: list[str], comps: list[str]) -> bool:
    """Brute force: a non-final '**' eats zero or more components, a final one one or more."""
    if not parts:
        return not comps
    head, rest = parts[0], parts[1:]
    if head == "**":
        if not rest:
            return len(comps) >= 1
        return any(component_matches(rest, comps[i:]) for i in range(len(comps) + 1))
    return bool(comps) and glob_to_regex(head).fullmatch(comps[0]) is not None \
        and component_matches(rest, comps[1:])


def compile_or_skip(pattern: str) -> list[str]:
    parts = pattern.split(".")
    try:
        for part in parts:
            glob_to_regex(part)
    except InvalidPattern:
        assume(False)
    return parts


@given(st.lists(names, max_size=30), patterns)
def test_expand_equals_brute_force_filter(all_names, pattern):
    parts = compile_or_skip(pattern)
    trie = NameTrie()
    for name in all_names:
        trie.add(name)
    expected = sorted({n for n in all_names if component_matches(parts, n.split("."))})
    assert trie.expand(pattern) == expected


@given(st.lists(names, max_size=30), patterns)
def test_find_equals_brute_force_over_leaves_and_branches(all_names, pattern):
    parts = compile_or_skip(pattern)
    trie = NameTrie()
    for name in all_names:
        trie.add(name)
    nodes = {(name, True) for name in all_names}
    nodes |= {(".".join(name.split(".")[:i]), False)
              for name in all_names for i in range(1, name.count(".") + 1)}
    found = [(path, leaf) for path, leaf in nodes if component_matches(parts, path.split("."))]
    found.sort(key=lambda node: (node[0].rpartition(".")[2], node[1], node[0]))
    assert trie.find(pattern) == found


def first_of_each_name(matches: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    firsts: dict[str, tuple[str, bool]] = {}
    for path, leaf in matches:
        firsts.setdefault(path.rpartition(".")[2], (path, leaf))
    return list(firsts.values())


@given(st.lists(names, max_size=30), patterns)
def test_first_per_name_keeps_what_treejson_keeps_of_find(all_names, pattern):
    compile_or_skip(pattern)
    trie = NameTrie()
    for name in all_names:
        trie.add(name)
    got = trie.first_per_name(pattern)
    # with '**' it may hand over all of find (treejson drops the repeats itself)
    reduced = first_of_each_name(got) if "**" in pattern.split(".") else got
    assert reduced == first_of_each_name(trie.find(pattern))


@given(st.lists(names, max_size=30))
def test_len_contains_and_iter_leaves_agree_with_a_set(all_names):
    trie = NameTrie()
    added = [trie.add(name) for name in all_names]
    assert sum(added) == len(trie) == len(set(all_names))
    assert sorted(trie.iter_leaves()) == sorted(set(all_names))
    assert all(name in trie for name in all_names)


# ---------------------------------------------------------------------------------- globs

@given(st.text(alphabet="ab-!]*?[},", max_size=8), st.text(alphabet="ab-!][},", max_size=6))
def test_brace_free_glob_agrees_with_fnmatch(glob, text):
    # graphite-web matches each component with fnmatch once braces are expanded
    assert (glob_to_regex(glob).fullmatch(text) is not None) == fnmatch.fnmatchcase(text, glob)


glob_atoms = st.one_of(st.text(alphabet="ab-*?", max_size=3),
                       st.sampled_from(["[ab]", "[!a]", "[a-b]", "[]a]", "[b-a]"]))
brace_globs = st.recursive(
    glob_atoms,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda alts: "{" + ",".join(alts) + "}"),
        st.lists(inner, min_size=2, max_size=3).map("".join)),
    max_leaves=8)


def expand_braces(glob: str) -> list[str]:
    """Reference: the cartesian expansion the regex alternation must be equivalent to."""
    start = glob.find("{")
    if start < 0:
        return [glob]
    depth, alternatives, begin = 0, [], start + 1
    for i in range(start, len(glob)):
        if glob[i] == "{":
            depth += 1
        elif glob[i] == "}":
            depth -= 1
            if depth == 0:
                alternatives.append(glob[begin:i])
                end = i
                break
        elif glob[i] == "," and depth == 1:
            alternatives.append(glob[begin:i])
            begin = i + 1
    return [variant for alternative in alternatives
            for variant in expand_braces(glob[:start] + alternative + glob[end + 1:])]


@given(brace_globs, st.text(alphabet="ab-", max_size=6))
def test_braces_agree_with_cartesian_expansion(glob, text):
    try:
        regex = glob_to_regex(glob)
    except InvalidPattern:
        assume(False)
    expected = any(fnmatch.fnmatchcase(text, variant) for variant in expand_braces(glob))
    assert (regex.fullmatch(text) is not None) == expected


# ---------------------------------------------------------------------------------- normalize

raw_names = st.text(alphabet='ab~=;{}",\\!^. ', min_size=1, max_size=20)
tags = st.text(alphabet="ab-_.~", min_size=1, max_size=3)
values = st.text(alphabet='ab=~."\\{}', min_size=1, max_size=4).filter(lambda v: v[0] != "~")
metrics = st.text(alphabet="ab.-~", min_size=1, max_size=5).filter(lambda m: m.strip("~"))
tag_lists = st.lists(st.tuples(tags, values), min_size=1, max_size=4)


@given(raw_names)
def test_normalize_is_idempotent(name):
    try:
        once = normalize(name)
    except InvalidName:
        assume(False)
    assert normalize(once) == once


@given(raw_names)
def test_normalized_names_round_trip_through_parse_tags(name):
    try:
        normalized = normalize(name)
    except InvalidName:
        assume(False)
    parsed = parse_tags(normalized)
    segments = sorted(f";{t}={v}" for t, v in parsed.items() if t != "name")
    rebuilt = parsed["name"] + "".join(segments)
    assert rebuilt == normalized
    assert is_tagged(normalized) == (";" in normalized)


def expected_form(metric: str, pairs: list[tuple[str, str]]) -> str:
    # carbon 1.1.10 util.py TaggedSeries: last duplicate wins, name tag = metric.lstrip('~'),
    # segments sorted as ';tag=value' strings
    tag_map = {t: v for t, v in pairs if t != "name"}
    return metric.lstrip("~") + "".join(sorted(f";{t}={v}" for t, v in tag_map.items()))


@given(metrics, tag_lists)
def test_carbon_form_sorts_tags_in_any_input_order(metric, pairs):
    name = metric + "".join(f";{t}={v}" for t, v in pairs)
    assume(not name.endswith('"}'))   # that shape is parsed as OpenMetrics
    try:
        normalized = normalize(name)
    except InvalidName as error:
        assert "would parse as OpenMetrics" in error.rule
        return
    assert normalized == expected_form(metric, pairs)


openmetrics_values = values.filter(lambda v: "{" not in v)   # a second '{' is refused


@given(metrics, st.lists(st.tuples(tags, openmetrics_values), min_size=1, max_size=4))
def test_openmetrics_form_equals_carbon_form(metric, pairs):
    escaped = ",".join('{}="{}"'.format(t, v.replace("\\", "\\\\").replace('"', '\\"'))
                       for t, v in pairs)
    try:
        normalized = normalize(f"{metric}{{{escaped}}}")
    except InvalidName as error:
        assert "would parse as OpenMetrics" in error.rule
        return
    assert normalized == expected_form(metric, pairs)


@settings(max_examples=50)
@given(metrics, tag_lists)
def test_tag_order_does_not_change_the_normal_form(metric, pairs):
    forward = metric + "".join(f";{t}={v}" for t, v in pairs)
    backward = metric + "".join(f";{t}={v}" for t, v in reversed(list(dict(pairs).items())))
    assume(not forward.endswith('"}') and not backward.endswith('"}'))
    try:
        assert normalize(forward) == normalize(backward)
    except InvalidName as error:
        assert "would parse as OpenMetrics" in error.rule


# ---------------------------------------------------------------- canonical fast path

tag_alphabet = st.sampled_from(list("ab~=;!^.n-ame"))
tagged_names = st.builds(
    lambda metric, segs: metric + "".join(";" + s for s in segs),
    st.text(alphabet=tag_alphabet, min_size=1, max_size=4),
    st.lists(st.text(alphabet=tag_alphabet, min_size=1, max_size=6), min_size=1, max_size=4))


def _slow_normalize(name: str):
    from tsdb import names as nm
    try:
        nm._check_raw(name)
        out = nm._format(nm._parse(name))
    except InvalidName:
        return None
    return None if nm._looks_openmetrics(out) else out


@settings(max_examples=3000)
@given(tagged_names)
def test_canonical_fast_path_agrees_with_the_parse(name):
    """normalize's shortcut for names already in canonical form gives what the full parse
    gives, and refuses what it refuses."""
    try:
        got = normalize(name)
    except InvalidName:
        got = None
    assert got == _slow_normalize(name)
