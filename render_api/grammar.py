"""The render target grammar: a target string parsed once into a small frozen tree.

What: `parse_target` turns "sumSeries(a.*.b)|alias('x')" into PathExpr / Call / Literal /
Template nodes (pipes become ordinary calls with the piped value as first argument),
`apply_templates` resolves template(...) substitutions, and `path_expressions` lists what must
be fetched. Why hand-written: graphite-web 1.1.10's pyparsing grammar (render/grammar_unsafe.py)
is a PEG with no full-string match, so a target that is not fully understood silently parses
as a shorter one (`f(a.b,)` is the metric `f`, `a.b c` is `a.b`). Clients rely on that, so
this parser mirrors its ordered choices, lookaheads and whitespace rules one for one, and
raises GrammarError only where graphite-web fails to parse at all.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

# Characters a metric path may hold unescaped: printable ASCII without these symbols.
PATH_SYMBOLS = "(){},.'\"\\|"
PATH_CHARS = frozenset(string.printable) - frozenset(string.whitespace) - frozenset(PATH_SYMBOLS)
ESCAPABLE = frozenset(PATH_SYMBOLS + "=")
WHITESPACE = " \n\t\r"

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SCI = re.compile(r"(-?\d+(?:\.\d+)?)[eE](-?\d+)")
_FLOAT = re.compile(r"-?\d+\.\d+")
_INT = re.compile(r"-?\d+")
# pyparsing's quotedString: a doubled quote or a backslash escape may appear inside
_STRINGS = {
    '"': re.compile(r'"(?:[^"\n\r\\]|(?:"")|(?:\\(?:[^x]|x[0-9a-fA-F]+)))*'),
    "'": re.compile(r"'(?:[^'\n\r\\]|(?:'')|(?:\\(?:[^x]|x[0-9a-fA-F]+)))*"),
}
_KEYWORD_CHARS = frozenset(string.ascii_uppercase + string.digits + "_$")
_KEYWORDS = (("TRUE", True), ("FALSE", False), ("NONE", None), ("INF", float("inf")))
_NUMERIC_TEMPLATE_VALUE = re.compile(r"^-?[\d.]+$")


class GrammarError(ValueError):
    """A target graphite-web's grammar cannot parse at all, or a bad template value."""


@dataclass(frozen=True)
class PathExpr:
    text: str                  # backslash escapes already removed, braces kept


@dataclass(frozen=True)
class Literal:
    value: object              # int, float (inf included), str (quotes off, escapes kept), bool, None


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple
    kwargs: tuple              # ((name, node), ...) in source order; a repeated name: last wins
    text: str                  # as written, tabs expanded; a piped call's own part only


@dataclass(frozen=True)
class Template:
    expr: Node                 # a Call or PathExpr holding $name / $1 placeholders
    args: tuple                # Literals, substituted for $1, $2, ...
    kwargs: tuple              # ((name, Literal), ...)


Node = PathExpr | Literal | Call | Template


def parse_target(text: str) -> Node:
    """The tree of one target; trailing text graphite-web would ignore is ignored."""
    try:
        parsed = _Parser(text).expression(0)
    except RecursionError:
        raise GrammarError("target nested too deeply") from None
    if parsed is None:
        raise GrammarError(f"cannot parse target: {text!r}")
    return parsed[0]


def apply_templates(node: Node, request_template: dict[str, str]) -> Node:
    """`node` with every Template replaced by its expression with placeholders substituted.

    A template's own arguments fill $name / $1.., `request_template` (the request's
    template[name] values) overrides them; outside template(...) nothing is substituted.
    Raises GrammarError where graphite-web's evaluator fails: a template() whose arguments
    are not literals, or a numeric-looking value float() refuses ("1.2.3").
    """
    return _substitute(node, None, request_template)


def path_expressions(node: Node) -> list[str]:
    """Every path expression the target fetches, in order, once each.

    Meant for the result of `apply_templates`; a Template still in the tree is expanded with
    its own arguments only. seriesByTag(...) counts as the path expression of its call text.
    """
    return list(path_expression_uses(node))


def path_expression_uses(node: Node) -> dict[str, int]:
    """How many times the target names each path expression, in first-use order."""
    found: dict[str, int] = {}
    _collect(node, found)
    return found


def _substitute(node: Node, values: dict | None, request_template: dict[str, str]) -> Node:
    if isinstance(node, Template):
        own = {name: lit.value for name, lit in node.kwargs}
        own.update((str(i), lit.value) for i, lit in enumerate(node.args, 1))
        own.update(request_template)
        return _substitute(node.expr, own, request_template)
    if isinstance(node, Call) and node.name == "template":
        # the grammar only makes a template() call when its arguments were not literals
        raise GrammarError("invalid template() syntax, only string/numeric arguments are allowed")
    if isinstance(node, Call) and node.name != "seriesByTag":   # fetched by its text as written
        return Call(node.name, tuple(_substitute(a, values, request_template) for a in node.args),
                    tuple((k, _substitute(v, values, request_template)) for k, v in node.kwargs),
                    node.text)
    if isinstance(node, PathExpr) and values:
        return _substituted_path(node.text, values)
    return node


