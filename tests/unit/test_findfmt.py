"""/metrics/find, /metrics/expand and /metrics/index.json bodies against graphite-web 1.1.10.

Expected values were recorded through graphite-web's own views (metrics/views.py find_view,
expand_view, index_json) with Django's test client, its Store fed by a finder returning the
listed nodes (leaves with the listed interval), so the store's dedup, the sort by node name
and json_response_for's Accept/jsonp/pretty handling are all included. For format=pickle the
finder's leaves reported intervals as a list of (start, end) tuples, the shape we send
(graphite-web 1.1.10 itself pickles an IntervalSet object there, which frontends also read).
"""

from __future__ import annotations

import msgpack
import pytest

from render_api.findfmt import (
    InvalidFindFormat,
    completer_query,
    expand_body,
    find_body,
    index_body,
    nodes_at,
    sorted_matches,
)

FIND_CASES = {
    'treejson_branches_first': ([('a.zeta', False), ('a.beta', True), ('a.alpha', True), ('a.gamma', False), ('a.beta', True), ('a.delta', False)], 'treejson', {'query': 'a.*'}),
    'treejson_is_default_format': ([('a.zeta', False), ('a.beta', True), ('a.alpha', True), ('a.gamma', False), ('a.beta', True), ('a.delta', False)], 'treejson', {'query': 'a.*'}),
    'treejson_wildcards_with_branch': ([('a.zeta', False), ('a.beta', True), ('a.alpha', True), ('a.gamma', False), ('a.beta', True), ('a.delta', False)], 'treejson', {'query': 'a.*', 'wildcards': True}),
    'treejson_wildcards_all_leaves': ([('a.beta', True), ('a.bravo', True)], 'treejson', {'query': 'a.b*', 'wildcards': True}),
    'treejson_wildcards_single_node': ([('a.beta', True)], 'treejson', {'query': 'a.beta', 'wildcards': True}),
    'treejson_no_dot_query': ([('carbon', False), ('a', False), ('top', True)], 'treejson', {'query': '*'}),
    'treejson_prefix_kept_verbatim': ([('a.x.cpu', True), ('a.y.cpu', True), ('a.y.cache', False)], 'treejson', {'query': 'a.{x,y}.c*'}),
    'treejson_unquotes_text': ([('q.b%20c', True), ('q.x+y', False)], 'treejson', {'query': 'q.*'}),
    'treejson_empty': ([], 'treejson', {'query': 'nothing.*'}),
    'treejson_jsonp_pretty': ([('a.beta', True), ('a.gamma', False)], 'treejson', {'query': 'a.*', 'jsonp': 'cb', 'pretty': True}),
    'treejson_empty_jsonp_ignored': ([('a.beta', True)], 'treejson', {'query': 'a.*', 'jsonp': ''}),
    'treejson_unicode_ascii_escaped': ([('u.café', True)], 'treejson', {'query': 'u.*'}),
    'treejson_unicode_browser_accept': ([('u.café', True)], 'treejson', {'query': 'u.*', 'accept': 'text/html,*/*'}),
    'completer_basic': ([('a.zeta', False), ('a.beta', True), ('a.alpha', True), ('a.gamma', False), ('a.beta', True), ('a.delta', False)], 'completer', {'query': 'a.'}),
    'completer_wildcards': ([('a.beta', True), ('a.bravo', False)], 'completer', {'query': 'a.b', 'wildcards': True}),
    'completer_dotdot': ([('a.x.b', True)], 'completer', {'query': 'a..b'}),
    'completer_variants': ([('a.x.c', True)], 'completer', {'query': 'a.x,y.c'}),
    'completer_variants_braced': ([('a.x.c', True)], 'completer', {'query': 'a.{x,y}.c*'}),
    'json_with_intervals': ([('a.zeta', False), ('a.beta', True), ('a.alpha', True), ('a.gamma', False), ('a.beta', True), ('a.delta', False)], 'json', {'query': 'a.*', 'interval': (1699990000.0, 1700000000.5)}),
    'json_int_interval': ([('a.one', True)], 'json', {'query': 'a.*', 'interval': (100, 200)}),
    'json_sorted_by_path': ([('b.c', True), ('a.c', False)], 'json', {'query': '*.c', 'interval': (1699990000.0, 1700000000.5)}),
    'nodelist_last': ([('a.x.cpu', True), ('a.y.cpu', True), ('a.y.mem', True), ('a.z.disk', False)], 'nodelist', {'query': 'a.*.*'}),
    'nodelist_position1': ([('a.x.cpu', True), ('a.y.cpu', True), ('a.y.mem', True), ('a.z.disk', False)], 'nodelist', {'query': 'a.*.*', 'position': 1}),
    'nodelist_jsonp': ([('a.x', True)], 'nodelist', {'query': 'a.*', 'position': 0, 'jsonp': 'f'}),
    'pickle_cluster': ([('a.zeta', False), ('a.beta', True), ('a.alpha', True), ('a.gamma', False), ('a.delta', False)], 'pickle', {'query': 'a.*', 'interval': (1699990000.0, 1700000000.5)}),
    'pickle_empty': ([], 'pickle', {'query': 'a.*', 'interval': (1699990000.0, 1700000000.5)}),
    'msgpack_cluster': ([('a.zeta', False), ('a.beta', True), ('a.alpha', True), ('a.gamma', False), ('a.beta', True), ('a.delta', False)], 'msgpack', {'query': 'a.*', 'interval': (1699990000.0, 1700000000.5)}),
    'msgpack_int_interval': ([('a.one', True)], 'msgpack', {'query': 'a.*', 'interval': (1600000000, 1700000000)}),
    'bad_format': ([('a.zeta', False), ('a.beta', True), ('a.alpha', True), ('a.gamma', False), ('a.beta', True), ('a.delta', False)], 'yaml', {'query': 'a.*'}),
}

