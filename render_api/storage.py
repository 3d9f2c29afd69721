"""The render API's view of the store: path expressions in, render series out.

What: expands a glob to leaf names (sorted by path, as graphite-web's finders), reads each
over the frame with whisper's fetch semantics and wraps it as a render `Series` carrying the
path expression it matched, its tags and the request's xFilesFactor.  Why: the evaluator
and HTTP layer never import tsdb; a test can hand them any other fetch function.
"""

from __future__ import annotations

from tsdb import Store
from tsdb.names import InvalidName, InvalidPattern, normalize, parse_tags

from .series import Series


class StoreReader:
    def __init__(self, store: Store, max_series: int):
        self.store = store
        self.max_series = max_series

    def fetch(self, path_expression: str, start: int, end: int, now: int, xff: float) -> list[Series]:
        """Series of one path expression over [start, end] at `now`; [] when nothing matches."""
        if path_expression.startswith("seriesByTag("):
            from .tags import tag_expressions, tagged_names   # the tag index answers these
            names = tagged_names(self.store, tag_expressions(path_expression))
        else:
            names = self.expand(path_expression)
        if len(names) > self.max_series:
            raise QueryTooLarge(f"{path_expression!r} matches {len(names)} series, more than "
                                f"the limit of {self.max_series} (render.max_series)")
        return [Series(got.name, got.start, got.end, got.step, got.values, tags=parse_tags(got.name),
                       path_expression=path_expression, xff=xff)
                for got in self.store.read_many(names, start, end, now=now) if got is not None]

    def expand(self, pattern: str) -> list[str]:
        if ";" in pattern:      # a tagged name is looked up exactly, never globbed
            try:
                name = normalize(pattern)
            except InvalidName:
                return []
            return [name] if name in self.store else []
        try:
            return self.store.expand(pattern.replace("\\", ""))
        except InvalidPattern:
            return []

    def find(self, pattern: str) -> list[tuple[str, bool]]:
        try:
            return self.store.find(pattern.replace("\\", ""))
        except InvalidPattern:
            return []

    def find_first_per_name(self, pattern: str) -> list[tuple[str, bool]]:
        """`find` reduced to the first match of each node name (what treejson shows)."""
        try:
            return self.store.find_first_per_name(pattern.replace("\\", ""))
        except InvalidPattern:
            return []


class QueryTooLarge(Exception):
    """A query over a configured limit (HTTP 422 with a JSON error)."""
