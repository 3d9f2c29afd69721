"""Two checkouts, or two configurations, of `strata serve` under the same ingest load, in turn.

    python -m benchmarks.ab_ingest --old /tmp/old [--case plaintext|pickle|readable] [--shuffled]
                                   [--rounds 3] [--seconds 10] [--series 100000]
    python -m benchmarks.ab_ingest --config '[limits]\\nmax_pending_points = 500000' \\
                                   --old-config '[limits]\\nmax_pending_points = 2000000'

What: ingest_bench's strata run (`run_strata`: max rate, stored points per second read back)
or its loaded visibility probe (`run_strata_readable`: seconds of lead a new series needed)
against the server of this tree with `--config`, and against the server of `--old` (a `git
worktree add` of an earlier commit; this tree if omitted) with `--old-config`; the two run
in turn, the first of each pair alternating.  Each pair's new/old ratio and their median
are printed.  Why: on this shared machine the rate drifts by a third within minutes, so
a change is only measurable against the old code or setting in the same minutes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

from benchmarks import ingest_bench

HERE = Path(__file__).resolve().parent.parent


def alternated(run: Callable[[str], float | None], rounds: int) -> list[tuple[float | None, float | None]]:
    """(new, old) figure of each round; the side that runs first alternates."""
    pairs = []
    for r in range(rounds):
        got = {}
        for side in ("new", "old") if r % 2 == 0 else ("old", "new"):
            got[side] = run(side)
            print(f"  round {r + 1}: {side} {_fmt(got[side])}", flush=True)
        pairs.append((got["new"], got["old"]))
    return pairs


def summary(pairs: list[tuple[float | None, float | None]], unit: str) -> str:
    ratios = [n / o for n, o in pairs if n and o]
    lines = [f"new: {' '.join(_fmt(n) for n, _ in pairs)} {unit}",
             f"old: {' '.join(_fmt(o) for _, o in pairs)} {unit}"]
    if ratios:
        lines.append(f"new/old by pair: {' '.join(f'{x:.2f}' for x in ratios)}; "
                     f"median {statistics.median(ratios):.2f}")
    return "\n".join(lines)


def _toml(text: str | None) -> str | None:
    """Config text from the command line, where a newline is written as \\n."""
    return None if text is None else text.replace("\\n", "\n")


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.3g}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--old", type=Path, default=HERE, help="checkout to compare with (default: this one)")
    ap.add_argument("--config", help="strata.toml text for this tree's server")
    ap.add_argument("--old-config", help="strata.toml text for the old server")
    ap.add_argument("--case", choices=["plaintext", "pickle", "readable"], default="plaintext")
    ap.add_argument("--shuffled", action="store_true", help="every round in a random order (pickle, plaintext)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--series", type=int, default=100_000)
    args = ap.parse_args(argv)
    trees = {"new": (HERE, _toml(args.config)), "old": (args.old.resolve(), _toml(args.old_config))}

    def run(side: str) -> float | None:
        tree, config = trees[side]
        if args.case == "readable":
            return ingest_bench.run_strata_readable(True, args.series, tree, config).get("readable_within_s")
        row = ingest_bench.run_strata(args.case, args.series, args.seconds, 1000, shuffled=args.shuffled,
                                      tree=tree, config_text=config)
        return row.stored_rate

    unit = "s of lead" if args.case == "readable" else "points/s stored"
    print(f"ab_ingest {args.case}{' shuffled' if args.shuffled else ''}: new = {HERE}"
          f"{' + config' if args.config else ''}, old = {trees['old'][0]}{' + config' if args.old_config else ''}",
          flush=True)
    print(summary(alternated(run, args.rounds), unit))
    return 0


if __name__ == "__main__":
    sys.exit(main())