# id: (status, body, content type, pattern graphite-web searched)
FIND_EXPECTED = {
    'treejson_branches_first': (200, b'[{"text": "delta", "id": "a.delta", "allowChildren": 1, "expandable": 1, "leaf": 0}, {"text": "gamma", "id": "a.gamma", "allowChildren": 1, "expandable": 1, "leaf": 0}, {"text": "zeta", "id": "a.zeta", "allowChildren": 1, "expandable": 1, "leaf": 0}, {"text": "alpha", "id": "a.alpha", "allowChildren": 0, "expandable": 0, "leaf": 1}, {"text": "beta", "id": "a.beta", "allowChildren": 0, "expandable": 0, "leaf": 1}]', 'application/json', ['a.*']),
    'treejson_is_default_format': (200, b'[{"text": "delta", "id": "a.delta", "allowChildren": 1, "expandable": 1, "leaf": 0}, {"text": "gamma", "id": "a.gamma", "allowChildren": 1, "expandable": 1, "leaf": 0}, {"text": "zeta", "id": "a.zeta", "allowChildren": 1, "expandable": 1, "leaf": 0}, {"text": "alpha", "id": "a.alpha", "allowChildren": 0, "expandable": 0, "leaf": 1}, {"text": "beta", "id": "a.beta", "allowChildren": 0, "expandable": 0, "leaf": 1}]', 'application/json', ['a.*']),
    'treejson_wildcards_with_branch': (200, b'[{"text": "*", "id": "a.*", "allowChildren": 1, "expandable": 1, "leaf": 0}, {"text": "delta", "id": "a.delta", "allowChildren": 1, "expandable": 1, "leaf": 0}, {"text": "gamma", "id": "a.gamma", "allowChildren": 1, "expandable": 1, "leaf": 0}, {"text": "zeta", "id": "a.zeta", "allowChildren": 1, "expandable": 1, "leaf": 0}, {"text": "alpha", "id": "a.alpha", "allowChildren": 0, "expandable": 0, "leaf": 1}, {"text": "beta", "id": "a.beta", "allowChildren": 0, "expandable": 0, "leaf": 1}]', 'application/json', ['a.*']),
    'treejson_wildcards_all_leaves': (200, b'[{"text": "*", "id": "a.*", "allowChildren": 0, "expandable": 0, "leaf": 1}, {"text": "beta", "id": "a.beta", "allowChildren": 0, "expandable": 0, "leaf": 1}, {"text": "bravo", "id": "a.bravo", "allowChildren": 0, "expandable": 0, "leaf": 1}]', 'application/json', ['a.b*']),
    'treejson_wildcards_single_node': (200, b'[{"text": "beta", "id": "a.beta", "allowChildren": 0, "expandable": 0, "leaf": 1}]', 'application/json', ['a.beta']),
    'treejson_no_dot_query': (200, b'[{"text": "a", "id": "a", "allowChildren": 1, "expandable": 1, "leaf": 0}, {"text": "carbon", "id": "carbon", "allowChildren": 1, "expandable": 1, "leaf": 0}, {"text": "top", "id": "top", "allowChildren": 0, "expandable": 0, "leaf": 1}]', 'application/json', ['*']),
    'treejson_prefix_kept_verbatim': (200, b'[{"text": "cache", "id": "a.{x,y}.cache", "allowChildren": 1, "expandable": 1, "leaf": 0}, {"text": "cpu", "id": "a.{x,y}.cpu", "allowChildren": 0, "expandable": 0, "leaf": 1}]', 'application/json', ['a.{x,y}.c*']),
    'treejson_unquotes_text': (200, b'[{"text": "x y", "id": "q.x+y", "allowChildren": 1, "expandable": 1, "leaf": 0}, {"text": "b c", "id": "q.b%20c", "allowChildren": 0, "expandable": 0, "leaf": 1}]', 'application/json', ['q.*']),
    'treejson_empty': (200, b'[]', 'application/json', ['nothing.*']),
    'treejson_jsonp_pretty': (200, b'cb([\n  {\n    "text": "gamma",\n    "id": "a.gamma",\n    "allowChildren": 1,\n    "expandable": 1,\n    "leaf": 0\n  },\n  {\n    "text": "beta",\n    "id": "a.beta",\n    "allowChildren": 0,\n    "expandable": 0,\n    "leaf": 1\n  }\n])', 'text/javascript', ['a.*']),
    'treejson_empty_jsonp_ignored': (200, b'[{"text": "beta", "id": "a.beta", "allowChildren": 0, "expandable": 0, "leaf": 1}]', 'application/json', ['a.*']),
    'treejson_unicode_ascii_escaped': (200, b'[{"text": "caf\\u00e9", "id": "u.caf\\u00e9", "allowChildren": 0, "expandable": 0, "leaf": 1}]', 'application/json', ['u.*']),
    'treejson_unicode_browser_accept': (200, b'[{"text": "caf\xc3\xa9", "id": "u.caf\xc3\xa9", "allowChildren": 0, "expandable": 0, "leaf": 1}]', 'application/json;charset=utf-8', ['u.*']),
    'completer_basic': (200, b'{"metrics": [{"path": "a.alpha", "name": "alpha", "is_leaf": "1"}, {"path": "a.beta", "name": "beta", "is_leaf": "1"}, {"path": "a.delta.", "name": "delta", "is_leaf": "0"}, {"path": "a.gamma.", "name": "gamma", "is_leaf": "0"}, {"path": "a.zeta.", "name": "zeta", "is_leaf": "0"}]}', 'application/json', ['a.*']),
    'completer_wildcards': (200, b'{"metrics": [{"path": "a.beta", "name": "beta", "is_leaf": "1"}, {"path": "a.bravo.", "name": "bravo", "is_leaf": "0"}, {"name": "*"}]}', 'application/json', ['a.b*']),
    'completer_dotdot': (200, b'{"metrics": [{"path": "a.x.b", "name": "b", "is_leaf": "1"}]}', 'application/json', ['a*.b*']),
    'completer_variants': (200, b'{"metrics": [{"path": "a.x.c", "name": "c", "is_leaf": "1"}]}', 'application/json', ['a.{x,y}.c*']),
    'completer_variants_braced': (200, b'{"metrics": [{"path": "a.x.c", "name": "c", "is_leaf": "1"}]}', 'application/json', ['a.{x,y}.c*']),
    'json_with_intervals': (200, b'[{"path": "a.alpha", "is_leaf": true, "intervals": [{"start": 1699990000.0, "end": 1700000000.5}]}, {"path": "a.beta", "is_leaf": true, "intervals": [{"start": 1699990000.0, "end": 1700000000.5}]}, {"path": "a.delta", "is_leaf": false}, {"path": "a.gamma", "is_leaf": false}, {"path": "a.zeta", "is_leaf": false}]', 'application/json', ['a.*']),
    'json_int_interval': (200, b'[{"path": "a.one", "is_leaf": true, "intervals": [{"start": 100, "end": 200}]}]', 'application/json', ['a.*']),
    'json_sorted_by_path': (200, b'[{"path": "a.c", "is_leaf": false}, {"path": "b.c", "is_leaf": true, "intervals": [{"start": 1699990000.0, "end": 1700000000.5}]}]', 'application/json', ['*.c']),
    'nodelist_last': (200, b'{"nodes": ["cpu", "disk", "mem"]}', 'application/json', ['a.*.*']),
    'nodelist_position1': (200, b'{"nodes": ["x", "y", "z"]}', 'application/json', ['a.*.*']),
    'nodelist_jsonp': (200, b'f({"nodes": ["a"]})', 'text/javascript', ['a.*']),
    'pickle_cluster': (200, b'\x80\x05\x95\x99\x00\x00\x00\x00\x00\x00\x00]\x94(}\x94(\x8c\x04path\x94\x8c\x07a.alpha\x94\x8c\x07is_leaf\x94\x88\x8c\tintervals\x94]\x94GA\xd9T\xf2|\x00\x00\x00GA\xd9T\xfc@ \x00\x00\x86\x94au}\x94(h\x02\x8c\x06a.beta\x94h\x04\x88h\x05]\x94h\x07au}\x94(h\x02\x8c\x07a.delta\x94h\x04\x89u}\x94(h\x02\x8c\x07a.gamma\x94h\x04\x89u}\x94(h\x02\x8c\x06a.zeta\x94h\x04\x89ue.', 'application/pickle', ['a.*']),
    'pickle_empty': (200, b'\x80\x05]\x94.', 'application/pickle', ['a.*']),
    'msgpack_cluster': (200, b'\x95\x83\xa4path\xa7a.alpha\xa7is_leaf\xc3\xa9intervals\x91\x92\xcbA\xd9T\xf2|\x00\x00\x00\xcbA\xd9T\xfc@ \x00\x00\x83\xa4path\xa6a.beta\xa7is_leaf\xc3\xa9intervals\x91\x92\xcbA\xd9T\xf2|\x00\x00\x00\xcbA\xd9T\xfc@ \x00\x00\x82\xa4path\xa7a.delta\xa7is_leaf\xc2\x82\xa4path\xa7a.gamma\xa7is_leaf\xc2\x82\xa4path\xa6a.zeta\xa7is_leaf\xc2', 'application/x-msgpack', ['a.*']),
    'msgpack_int_interval': (200, b'\x91\x83\xa4path\xa5a.one\xa7is_leaf\xc3\xa9intervals\x91\x92\xce_^\x10\x00\xceeS\xf1\x00', 'application/x-msgpack', ['a.*']),
    'bad_format': (400, b"Invalid value for 'format' parameter", 'text/plain', ['a.*']),
}

