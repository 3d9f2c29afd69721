"""Metric names: carbon-compatible normalization, Graphite globs, and the in-memory name indexes.

Every series has exactly one spelling inside Strata, the one carbon 1.1.10 would write
(``TaggedSeries`` in lib/carbon/util.py, the same code as graphite-web tags/utils.py), so
``normalize`` runs on every name that arrives.  ``glob_to_regex`` compiles one component of a
Graphite path expression into a regex whose cost stays bounded on hostile input.  ``NameTrie``
answers /metrics/find and render-time glob expansion over plain dotted paths; ``TagIndex`` is the
inverted index behind seriesByTag and /tags.  Pure and in-memory: no I/O, no clock.
"""

from __future__ import annotations

import bisect
import re
import sys
import threading
from array import array
from functools import lru_cache
from operator import itemgetter
from typing import Iterator, NamedTuple

import numpy as np

__all__ = [
    "InvalidName", "InvalidPattern", "MAX_PATTERN_LENGTH", "MAX_BRACE_DEPTH", "MAX_GLOB_COST",
    "normalize", "parse_tags", "is_tagged", "glob_to_regex", "has_glob",
    "NameTrie", "TagIndex", "TagColumn",
]

MAX_PATTERN_LENGTH = 4096   # longest path expression (and component) find/expand/glob accept
MAX_BRACE_DEPTH = 32        # deepest {..{..}..} nesting; deeper patterns are rejected
MAX_GLOB_COST = 1 << 18     # worst-case backtracking branches of one component (see glob_to_regex)
_STAR_BRANCHES = 256        # places a backtracking '*' may end: a whisper component is <= 255 bytes
_MAX_VARIANTS = 16          # fixed-width variants kept per piece (see _Piece)


class InvalidName(ValueError):
    """A metric name Strata refuses; the message quotes the name and the rule it breaks."""

    def __init__(self, name: str, rule: str) -> None:
        super().__init__(f"invalid metric name {name!r}: {rule}")
        self.name = name
        self.rule = rule


class InvalidPattern(ValueError):
    """A path expression over the documented limits; the message quotes it (shortened)."""

    def __init__(self, pattern: str, rule: str) -> None:
        shown = pattern if len(pattern) <= 80 else pattern[:77] + "..."
        super().__init__(f"invalid path expression {shown!r}: {rule}")
        self.pattern = pattern
        self.rule = rule


# --------------------------------------------------------------------------------------------
# Normalization (carbon 1.1.10 lib/carbon/util.py TaggedSeries)
# --------------------------------------------------------------------------------------------

_PROHIBITED_TAG_CHARS = ";!^="
# carbon's segment regex, including its typo "(:?,|$)": a segment may end in "," or ":,".
_OPENMETRICS_SEGMENT = re.compile(r'([^=]+)="((?:\\["\\]|[^"\\])+)"(?::?,|\Z)')
_OPENMETRICS_ESCAPE = re.compile(r'\\(["\\])')
# A carbon name already in canonical form: a metric without a leading '~', then tag=value
# segments with carbon's allowed characters (checked further in _canonical).
_CANONICAL_SHAPE = re.compile(r"[^;~][^;]*(?:;[^;!^=]+=[^;~][^;]*)+")


def normalize(name: str) -> str:
    """The canonical spelling of ``name``, as carbon 1.1.10 ``TaggedSeries.parse(name).path``.

    Plain paths are kept as sent (no character validation), except that carbon runs every
    name through the tag parser, whose ``name`` tag drops leading ``~``: ``~a.b`` -> ``a.b``.
    Tagged names (``a;t=v``, or OpenMetrics ``a{t="v"}``) get their tags sorted by the
    ``;tag=value`` string.

    Deviations from carbon, all raising InvalidName: an empty name and any name the tag parser
    refuses (carbon logs those and stores the raw string); a name holding NUL or a newline
    (carbon stores it); and two shapes carbon accepts although its output would not parse back
    to itself: an OpenMetrics metric part containing ``;`` and a result that looks like
    OpenMetrics (contains ``{``, ends ``"}``).  Hence ``normalize(normalize(x)) ==
    normalize(x)`` for every accepted ``x``.
    """
    _check_raw(name)
    if ";" not in name and not _looks_openmetrics(name):
        return name if name[0] != "~" else _name_tag(name, name)
    if _canonical(name):
        return name
    tags = _parse(name)
    normalized = _format(tags)
    if _looks_openmetrics(normalized):
        raise InvalidName(name, f"normalized form {normalized!r} would parse as OpenMetrics")
    return normalized


