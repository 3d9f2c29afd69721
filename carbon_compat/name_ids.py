"""Small integer ids for the names a receiver sees again and again, found a run at a time.

What: a name cache numbers each distinct name in the order it first arrives, up to a
capacity past which it starts afresh (a reset), so its memory stays bounded.  Senders
repeat their metrics in much the same order every interval (a statsd flush, a collector's
host, a relay forwarding a steady set of senders), so a batch's names are mostly runs of
consecutive ids.  `run_ids` finds such a run by comparing it whole with the names the
cache keeps in id order, where a lookup per name would hash every fresh ``str``; a batch
that is not runs of known names is resolved name by name.

* `BytesNameCache` keeps the names' UTF-8 bytes: a parse worker reads a pickle frame's names
  as bytes (pickle_elements.CanonicalFrame) and builds no ``str`` for a run; a plaintext
  chunk's names are joined into the same form, one bytes compare per run.
* `NameTable` holds the names of a cache's ids as ``str`` and the store id of each once
  the writer has learned it: the server keeps one per parse worker.
* `LineNames` is a cache with a NameTable of its own, for the server's own receivers
  (plaintext over UDP, and TCP parsed in process): their batches reach the writer
  with store ids, so the writer skips its index for them.
"""

from __future__ import annotations

import operator
from array import array
from collections.abc import Callable
from enum import Enum

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


class NotRuns(Enum):
    """Why `run_ids` found no ids."""
    UNKNOWN_NAME = "a run starts with a name the cache does not hold"
    SHORT_RUN = "a run of fewer than MIN_RUN names does not end the batch"


def run_ids(n: int, head: Callable[[int], int | None],
            matching: Callable[[int, int, int], int]) -> np.ndarray | NotRuns:
    """Ids of a batch's `n` names if they are runs of known names, each run at least MIN_RUN
    names long unless it ends the batch (shorter runs cost more than looking each name up).

    `head(i)`: the id of name i, None if it is not known.  `matching(i, k, limit)`: how many
    names from i on equal the known names from id k on, at most `limit`.
    """
    out = np.empty(n, np.uint32)
    i = 0
    while i < n:
        k = head(i)
        if k is None:
            return NotRuns.UNKNOWN_NAME
        window = min(MIN_RUN, n - i)
        if matching(i, k, window) < window:
            return NotRuns.SHORT_RUN
        j = i + matching(i, k, n - i)
        out[i:j] = np.arange(k, k + j - i, dtype=np.uint32)
        i = j
    return out


class BytesNameCache(NameCache):
    """A parse worker's cache: names kept as UTF-8 bytes, each followed by a NUL."""

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

        found = run_ids(len(ends), head, matching)
        return found if isinstance(found, np.ndarray) else None

    def run_ids_of(self, names: list[str]) -> np.ndarray | None:
        """`run_ids` of `names` (a plaintext batch's), or None."""
        blob = ("\0".join(names) + "\0").encode("utf-8", "surrogatepass") if names else b""
        ends = np.flatnonzero(np.frombuffer(blob, np.uint8) == 0) + 1
        if len(ends) != len(names):     # a name holds a NUL: no way to tell the names apart
            return None
        return self.run_ids(blob, ends)


def _begin(ends: np.ndarray, i: int) -> int:
    return int(ends[i - 1]) if i else 0


def _common_prefix(a: bytes, i: int, b: bytearray, k: int, size: int) -> int:
    """How many bytes a[i:] and b[k:] have in common, up to `size`."""
    if a[i:i + size] == b[k:k + size]:
        return size
    diff = np.frombuffer(a, np.uint8, size, i) != np.frombuffer(b, np.uint8, size, k)
    return int(diff.argmax())


class NameTable:
    """The names of a cache's ids, as the same ``str`` objects every time, and the store id
    of each once the writer has learned it (through the batches' KnownIds): the server's
    copy of a parse worker's cache, or LineNames' own."""

    def __init__(self) -> None:
        self._names = np.empty(1024, object)
        self._store_ids = np.full(1024, -1, np.int64)
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def update(self, reset: bool, new_names: list[str]) -> None:
        if reset:
            # new arrays: ids the writer learns for the old names land in the old ones
            self._names = np.empty(max(1024, len(new_names)), object)
            self._store_ids = np.full(len(self._names), -1, np.int64)
            self._size = 0
        end = self._size + len(new_names)
        if end > len(self._names):
            size = max(end, 2 * len(self._names))
            names, store_ids = np.empty(size, object), np.full(size, -1, np.int64)
            names[:self._size] = self._names[:self._size]
            store_ids[:self._size] = self._store_ids[:self._size]   # an id learned meanwhile is learned again
            self._names, self._store_ids = names, store_ids
        self._names[self._size:end] = new_names
        self._size = end

    def names(self, start: int, stop: int) -> list[str]:
        """The names of ids start .. stop - 1."""
        return self._names[start:min(stop, self._size)].tolist()

    def names_of(self, ids: np.ndarray) -> list[str]:
        return self._names.take(ids.astype(np.intp)).tolist()

    def known(self, ids: np.ndarray) -> KnownIds:
        """Where the store ids of these ids' names are kept."""
        return KnownIds(self._store_ids, ids.astype(np.intp))

    def batch(self, ids: np.ndarray, timestamps: np.ndarray, values: np.ndarray) -> Batch:
        """Points whose names have these ids, carrying the table's store ids."""
        return Batch(self.names_of(ids), timestamps, values, self.known(ids))


class LineNames(NameCache):
    """The server's receivers' cache, with a NameTable of its own."""

    def __init__(self, capacity: int):
        super().__init__(capacity)
        self.table = NameTable()

    def batch(self, batch: Batch) -> Batch:
        """`batch` carrying the store ids known for its names: found in runs, or looked up
        one by one when new names may need numbering.  Known names out of order are left to
        the writer, which looks them up as fast, off the reactor thread."""
        found = self.run_ids(batch.names)
        if found is NotRuns.SHORT_RUN:
            return batch
        if found is NotRuns.UNKNOWN_NAME:
            found, new, reset = self.resolve(batch.names)
            self.table.update(reset, new)
        return Batch(batch.names, batch.timestamps, batch.values, self.table.known(found))

    def run_ids(self, names: list[str]) -> np.ndarray | NotRuns:
        table = self.table

        def matching(i: int, k: int, limit: int) -> int:
            known = table.names(k, k + limit)
            if names[i:i + limit] == known:
                return limit
            lo, hi = 0, len(known) + 1     # names[i:i + lo] match, names[i:i + hi] do not
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if names[i:i + mid] == known[:mid]:
                    lo = mid
                else:
                    hi = mid
            return lo

        return run_ids(len(names), lambda i: self.ids.get(names[i]), matching)
