"""The render function registry: every function once, with the metadata /functions serves.

What: `@function(group, params...)` registers an implementation under its graphite-web name
(and aliases); `REGISTRY[name]` gives the call and its `info()` dict in graphite-web 1.1.10's
/functions shape (functions/views.py).  Why one registry: the evaluator, the parameter
checks and /functions must never disagree about what exists and what it takes.

An implementation is ``f(ctx, *args, **kwargs)``: `ctx` is the RequestContext, the rest are
graphite-web's parameters with its names and defaults; its `inspect.signature` (without ctx)
is the ``function`` text of /functions, e.g. ``movingAverage(seriesList, windowSize,
xFilesFactor=None)``.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Callable

# graphite-web render/functions/params.py ParamTypes
PARAM_TYPES = frozenset({
    "aggFunc", "aggOrSeriesFunc", "any", "boolean", "date", "float", "intOrInf", "intOrInterval",
    "integer", "interval", "node", "nodeOrTag", "series", "seriesList", "seriesLists", "string",
    "tag",
})

# The aggregation functions graphite-web accepts by name (aggFuncs + aggFuncAliases).
AGG_FUNCS = ("average", "avg", "avg_zero", "count", "current", "diff", "last", "max", "median",
             "min", "multiply", "range", "rangeOf", "stddev", "sum", "total")

GROUPS = ("Alias", "Calculate", "Combine", "Filter Data", "Filter Series", "Graph", "Sorting",
          "Special", "Transform")

_UNSET = object()


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    required: bool = False
    default: Any = _UNSET
    multiple: bool = False
    options: tuple = ()
    suggestions: tuple = ()

    def __post_init__(self) -> None:
        if self.type not in PARAM_TYPES:
            raise ValueError(f"unknown parameter type {self.type!r} for {self.name!r}")

    def info(self) -> dict:
        """graphite-web's Param.toJSON: optional keys only when set."""
        out: dict[str, Any] = {"name": self.name, "type": self.type}
        if self.required:
            out["required"] = True
        if self.default is not _UNSET:
            out["default"] = self.default
        if self.multiple:
            out["multiple"] = True
        if self.options:
            out["options"] = sorted(self.options, key=str)
        if self.suggestions:
            out["suggestions"] = list(self.suggestions)
        return out


@dataclass(frozen=True)
class Function:
    name: str
    call: Callable
    group: str
    params: tuple[Param, ...]
    description: str
    aliases: tuple[str, ...] = field(default=())

    def signature(self, name: str | None = None) -> str:
        sig = inspect.signature(self.call)
        params = list(sig.parameters.values())[1:]      # drop ctx
        return f"{name or self.name}{sig.replace(parameters=params)}"

    def info(self, name: str | None = None) -> dict:
        """The /functions entry, under `name` when looked up by an alias."""
        return {
            "name": name or self.name,
            "function": self.signature(name),
            "description": self.description,
            "module": "graphite.render.functions",
            "group": self.group,
            "params": [p.info() for p in self.params],
        }


REGISTRY: dict[str, Function] = {}
PIE_FUNCTIONS: dict[str, Callable] = {}


def function(group: str, *params: Param, name: str | None = None, aliases: tuple[str, ...] = ()):
    """Register the decorated implementation (see the module docstring)."""
    if group not in GROUPS:
        raise ValueError(f"unknown function group {group!r}")

    def register(call: Callable) -> Callable:
        fname = name or call.__name__
        doc = inspect.getdoc(call) or ""
        fn = Function(fname, call, group, tuple(params), doc, tuple(aliases))
        for key in (fname, *aliases):
            if key in REGISTRY:
                raise ValueError(f"render function {key!r} registered twice")
            REGISTRY[key] = fn
        return call

    return register


def lookup(name: str) -> Function | None:
    return REGISTRY.get(name)