def _canonical(name: str) -> bool:
    """True if ``name`` is a tagged name that normalizes to itself: the cheap test that spares
    senders of canonical names (most of them) the parse, at every new series."""
    if not _CANONICAL_SHAPE.fullmatch(name) or _looks_openmetrics(name):
        return False
    segments = name.split(";")[1:]
    tags = [seg.partition("=")[0] for seg in segments]
    return segments == sorted(segments) and "name" not in tags and len(set(tags)) == len(tags)


def parse_tags(normalized: str) -> dict[str, str]:
    """Tags of a normalized name, ``name`` included; a plain path is ``{'name': path}``.

    Trusts its input to be ``normalize`` output (it only splits): the index calls it per
    series on start-up.
    """
    if ";" not in normalized:
        return {"name": normalized}
    metric, *segments = normalized.split(";")
    tags = {}
    for segment in segments:
        tag, sep, value = segment.partition("=")
        if not sep or not tag:
            raise InvalidName(normalized, f"invalid segment {segment!r} (expected tag=value)")
        tags[tag] = value
    tags["name"] = metric   # set last: the metric part wins over an explicit name= tag
    return tags


def is_tagged(name: str) -> bool:
    """True if ``normalize`` treats ``name`` as tagged; for normalized names: ``';' in name``."""
    return ";" in name or _looks_openmetrics(name)


def _check_raw(name: str) -> None:
    if not name:
        raise InvalidName(name, "name is empty")
    if "\x00" in name:
        raise InvalidName(name, "name contains NUL")
    if "\n" in name:
        raise InvalidName(name, "name contains a newline")


def _looks_openmetrics(name: str) -> bool:
    # carbon: `path[-2:] == '"}' and '{' in path` selects the OpenMetrics parser.
    return name.endswith('"}') and "{" in name


def _parse(name: str) -> dict[str, str]:
    if _looks_openmetrics(name):
        metric, tags = _parse_openmetrics(name)
    else:
        metric, tags = _parse_carbon(name)
    tags["name"] = _name_tag(name, metric)   # overwrites an explicit name= tag, as carbon does
    return tags


def _parse_carbon(name: str) -> tuple[str, dict[str, str]]:
    metric, *segments = name.split(";")
    if not metric:
        raise InvalidName(name, "no metric found before ';'")
    tags = {}
    for segment in segments:
        tag, sep, value = segment.partition("=")
        if not sep or not tag:
            raise InvalidName(name, f"invalid segment {segment!r} (expected tag=value)")
        _validate_tag(name, tag, value)
        tags[tag] = value   # duplicate tags: the last one wins
    return metric, tags


def _parse_openmetrics(name: str) -> tuple[str, dict[str, str]]:
    if name.count("{") > 1:
        # carbon unpacks path[:-1].split('{', 2) into two names and fails on a third part.
        raise InvalidName(name, "OpenMetrics name has more than one '{'")
    metric, raw = name[:-1].split("{")
    if not metric:
        raise InvalidName(name, "no metric found before '{'")
    if ";" in metric:
        raise InvalidName(name, f"OpenMetrics metric part {metric!r} contains ';'")
    tags = {}
    pos = 0
    while pos < len(raw):
        m = _OPENMETRICS_SEGMENT.match(raw, pos)
        if m is None:
            raise InvalidName(name, f'invalid segment {raw[pos:]!r} (expected tag="value")')
        tag, value = m.group(1), _OPENMETRICS_ESCAPE.sub(r"\1", m.group(2))
        _validate_tag(name, tag, value)
        tags[tag] = value
        pos = m.end()
    return metric, tags


def _validate_tag(name: str, tag: str, value: str) -> None:
    # carbon TaggedSeries.validateTagAndValue, same checks in the same order.
    if not tag:
        raise InvalidName(name, "tag may not be empty")
    if not value:
        raise InvalidName(name, f'value for tag "{tag}" may not be empty')
    for char in _PROHIBITED_TAG_CHARS:
        if char in tag:
            raise InvalidName(name, f'character "{char}" is not allowed in tag "{tag}"')
    if ";" in value:
        raise InvalidName(name, f'character ";" is not allowed in value "{value}" of tag "{tag}"')
    if value[0] == "~":
        raise InvalidName(name, f'value of tag "{tag}" may not start with "~"')


def _name_tag(name: str, metric: str) -> str:
    # carbon sanitize_name_as_tag_value: the name tag is the metric without leading '~'.
    stripped = metric.lstrip("~")
    if not stripped:
        raise InvalidName(name, f"metric {metric!r} is empty once leading '~' are stripped")
    return stripped


