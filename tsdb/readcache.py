"""A bounded LRU of what reads derive from sealed blocks, so repeated reads skip lz4,
the codec and the value arithmetic.

Decoding a sealed row costs 20-180 µs of numpy calls however few buckets a read wants,
and dashboards re-read the same rows every refresh.  Sealed files are immutable (a re-seal
writes a new generation under a new name), so anything derived from one stays valid until
its file is forgotten.  The store keeps two kinds of entry per file: a decoded row, as one
(7, buckets) float64 array (count and slot are exact in float64) so a batch of cached rows
becomes Stats with one `np.stack`; and the values of a group of rows for one aggregate, the
block a dashboard's query reads again on its next refresh (or those of a run of blocks:
anything with an `nbytes` is an entry).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Hashable

import numpy as np

from rollup import stats as st

NO_DATA = np.empty((0, 0))      # a row with no points in its block: remembered, not re-read
ENTRY_BYTES = 160               # what one entry costs beyond its array (key, dict slot, set)


def pack(stats: st.Stats) -> np.ndarray:
    """Series-major Stats [rows][buckets] -> float64 [rows][7][buckets]."""
    return np.stack([a.astype(np.float64, copy=False) for a in stats.arrays()], axis=1)


def unpack(packed: np.ndarray) -> st.Stats:
    """The inverse of `pack` for a [rows][7][buckets] array."""
    cols = [packed[:, i] for i in range(7)]
    cols[0] = cols[0].astype(st.COUNT_DTYPE)
    cols[6] = cols[6].astype(np.int64)
    return st.Stats(*cols)


class DecodedRows:
    """(sealed file key, entry key) -> array, least recently used dropped beyond `budget`
    bytes.

    A file key is any hashable naming one sealed file (the store uses shard, lane, level,
    block start and generation); an entry key is any hashable naming what was derived from
    it (a row number for a decoded row)."""

    def __init__(self, budget: int):
        self.budget = budget
        self.bytes = 0
        self._rows: OrderedDict[tuple[Hashable, Hashable], np.ndarray] = OrderedDict()
        self._by_path: dict[Hashable, set[Hashable]] = {}
        self.hits = self.misses = 0

    def get(self, path: Hashable, row: Hashable) -> np.ndarray | None:
        got = self._rows.get((path, row))
        if got is None:
            self.misses += 1
            return None
        self.hits += 1
        self._rows.move_to_end((path, row))
        return got

    def put(self, path: Hashable, row: Hashable, packed: np.ndarray) -> None:
        size = packed.nbytes + ENTRY_BYTES
        if size > self.budget:
            return
        old = self._rows.pop((path, row), None)
        if old is not None:
            self.bytes -= old.nbytes + ENTRY_BYTES
        self._rows[(path, row)] = packed
        self._by_path.setdefault(path, set()).add(row)
        self.bytes += size
        while self.bytes > self.budget:
            (p, r), dropped = self._rows.popitem(last=False)
            self.bytes -= dropped.nbytes + ENTRY_BYTES
            self._forget_row(p, r)

    def drop(self, path: Hashable) -> None:
        """Forget every row of a sealed file (re-sealed or expired)."""
        for row in self._by_path.pop(path, ()):
            dropped = self._rows.pop((path, row), None)
            if dropped is not None:
                self.bytes -= dropped.nbytes + ENTRY_BYTES

    def _forget_row(self, path: Hashable, row: Hashable) -> None:
        rows = self._by_path.get(path)
        if rows is not None:
            rows.discard(row)
            if not rows:
                del self._by_path[path]
