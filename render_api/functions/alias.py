"""Render functions of graphite-web's Alias group: rename series, leave values alone.

What: alias, aliasByNode, aliasByTags, aliasByMetric and aliasSub with graphite-web 1.1.10's
rules; only the name changes (pathExpression and tags stay, as in graphite-web).
Why it matters: Grafana wraps every target in aliasSub(<t>, "(^.*$)", "\\1 <refId>") and
splits the refId back off the returned name, so a wrong rename breaks every panel.
"""

from __future__ import annotations

import re

from ..registry import Param, function
from .common import agg_key

_SERIES_LIST = Param("seriesList", "seriesList", required=True)


@function("Alias", _SERIES_LIST, Param("newName", "string", required=True))
def alias(ctx, seriesList, newName):
    """Gives every series the fixed name newName."""
    return [s.copy(name=newName) for s in seriesList]


@function("Alias", _SERIES_LIST, Param("nodes", "nodeOrTag", required=True, multiple=True))
def aliasByNode(ctx, seriesList, *nodes):
    """Renames each series to the '.'-joined nodes picked from its name (0-based, negative
    from the end) or tag values named by strings.  A name built by a function is read from
    the first metric path inside it."""
    return [s.copy(name=agg_key(s, nodes)) for s in seriesList]


@function("Alias", _SERIES_LIST, Param("tags", "nodeOrTag", required=True, multiple=True))
def aliasByTags(ctx, seriesList, *tags):
    """Renames each series to the '.'-joined values of the given tags (or nodes); the same
    rule as aliasByNode."""
    return aliasByNode(ctx, seriesList, *tags)


def metric_of(name: str) -> str:
    """The last node of the innermost parenthesised part of `name`, anything after a ','
    dropped: `sumSeries(a.b.c)` -> `c`, `scale(a.b,2)` -> `b` (graphite-web's substr(-1))."""
    left = name.rfind("(") + 1
    right = name.find(")")
    if right < 0:
        right = len(name) + 1
    last = ".".join(name[left:right].split(".")[-1:])
    return re.sub(",.*$", "", last)


@function("Alias", _SERIES_LIST)
def aliasByMetric(ctx, seriesList):
    """Renames each series to the last node of its metric path."""
    return [s.copy(name=metric_of(s.name)) for s in seriesList]


@function("Alias", _SERIES_LIST, Param("search", "string", required=True),
          Param("replace", "string", required=True))
def aliasSub(ctx, seriesList, search, replace):
    """Renames each series with a regular expression substitution on its name (Python
    re.sub: every match replaced, \\1-style back references in replace)."""
    pattern = re.compile(search)
    return [s.copy(name=pattern.sub(replace, s.name)) for s in seriesList]