def _format(tags: dict[str, str]) -> str:
    # carbon TaggedSeries.format: sorted by the whole ";tag=value" string, not by tag name.
    return tags["name"] + "".join(sorted(f";{t}={v}" for t, v in tags.items() if t != "name"))


# --------------------------------------------------------------------------------------------
# Globs (graphite-web finders: braces, then fnmatch; one path component at a time)
# --------------------------------------------------------------------------------------------

_GLOB_CHARS = frozenset("*?[{")
_NOT_DOT = "[^.]"


def has_glob(component: str) -> bool:
    """True if the component has a wildcard character (graphite's is_pattern: * ? [ {)."""
    return not _GLOB_CHARS.isdisjoint(component)


@lru_cache(maxsize=4096)
def glob_to_regex(component: str) -> re.Pattern:
    """Compile one path component of a Graphite glob; use ``.fullmatch`` (``.match`` works too).

    ``*`` any run (never a ``.``), ``?`` one character, ``[abc]`` ``[a-z]`` ``[!a]`` fnmatch
    classes (reversed ranges dropped; an unclosed ``[`` is literal), ``{a,b,c}`` alternatives
    that may nest and may hold any of these (``{}`` and empty alternatives match the empty
    string; an unbalanced ``{`` or ``}`` and a ``,`` outside braces are literal); everything
    else literal.  A class binds tighter than braces: ``[{,}]`` is one class.

    Cost limits (InvalidPattern beyond them): braces become a regex alternation, never a
    cartesian product, so the regex grows linearly with the pattern; at most
    MAX_PATTERN_LENGTH characters and MAX_BRACE_DEPTH nesting levels.  Backtracking is cut
    where it cannot change the answer (atomic groups, exact for globs: see _emit_group and
    _join_segments), so ``*a*a*a*b``, ``{a,?}{a,?}..`` and ``*{web,db}*{prod,dev}*`` stay
    linear.  What still backtracks is a group whose alternatives differ in width (one branch
    per width) and a ``*`` before a piece with stars inside braces (_STAR_BRANCHES each); the
    product must stay within MAX_GLOB_COST, which keeps one match of a 255-character
    component near 0.1 s at worst: ``*{a*,b}*c`` passes, ``{a,bb}`` 19 times in a row or
    ``*{a*,b}*{a*,b}*c`` is refused.
    """
    if len(component) > MAX_PATTERN_LENGTH:
        raise InvalidPattern(component, f"longer than {MAX_PATTERN_LENGTH} characters")
    tokens = _tokenize(component)
    pairs = _match_braces(tokens)
    if _brace_depth(tokens, pairs) > MAX_BRACE_DEPTH:
        raise InvalidPattern(component, f"braces nested deeper than {MAX_BRACE_DEPTH}")
    piece = _emit_sequence(tokens, 0, len(tokens), pairs, top=True)
    if piece.cost > MAX_GLOB_COST:
        raise InvalidPattern(component, "too many '*' and brace groups of varying width "
                             "to match without runaway backtracking")
    return re.compile(f"(?:{piece.regex})\\Z")


def _tokenize(component: str) -> list[tuple[str, str]]:
    """(kind, text) tokens: kind is one of '*' '?' '{' '}' ',' 'lit', or 're' (a class regex)."""
    tokens = []
    i, n = 0, len(component)
    while i < n:
        char = component[i]
        if char == "[":
            end = _class_end(component, i)
            if end > 0:
                tokens.append(("re", _class_regex(component, i + 1, end)))
                i = end + 1
                continue
        tokens.append((char if char in "*?{}," else "lit", char))
        i += 1
    return tokens


def _class_end(component: str, start: int) -> int:
    """Index of the ']' closing the class opened at ``start``, or -1 (then '[' is literal)."""
    i = start + 1
    if i < len(component) and component[i] == "!":
        i += 1
    if i < len(component) and component[i] == "]":
        i += 1   # a ']' first in the class is a member, as in fnmatch
    return component.find("]", i)


def _class_regex(component: str, lo: int, hi: int) -> str:
    negate = component[lo] == "!"
    i = lo + 1 if negate else lo
    members = []
    while i < hi:
        # A '-' between two characters makes a range; one right after a range is literal.
        if i + 2 < hi and component[i + 1] == "-":
            first, last = component[i], component[i + 2]
            if first <= last:   # reversed ranges match nothing (fnmatch drops them)
                members.append(f"{_class_escape(first)}-{_class_escape(last)}")
            i += 3
        else:
            members.append(_class_escape(component[i]))
            i += 1
    if negate:
        return "[^." + "".join(members) + "]"   # '.' separates components: never matched
    return "[" + "".join(members) + "]" if members else "(?!)"


