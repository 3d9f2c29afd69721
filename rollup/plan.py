"""Pure planning of storage maintenance: which blocks to seal, fold into the next level, expire.

A *lane* is one retention schema (its levels) with the block length chosen for each level.
Each level's data lives in fixed blocks; a fine block that has ended (plus a grace period
for late points) is sealed, and on its first seal its buckets are folded into the next
level.  The per-level watermark W[j] ("folded until") says that every fine bucket before
W[j] has been folded into level j; it only moves forward, block by block, so a fold is an
overwrite of coarse buckets that nothing else has written yet — repeating one after a
crash gives the same bytes.  A block expires once it lies wholly outside its level's
retention and (except at the coarsest level) has been folded.

Nothing here touches a file; `tsdb.store` executes the jobs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

from .schemas import Level


@dataclass(frozen=True)
class Lane:
    """One retention schema as stored: its levels and each level's block length in seconds."""

    id: int
    levels: tuple[Level, ...]
    block_seconds: tuple[int, ...]

    def buckets(self, level: int) -> int:
        return self.block_seconds[level] // self.levels[level].step

    def fold_factor(self, level: int) -> int:
        """Fine buckets per bucket of `level` (level >= 1)."""
        return self.levels[level].step // self.levels[level - 1].step

    def raw_steps(self, level: int) -> int:
        """Raw-level steps in one bucket of `level`."""
        return self.levels[level].step // self.levels[0].step

    @property
    def retentions(self) -> tuple[int, ...]:
        return tuple(lv.retention for lv in self.levels)


def block_seconds(levels: tuple[Level, ...], target_buckets: int) -> tuple[int, ...]:
    """Block length per level: about `target_buckets` buckets, aligned for exact folding.

    A level's block must be a whole number of its own buckets, of the next level's buckets
    (a sealed fine block folds into whole coarse buckets), and of the previous level's
    blocks (a coarse block is complete exactly when a fine block ends).
    """
    out: list[int] = []
    for j, level in enumerate(levels):
        base = level.step
        if j + 1 < len(levels):
            base = math.lcm(base, levels[j + 1].step)
        if out:
            base = math.lcm(base, out[-1])
        want = level.step * max(1, target_buckets)
        out.append(base * max(1, round(want / base)))
    return tuple(out)


@dataclass(frozen=True)
class BlockInfo:
    """What is on disk for one block of one level of one (shard, lane)."""

    level: int
    start: int
    sealed: bool
    has_head: bool


@dataclass(frozen=True)
class Seal:
    """Merge the block's head into its sealed file; `fold` also folds it into level+1."""

    level: int
    start: int
    fold: bool


@dataclass(frozen=True)
class Expire:
    level: int
    start: int


def plan(lane: Lane, blocks: Iterable[BlockInfo], folded_until: list[int], now: int,
         grace: int) -> tuple[list, list[int]]:
    """Jobs that bring one (shard, lane) up to date at `now`, and the watermarks after them.

    `folded_until[j]` is W[j] for j >= 1 (index 0 is unused).  Jobs are in execution order:
    levels fine to coarse, blocks oldest first, all seals before any expiry.
    """
    marks = list(folded_until)
    by_level: dict[int, list[BlockInfo]] = {}
    for b in blocks:
        by_level.setdefault(b.level, []).append(b)
    seals: list[Seal] = []
    last = len(lane.levels) - 1
    for j in range(len(lane.levels)):
        span = lane.block_seconds[j]
        for b in sorted(by_level.get(j, []), key=lambda b: b.start):
            end = b.start + span
            complete = end + grace <= now if j == 0 else end <= marks[j]
            if not (b.has_head and complete):
                continue
            fold = j < last and end > marks[j + 1]
            seals.append(Seal(j, b.start, fold))
            if fold:
                marks[j + 1] = end
    sealed_now = {(s.level, s.start) for s in seals}
    expires = []
    for j, level in enumerate(lane.levels):
        for b in by_level.get(j, []):
            end = b.start + lane.block_seconds[j]
            folded = j == last or end <= marks[j + 1]
            unsealed_head = b.has_head and (j, b.start) not in sealed_now
            if end <= now - level.retention and folded and not unsealed_head:
                expires.append(Expire(j, b.start))
    return seals + expires, marks
