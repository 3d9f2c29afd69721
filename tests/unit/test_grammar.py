"""render_api.grammar: graphite-web 1.1.10 render/grammar_unsafe.py and evaluator.py.

Every PARSE_CASES tree was recorded from graphite-web's own pyparsing grammar (parseString,
then the nesting evaluator.py gives pipes), so the quirks below are graphite-web's: no full
match, malformed calls degrading to a path expression, keywords compared upper-cased. Template
results were recorded from evaluator.evaluateTokens with fetchData stubbed out.
"""

import pytest

from render_api.grammar import (
    Call,
    GrammarError,
    Literal,
    PathExpr,
    Template,
    apply_templates,
    parse_target,
    path_expressions,
)

INF = float("inf")
P, L = PathExpr, Literal


def C(name, args, kwargs, text):
    return Call(name, tuple(args), tuple(kwargs), text)


def T(expr, args, kwargs):
    return Template(expr, tuple(args), tuple(kwargs))


def shape(node):
    """The tree as nested tuples with literal types, so Literal(1) differs from Literal(True)."""
    if isinstance(node, Literal):
        return ("L", type(node.value).__name__, node.value)
    if isinstance(node, PathExpr):
        return ("P", node.text)
    if isinstance(node, Call):
        return ("C", node.name, tuple(map(shape, node.args)),
                tuple((k, shape(v)) for k, v in node.kwargs), node.text)
    return ("T", shape(node.expr), tuple(map(shape, node.args)),
            tuple((k, shape(v)) for k, v in node.kwargs))