def _class_escape(char: str) -> str:
    return "\\" + char if char in "\\]-^[&~|" else char


def _match_braces(tokens: list[tuple[str, str]]) -> dict[int, int]:
    """Index of each matched '{' token -> index of its '}'; unmatched braces become literals."""
    pairs = {}
    stack = []
    for i, (kind, _) in enumerate(tokens):
        if kind == "{":
            stack.append(i)
        elif kind == "}":
            if stack:
                pairs[stack.pop()] = i
            else:
                tokens[i] = ("lit", "}")
    for i in stack:
        tokens[i] = ("lit", "{")
    return pairs


def _brace_depth(tokens: list[tuple[str, str]], pairs: dict[int, int]) -> int:
    closes = set(pairs.values())
    depth = deepest = 0
    for i in range(len(tokens)):
        if i in pairs:
            depth += 1
            deepest = max(deepest, depth)
        elif i in closes:
            depth -= 1
    return deepest


class _Piece(NamedTuple):
    """A compiled stretch of glob."""

    regex: str
    width: int | None   # characters it always spans; None if that varies
    cost: int           # worst-case backtracking branches it adds, see MAX_GLOB_COST
    # Fixed-width (width, regex) alternatives whose union is this piece, when there are few;
    # lets a varying piece between two stars still be matched atomically, one width at a time.
    variants: tuple[tuple[int, str], ...] | None


def _fixed(regex: str, width: int) -> _Piece:
    return _Piece(regex, width, 1, ((width, regex),))


def _emit_sequence(tokens, lo: int, hi: int, pairs: dict[int, int], top: bool = False) -> _Piece:
    """tokens[lo:hi] (the whole component if top, else one alternative) as a regex piece."""
    segments: list[list[_Piece]] = [[]]   # the stretches between '*' tokens
    i = lo
    while i < hi:
        kind, text = tokens[i]
        if kind == "*":
            segments.append([])
        elif kind == "{" and i in pairs:
            segments[-1].append(_emit_group(tokens, i, pairs[i], pairs))
            i = pairs[i]
        elif kind == "?":
            segments[-1].append(_fixed(_NOT_DOT, 1))
        elif kind == "re":
            segments[-1].append(_fixed(text, 1))
        else:   # literals, and ',' outside braces
            segments[-1].append(_fixed(re.escape(text), 1))
        i += 1
    return _join_segments([_concat(pieces) for pieces in segments], top)


def _emit_group(tokens, open_: int, close: int, pairs: dict[int, int]) -> _Piece:
    """A {..} group: alternatives of one width form one atomic branch, others stay apart.

    Alternatives of equal width all end at the same place, so committing to the first that
    matches loses nothing; the engine then only ever retries across different widths.
    """
    alternatives = []
    start = i = open_ + 1
    while i < close:
        kind = tokens[i][0]
        if kind == "{" and i in pairs:
            i = pairs[i]    # skip the nested group; its commas are its own
        elif kind == ",":
            alternatives.append(_emit_sequence(tokens, start, i, pairs))
            start = i + 1
        i += 1
    alternatives.append(_emit_sequence(tokens, start, close, pairs))
    alternatives = list(dict.fromkeys(alternatives))   # {a,a,a} is {a}
    fixed = [(p.width, p.regex) for p in alternatives if p.width is not None]
    varying = [p for p in alternatives if p.width is None]
    branches = [_fixed(regex, width) for width, regex in _merge_widths(fixed)]
    if len(branches) == 1 and not varying:
        return branches[0]
    branches += varying
    regex = "(?:" + "|".join(branch.regex for branch in branches) + ")"
    cost = sum(branch.cost for branch in branches)
    if any(branch.variants is None for branch in branches):
        return _Piece(regex, None, cost, None)
    variants = _merge_widths([v for branch in branches for v in branch.variants])
    return _Piece(regex, None, cost, _capped(variants))


def _concat(pieces: list[_Piece]) -> _Piece:
    width: int | None = 0
    cost = 1
    variants: tuple[tuple[int, str], ...] | None = ((0, ""),)
    for piece in pieces:
        width = None if width is None or piece.width is None else width + piece.width
        cost *= piece.cost
        if variants is not None and piece.variants is not None:
            combined = [(w1 + w2, r1 + r2) for w1, r1 in variants for w2, r2 in piece.variants]
            variants = _capped(_merge_widths(combined))
        else:
            variants = None
    return _Piece("".join(piece.regex for piece in pieces), width, cost, variants)