EXPAND_CASES = {
    'expand_flat': ([('a.*', [('a.b', True), ('a.c', False)]), ('*.b', [('a.b', True), ('x.b', True)])], {}),
    'expand_leaves_only': ([('a.*', [('a.b', True), ('a.c', False)]), ('*.b', [('a.b', True), ('x.b', True)])], {'leaves_only': True}),
    'expand_grouped': ([('z.*', [('z.b', True), ('z.a', False)]), ('a.*', [('a.c', True)])], {'group_by_expr': True}),
    'expand_grouped_leaves_jsonp': ([('z.*', [('z.b', True), ('z.a', False)]), ('a.*', [])], {'leaves_only': True, 'group_by_expr': True, 'jsonp': 'cb'}),
    'expand_none': ([('q.*', [])], {}),
    'expand_pretty': ([('a.*', [('a.b', True), ('a.c', True)])], {'pretty': True}),
}

EXPAND_EXPECTED = {
    'expand_flat': (b'{"results": ["a.b", "a.c", "x.b"]}', 'application/json'),
    'expand_leaves_only': (b'{"results": ["a.b", "x.b"]}', 'application/json'),
    'expand_grouped': (b'{"results": {"z.*": ["z.a", "z.b"], "a.*": ["a.c"]}}', 'application/json'),
    'expand_grouped_leaves_jsonp': (b'cb({"results": {"z.*": ["z.b"], "a.*": []}})', 'text/javascript'),
    'expand_none': (b'{"results": []}', 'application/json'),
    'expand_pretty': (b'{\n  "results": [\n    "a.b",\n    "a.c"\n  ]\n}', 'application/json'),
}