def _substituted_path(text: str, values: dict) -> Node:
    # names are replaced one after another in dict order, so "$host" may eat part of
    # "$hostname", and an argument that is exactly one placeholder becomes that value
    for name, value in values.items():
        if text == "$" + name:
            return Literal(_template_scalar(value))
        text = text.replace("$" + name, str(value))
    return PathExpr(text)


def _template_scalar(value: object) -> object:
    if not isinstance(value, str) or not _NUMERIC_TEMPLATE_VALUE.match(value):
        return value
    try:
        return float(value)
    except ValueError:
        raise GrammarError(f"template value {value!r} is not a number") from None


def _collect(node: Node, found: dict[str, int]) -> None:
    if isinstance(node, Template):
        try:
            _collect(apply_templates(node, {}), found)
        except GrammarError:
            _collect(node.expr, found)      # evaluation will fail; listing need not
    elif isinstance(node, PathExpr) or (isinstance(node, Call) and node.name == "seriesByTag"):
        found[node.text] = found.get(node.text, 0) + 1
    elif isinstance(node, Call):
        for arg in node.args:
            _collect(arg, found)
        for _, arg in node.kwargs:
            _collect(arg, found)


class _Parser:
    """Recursive descent over one target; each rule returns (result, end) or None.

    Rules commit to their first successful alternative and never revisit it when a later
    element fails, exactly like pyparsing's MatchFirst; tokens skip leading whitespace except
    inside path expressions, numbers and strings.
    """

    def __init__(self, text: str) -> None:
        # pyparsing expands tabs before parsing, which reaches string values and call texts
        self.s = text.expandtabs()
        self.memo: dict[tuple[str, int], tuple | None] = {}

    def ws(self, pos: int) -> int:
        s = self.s
        while pos < len(s) and s[pos] in WHITESPACE:
            pos += 1
        return pos

    def char(self, pos: int, c: str) -> int | None:
        """Position after `c` found at `pos` once whitespace is skipped."""
        pos = self.ws(pos)
        return pos + 1 if self.s.startswith(c, pos) else None

    def expression(self, pos: int) -> tuple[Node, int] | None:
        key = ("expression", pos)
        if key not in self.memo:
            self.memo[key] = self._expression(pos)
        return self.memo[key]

    def _expression(self, pos: int) -> tuple[Node, int] | None:
        head = self.template(pos) or self.call(pos) or self.path(pos)
        if head is None:
            return None
        node, pos = head
        while (after_pipe := self.char(pos, "|")) is not None:
            piped = self.call(after_pipe)
            if piped is None:
                break
            call, pos = piped
            node = Call(call.name, (node,) + call.args, call.kwargs, call.text)
        return node, pos

    def template(self, pos: int) -> tuple[Template, int] | None:
        pos = self.ws(pos)
        if not self.s.startswith("template", pos):
            return None
        pos = self.char(pos + len("template"), "(")
        if pos is None:
            return None
        inner = self.call(pos) or self.path(pos)
        if inner is None:
            return None
        expr, pos = inner
        args: tuple = ()
        kwargs: tuple = ()
        after_comma = self.char(pos, ",")
        if after_comma is not None:
            listed = self.positional(after_comma, self.literal_kwarg, self.literal)
            if listed is not None:
                args, pos = listed
            elif (named := self.keywords(after_comma, self.literal_kwarg)) is not None:
                kwargs, pos = named
        end = self.char(pos, ")")
        return None if end is None else (Template(expr, args, kwargs), end)

    def call(self, pos: int) -> tuple[Call, int] | None:
        start = self.ws(pos)
        name = _NAME.match(self.s, start)
        if name is None:
            return None
        pos = self.char(name.end(), "(")
        if pos is None:
            return None
        args: tuple = ()
        kwargs: tuple = ()
        listed = self.positional(pos, self.kwarg, self.arg)
        if listed is not None:
            args, pos = listed
            after_comma = self.char(pos, ",")
            if after_comma is not None:
                named = self.keywords(after_comma, self.kwarg)
                if named is not None:
                    kwargs, pos = named
        end = self.char(pos, ")")
        if end is None:
            return None
        return Call(name.group(), args, kwargs, self.s[start:end]), end

    def positional(self, pos: int, kwarg, arg) -> tuple[tuple, int] | None:
        """Comma-separated `arg`s, each refused where a whole `kwarg` would parse."""
        first = None if kwarg(pos) is not None else arg(pos)
        if first is None:
            return None
        items, pos = [first[0]], first[1]
        while (after_comma := self.char(pos, ",")) is not None:
            item = None if kwarg(after_comma) is not None else arg(after_comma)
            if item is None:
                break
            items.append(item[0])
            pos = item[1]
        return tuple(items), pos

    def keywords(self, pos: int, kwarg) -> tuple[tuple, int] | None:
        """Comma-separated `kwarg`s."""
        items = []
        while (item := kwarg(pos)) is not None:
            items.append(item[0])
            pos = item[1]
            after_comma = self.char(pos, ",")
            if after_comma is None or kwarg(after_comma) is None:
                break
            pos = after_comma
        return (tuple(items), pos) if items else None

    def kwarg(self, pos: int) -> tuple[tuple[str, Node], int] | None:
        return self._named(pos, self.arg)

    def literal_kwarg(self, pos: int) -> tuple[tuple[str, Node], int] | None:
        return self._named(pos, self.literal)

    def _named(self, pos: int, value) -> tuple[tuple[str, Node], int] | None:
        name = _NAME.match(self.s, self.ws(pos))
        if name is None:
            return None
        pos = self.char(name.end(), "=")
        found = None if pos is None else value(pos)
        return None if found is None else ((name.group(), found[0]), found[1])

    def arg(self, pos: int) -> tuple[Node, int] | None:
        key = ("arg", pos)
        if key not in self.memo:
            pos = self.ws(pos)
            self.memo[key] = (self.keyword(pos, _KEYWORDS[:2]) or self.number(pos)
                              or self.keyword(pos, _KEYWORDS[2:3]) or self.string(pos)
                              or self.keyword(pos, _KEYWORDS[3:]) or self.expression(pos))
        return self.memo[key]

    def literal(self, pos: int) -> tuple[Literal, int] | None:
        pos = self.ws(pos)
        return self.number(pos) or self.string(pos)

    def keyword(self, pos: int, choices) -> tuple[Literal, int] | None:
        # pyparsing's CaselessKeyword compares upper-cased text and refuses a following
        # identifier character, so "True" is a boolean but "true.x" and "trueish" are not
        s = self.s
        for word, value in choices:
            end = pos + len(word)
            if s[pos:end].upper() == word and (end >= len(s) or
                                               s[end].upper() not in _KEYWORD_CHARS):
                return Literal(value), end
        return None

    def number(self, pos: int) -> tuple[Literal, int] | None:
        # each form only counts when followed by ',' or ')' or the end, so
        # "1.5.6", "5x" and "1e+5" fall through to path expressions
        for pattern, convert in ((_SCI, _sci_value), (_FLOAT, _float_value), (_INT, _int_value)):
            found = pattern.match(self.s, pos)
            if found is not None and self.number_ends(found.end()):
                return Literal(convert(found)), found.end()
        return None

    def number_ends(self, pos: int) -> bool:
        # graphite-web also allows a line end, but whitespace (newlines included) is skipped
        # before that check, so only ',' ')' or the end of the text remain
        after = self.ws(pos)
        return after == len(self.s) or self.s[after] in ",)"

    def string(self, pos: int) -> tuple[Literal, int] | None:
        pattern = _STRINGS.get(self.s[pos:pos + 1])
        found = None if pattern is None else pattern.match(self.s, pos)
        if found is None or not self.s.startswith(self.s[pos], found.end()):
            return None
        return Literal(self.s[pos + 1:found.end()]), found.end() + 1

    def path(self, pos: int) -> tuple[PathExpr, int] | None:
        pos = self.ws(pos)
        element = self.path_element(pos)
        if element is None:
            return None
        parts, pos = [element[0]], element[1]
        while self.s.startswith(".", pos) and (element := self.path_element(pos + 1)):
            parts.append(element[0])
            pos = element[1]
        return PathExpr(".".join(parts)), pos

    def path_element(self, pos: int) -> tuple[str, int] | None:
        """One dot-free component: metric characters, escapes and {a,b} lists, in any mix."""
        out = []
        while True:
            run = self.path_run(pos)
            if run is None and self.s.startswith("{", pos):
                run = self.brace_list(pos)
            if run is None:
                break
            out.append(run[0])
            pos = run[1]
        return ("".join(out), pos) if out else None

    def brace_list(self, pos: int) -> tuple[str, int] | None:
        choices = []
        while True:
            run = self.path_run(pos + 1)         # pos is at '{' or ','
            if run is None:
                return None
            choices.append(run[0])
            pos = run[1]
            if self.s.startswith("}", pos):
                return "{" + ",".join(choices) + "}", pos + 1
            if not self.s.startswith(",", pos):
                return None

    def path_run(self, pos: int) -> tuple[str, int] | None:
        """Metric characters and backslash escapes (the backslash dropped)."""
        s = self.s
        out = []
        while pos < len(s):
            if s[pos] in PATH_CHARS:
                out.append(s[pos])
                pos += 1
            elif s[pos] == "\\" and pos + 1 < len(s) and s[pos + 1] in ESCAPABLE:
                out.append(s[pos + 1])
                pos += 2
            else:
                break
        return ("".join(out), pos) if out else None


def _sci_value(found: re.Match) -> float:
    return float(found.group(1) + "e" + found.group(2))


def _float_value(found: re.Match) -> float:
    return float(found.group())


def _int_value(found: re.Match) -> int:
    return int(found.group())