def _merge_widths(variants: list[tuple[int, str]]) -> tuple[tuple[int, str], ...]:
    by_width: dict[int, list[str]] = {}
    for width, regex in variants:
        by_width.setdefault(width, []).append(regex)
    return tuple((width, regexes[0] if len(regexes) == 1 else "(?>" + "|".join(regexes) + ")")
                 for width, regexes in by_width.items())


def _capped(variants: tuple[tuple[int, str], ...]) -> tuple[tuple[int, str], ...] | None:
    # Keep variants only while they stay few and short: they duplicate regex text.
    if len(variants) > _MAX_VARIANTS or sum(len(r) for _, r in variants) > MAX_PATTERN_LENGTH:
        return None
    return variants


def _join_segments(segments: list[_Piece], top: bool) -> _Piece:
    """P0 * P1 * ... * Pk as one piece.

    A fixed-width Pi between two stars is matched atomically at its earliest occurrence: what
    follows starts with '*', so a later occurrence could never match more (fnmatch does the
    same).  A varying Pi with few fixed-width variants is an alternation of such atomic scans,
    one per width.  Any other star must backtrack and counts _STAR_BRANCHES towards the cost,
    except the final star of the whole component: its scan is linear and nothing follows it.
    """
    if len(segments) == 1:
        return segments[0]
    first, *middle, last = segments
    parts = [first.regex]
    cost = first.cost
    for piece in middle:
        if not piece.regex:
            continue   # '**' is '*'
        if piece.variants is not None:
            scans = [f"(?>{_NOT_DOT}*?{regex})" for _, regex in piece.variants]
            parts.append(scans[0] if len(scans) == 1 else "(?:" + "|".join(scans) + ")")
            cost *= len(scans)
        else:
            parts.append(f"{_NOT_DOT}*{piece.regex}")
            cost *= _STAR_BRANCHES * piece.cost
    parts.append(f"{_NOT_DOT}*{last.regex}")
    cost *= last.cost if top else _STAR_BRANCHES * last.cost
    return _Piece("".join(parts), None, min(cost, MAX_GLOB_COST + 1), None)


# --------------------------------------------------------------------------------------------
# NameTrie: plain dotted paths for find / expand
# --------------------------------------------------------------------------------------------

_LEAF = True        # the value of a child that is a leaf and nothing else
_ALSO_LEAF = None   # key inside a branch's dict marking that the branch is itself a leaf