INDEX_CASES = {
    'index_sorted_unique': ([('b.x', True), ('a.y', True), ('a.dir', False), ('b.x', True), ('a.y', True)], {}),
    'index_jsonp': ([('a.b', True)], {'jsonp': 'cb'}),
    'index_empty': ([], {}),
}

INDEX_EXPECTED = {
    'index_sorted_unique': (b'["a.y", "b.x"]', 'application/json'),
    'index_jsonp': (b'cb(["a.b"])', 'text/javascript'),
    'index_empty': (b'[]', 'application/json'),
}


@pytest.mark.parametrize("case", sorted(FIND_CASES))
def test_find_body_matches_graphite_web(case):
    matches, fmt, kwargs = FIND_CASES[case]
    status, body, content_type, _ = FIND_EXPECTED[case]
    if status == 400:
        with pytest.raises(InvalidFindFormat) as err:
            find_body(matches, fmt, **kwargs)
        assert str(err.value).encode() == body
    else:
        assert find_body(matches, fmt, **kwargs) == (body, content_type)


@pytest.mark.parametrize("case", sorted(c for c in FIND_CASES if c.startswith("completer")))
def test_completer_searches_the_pattern_graphite_web_searches(case):
    # find_view rewrites the query before STORE.find for format=completer.
    _, _, kwargs = FIND_CASES[case]
    variants = case.startswith("completer_variants")
    assert [completer_query(kwargs["query"], variants)] == FIND_EXPECTED[case][3]