# Recorded from graphite-web: target text -> tree, or None where parseString raises.
PARSE_CASES = {
    'paths': [
        ('a.b', P('a.b')),
        ('a.b.c', P('a.b.c')),
        ('  a.b  ', P('a.b')),
        ('a..b', P('a')),
        ('a.', P('a')),
        ('a.b c', P('a.b')),
        ('sumSeries(a.*.b, c.[ab]?.d)', C('sumSeries', [P('a.*.b'), P('c.[ab]?.d')], [], 'sumSeries(a.*.b, c.[ab]?.d)')),
        ('x.{a,b}.{c}', P('x.{a,b}.{c}')),
        ('a.{b,}', P('a')),
        ('x.{a,{b,c}}', P('x')),
        ('a\\.b', P('a.b')),
        ('a\\=b', P('a=b')),
        ('a\\b', P('a')),
        ('a\\', P('a')),
        ('a.bé', P('a.b')),
        ('$host.cpu', P('$host.cpu')),
        ('host-1.cpu:0.a=b;c~d', P('host-1.cpu:0.a=b;c~d')),
        ('a+b.c@d#e%f&g/h<i>j^k`l!m', P('a+b.c@d#e%f&g/h<i>j^k`l!m')),
        ('f(a\n.b)', P('f')),
        ('f(a.\nb)', P('f')),
    ],
    'calls and pipes': [
        ('sumSeries(a.b)', C('sumSeries', [P('a.b')], [], 'sumSeries(a.b)')),
        ('f()', C('f', [], [], 'f()')),
        ('f( )', C('f', [], [], 'f( )')),
        ('f (a)', C('f', [P('a')], [], 'f (a)')),
        ('f(g())', C('f', [C('g', [], [], 'g()')], [], 'f(g())')),
        ('a.b|scale(2)|alias("x")', C('alias', [C('scale', [P('a.b'), L(2)], [], 'scale(2)'), L('x')], [], 'alias("x")')),
        ('a.b  |  scale(2)', C('scale', [P('a.b'), L(2)], [], 'scale(2)')),
        ('a.b\t|\tscale(2)', C('scale', [P('a.b'), L(2)], [], 'scale(2)')),
        ('sum(a)|f(b)|g(c=1)', C('f', [C('sum', [P('a')], [], 'sum(a)'), P('b')], [], 'f(b)')),
        ('f(a) |g()', C('g', [C('f', [P('a')], [], 'f(a)')], [], 'g()')),
        ('a.b|', P('a.b')),
        ('a.b|scale(2)|', C('scale', [P('a.b'), L(2)], [], 'scale(2)')),
        ('a.b | 5', P('a.b')),
        ('a|f', P('a')),
        ('a|f(', P('a')),
        ('f(a)garbage(b)', C('f', [P('a')], [], 'f(a)')),
        ('f(a, x="y" )  trailing', C('f', [P('a')], [('x', L('y'))], 'f(a, x="y" )')),
        ('f(a,\n1\n)', C('f', [P('a'), L(1)], [], 'f(a,\n1\n)')),
        ('f(1\n|g())', C('f', [C('g', [P('1')], [], 'g()')], [], 'f(1\n|g())')),
        ('aliasSub(a.b.c, "(^.*$)", "\\1 A")', C('aliasSub', [P('a.b.c'), L('(^.*$)'), L('\\1 A')], [], 'aliasSub(a.b.c, "(^.*$)", "\\1 A")')),
    ],
    'keyword arguments': [
        ('f(a, b = c)', C('f', [P('a')], [('b', P('c'))], 'f(a, b = c)')),
        ('f(a,b=1,c="x",d=g(h))', C('f', [P('a')], [('b', L(1)), ('c', L('x')), ('d', C('g', [P('h')], [], 'g(h)'))], 'f(a,b=1,c="x",d=g(h))')),
        ('f(a,b=1,b=2)', C('f', [P('a')], [('b', L(1)), ('b', L(2))], 'f(a,b=1,b=2)')),
        ('f(x,y=a|g())', C('f', [P('x')], [('y', C('g', [P('a')], [], 'g()'))], 'f(x,y=a|g())')),
        ('f(x=1)', P('f')),
        ('f(x=1,a.b)', P('f')),
        ('f(x, a=b, c)', P('f')),
        ('f(a==b)', P('f')),
        ('f(a, 1a=2)', C('f', [P('a'), P('1a=2')], [], 'f(a, 1a=2)')),
        ('f(x, y=1=2)', C('f', [P('x')], [('y', P('1=2'))], 'f(x, y=1=2)')),
        ('f(a, true=1)', C('f', [P('a')], [('true', L(1))], 'f(a, true=1)')),
    ],
    'numbers': [
        ('f(5, -5, 007, -0)', C('f', [L(5), L(-5), L(7), L(0)], [], 'f(5, -5, 007, -0)')),
        ('f(1.5, -0.0, 1.50)', C('f', [L(1.5), L(-0.0), L(1.5)], [], 'f(1.5, -0.0, 1.50)')),
        ('f(1e5, 1.5E-3, 2e0)', C('f', [L(100000.0), L(0.0015), L(2.0)], [], 'f(1e5, 1.5E-3, 2e0)')),
        ('f(1 ,2 )', C('f', [L(1), L(2)], [], 'f(1 ,2 )')),
        ('f(a,+5)', C('f', [P('a'), P('+5')], [], 'f(a,+5)')),
        ('f(a.b,.5)', P('f')),
        ('f(a,1.)', P('f')),
        ('f(1.5.6)', C('f', [P('1.5.6')], [], 'f(1.5.6)')),
        ('f(5x)', C('f', [P('5x')], [], 'f(5x)')),
        ('f(1e+5)', C('f', [P('1e+5')], [], 'f(1e+5)')),
        ('f(1.e5)', C('f', [P('1.e5')], [], 'f(1.e5)')),
        ('f(٣)', C('f', [L(3)], [], 'f(٣)')),
        ('f(1  \n)', C('f', [L(1)], [], 'f(1  \n)')),
    ],
    'keywords': [
        ('f(TRUE, fAlse, None, INF)', C('f', [L(True), L(False), L(None), L(INF)], [], 'f(TRUE, fAlse, None, INF)')),
        ('f(-inf)', C('f', [P('-inf')], [], 'f(-inf)')),
        ('f(infinity)', C('f', [P('infinity')], [], 'f(infinity)')),
        ('f(true.x)', P('f')),
        ('f(true$)', C('f', [P('true$')], [], 'f(true$)')),
        ('f(truex)', C('f', [P('truex')], [], 'f(truex)')),
        ('f(nan)', C('f', [P('nan')], [], 'f(nan)')),
        ('f(falſe)', C('f', [L(False)], [], 'f(falſe)')),
        ('f(ınf)', C('f', [L(INF)], [], 'f(ınf)')),
    ],
    'strings': [
        ('f("a")', C('f', [L('a')], [], 'f("a")')),
        ("f('a')", C('f', [L('a')], [], "f('a')")),
        ('f("a""b")', C('f', [L('a""b')], [], 'f("a""b")')),
        ("f('it''s')", C('f', [L("it''s")], [], "f('it''s')")),
        ('f("a"")', P('f')),
        ('f("\\xZ")', P('f')),
        ('f("\\x4f")', C('f', [L('\\x4f')], [], 'f("\\x4f")')),
        ('f("a\\"b")', C('f', [L('a\\"b')], [], 'f("a\\"b")')),
        ('f("\\n\\t")', C('f', [L('\\n\\t')], [], 'f("\\n\\t")')),
        ('f("a\tb")', C('f', [L('a    b')], [], 'f("a    b")')),
        ('seriesByTag(\'name=a\',\t"b=c")', C('seriesByTag', [L('name=a'), L('b=c')], [], 'seriesByTag(\'name=a\',   "b=c")')),
        (' seriesByTag( "a=b" ) ', C('seriesByTag', [L('a=b')], [], 'seriesByTag( "a=b" )')),
        ('f("a,b)")', C('f', [L('a,b)')], [], 'f("a,b)")')),
    ],
    'malformed calls': [
        ('f(a.b,)', P('f')),
        ('f(a,)', P('f')),
        ('f(,a)', P('f')),
        ('f(a b)', P('f')),
        ('f(a', P('f')),
        ('f(a))', C('f', [P('a')], [], 'f(a)')),
    ],
    'templates': [
        ('template(a.$x, x=1)|scale(2)', C('scale', [T(P('a.$x'), [], [('x', L(1))]), L(2)], [], 'scale(2)')),
        ('template(a.$1, true)', C('template', [P('a.$1'), L(True)], [], 'template(a.$1, true)')),
        ('template(a.$1.$x, "b", x="c")', C('template', [P('a.$1.$x'), L('b')], [('x', L('c'))], 'template(a.$1.$x, "b", x="c")')),
        ('template(a.b|f())', C('template', [C('f', [P('a.b')], [], 'f()')], [], 'template(a.b|f())')),
        ('templatex(a)', C('templatex', [P('a')], [], 'templatex(a)')),
        ('template (a.$1 , 5 )', T(P('a.$1'), [L(5)], [])),
        ('template(sumSeries(a.$x), x="b")', T(C('sumSeries', [P('a.$x')], [], 'sumSeries(a.$x)'), [], [('x', L('b'))])),
        ('template(a.$1, 1.5e3)', T(P('a.$1'), [L(1500.0)], [])),
        ('f(template(a.$x, x="y"))', C('f', [T(P('a.$x'), [], [('x', L('y'))])], [], 'f(template(a.$x, x="y"))')),
        ('template(a.$1, "x", 2)', T(P('a.$1'), [L('x'), L(2)], [])),
        ('template(a.$x, x=a.b)', C('template', [P('a.$x')], [('x', P('a.b'))], 'template(a.$x, x=a.b)')),
    ],
    'unparsable': [
        ('(', None),
        ('.a', None),
        (',', None),
        ('"abc"', None),
        ('   ', None),
        ('', None),
        ('|a', None),
    ],
}


