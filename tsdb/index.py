"""The name index: per-shard append-only name logs and the in-memory maps rebuilt from them.

A series is identified by (shard, lane, row): the shard from mmh3 of its normalised name,
the lane from the retention schema it was created with, the row from its order of creation
within the shard's lane.  The three are packed into one int64 id so a batch of points maps
to numpy columns with bit operations.  A name is appended to its shard's log, and fsynced
when so configured, before any data uses its row: a crash can lose a trailing name whose
data was never written, never data whose name is lost.  On open the logs are replayed; a
torn trailing record is cut off.

Tag-index events (FORMAT.md 3.1) share the log: /tags/delSeries unlists a name and
/tags/tagSeries lists one again (or lists a plain path), each as a record in the name's
shard log, so the tag index rebuilds at restart exactly as it was.  The first event turns
the log's header version from 1 to 2 before the event is written, so a build that knows
only version 1 refuses the log instead of misreading it.
"""

from __future__ import annotations

import os
from itertools import repeat
from operator import itemgetter
from pathlib import Path

import numpy as np

from .errors import CorruptFile
from .format import (FORMAT_VERSION, NAMELOG_EVENT_LANE, NAMELOG_EVENTS_VERSION,
                     NAMELOG_HEADER_SIZE, NAMELOG_VERSION_OFFSET, pack_name_record,
                     pack_namelog_header, unpack_name_records, unpack_namelog_header)
from .names import NameTrie, TagIndex, is_tagged, parse_tags

SHARD_SHIFT = 48
LANE_SHIFT = 32
ROW_MASK = 0xFFFFFFFF
LANE_MASK = 0xFFFF
EVENT_UNLIST = 0     # row field of a tag event: /tags/delSeries
EVENT_LIST = 1       # row field of a tag event: /tags/tagSeries of an unlisted or plain name


def pack_id(shard: int, lane: int, row: int) -> int:
    return (shard << SHARD_SHIFT) | (lane << LANE_SHIFT) | row


def unpack_id(sid: int) -> tuple[int, int, int]:
    """(shard, lane, row) of one packed id."""
    return sid >> SHARD_SHIFT, (sid >> LANE_SHIFT) & LANE_MASK, sid & ROW_MASK


