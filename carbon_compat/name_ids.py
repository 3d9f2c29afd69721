"""Small integer ids for the names a receiver sees again and again, found a run at a time.

What: a name cache numbers each distinct name in the order it first arrives, up to a
capacity past which it starts afresh (a reset), so its memory stays bounded.  Senders
repeat their metrics in much the same order every interval (a statsd flush, a collector's
host, a relay forwarding a steady set of senders), so a batch's names are mostly runs of
consecutive ids.  `run_ids` finds such a run by comparing it whole with the names the
cache keeps in id order, where a lookup per name would hash every fresh ``str``; a batch
that is not runs of known names returns None and is resolved name by name.

* `BytesNameCache` keeps the names' UTF-8 bytes: a pickle worker reads a frame's names as
  bytes (pickle_elements.CanonicalFrame) and builds no ``str`` for a run.
* `LineNames` keeps the ``str`` objects and the store id of each name once the writer has
  learned it: the server's own receivers (plaintext over TCP and UDP, pickle parsed in
  process) hand the store ids along, so the writer skips its index for them.
"""

from __future__ import annotations

import operator
from array import array
from collections.abc import Callable

import numpy as np

from .parsers import Batch, KnownIds

MIN_RUN = 16     # names a run must cover to beat looking each up (a run costs a few microseconds)


class NameCache:
    """Ids in arrival order for at most `capacity` distinct names (plus one batch's worth)."""

    def __init__(self, capacity: int):
        self.capacity = max(1, capacity)
        self.ids: dict[str, int] = {}

    def resolve(self, names: list[str]) -> tuple[np.ndarray, list[str], bool]:
        """(ids of `names`, the names that got new ids in id order, whether the cache reset)."""
        ids = self.ids
        if len(names) > 1:
            try:
                return np.fromiter(operator.itemgetter(*names)(ids), np.uint32, len(names)), [], False
            except KeyError:
                pass
        new = [n for n in dict.fromkeys(names) if n not in ids]
        reset = bool(new) and len(ids) + len(new) > self.capacity
        if reset:
            ids.clear()
            self._forget()
            new = list(dict.fromkeys(names))
        for n in new:
            ids[n] = len(ids)
        self._keep(new)
        return np.fromiter(map(ids.__getitem__, names), np.uint32, len(names)), new, reset

    def _forget(self) -> None:
        """Drop the names kept in id order (the cache starts afresh)."""

    def _keep(self, new: list[str]) -> None:
        """Keep `new` (just numbered, in id order) for `run_ids`."""


def run_ids(n: int, head: Callable[[int], int | None],
            matching: Callable[[int, int, int], int]) -> np.ndarray | None:
    """Ids of a batch's `n` names if they are runs of known names, each run at least MIN_RUN
    names long unless it ends the batch; None otherwise.

    `head(i)`: the id of name i, None if it is not known.  `matching(i, k, limit)`: how many
    names from i on equal the known names from id k on, at most `limit`.
    """
    out = np.empty(n, np.uint32)
    i = 0
    while i < n:
        k = head(i)
        if k is None:
            return None
        window = min(MIN_RUN, n - i)
        if matching(i, k, window) < window:
            return None         # a short run that does not end the batch: name by name is cheaper
        j = i + matching(i, k, n - i)
        out[i:j] = np.arange(k, k + j - i, dtype=np.uint32)
        i = j
    return out


class BytesNameCache(NameCache):
    """A pickle worker's cache: names kept as UTF-8 bytes, each followed by a NUL."""

    def __init__(self, capacity: int):
        super().__init__(capacity)
        self._blob = bytearray()        # each name's bytes and a NUL, in id order
        self._starts = array("q")       # where each id's name starts in _blob

    def _forget(self) -> None:
        del self._blob[:], self._starts[:]

    def _keep(self, new: list[str]) -> None:
        for name in new:
            self._starts.append(len(self._blob))
            self._blob += name.encode("utf-8", "surrogatepass") + b"\0"

    def run_ids(self, blob: bytes, ends: np.ndarray) -> np.ndarray | None:
        """`run_ids` of the names in `blob` (each name's bytes and a NUL; `ends[i]` is where
        name i's NUL ends), or None."""
        known, starts = self._blob, self._starts

        def head(i: int) -> int | None:
            try:
                return self.ids.get(blob[_begin(ends, i):int(ends[i]) - 1].decode("utf-8", "surrogatepass"))
            except UnicodeDecodeError:      # the unpickler's to judge
                return None

        def matching(i: int, k: int, limit: int) -> int:
            at, kat = _begin(ends, i), starts[k]
            size = min(int(ends[i + limit - 1]) - at, len(known) - kat)
            same = _common_prefix(blob, at, known, kat, size)
            return min(limit, int(np.searchsorted(ends, at + same, "right")) - i)

        return run_ids(len(ends), head, matching)


def _begin(ends: np.ndarray, i: int) -> int:
    return int(ends[i - 1]) if i else 0


def _common_prefix(a: bytes, i: int, b: bytearray, k: int, size: int) -> int:
    """How many bytes a[i:] and b[k:] have in common, up to `size`."""
    if a[i:i + size] == b[k:k + size]:
        return size
    diff = np.frombuffer(a, np.uint8, size, i) != np.frombuffer(b, np.uint8, size, k)
    return int(diff.argmax())


class LineNames(NameCache):
    """The server's receivers' cache: names as ``str`` in id order, and the store id of
    each, -1 until the writer learns it (through the batches' KnownIds)."""

    def __init__(self, capacity: int):
        super().__init__(capacity)
        self._names: list[str] = []
        self._store_ids = np.full(1024, -1, np.int64)

    def _forget(self) -> None:
        self._names = []
        # a new array: ids the writer learns for batches in flight land in the old one
        self._store_ids = np.full(1024, -1, np.int64)

    def _keep(self, new: list[str]) -> None:
        self._names += new
        if len(self._names) > len(self._store_ids):
            grown = np.full(max(len(self._names), 2 * len(self._store_ids)), -1, np.int64)
            grown[:len(self._store_ids)] = self._store_ids   # an id learned meanwhile is learned again
            self._store_ids = grown

    def batch(self, batch: Batch) -> Batch:
        """`batch` carrying the store ids known for its names."""
        names = batch.names
        ids = self.run_ids(names)
        if ids is None:
            ids = self.resolve(names)[0]
        return Batch(names, batch.timestamps, batch.values, KnownIds(self._store_ids, ids.astype(np.intp)))

    def run_ids(self, names: list[str]) -> np.ndarray | None:
        known = self._names

        def matching(i: int, k: int, limit: int) -> int:
            limit = min(limit, len(known) - k)
            if names[i:i + limit] == known[k:k + limit]:
                return limit
            lo, hi = 0, limit       # names[i:i + lo] match, names[i:i + hi] do not
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if names[i:i + mid] == known[k:k + mid]:
                    lo = mid
                else:
                    hi = mid
            return lo

        return run_ids(len(names), lambda i: self.ids.get(names[i]), matching)
