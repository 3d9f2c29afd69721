"""Render functions of graphite-web's Special group (Tier 1): consolidateBy, constantLine and
seriesByTag.

What: consolidateBy sets how maxDataPoints and normalisation merge points; constantLine is
the three-point line Grafana's datasource test renders; seriesByTag hands its expressions to
the evaluator's fetch, which resolves tags against the store.
Why here: none of them computes over values, but all three shape what later functions and
the output see (names, frames, consolidation).
"""

from __future__ import annotations

from ..registry import Param, function
from ..series import CONSOLIDATIONS
from .combine import constant_series
from .common import InputParameterError


@function("Special",
          Param("seriesList", "seriesList", required=True),
          Param("consolidationFunc", "string", required=True, options=CONSOLIDATIONS))
def consolidateBy(ctx, seriesList, consolidationFunc):
    """Sets the function used when several points are merged into one (for maxDataPoints or
    when series of different steps are combined): sum, average/avg, avg_zero, min, max,
    first or last.  The name becomes consolidateBy(x,"func") and a consolidateBy tag is
    added."""
    if consolidationFunc not in CONSOLIDATIONS:
        raise InputParameterError(
            'Invalid option specified for function "consolidateBy" parameter '
            f'"consolidationFunc": {consolidationFunc!r}')
    out = []
    for s in seriesList:
        name = f'consolidateBy({s.name},"{consolidationFunc}")'
        tags = dict(s.tags, consolidateBy=consolidationFunc)
        out.append(s.copy(name=name, path_expression=name, tags=tags,
                          consolidation=consolidationFunc))
    return out


@function("Special", Param("value", "float", required=True))
def constantLine(ctx, value):
    """A horizontal line at value across the request: three points at from, halfway and
    until, named by the value."""
    return [constant_series(ctx, float(value))]


def _quoted(expression: str) -> str:
    # graphite-web's text is the call as written; single quotes unless that cannot hold it
    quote = '"' if "'" in expression and '"' not in expression else "'"
    return f"{quote}{expression}{quote}"


def series_by_tag_text(tagExpressions) -> str:
    """The seriesByTag call text used as the fetch pattern and the series' pathExpression."""
    return "seriesByTag(" + ",".join(_quoted(e) for e in tagExpressions) + ")"


@function("Special", Param("tagExpressions", "string", required=True, multiple=True))
def seriesByTag(ctx, *tagExpressions):
    """The series whose tags match every expression: tag=value, tag!=value, tag=~regex
    (anchored at the start), tag!=~regex.  At least one expression must require a
    non-empty value."""
    text = series_by_tag_text(tagExpressions)
    return [s.copy(path_expression=text) for s in ctx.fetch(text, ctx.start, ctx.end)]
