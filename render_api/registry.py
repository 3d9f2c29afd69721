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

    def all_options(self) -> list:
        """The param's own options plus its type's (aggFunc names), sorted as graphite-web."""
        extra = AGG_FUNCS if self.type in ("aggFunc", "aggOrSeriesFunc") else ()
        return sorted(set(self.options) | set(extra), key=str)

    def validate(self, value, func: str):
        """graphite-web's Param.validateValue: the value as the function will get it."""
        if value is None and (self.default not in (_UNSET, None) or not self.required):
            return value
        options = self.all_options()
        if options and value not in options and self.type != "aggOrSeriesFunc":
            raise ParamError(f'Invalid option specified for function "{func}" parameter '
                             f'"{self.name}": {value!r}')
        try:
            return _VALIDATORS.get(self.type, _any)(value)
        except (TypeError, ValueError, OverflowError):
            raise ParamError(f'Invalid "{self.type}" value specified for function "{func}" '
                             f'parameter "{self.name}": {value!r}') from None

    def info(self) -> dict:
        """graphite-web's Param.toJSON: optional keys only when set."""
        out: dict[str, Any] = {"name": self.name, "type": self.type}
        if self.required:
            out["required"] = True
        if self.default is not _UNSET and self.default is not None:
            out["default"] = self.default
        if self.multiple:
            out["multiple"] = True
        if self.all_options():
            out["options"] = self.all_options()
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

    def validate(self, name: str, args: list, kwargs: dict) -> tuple[list, dict]:
        """graphite-web's validateParams: arguments coerced to their declared types (floats
        become float, booleans bool...), or ParamError.  Callers that do not enforce
        validation (graphite-web's default) keep the original arguments on error."""
        params = self.params
        if len(args) + len(kwargs) > len(params):
            if not params or not params[-1].multiple:
                raise ParamError(f'Too many parameters specified for function "{name}"')
            positional, keyword = params, ()
        else:
            positional, keyword = params[:len(args)], params[len(args):]
        out_args = [positional[min(i, len(positional) - 1)].validate(a, name) for i, a in enumerate(args)]
        out_kwargs = {}
        for param in keyword:
            value = kwargs.get(param.name)
            if value is None:
                if param.required:
                    raise ParamError(f'Missing required parameter "{param.name}" for function "{name}"')
                continue
            out_kwargs[param.name] = param.validate(value, name)
        if len(kwargs) > len(out_kwargs):
            unexpected = [k for k in kwargs if k not in out_kwargs]
            raise ParamError(f"Unexpected key word arguments: {', '.join(unexpected)}")
        return out_args, out_kwargs

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


class ParamError(ValueError):
    """An argument that does not fit its declared parameter (graphite-web InputParameterError)."""


def _boolean(value):
    if isinstance(value, str):
        if value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ValueError(value)
    if type(value) in (int, float):
        if value in (0, 1):
            return bool(value)
        raise ValueError(value)
    return bool(value)


def _integer(value):
    if type(value) is float:       # an error beats silently truncating 1.5 to 1
        raise ValueError(value)
    return int(value)


def _int_or_inf(value):
    try:
        return _integer(value)
    except (TypeError, ValueError):
        pass
    if float(value) == float("inf"):
        return float("inf")
    raise ValueError(value)


def _interval(value):
    from .attime import parse_time_offset
    parse_time_offset(value)
    return value


def _series_list(value):
    from .series import Series
    if not isinstance(value, list) or not all(isinstance(s, Series) for s in value):
        raise ValueError(value)
    return value


def _series_lists(value):
    if not isinstance(value, list):
        raise ValueError(value)
    for entry in value:
        _series_list(entry)
    return value


def _agg_func(value):
    if value in AGG_FUNCS or value in {f"{n}Series" for n in AGG_FUNCS}:
        return value
    raise ValueError(value)


def _agg_or_series_func(value):
    try:
        return _agg_func(value)
    except ValueError:
        pass
    fn = REGISTRY.get(value)
    # graphite-web answers False (not an error) for a name it does not know
    return value if fn is not None and fn.group == "Combine" else False


def _any(value):
    return value


_VALIDATORS = {"boolean": _boolean, "float": float, "integer": _integer, "node": _integer,
               "intOrInf": _int_or_inf, "interval": _interval, "seriesList": _series_list,
               "seriesLists": _series_lists, "aggFunc": _agg_func, "aggOrSeriesFunc": _agg_or_series_func}

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