class NameTrie:
    """Path trie of plain (untagged) dotted names.

    Memory-lean for millions of names: a branch is a dict of interned component -> child, a
    child that is only a leaf is the shared constant ``True`` inside its parent's dict (no
    object of its own), and a branch that is also a leaf (``a.b`` beside ``a.b.c``) carries
    the key ``None``.  Names are never removed (the name logs are append-only).
    """

    __slots__ = ("_root", "_count")

    def __init__(self) -> None:
        self._root: dict = {}
        self._count = 0

    def add(self, name: str) -> bool:
        """Insert a plain normalized name; True if it was new."""
        if not name or ";" in name:
            raise InvalidName(name, "NameTrie holds plain, non-empty paths only")
        *parents, last = name.split(".")
        node = self._root
        for component in parents:
            child = node.get(component)
            if child is None:
                child = node[sys.intern(component)] = {}
            elif child is _LEAF:
                child = node[component] = {_ALSO_LEAF: _LEAF}
            node = child
        child = node.get(last)
        if child is None:
            node[sys.intern(last)] = _LEAF
        elif child is _LEAF or _ALSO_LEAF in child:
            return False
        else:
            child[_ALSO_LEAF] = _LEAF
        self._count += 1
        return True

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        node = self._root
        for component in name.split("."):
            if type(node) is not dict:
                return False
            node = node.get(component)
        return node is _LEAF or (type(node) is dict and _ALSO_LEAF in node)

    def __len__(self) -> int:
        return self._count

    def find(self, pattern: str) -> list[tuple[str, bool]]:
        """Graphite find: every node whose path matches; (path, is_leaf) pairs.

        The pattern is split on '.' after dropping backslashes, as graphite-web's standard
        finder does; each part is a glob_to_regex component, and a part that is exactly
        ``**`` spans any number of levels (a trailing one: everything below).  Raises
        InvalidPattern past the limits of glob_to_regex.

        A node that is both a branch and a leaf appears twice, branch first.  Sorted as
        /metrics/find sorts: by node name (last component), branches before leaves for an
        equal name (GRAPHITE.md §4.1, §9 gotcha 7); the full path breaks remaining ties so
        the order is deterministic (graphite-web leaves it to a random shuffle).
        """
        found = []
        for prefix, component, child in self._matches(pattern):
            path = prefix + component
            if child is _LEAF:
                found.append((component, True, path))
            else:
                found.append((component, False, path))
                if _ALSO_LEAF in child:
                    found.append((component, True, path))
        found.sort()
        return [(path, is_leaf) for _, is_leaf, path in found]

    def expand(self, pattern: str) -> list[str]:
        """Leaf paths matching the pattern, sorted by full path (render-time expansion order)."""
        return sorted(prefix + component for prefix, component, child in self._matches(pattern)
                      if child is _LEAF or _ALSO_LEAF in child)

    def iter_leaves(self) -> Iterator[str]:
        """Every leaf path, in no particular order (do not add while iterating)."""
        stack = [("", self._root)]
        while stack:
            prefix, node = stack.pop()
            for component, child in node.items():
                if component is _ALSO_LEAF:
                    yield prefix[:-1]
                elif child is _LEAF:
                    yield prefix + component
                else:
                    stack.append((prefix + component + ".", child))

    def first_per_name(self, pattern: str) -> list[tuple[str, bool]]:
        """The first match of each node name in `find` order: all that treejson shows.

        For a fan-out such as ``collectd.*.cpu-0.*`` over thousands of hosts, find builds
        and sorts every path only for treejson to keep one per name; this builds a path per
        distinct name.  With ``**`` the frontier mixes depths, so it answers `find`'s list.
        """
        *inner, last = _split_pattern(pattern)
        if last == "**" or "**" in inner:
            return self.find(pattern)
        star = last == "*"
        firsts: dict[str, tuple[str, bool]] = {}
        # One depth of prefixes, each ending in '.': their order is their paths' order.
        for prefix, node in sorted(self._frontier(inner), key=itemgetter(0)):
            for component, child in node.items() if star else _children(node, last):
                first = firsts.get(component)
                if first is None:
                    firsts[component] = (prefix, child is _LEAF)
                elif first[1] and child is not _LEAF:
                    firsts[component] = (prefix, False)
        firsts.pop(_ALSO_LEAF, None)
        return [(firsts[c][0] + c, firsts[c][1]) for c in sorted(firsts)]

    def _matches(self, pattern: str) -> list[tuple[str, str, object]]:
        """(parent prefix with trailing '.', component, child) of every node matching."""
        *inner, last = _split_pattern(pattern)
        frontier = self._frontier(inner)
        if last == "**":
            # a trailing globstar: everything below, the frontier itself included
            frontier, last = _descendant_branches(frontier), "*"
        return [(prefix, component, child)
                for prefix, node in frontier
                for component, child in _children(node, last)]

    def _frontier(self, parts: list[str]) -> list[tuple[str, dict]]:
        """(prefix with trailing '.', branch) of every branch the parts lead to."""
        frontier = [("", self._root)]
        for part in parts:
            if part == "**":
                # globstar: any number of branch levels, itself included
                frontier = _descendant_branches(frontier)
                continue
            frontier = [(prefix + component + ".", child)
                        for prefix, node in frontier
                        for component, child in _children(node, part) if child is not _LEAF]
        return frontier


def _split_pattern(pattern: str) -> list[str]:
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise InvalidPattern(pattern, f"longer than {MAX_PATTERN_LENGTH} characters")
    # graphite-web's standard finder drops every backslash before splitting on '.'.
    return pattern.replace("\\", "").split(".")


def _children(node: dict, part: str) -> list[tuple[str, object]]:
    if not has_glob(part):
        child = node.get(part)
        return [] if child is None else [(part, child)]
    if part == "*":
        return [(c, child) for c, child in node.items() if c is not _ALSO_LEAF]
    match = glob_to_regex(part).match
    return [(c, child) for c, child in node.items() if c is not _ALSO_LEAF and match(c)]


