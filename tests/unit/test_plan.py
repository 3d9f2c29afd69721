"""Maintenance planning: block sizes, seal and fold order, watermarks, expiry."""

from __future__ import annotations

from rollup.plan import BlockInfo, Expire, Lane, Seal, block_seconds, plan
from rollup.schemas import parse_levels

LEVELS = parse_levels("10s:6h,1m:7d,10m:5y")


def lane() -> Lane:
    return Lane(0, LEVELS, block_seconds(LEVELS, 360))


def test_block_seconds_align_for_exact_folding():
    blocks = block_seconds(LEVELS, 360)
    assert blocks == (3600, 21600, 216000)
    for j, span in enumerate(blocks):
        assert span % LEVELS[j].step == 0
        if j + 1 < len(LEVELS):
            assert span % LEVELS[j + 1].step == 0
        if j:
            assert span % blocks[j - 1] == 0


def test_block_seconds_handle_odd_steps():
    levels = parse_levels("7s:1d,21s:7d")
    blocks = block_seconds(levels, 100)
    assert blocks[0] % 21 == 0 and blocks[1] % blocks[0] == 0


def test_ended_block_is_sealed_and_folded_once_after_grace():
    ln = lane()
    blocks = [BlockInfo(0, 0, False, True)]
    jobs, marks = plan(ln, blocks, [0, 0, 0], now=3600 + 599, grace=600)
    assert jobs == []
    jobs, marks = plan(ln, blocks, [0, 0, 0], now=3600 + 600, grace=600)
    assert jobs == [Seal(0, 0, fold=True)]
    assert marks == [0, 3600, 0]


def test_reseal_of_late_writes_does_not_fold_again():
    jobs, marks = plan(lane(), [BlockInfo(0, 0, True, True)], [0, 3600, 0], now=10 ** 6, grace=600)
    assert Seal(0, 0, fold=False) in jobs
    assert marks[1] == 3600


def test_coarse_block_seals_when_fine_folds_reach_its_end():
    ln = lane()
    fine = [BlockInfo(0, s, False, True) for s in range(0, 21600, 3600)]
    coarse = [BlockInfo(1, 0, False, True)]
    jobs, marks = plan(ln, fine + coarse, [0, 0, 0], now=21600 + 600, grace=600)
    assert jobs[-1] == Seal(1, 0, fold=True)
    assert marks == [0, 21600, 21600]


def test_expiry_waits_for_retention_and_fold():
    ln = lane()
    now = 3600 + 6 * 3600
    jobs, _ = plan(ln, [BlockInfo(0, 0, True, False)], [0, 3600, 0], now=now, grace=600)
    assert jobs == [Expire(0, 0)]
    jobs, _ = plan(ln, [BlockInfo(0, 0, True, False)], [0, 0, 0], now=now - 1, grace=600)
    assert jobs == []
