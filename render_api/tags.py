"""graphite-web 1.1.10's Tags API (/tags/...) as plain functions over the store's tag index.

What: /tags, /tags/<tag>, /tags/findSeries, /tags/autoComplete/tags and /values,
/tags/tagSeries, /tags/tagMultiSeries and /tags/delSeries with graphite-web's parameters,
JSON shapes, limits and errors (ValueError -> 400 ``{"error": msg}``, wrong method -> 405
with an empty body; ``pretty`` indents by 2 and sorts keys; graphite-web's tag views ignore
``jsonp``, so do these).  Also ``tagged_names``, which resolves a seriesByTag call for
/render.  Why apart from handlers.py: the tag endpoints share one error and parameter
convention (graphite-web's jsonResponse), and the queries themselves live in
tsdb/tagquery.py, pure over the index.
Deliberate deviations are listed in docs/compatibility.md ("Tags").
"""

from __future__ import annotations

import hmac
import json
import logging

from tsdb import Store
from tsdb import tagquery
from tsdb.names import normalize
from tsdb.view import StoreView

from .grammar import Call, GrammarError, Literal, parse_target
from .handlers import Params, Response, last

log = logging.getLogger("strata.tags")

_EMPTY_405 = Response(405, b"", "text/html; charset=utf-8")


class _HttpError(Exception):
    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def tagged_names(store: Store, expressions: list[str]) -> list[str]:
    """Names of the series matching graphite tag expressions, sorted (seriesByTag)."""
    _catch_up(store)
    return tagquery.find_series(store.index.tags, expressions)


def _catch_up(store: Store) -> None:
    # a read-only StoreView (an isolated render process) follows the writer's files at most
    # render.refresh_interval behind; the name logs, where tag events are, it reads at once,
    # since the tagSeries a client just made may have gone through another render process
    if isinstance(store, StoreView):
        store.maybe_refresh()
        store.catch_up_names()


def tag_expressions(call_text: str) -> list[str]:
    """The string arguments of a seriesByTag(...) call text, as graphite-web's store reads them."""
    node = parse_target(call_text)
    if not isinstance(node, Call) or node.name != "seriesByTag":
        raise GrammarError(f"not a seriesByTag call: {call_text!r}")
    return [a.value for a in node.args if isinstance(a, Literal) and isinstance(a.value, str)]


def handle(path: str, method: str, params: Params, store: Store, admin_token: str = "",
           authorization: str | None = None) -> Response:
    """The response to one /tags request; ``path`` without a trailing slash."""
    rest = path[len("/tags"):].lstrip("/")
    endpoint = _ENDPOINTS.get(rest)
    if endpoint is None:
        methods, call = ("GET",), lambda p, s: tagquery.get_tag(
            s.index.tags, rest, last(p, "filter"), last(p, "limit"))
    else:
        methods, call = endpoint
    if method not in methods:
        return _EMPTY_405
    if rest == "delSeries":
        denied = _check_token(admin_token, authorization, params)
        if denied is not None:
            return denied
    if rest in _WRITES and isinstance(store, StoreView) and store.writer is None:
        return _json({"error": f"/tags/{rest} changes the index, and this API process reads "
                      "the data directory read-only: set render.isolated = false to use it"},
                     params, 503)
    _catch_up(store)
    try:
        return _json(call(params, store), params)
    except (ValueError, _HttpError) as exc:
        return _json({"error": str(exc)}, params, getattr(exc, "status", 400))


def _json(data, params: Params, status: int = 200) -> Response:
    pretty = bool(last(params, "pretty"))
    body = json.dumps(data, indent=2 if pretty else None, sort_keys=pretty)
    return Response(status, body.encode(), "application/json")


def _expressions(params: Params) -> list[str]:
    return params.get("expr") or params.get("expr[]") or []


def _paths(params: Params, missing: str) -> list[str]:
    paths = params.get("path") or params.get("path[]")
    if not paths:
        raise _HttpError(missing, 400)
    return paths


def _store_limit(results: list[str], limit: str | None) -> list[str]:
    # graphite-web's Store re-sorts what the TagDB gave and cuts it with the raw parameter
    results = sorted(set(results))
    return results[:int(limit)] if limit else results


def _find_series(params: Params, store: Store) -> list[str]:
    expressions = _expressions(params)
    if not expressions:
        raise _HttpError("no tag expressions specified", 400)
    return tagquery.find_series(store.index.tags, expressions)


def _list_tags(params: Params, store: Store) -> list[dict]:
    return tagquery.list_tags(store.index.tags, last(params, "filter"), last(params, "limit"))


def _autocomplete_tags(params: Params, store: Store) -> list[str]:
    limit = last(params, "limit")
    found = tagquery.autocomplete_tags(store.index.tags, _expressions(params),
                                       last(params, "tagPrefix"), limit)
    return _store_limit(found, limit)


def _autocomplete_values(params: Params, store: Store) -> list[str]:
    tag = last(params, "tag")
    if not tag:
        raise _HttpError("no tag specified", 400)
    limit = last(params, "limit")
    found = tagquery.autocomplete_values(store.index.tags, _expressions(params), tag,
                                         last(params, "valuePrefix"), limit)
    return _store_limit(found, limit)


def _normalized(paths: list[str]) -> list[str]:
    return [normalize(p) for p in paths]     # InvalidName is a ValueError: 400


def _register(paths: list[str], store: Store) -> list[str]:
    names = _normalized(paths)
    changed = store.tag_series(names)
    missing = [n for n in names if n not in store]
    if missing:
        raise _HttpError(f"series limit reached (storage.max_series): {missing[0]!r} not "
                         "created", 422)
    if changed:
        log.info("tagSeries listed %d series", changed)
    return names


def _tag_series(params: Params, store: Store) -> str:
    path = last(params, "path")
    if not path:
        raise _HttpError("no path specified", 400)
    return _register([path], store)[0]


def _tag_multi_series(params: Params, store: Store) -> list[str]:
    return _register(_paths(params, "no paths specified"), store)


def _del_series(params: Params, store: Store) -> bool:
    names = _normalized(_paths(params, "no path specified"))
    changed = store.tag_series(names, delete=True)
    log.info("delSeries unlisted %d of %d series", changed, len(names))
    return True


def _check_token(admin_token: str, authorization: str | None, params: Params) -> Response | None:
    if not admin_token:
        return Response(403, json.dumps({"error": "tag deletion is disabled: set "
                                         "render.admin_token to enable /tags/delSeries"}).encode(),
                        "application/json")
    given = last(params, "token") or ""
    if authorization and authorization.lower().startswith("bearer "):
        given = authorization[len("bearer "):].strip()
    if not hmac.compare_digest(given.encode(), admin_token.encode()):
        log.warning("delSeries refused: missing or wrong admin token")
        return Response(403, b'{"error": "missing or wrong admin token"}', "application/json")
    return None


_WRITES = ("tagSeries", "tagMultiSeries", "delSeries")
_READ = ("GET", "POST")
_ENDPOINTS = {
    "": (("GET",), _list_tags),
    "findSeries": (_READ, _find_series),
    "autoComplete/tags": (_READ, _autocomplete_tags),
    "autoComplete/values": (_READ, _autocomplete_values),
    "tagSeries": (("POST",), _tag_series),
    "tagMultiSeries": (("POST",), _tag_multi_series),
    "delSeries": (("POST",), _del_series),
}