def unpack_ids(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(shard, lane, row) columns of packed ids."""
    return ids >> SHARD_SHIFT, (ids >> LANE_SHIFT) & LANE_MASK, ids & ROW_MASK


class NameLog:
    """One shard's name log file, opened for appending."""

    def __init__(self, path: Path, shard: int):
        self.path = path
        self.shard = shard
        self.records: list[tuple[int, int, str]] = []
        self.version = FORMAT_VERSION
        exists = path.exists()
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        if exists and os.fstat(self._fd).st_size > 0:
            self._replay()
        else:
            os.write(self._fd, pack_namelog_header(shard))
            os.fsync(self._fd)

    def _replay(self) -> None:
        size = os.fstat(self._fd).st_size
        raw = os.pread(self._fd, size, 0)
        shard, self.version = unpack_namelog_header(self.path, raw)
        if shard != self.shard:
            raise CorruptFile(self.path, f"header names shard {shard}, file is in shard {self.shard}")
        end = NAMELOG_HEADER_SIZE
        for lane, row, name, end in unpack_name_records(raw, NAMELOG_HEADER_SIZE):
            if lane == NAMELOG_EVENT_LANE and (self.version < NAMELOG_EVENTS_VERSION
                                               or row not in (EVENT_UNLIST, EVENT_LIST)):
                raise CorruptFile(self.path, f"tag event {row} for {name!r} in a version "
                                             f"{self.version} name log")
            self.records.append((lane, row, name))
        if end < size:
            os.ftruncate(self._fd, end)  # a torn tail from a crash mid-append
        os.lseek(self._fd, 0, os.SEEK_END)

    def append(self, records: list[tuple[int, int, str]], sync: bool) -> None:
        data = b"".join(pack_name_record(lane, row, name.encode("utf-8")) for lane, row, name in records)
        os.write(self._fd, data)
        if sync:
            os.fsync(self._fd)

    def append_events(self, events: list[tuple[int, str]], sync: bool) -> None:
        """Tag-index events (EVENT_LIST / EVENT_UNLIST, name); the header becomes version 2
        (durably) before the first one is written."""
        if self.version < NAMELOG_EVENTS_VERSION:
            header = pack_namelog_header(self.shard, NAMELOG_EVENTS_VERSION)
            os.pwrite(self._fd, header[NAMELOG_VERSION_OFFSET:NAMELOG_VERSION_OFFSET + 2],
                      NAMELOG_VERSION_OFFSET)
            os.fsync(self._fd)
            self.version = NAMELOG_EVENTS_VERSION
        self.append([(NAMELOG_EVENT_LANE, kind, name) for kind, name in events], sync)

    def sync(self) -> None:
        os.fsync(self._fd)

    def fileno(self) -> int:
        return self._fd

    def close(self) -> None:
        os.close(self._fd)


class SeriesIndex:
    """name -> packed id, id -> name, the glob trie of plain paths and the tag index."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.aliases: dict[str, int] = {}   # unnormalised spellings seen on the wire
        self._names: dict[tuple[int, int], list[str]] = {}
        self.trie = NameTrie()
        self.tags = TagIndex()

    def __len__(self) -> int:
        return len(self.ids)

    def rows(self, shard: int, lane: int) -> int:
        return len(self._names.get((shard, lane), ()))

    def add(self, name: str, shard: int, lane: int) -> int:
        """Register a new normalised name at the next row of (shard, lane); returns its id."""
        names = self._names.setdefault((shard, lane), [])
        sid = pack_id(shard, lane, len(names))
        names.append(name)
        self.ids[name] = sid
        if is_tagged(name):
            self.tags.add(name, parse_tags(name))
        else:
            self.trie.add(name)
        return sid

    def load(self, shard: int, records) -> None:
        """Replay a shard's log records; rows must follow creation order."""
        for lane, row, name in records:
            if lane == NAMELOG_EVENT_LANE:
                self._apply_event(shard, row, name)
                continue
            expected = self.rows(shard, lane)
            if row != expected:
                raise CorruptFile(f"shard {shard} name log", f"row {row} for {name!r}, expected {expected}")
            self.add(name, shard, lane)

    def _apply_event(self, shard: int, kind: int, name: str) -> None:
        if name not in self.ids:
            raise CorruptFile(f"shard {shard} name log", f"tag event for unknown name {name!r}")
        if kind == EVENT_LIST:
            self.tags.add(name)
        else:
            self.tags.remove(name)

    def listed(self, name: str) -> bool:
        """True if the normalised name is in the tag index (seriesByTag can find it)."""
        if name not in self.ids:
            return False
        state = self.tags.listed(name)
        return is_tagged(name) if state is None else state

    def set_listed(self, names: list[str], listed: bool, logs: dict, sync: bool) -> int:
        """List (or unlist) known normalised names in the tag index, logging an event per
        change in the name's shard log first; returns how many changed."""
        events: dict[int, list[tuple[int, str]]] = {}
        for name in dict.fromkeys(names):
            if name in self.ids and self.listed(name) != listed:
                shard = unpack_id(self.ids[name])[0]
                events.setdefault(shard, []).append((EVENT_LIST if listed else EVENT_UNLIST, name))
        for shard, shard_events in events.items():
            logs[shard].append_events(shard_events, sync)
            for _, name in shard_events:
                if listed:
                    self.tags.add(name)
                else:
                    self.tags.remove(name)
        return sum(len(e) for e in events.values())

    def lookup(self, names) -> np.ndarray:
        """Packed ids of names as given (-1 where the exact spelling is not known yet)."""
        if len(names) > 1:
            try:
                # One C-level loop over the dict; measured 2.5x faster than map(dict.get).
                return np.fromiter(itemgetter(*names)(self.ids), dtype=np.int64, count=len(names))
            except (KeyError, TypeError):
                pass   # some name is new (or unhashable): resolve one by one
        get = self.ids.get
        ids = np.fromiter(map(get, names, repeat(-1)), dtype=np.int64, count=len(names))
        if self.aliases and (ids < 0).any():
            alias = self.aliases.get
            for i in np.flatnonzero(ids < 0):
                ids[i] = alias(names[i], -1)
        return ids

    def name_of(self, sid: int) -> str:
        shard, lane, row = unpack_id(sid)
        return self._names[(shard, lane)][row]

    def id_of(self, normalized: str) -> int | None:
        return self.ids.get(normalized)