def _descendant_branches(frontier: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
    seen: dict[str, dict] = {}
    stack = list(reversed(frontier))
    while stack:
        prefix, node = stack.pop()
        if prefix in seen:
            continue
        seen[prefix] = node
        stack.extend((prefix + c + ".", child) for c, child in node.items()
                     if c is not _ALSO_LEAF and child is not _LEAF)
    return list(seen.items())


# --------------------------------------------------------------------------------------------
# TagIndex: tag -> columns of (series, value code), for seriesByTag and /tags
# --------------------------------------------------------------------------------------------

MAX_CACHED_MASKS = 64     # regex results kept per tag (each one bool per distinct value)


class _Grow:
    """An append-only column: a compact array.array for cheap appends and in-place updates,
    and a numpy copy for queries, refreshed after any change.

    A copy rather than a zero-copy view: an array.array cannot grow while a numpy view of
    it exists, and the writer must never fail because a query still holds one.
    """

    __slots__ = ("items", "_numpy", "_dtype")

    def __init__(self, typecode: str, dtype) -> None:
        self.items = array(typecode)
        self._numpy: np.ndarray | None = None
        self._dtype = dtype

    def append(self, value) -> None:
        self.items.append(value)
        self._numpy = None

    def bump(self, index: int, delta: int) -> None:
        self.items[index] += delta
        self._numpy = None

    def set(self, index: int, value) -> None:
        self.items[index] = value
        self._numpy = None

    def view(self) -> np.ndarray:
        if self._numpy is None:
            self._numpy = np.frombuffer(self.items, dtype=self._dtype).copy() if self.items \
                else np.zeros(0, dtype=self._dtype)
        return self._numpy


class TagColumn:
    """One tag: every series carrying it (ascending series number) and its value code.

    Values get codes in first-seen order; ``counts`` holds the live series per code.
    ``sorted_codes`` (codes in value order) is rebuilt lazily after new values arrive, and
    regex results over the values are cached per pattern and extended to new values only,
    so a dashboard's repeated query evaluates each regex once per distinct value.
    """

    __slots__ = ("tag", "tag_id", "series", "codes", "values", "code_of", "counts",
                 "_sorted", "_masks")

    def __init__(self, tag: str, tag_id: int) -> None:
        self.tag = tag
        self.tag_id = tag_id
        self.series = _Grow("i", np.int32)    # ascending series numbers
        self.codes = _Grow("i", np.int32)     # value code of each entry of `series`
        self.values: list[str] = []           # code -> value
        self.code_of: dict[str, int] = {}
        self.counts = _Grow("q", np.int64)    # code -> live series with that value
        self._sorted: tuple[list[str], np.ndarray] | None = None
        self._masks: dict[tuple[str, str], np.ndarray] = {}

    def add(self, series: int, value: str) -> bool:
        """Record ``series`` with ``value``; True if the value is new to this tag."""
        code = self.code_of.get(value)
        new = code is None
        if new:
            code = self.code_of[sys.intern(value)] = len(self.values)
            self.values.append(value)
            self.counts.append(0)
            self._sorted = None
        # the hot path of creating a tagged series: array appends without method calls
        self.series.items.append(series)
        self.codes.items.append(code)
        self.counts.items[code] += 1
        self.series._numpy = self.codes._numpy = self.counts._numpy = None
        return new

    def sorted_values(self) -> tuple[list[str], np.ndarray]:
        """(values in code-point order, their codes)."""
        if self._sorted is None or len(self._sorted[0]) != len(self.values):
            order = sorted(range(len(self.values)), key=self.values.__getitem__)
            self._sorted = ([self.values[i] for i in order], np.asarray(order, dtype=np.int64))
        return self._sorted

    def prefix_codes(self, prefix: str) -> np.ndarray:
        """Codes of the values starting with ``prefix``, in value order."""
        values, codes = self.sorted_values()
        if not prefix:
            return codes
        lo = bisect.bisect_left(values, prefix)
        if ord(prefix[-1]) == sys.maxunicode:
            hi = lo
            while hi < len(values) and values[hi].startswith(prefix):
                hi += 1
        else:   # every value with the prefix sorts below the prefix with its last char bumped
            hi = bisect.bisect_left(values, prefix[:-1] + chr(ord(prefix[-1]) + 1), lo)
        return codes[lo:hi]

    def regex_mask(self, regex: re.Pattern, search: bool, prefix: str) -> np.ndarray:
        """Bool per value code: ``regex.search`` (or ``.match``) finds it.

        ``prefix`` is a literal every match must start with (see tagquery.literal_prefix):
        only values in that range are tried on a cache miss.
        """
        key = (regex.pattern, "search" if search else "match")
        n = len(self.values)
        mask = self._masks.pop(key, None)
        test = regex.search if search else regex.match
        if mask is None:
            mask = np.zeros(n, dtype=bool)
            candidates = self.prefix_codes(prefix).tolist() if prefix else range(n)
            values = self.values
            hits = [c for c in candidates if test(values[c])]
            mask[hits] = True
        elif len(mask) < n:      # values seen since the mask was cached
            extra = np.fromiter((test(v) is not None for v in self.values[len(mask):]),
                                dtype=bool, count=n - len(mask))
            mask = np.concatenate([mask, extra])
        self._masks[key] = mask
        if len(self._masks) > MAX_CACHED_MASKS:
            del self._masks[next(iter(self._masks))]   # the least recently used
        return mask

    def lookup(self, series: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(found, code) for each of ``series`` (ascending series numbers)."""
        have = self.series.view()
        if not len(have):
            return np.zeros(len(series), dtype=bool), np.zeros(len(series), dtype=np.int32)
        pos = np.minimum(np.searchsorted(have, series), len(have) - 1)
        return have[pos] == series, self.codes.view()[pos]


class TagIndex:
    """Inverted index of tagged series, built for graphite-web's tag queries at 1M series.

    Each tagged series gets a dense series number in order of arrival; each tag is a
    TagColumn (two int32 per series carrying the tag: 8 bytes, no per-series Python
    object).  A query scans one column for its most selective matcher and checks the
    others by binary search of the survivors (tsdb/tagquery.py).  Removal (graphite's
    /tags/delSeries) clears the series' live bit and its counts; a later ``add`` revives
    it.  Tags whose series are all removed stay listed, as graphite-web's tags_tag rows
    do.  Every method holds ``lock``: the store's writer adds names while render threads
    query; tagquery takes the same lock around a whole query.
    """

    __slots__ = ("lock", "columns", "names", "alive", "value_ids", "_changed")

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.columns: dict[str, TagColumn] = {}
        self.names: list[str] = []                 # series number -> normalised name
        self.alive = _Grow("B", np.bool_)
        self.value_ids: dict[str, int] = {}        # value -> id shared by every tag (as graphite)
        self._changed: dict[str, int] = {}         # series number of names (un)listed by request

    def __len__(self) -> int:
        with self.lock:
            return int(np.count_nonzero(self.alive.view()))

    def add(self, name: str, tags: dict[str, str] | None = None) -> None:
        """List a normalised name (a removed one is revived; listing twice is a no-op only
        through ``listed``: callers add a name once, as the store does)."""
        with self.lock:
            number = self._changed.get(name)
            if number is not None:
                if not self.alive.items[number]:
                    self.alive.set(number, True)
                    self._count(name, number, +1)
                return
            number = len(self.names)
            self.names.append(name)
            self.alive.append(True)
            if ";" not in name:
                self._changed[name] = number     # a plain name listed by /tags/tagSeries
            for tag, value in (tags or parse_tags(name)).items():
                column = self.columns.get(tag)
                if column is None:
                    column = self.columns[sys.intern(tag)] = TagColumn(tag, len(self.columns) + 1)
                if column.add(number, value):
                    self.value_ids.setdefault(value, len(self.value_ids) + 1)

    def remove(self, name: str) -> bool:
        """Unlist a name (graphite's /tags/delSeries); False if it was not listed."""
        with self.lock:
            number = self._changed.get(name)
            if number is None:
                try:
                    number = self.names.index(name)   # a rare admin call: a scan is fine
                except ValueError:
                    return False
            if not self.alive.items[number]:
                return False
            self.alive.set(number, False)
            self._changed[name] = number
            self._count(name, number, -1)
            return True

    def listed(self, name: str) -> bool | None:
        """True/False for a name added or removed by request, None if never changed."""
        with self.lock:
            number = self._changed.get(name)
            return None if number is None else bool(self.alive.items[number])

    def _count(self, name: str, number: int, delta: int) -> None:
        for tag, value in parse_tags(name).items():
            column = self.columns[tag]
            column.counts.bump(column.code_of[value], delta)

    def tags(self) -> list[str]:
        with self.lock:
            return sorted(self.columns)

    def values(self, tag: str) -> list[str]:
        """Values of ``tag`` held by at least one listed series, sorted."""
        with self.lock:
            column = self.columns.get(tag)
            if column is None:
                return []
            values, codes = column.sorted_values()
            live = column.counts.view()[codes] > 0
            return [v for v, ok in zip(values, live.tolist()) if ok]

    def count(self, tag: str, value: str) -> int:
        """Listed series with tag=value (the /tags/<tag> "count")."""
        with self.lock:
            column = self.columns.get(tag)
            code = column.code_of.get(value) if column else None
            return 0 if code is None else column.counts.items[code]

    def names_of(self, numbers: np.ndarray) -> list[str]:
        names = self.names
        return [names[i] for i in numbers.tolist()]