def _parse_params():
    for group, cases in PARSE_CASES.items():
        for text, expected in cases:
            yield pytest.param(text, expected, id=f"{group}: {text!r}")


@pytest.mark.parametrize("text, expected", _parse_params())
def test_parse_target_matches_graphite_web(text, expected):
    if expected is None:
        with pytest.raises(GrammarError, match="cannot parse target"):
            parse_target(text)
    else:
        assert shape(parse_target(text)) == shape(expected)


def test_grafana_refid_wrapper_keeps_backslash():
    # Grafana wraps targets as aliasSub(<t>, "(^.*$)", "\1 <refId>"); the \1 must survive
    node = parse_target('aliasSub(a.b.c, "(^.*$)", "\\1 A")')
    assert node.args[2] == Literal("\\1 A")


def test_call_text_is_the_source_as_written():
    # evaluator.py fetches seriesByTag by its raw call text, inner spacing included
    node = parse_target("  seriesByTag('name=cpu',  'dc=eu')|alias('x')")
    assert node.args[0].text == "seriesByTag('name=cpu',  'dc=eu')"


def test_deep_nesting_parses_in_linear_time():
    # packrat memo: kwarg lookahead would otherwise re-parse each level twice (2**depth)
    text = "f(a, k=" * 60 + "b" + ")" * 60
    node = parse_target(text)
    for _ in range(59):
        node = node.kwargs[0][1]
    assert shape(node.kwargs[0][1]) == ("P", "b")


def test_grammar_error_is_a_value_error():
    assert issubclass(GrammarError, ValueError)


