"""Evaluate parsed targets into series: graphite-web's evaluator (render/evaluator.py).

What: every path expression of every target is fetched once up front (as graphite-web
prefetches), then each target's tree is evaluated bottom-up: a path expression gives its
series (sorted by path), a call gets its evaluated arguments and runs the registered
implementation.  Why separate from HTTP and storage: the evaluator only sees a `fetch`
callable, so it is tested with plain lists of series, and the HTTP layer only sees series.
"""

from __future__ import annotations

import inspect
import logging
from collections import Counter
from dataclasses import replace
from typing import Any, Callable

from . import functions  # noqa: F401 (registers the library)
from .context import RequestContext
from .grammar import Call, Literal, PathExpr, Template, apply_templates, parse_target, path_expression_uses
from .registry import REGISTRY, ParamError
from .series import Series

log = logging.getLogger("strata.render")

Fetch = Callable[[str, int, int], list[Series]]


class InputError(ValueError):
    """A request the client must fix (HTTP 400): unknown function, bad arguments."""


def evaluate(targets: list[str], ctx: RequestContext) -> list[Series]:
    """All series of `targets`, in target order (blank targets are skipped)."""
    trees = [apply_templates(parse_target(t), ctx.template) for t in targets if t.strip()]
    ctx = _bind(ctx)
    prefetched = _prefetch(trees, ctx)
    out: list[Series] = []
    for tree in trees:
        out.extend(_as_series_list(_evaluate(tree, ctx, prefetched)))
    return out


def _bind(ctx: RequestContext) -> RequestContext:
    """The context whose `evaluate` re-enters this evaluator (re-fetching functions)."""
    return replace(ctx, evaluate=_evaluate_text)


def _evaluate_text(ctx: RequestContext, target: str) -> list[Series]:
    tree = apply_templates(parse_target(target), ctx.template)
    ctx = _bind(ctx)
    return _as_series_list(_evaluate(tree, ctx, _prefetch([tree], ctx)))


class _Prefetched:
    """The series of each path expression, fetched once per request.

    Functions may change the series they are given, so each use but the last gets copies;
    the last gets the fetched series themselves (most expressions are used once, and a
    copy of 1000 series is not free).
    """

    def __init__(self, series: dict[str, list[Series]], uses: Counter):
        self.series, self.uses = series, uses

    def get(self, expr: str, default: list) -> list[Series]:
        got = self.series.get(expr)
        if got is None:
            return default
        self.uses[expr] -= 1
        return got if self.uses[expr] <= 0 else [s.copy() for s in got]


def _prefetch(trees: list, ctx: RequestContext) -> _Prefetched:
    uses: Counter = Counter()
    for tree in trees:
        uses.update(path_expression_uses(tree))
    return _Prefetched({expr: ctx.fetch(expr, ctx.start, ctx.end) for expr in uses}, uses)


def _evaluate(node, ctx: RequestContext, prefetched: _Prefetched) -> Any:
    if isinstance(node, PathExpr):
        return prefetched.get(node.text, [])
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Template):
        return _evaluate(node.expr, ctx, prefetched)
    if isinstance(node, Call):
        return _call(node, ctx, prefetched)
    raise InputError(f"cannot evaluate {node!r}")


def _call(node: Call, ctx: RequestContext, prefetched: _Prefetched) -> Any:
    fn = REGISTRY.get(node.name)
    if fn is None:
        raise InputError(f"Received request for unknown function: {node.name}")
    if node.name == "seriesByTag":     # resolved by the store as a path expression
        return prefetched.get(node.text, [])
    args = [_evaluate(a, ctx, prefetched) for a in node.args]
    kwargs = {k: _evaluate(v, ctx, prefetched) for k, v in node.kwargs}
    try:
        args, kwargs = fn.validate(node.name, args, kwargs)
    except ParamError as exc:
        # graphite-web only logs this (ENFORCE_INPUT_VALIDATION = False) and calls the
        # function with the arguments as given
        log.info("validation: %s", exc)
    try:
        inspect.signature(fn.call).bind(ctx, *args, **kwargs)
    except TypeError as exc:   # wrong number or names of arguments: the client's mistake
        raise InputError(f"{node.name}: {exc}") from exc
    return fn.call(ctx, *args, **kwargs)


def _as_series_list(value: Any) -> list[Series]:
    if isinstance(value, Series):
        return [value]
    if isinstance(value, list) and all(isinstance(s, Series) for s in value):
        return value
    raise InputError(f"target evaluates to {type(value).__name__}, not a series list")
