"""Bodies of /metrics/find, /metrics/expand and /metrics/index.json from already-found matches.

What: a match is `(path, is_leaf)`; from the matches of a query this module builds every
/metrics/find format (treejson, completer, json, nodelist, pickle, msgpack), the expand
body (flat or grouped by query) and the index body, byte for byte as graphite-web 1.1.10
(metrics/views.py find_view, tree_json, nodes_by_position, json_nodes, pickle_nodes,
msgpack_nodes, expand_view, index_json, json_response_for) writes them.
Why pure: the store finds, the HTTP layer parses parameters and sets the no-cache headers;
the ordering, dedup and shape rules that Grafana and cluster frontends depend on live here.

Matches are deduplicated (a path is at most once a branch and once a leaf, as the store
merges finders) and sorted by node name, the last path component; graphite-web leaves
ties in random order, here branches come first, then by path, so that treejson shows a
name as expandable when any match of it has children.
"""

from __future__ import annotations

import json
import pickle
from urllib.parse import unquote_plus

import msgpack

Match = tuple[str, bool]
Interval = tuple[float, float]

FIND_FORMATS = ("treejson", "completer", "json", "nodelist", "pickle", "msgpack")

_BRANCH = {"allowChildren": 1, "expandable": 1, "leaf": 0}
_LEAF = {"allowChildren": 0, "expandable": 0, "leaf": 1}


class InvalidFindFormat(ValueError):
    """/metrics/find was asked for a format it does not have (graphite-web answers 400)."""

    def __init__(self, fmt: str):
        super().__init__("Invalid value for 'format' parameter")
        self.format = fmt


def node_name(path: str) -> str:
    return path.rpartition(".")[2]


def sorted_matches(matches) -> list[Match]:
    """The matches without repeats, ordered by node name (then branches first, then path)."""
    unique = {(str(path), bool(leaf)) for path, leaf in matches}
    return sorted(unique, key=lambda m: (node_name(m[0]), m[1], m[0]))


def completer_query(query: str, automatic_variants: bool = False) -> str:
    """The pattern format=completer actually searches: `..` becomes `*.`, a `*` is appended
    unless present, and with automatic_variants a comma list outside braces becomes `{a,b}`."""
    query = query.replace("..", "*.")
    if not query.endswith("*"):
        query += "*"
    if automatic_variants:
        query = ".".join(f"{{{part}}}" if "," in part and "{" not in part else part
                         for part in query.split("."))
    return query


def base_path(query: str) -> str:
    """The query's prefix up to its last dot, reused verbatim in treejson ids."""
    return query.rsplit(".", 1)[0] + "." if "." in query else ""


def find_body(matches, fmt: str = "treejson", *, query: str, wildcards: bool = False,
              position: int = -1, interval: Interval | None = None, jsonp: str | None = None,
              pretty: bool = False, accept: str | None = None) -> tuple[bytes, str]:
    """Body and content type of /metrics/find for `format=fmt`.

    `query` is the query as the client sent it (treejson ids use its prefix); `interval`
    is the (start, end) reported for every leaf by json, pickle and msgpack; `accept` is
    the request's Accept header, which decides whether json escapes non-ASCII.
    """
    nodes = sorted_matches(matches)
    if fmt == "treejson":
        content = tree_json(nodes, base_path(query), wildcards)
    elif fmt == "nodelist":
        content = {"nodes": nodes_at(nodes, position)}
    elif fmt == "json":
        content = json_nodes(nodes, interval)
    elif fmt == "completer":
        content = {"metrics": completer_nodes(nodes, wildcards)}
    elif fmt == "pickle":
        return pickle.dumps(cluster_nodes(nodes, interval), protocol=pickle.HIGHEST_PROTOCOL), \
            "application/pickle"
    elif fmt == "msgpack":
        return msgpack.packb(cluster_nodes(nodes, interval), use_bin_type=True), \
            "application/x-msgpack"
    else:
        raise InvalidFindFormat(fmt)
    return json_response(content, jsonp=jsonp, pretty=pretty, accept=accept)


