"""The Graphite HTTP endpoints as plain functions: request parameters in, a Response out.

What: /render, /metrics/find, /metrics/expand, /metrics/index.json, /functions and /version
with graphite-web 1.1.10's parameters, defaults and errors.  Why apart from twisted.web:
each handler runs in a worker thread and is tested without a socket; http.py only moves
bytes.  Parameters are `{name: [values]}` (GET and POST merged; single-valued lookups take
the last value, as Django's QueryDict does).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from . import attime, findfmt, formats
from .context import RequestContext
from .evaluator import InputError, evaluate
from .grammar import GrammarError
from .registry import REGISTRY
from .storage import QueryTooLarge, StoreReader

GRAPHITE_VERSION = "1.1.10"
Params = dict[str, list[str]]


@dataclass
class Response:
    status: int
    body: bytes | Iterable[bytes]     # pieces are written in turn, as the connection drains
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def content(self) -> bytes:
        """The whole body as one bytes object (pieces are joined once: an iterator can be
        walked only once)."""
        if not isinstance(self.body, bytes):
            self.body = b"".join(self.body)
        return self.body


@dataclass(frozen=True)
class RenderLimits:
    max_series: int = 10_000          # series one query may read
    max_points: int = 20_000_000      # values one response may hold
    timeout: float = 30.0             # seconds one query may run


class QueryTimeout(Exception):
    pass


def last(params: Params, name: str, default: str | None = None) -> str | None:
    values = params.get(name)
    return values[-1] if values else default


def json_error(status: int, message: str) -> Response:
    return Response(status, json.dumps({"error": message}).encode(), "application/json")


def _bad_request(message: str, targets: list[str]) -> Response:
    quoted = ", ".join(targets)
    return Response(400, f'Invalid parameters ({message}); targets: "{quoted}"'.encode(), "text/plain")


# ------------------------------------------------------------------------------ /render

def render(params: Params, reader: StoreReader, limits: RenderLimits, clock: float,
           default_tz: ZoneInfo) -> Response:
    targets = params.get("target", []) + params.get("target[]", [])
    try:
        tz = attime.parse_tz(last(params, "tz"), default_tz)
        start, end, now = attime.parse_time_range(last(params, "from"), last(params, "until"),
                                                  last(params, "now"), tz, int(clock))
    except attime.TimeParseError as exc:
        return _bad_request(str(exc), targets)
    fmt = _format(params)
    deadline = time.monotonic() + limits.timeout
    xff = _float(last(params, "xFilesFactor"), 0.0)
    ctx = RequestContext(start=start, end=end, now=now, tz=tz, xff=xff, template=_template(params),
                         local=last(params, "local") == "1", fetch=_fetcher(reader, now, xff, deadline))
    try:
        series = evaluate(targets, ctx)
    except (InputError, GrammarError, ValueError) as exc:
        return _bad_request(str(exc), targets)
    except QueryTooLarge as exc:
        return json_error(422, str(exc))
    except QueryTimeout as exc:
        return json_error(503, str(exc))
    points = sum(len(s.values) for s in series)
    if points > limits.max_points:
        return json_error(422, f"the response would hold {points} values, more than the limit of "
                               f"{limits.max_points} (render.max_points)")
    try:
        body, ctype = formats.render_pieces(
            series, fmt, tz=tz, max_data_points=_max_data_points(params),
            no_null_points="noNullPoints" in params, jsonp=last(params, "jsonp"),
            pretty=bool(last(params, "pretty")))
    except formats.UnsupportedFormat as exc:
        return _bad_request(str(exc), targets)
    return Response(200, body, ctype, _cache_headers(params))


def _fetcher(reader: StoreReader, now: int, xff: float, deadline: float):
    def fetch(path_expression: str, start: int, end: int):
        if time.monotonic() > deadline:
            raise QueryTimeout("query took longer than render.timeout")
        return reader.fetch(path_expression, start, end, now, xff)
    return fetch


def _format(params: Params) -> str:
    fmt = last(params, "format")
    if fmt:
        return fmt
    if "pickle" in params:
        return "pickle"
    if "rawData" in params:
        return "raw"
    return "png"


def _max_data_points(params: Params) -> int | None:
    text = last(params, "maxDataPoints")
    return int(text) if text and text.isdigit() else None


def _float(text: str | None, default: float) -> float:
    try:
        return float(text) if text is not None else default
    except ValueError:
        return default


def _template(params: Params) -> dict[str, str]:
    return {k[len("template["):-1]: v[-1] for k, v in params.items()
            if k.startswith("template[") and k.endswith("]") and v}


def _cache_headers(params: Params) -> dict[str, str]:
    timeout = last(params, "cacheTimeout")
    if "noCache" in params or timeout == "0":
        return {"Cache-Control": "no-cache, no-store, must-revalidate, max-age=0"}
    seconds = int(timeout) if timeout and timeout.isdigit() else 60
    return {"Cache-Control": f"max-age={seconds}"}


# ------------------------------------------------------------------------------ /metrics

def find(params: Params, reader: StoreReader, accept: str | None = None) -> Response:
    query = last(params, "query")
    if not query:
        return Response(400, b"Missing required parameter 'query'", "text/plain")
    fmt = last(params, "format", "treejson")
    pattern = findfmt.completer_query(query, "automatic_variants" in params) if fmt == "completer" else query
    wildcards = last(params, "wildcards") == "1"
    # treejson keeps one match per node name; without the wildcard entry (which counts
    # every match) the store can hand over just those.
    matches = (reader.find_first_per_name(pattern) if fmt == "treejson" and not wildcards
               else reader.find(pattern))
    try:
        body, ctype = findfmt.find_body(
            matches, fmt, query=query, wildcards=wildcards,
            position=_int(last(params, "position"), -1), jsonp=last(params, "jsonp"),
            pretty=bool(last(params, "pretty")), accept=accept)
    except findfmt.InvalidFindFormat:
        return Response(400, b"Invalid value for 'format' parameter", "text/plain")
    return Response(200, body, ctype, {"Pragma": "no-cache", "Cache-Control": "no-cache"})


def expand(params: Params, reader: StoreReader) -> Response:
    queries = params.get("query", []) + params.get("query[]", [])
    body, ctype = findfmt.expand_body(
        [(q, reader.find(q)) for q in queries], leaves_only=last(params, "leavesOnly") == "1",
        group_by_expr=last(params, "groupByExpr") == "1", jsonp=last(params, "jsonp"),
        pretty=bool(last(params, "pretty")))
    return Response(200, body, ctype)


def index_json(params: Params, reader: StoreReader) -> Response:
    body, ctype = findfmt.index_body(reader.expand("**"), jsonp=last(params, "jsonp"))
    return Response(200, body, ctype)


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


# ------------------------------------------------------------------------------ /functions

def functions(params: Params, name: str | None = None) -> Response:
    pretty = last(params, "pretty") in ("1", "true")
    if name is not None:
        fn = REGISTRY.get(name)
        if fn is None:
            return json_error(404, f"Function not found: {name}")
        return _json(fn.info(name), pretty, last(params, "jsonp"))
    group = last(params, "group")
    grouped = last(params, "grouped") in ("1", "true")
    out: dict = {}
    for key in sorted(REGISTRY):
        fn = REGISTRY[key]
        if group and fn.group != group:
            continue
        if grouped:
            out.setdefault(fn.group, {})[key] = fn.info(key)
        else:
            out[key] = fn.info(key)
    return _json(out, pretty, last(params, "jsonp"))


_INF_MARK = "\x00inf\x00"


def _json(obj, pretty: bool, jsonp: str | None) -> Response:
    # graphite-web emits infinite defaults as 1e9999 (valid JSON), never a bare Infinity
    text = json.dumps(_mark_infinities(obj), indent=2 if pretty else None, sort_keys=pretty)
    text = text.replace(json.dumps(_INF_MARK), "1e9999").replace(json.dumps("-" + _INF_MARK), "-1e9999")
    if jsonp:
        return Response(200, f"{jsonp}({text})".encode(), "text/javascript")
    return Response(200, text.encode(), "application/json")


def _mark_infinities(obj):
    if isinstance(obj, float) and obj in (float("inf"), float("-inf")):
        return _INF_MARK if obj > 0 else "-" + _INF_MARK
    if isinstance(obj, dict):
        return {k: _mark_infinities(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_mark_infinities(v) for v in obj]
    return obj


def version() -> Response:
    return Response(200, GRAPHITE_VERSION.encode(), "text/html")


__all__ = ["RenderLimits", "Response", "expand", "find", "functions", "index_json", "render",
           "version"]