# Recorded from graphite-web evaluator.evaluateTokens: (target, request template) -> tree.
TEMPLATE_CASES = [
    ('template(a.$x.b, x="y")', {}, P("a.y.b")),
    ('template(a.$1.b, "y")', {}, P("a.y.b")),
    ('template(a.$x.b, x="y")', {"x": "z"}, P("a.z.b")),
    ('template(a.$x)', {"x": "req"}, P("a.req")),
    ('template(a.$x)', {}, P("a.$x")),
    # names replaced in argument order: $host eats the start of $hostname
    ('template(a.$host.$hostname, host="h", hostname="n")', {}, P("a.h.hname")),
    ('template(a.$hostname.$host, hostname="n", host="h")', {}, P("a.n.h")),
    ('template(a.$1, 1e3)', {}, P("a.1000.0")),
    ('template(a.$1.$2, 7, "q")', {}, P("a.7.q")),
    ('template(a.$x, x=-1)', {}, P("a.-1")),
    ('template(a.$x, x="y", x="z")', {}, P("a.z")),
    ('template(a.$1, "$2", "b")', {}, P("a.b")),
    # an argument that is exactly one placeholder becomes the value itself
    ('template(scale(a.b, $f), f=2)', {}, C("scale", [P("a.b"), L(2)], [], "scale(a.b, $f)")),
    ('template(scale(a.b, $f), f="2")', {}, C("scale", [P("a.b"), L(2.0)], [], "scale(a.b, $f)")),
    ('template(scale(a.b, $f), f="2")', {"f": "-3.5"},
     C("scale", [P("a.b"), L(-3.5)], [], "scale(a.b, $f)")),
    ('template(scale(a.b, $f), f="x")', {}, C("scale", [P("a.b"), L("x")], [], "scale(a.b, $f)")),
    ('template(scale(a.b, $1), 1.5)', {}, C("scale", [P("a.b"), L(1.5)], [], "scale(a.b, $1)")),
    ('template(f($x), x="-")', {}, C("f", [L("-")], [], "f($x)")),
    ('template(f(a.$1, b=$1), "5\\n")', {},
     C("f", [P("a.5\\n")], [("b", L("5\\n"))], "f(a.$1, b=$1)")),
    ('template(f(a.$x|g($y), k=$x), x="p", y="3")', {},
     C("f", [C("g", [P("a.p"), L(3.0)], [], "g($y)")], [("k", L("p"))], "f(a.$x|g($y), k=$x)")),
    ('template(a.$x, x="y")|scale(2)', {}, C("scale", [P("a.y"), L(2)], [], "scale(2)")),
    # request values only apply inside template(...)
    ('f(template(a.$x, x="y"), b.$x)', {"x": "r"},
     C("f", [P("a.r"), P("b.$x")], [], 'f(template(a.$x, x="y"), b.$x)')),
    ("a.$x", {"x": "y"}, P("a.$x")),
    # seriesByTag is fetched by its call text, never substituted
    ('template(seriesByTag("n=$x"), x="y")', {},
     C("seriesByTag", [L("n=$x")], [], 'seriesByTag("n=$x")')),
    ('template($x, x="c.d")', {}, L("c.d")),
]


@pytest.mark.parametrize("text, request_template, expected", TEMPLATE_CASES)
def test_apply_templates_matches_graphite_web(text, request_template, expected):
    assert shape(apply_templates(parse_target(text), request_template)) == shape(expected)


@pytest.mark.parametrize("text", [
    'template(a.$1, true)',                              # non-literal template argument
    'template(template(a.$x.$y, x="in"), y="out")',      # nested template is a plain call
])
def test_invalid_template_syntax_raises(text):
    # evaluator.py raises InputParameterError("invalid template() syntax, ...")
    with pytest.raises(GrammarError, match=r"^invalid template\(\) syntax"):
        apply_templates(parse_target(text), {})


@pytest.mark.parametrize("value", ["1.2.3", ".."])
def test_numeric_looking_template_value_float_refuses_raises(value):
    # evaluator.py float(val) raises ValueError on these
    with pytest.raises(GrammarError, match="is not a number"):
        apply_templates(parse_target(f'template(f($x), x="{value}")'), {})


@pytest.mark.parametrize("text, expected", [
    ("a.b", ["a.b"]),
    ("sumSeries(a.*, b.{c,d}, a.*)", ["a.*", "b.{c,d}"]),
    ("f(a, k=b)|g(c, 5, 'x')", ["a", "b", "c"]),
    ("group(seriesByTag('name=x', 'dc=eu'), a.b)", ["seriesByTag('name=x', 'dc=eu')", "a.b"]),
    ("constantLine(100)", []),
    ('template(scale(a.$h.cpu, $f), h="web1", f=2)', ["a.web1.cpu"]),
    ('template(a.$1, true)', ["a.$1"]),
])
def test_path_expressions_lists_fetches_in_order_once(text, expected):
    # evaluator.py extractPathExpressions (a set there; ours keeps target order)
    assert path_expressions(parse_target(text)) == expected


def test_path_expressions_after_request_template():
    node = apply_templates(parse_target("template(a.$h.b, h='x')"), {"h": "y"})
    assert path_expressions(node) == ["a.y.b"]