def tree_json(nodes: list[Match], base: str, wildcards: bool = False) -> list[dict]:
    """The treejson entries: an optional `*` entry, then branches, then leaves, one per name."""
    results = []
    if len(nodes) > 1 and wildcards:
        any_branch = any(not leaf for _, leaf in nodes)
        results.append({"text": "*", "id": base + "*", **(_BRANCH if any_branch else _LEAF)})
    seen: set[str] = set()
    branches, leaves = [], []
    for path, leaf in nodes:
        name = node_name(path)
        if name in seen:
            continue
        seen.add(name)
        entry = {"text": unquote_plus(name), "id": base + name, **(_LEAF if leaf else _BRANCH)}
        (leaves if leaf else branches).append(entry)
    return results + branches + leaves


def nodes_at(nodes: list[Match], position: int) -> list[str]:
    """Sorted distinct path components at `position` (Python indexing, -1 = last).

    graphite-web fails (500) on a path too short for the position; such paths are skipped.
    """
    found = set()
    for path, _ in nodes:
        parts = path.split(".")
        if -len(parts) <= position < len(parts):
            found.add(parts[position])
    return sorted(found)


def json_nodes(nodes: list[Match], interval: Interval | None) -> list[dict]:
    """format=json entries sorted by path; leaves carry their intervals as start/end dicts."""
    out = []
    for path, leaf in sorted(nodes, key=lambda m: m[0]):
        info = {"path": path, "is_leaf": leaf}
        if leaf:
            info["intervals"] = [{"start": s, "end": e} for s, e in _intervals(interval)]
        out.append(info)
    return out


def completer_nodes(nodes: list[Match], wildcards: bool = False) -> list[dict]:
    """format=completer entries: branch paths end in a dot, is_leaf is "0"/"1", and with
    wildcards a final {"name": "*"} when more than one node matched."""
    out = [{"path": path if leaf else path + ".", "name": node_name(path),
            "is_leaf": str(int(leaf))} for path, leaf in nodes]
    if len(out) > 1 and wildcards:
        out.append({"name": "*"})
    return out


def cluster_nodes(nodes: list[Match], interval: Interval | None) -> list[dict]:
    """The find answer a cluster frontend reads (§6.1): path, is_leaf and, for leaves,
    intervals as a list of (start, end) tuples."""
    out = []
    for path, leaf in nodes:
        info = {"path": path, "is_leaf": leaf}
        if leaf:
            info["intervals"] = list(_intervals(interval))
        out.append(info)
    return out


def _intervals(interval: Interval | None) -> list[Interval]:
    return [] if interval is None else [tuple(interval)]


def expand_body(matches_by_query, *, leaves_only: bool = False, group_by_expr: bool = False,
                jsonp: str | None = None, pretty: bool = False,
                accept: str | None = None) -> tuple[bytes, str]:
    """/metrics/expand: {"results": sorted distinct paths of all queries}, or with
    groupByExpr {"results": {query: sorted paths}} in query order.

    `matches_by_query` is a sequence of (query, matches) pairs (or a dict); leavesOnly keeps
    only leaf paths.
    """
    pairs = matches_by_query.items() if isinstance(matches_by_query, dict) else matches_by_query
    grouped: dict[str, set[str]] = {}
    for query, matches in pairs:
        # graphite-web restarts the set when a query repeats.
        grouped[query] = {path for path, leaf in matches if leaf or not leaves_only}
    if group_by_expr:
        results = {query: sorted(paths) for query, paths in grouped.items()}
    else:
        results = sorted(set().union(*grouped.values()))
    return json_response({"results": results}, jsonp=jsonp, pretty=pretty, accept=accept)


def index_body(paths, *, jsonp: str | None = None, pretty: bool = False,
               accept: str | None = None) -> tuple[bytes, str]:
    """/metrics/index.json: every leaf path, sorted and distinct, as a JSON array."""
    return json_response(sorted(set(paths)), jsonp=jsonp, pretty=pretty, accept=accept)


def json_response(content, *, jsonp: str | None = None, pretty: bool = False,
                  accept: str | None = None) -> tuple[bytes, str]:
    """graphite-web's json_response_for: ASCII-escaped only when Accept is exactly
    application/json (or absent), then `;charset=utf-8` is added to the type; an empty
    jsonp callback counts as none."""
    ensure_ascii = (accept if accept is not None else "application/json") == "application/json"
    text = json.dumps(content, ensure_ascii=ensure_ascii, indent=2 if pretty else None)
    content_type = "application/json"
    if jsonp:
        text = f"{jsonp}({text})"
        content_type = "text/javascript"
    if not ensure_ascii:
        content_type += ";charset=utf-8"
    return text.encode("utf-8"), content_type