@pytest.mark.parametrize("case", sorted(EXPAND_CASES))
def test_expand_body_matches_graphite_web(case):
    pairs, kwargs = EXPAND_CASES[case]
    assert expand_body(pairs, **kwargs) == EXPAND_EXPECTED[case]


@pytest.mark.parametrize("case", sorted(INDEX_CASES))
def test_index_body_matches_graphite_web(case):
    matches, kwargs = INDEX_CASES[case]
    assert index_body([p for p, leaf in matches if leaf], **kwargs) == INDEX_EXPECTED[case]


def test_expand_accepts_a_dict_of_queries():
    body, _ = expand_body({"a.*": [("a.b", True)], "b.*": [("b.c", False)]}, leaves_only=True)
    assert body == b'{"results": ["a.b"]}'


def test_equal_names_put_branches_first_then_path():
    # graphite-web leaves these ties in the random order of its store; ours are stable.
    matches = [("y.b", True), ("x.b", True), ("x.b", False), ("a.c", True), ("a.b", True),
               ("z.b", False)]
    assert sorted_matches(matches) == [("x.b", False), ("z.b", False), ("a.b", True),
                                       ("x.b", True), ("y.b", True), ("a.c", True)]


def test_treejson_shows_a_name_expandable_when_any_match_has_children():
    body, _ = find_body([("a.x", True), ("b.x", False)], "treejson", query="*.x")
    assert body == b'[{"text": "x", "id": "*.x", "allowChildren": 1, "expandable": 1, "leaf": 0}]'


def test_treejson_shows_a_path_that_is_branch_and_leaf_as_expandable():
    body, _ = find_body([("a.b", True), ("a.b", False)], "treejson", query="a.*")
    assert body == b'[{"text": "b", "id": "a.b", "allowChildren": 1, "expandable": 1, "leaf": 0}]'


def test_nodelist_skips_paths_too_short_for_the_position():
    # graphite-web raises IndexError (500) on such a path.
    assert nodes_at([("a.b.c", True), ("a.b", True), ("d.e.f", False)], 2) == ["c", "f"]


def test_msgpack_intervals_unpack_as_pairs():
    body, content_type = find_body([("a.b", True), ("a", False)], "msgpack", query="a*",
                                   interval=(10, 20.5))
    assert content_type == "application/x-msgpack"
    assert msgpack.unpackb(body) == [{"path": "a", "is_leaf": False},
                                     {"path": "a.b", "is_leaf": True, "intervals": [[10, 20.5]]}]


def test_unknown_format_names_the_parameter():
    with pytest.raises(InvalidFindFormat, match="Invalid value for 'format' parameter"):
        find_body([], "yaml", query="a")
