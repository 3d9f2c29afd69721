"""`strata bench`: the capacity-tuning suite, as subcommands of the `strata` command.

    strata bench run --spawn strata --series 10000 --seconds 30
    strata bench run --target 127.0.0.1:2003,render=http://127.0.0.1:8080
    strata bench compare --spawn strata --spawn carbon --series 10000 --seconds 60

`run` measures one target, `compare` two (alternating phases, ratios first / second).
A target is `--spawn strata|carbon` (started in a temporary directory, stopped after) or
`--target HOST:PORT[,render=URL][,pickle=N][,udp=N][,pid=N][,data=DIR][,name=NAME]` (an
existing server; pid and data let the bench read its CPU, memory and disk).  Only loopback
addresses are accepted unless --allow-remote is given.  Results go to --out (result.json,
report.html, report.txt) and the table to stdout.  Exit 0 done, 1 a target failed, 2 bad
arguments.
"""

from __future__ import annotations

import logging
import shutil
import sys
import time
from pathlib import Path

from .generator import HIERARCHIES, PROTOCOLS, Workload
from .report import text_table, write_reports
from .runner import BenchPlan, run_bench
from .targets import Target, TargetError, address_target, spawn_carbon, spawn_strata

log = logging.getLogger("strata.bench")
WHISPER_HEADER = 16 + 12 * 3     # metadata + archive headers (whisper 1.1.10), for the disk check


def add_parser(sub) -> None:
    p = sub.add_parser("bench", help="measure a Carbon/Graphite server's capacity (run, compare)")
    bsub = p.add_subparsers(dest="bench_command", required=True)
    for name, help_ in (("run", "measure one target"), ("compare", "measure two targets side by side")):
        q = bsub.add_parser(name, help=help_)
        _options(q)


def _options(q) -> None:
    q.add_argument("--spawn", action="append", choices=["strata", "carbon"], default=[],
                   help="start this server in a temporary directory (repeat for compare)")
    q.add_argument("--target", action="append", default=[], metavar="HOST:PORT[,render=URL,...]",
                   help="an existing server's Carbon port, render URL, pickle/udp ports, pid, data dir")
    q.add_argument("--series", type=int, default=10_000, help="series at level 1 (default 10000)")
    q.add_argument("--interval", type=int, default=10, help="seconds between a series' points (default 10)")
    q.add_argument("--seconds", type=float, default=30.0, help="sending time per load level (default 30)")
    q.add_argument("--levels", default="1,2", help="load levels as multiples of --series (default 1,2)")
    q.add_argument("--speedup", type=float, default=1.0,
                   help="send this many intervals' rounds per interval (replays history; default 1 = real time)")
    q.add_argument("--backfill", default="0", help="history sent first, as fast as taken: seconds or 30m, 2h")
    q.add_argument("--protocol", choices=PROTOCOLS, default="plaintext")
    q.add_argument("--hierarchy", choices=HIERARCHIES, default="mixed", help="collectd, statsd or both (default)")
    q.add_argument("--tags", type=float, default=0.0, metavar="FRACTION", help="share of series sent tagged")
    q.add_argument("--seed", type=int, default=1)
    q.add_argument("--senders", type=int, default=2, help="sender processes (default 2)")
    q.add_argument("--sample", type=int, default=300, help="series counted through /render (default 300)")
    q.add_argument("--drain-timeout", type=float, default=60.0, help="longest wait for the backlog (default 60 s)")
    q.add_argument("--probes", type=int, default=5, help="new series timed until visible (default 5)")
    q.add_argument("--queries", type=int, default=25, help="dashboard queries per kind (default 25)")
    q.add_argument("--retention", help="retention of spawned servers (default <interval>s:6h,1m:7d)")
    q.add_argument("--tmp", default="/tmp", help="where spawned servers keep their data")
    q.add_argument("--out", type=Path, help="report directory (default ./bench-results/<time>)")
    q.add_argument("--allow-remote", action="store_true", help="allow targets that are not loopback")
    q.add_argument("--no-progress", action="store_true", help="no live progress bar")


def parse_duration(text: str) -> int:
    """'90', '90s', '30m', '2h', '1d' -> seconds."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    t = text.strip().lower()
    mult = units.get(t[-1:], None)
    num = t[:-1] if mult else t
    if not num.isdigit():
        raise ValueError(f"not a duration: {text!r} (use seconds or 30m, 2h, 1d)")
    return int(num) * (mult or 1)


def parse_target(text: str, index: int, allow_remote: bool) -> Target:
    head, *opts = text.split(",")
    kv = {}
    for o in opts:
        k, sep, v = o.partition("=")
        if not sep or k not in ("render", "pickle", "udp", "pid", "data", "name"):
            raise TargetError(f"--target option {o!r}: expected render=, pickle=, udp=, pid=, data= or name=")
        kv[k] = v
    for k in ("pickle", "udp", "pid"):
        if k in kv and not kv[k].isdigit():
            raise TargetError(f"--target {k}= must be a number, got {kv[k]!r}")
    return address_target(kv.get("name", f"target{index + 1}"), head, kv.get("render"), allow_remote,
                          pickle_port=int(kv["pickle"]) if "pickle" in kv else None,
                          udp_port=int(kv["udp"]) if "udp" in kv else None,
                          pid=int(kv["pid"]) if "pid" in kv else None,
                          data_dir=Path(kv["data"]) if "data" in kv else None)


def build_plan(args) -> BenchPlan:
    levels = tuple(float(x) for x in args.levels.split(",") if x.strip())
    if not levels or any(m <= 0 for m in levels):
        raise ValueError(f"--levels must be positive multiples, got {args.levels!r}")
    if args.seconds <= 0 or args.speedup < 1 or args.senders < 1 or args.sample < 1:
        raise ValueError("--seconds must be > 0, --speedup >= 1, --senders and --sample >= 1")
    w = Workload(args.series, args.interval, args.hierarchy, args.tags, args.seed)
    return BenchPlan(w, protocol=args.protocol, seconds=args.seconds, levels=levels, speedup=args.speedup,
                     backfill=parse_duration(args.backfill), senders=args.senders, sample=args.sample,
                     drain_timeout=args.drain_timeout, probes=args.probes, queries=args.queries)


def retention_for(args, plan: BenchPlan) -> str:
    """The spawned servers' retention, checked to hold the whole run at full resolution."""
    from rollup.schemas import ConfigError, parse_levels
    text = args.retention or f"{args.interval}s:6h,1m:7d"
    try:
        levels = parse_levels(text)
    except ConfigError as exc:
        raise ValueError(f"--retention {text!r}: {exc}") from None
    if levels[0].step != args.interval:
        raise ValueError(f"--retention's finest step ({levels[0].step} s) must equal --interval ({args.interval} s)")
    need = plan.history_seconds()
    if levels[0].retention < need:
        raise ValueError(f"--retention {text!r} keeps {levels[0].retention} s at {args.interval} s; this run needs "
                         f"{need:.0f} s (backfill + levels + drains + queries): lengthen it or shorten the run")
    return text


def check_disk(args, plan: BenchPlan, retention: str) -> None:
    """Refuse to start carbon when its whisper files could fill the disk (half the free space)."""
    from rollup.schemas import parse_levels
    if "carbon" not in args.spawn:
        return
    per_file = WHISPER_HEADER + 12 * sum(lv.points for lv in parse_levels(retention))
    series = max(plan.level_series()) + plan.probes + 100
    free = shutil.disk_usage(args.tmp).free
    if per_file * series > free / 2:
        raise ValueError(f"carbon's whisper files could reach {per_file * series / 2**30:.1f} GiB, more than half "
                         f"the {free / 2**30:.1f} GiB free in {args.tmp}: use a shorter --retention or fewer series")


def make_targets(args, plan: BenchPlan, retention: str, say) -> list[Target]:
    schemas = f"[default]\npattern = .*\nretentions = {retention}\n"
    out = []
    try:
        for kind in args.spawn:
            name = kind if args.spawn.count(kind) == 1 else f"{kind}{len(out) + 1}"
            say(f"starting {kind} in {args.tmp}")
            out.append(spawn_strata(name, schemas, args.tmp) if kind == "strata"
                       else spawn_carbon(name, retention, args.tmp, udp=args.protocol == "udp", say=say))
        for k, text in enumerate(args.target):
            out.append(parse_target(text, k, args.allow_remote))
    except Exception:
        for t in out:
            t.cleanup()
        raise
    return out


def main(args) -> int:
    logging.basicConfig(level="INFO", format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    want = 2 if args.bench_command == "compare" else 1
    n = len(args.spawn) + len(args.target)
    if n != want:
        print(f"strata bench {args.bench_command}: give exactly {want} target(s) with --spawn or --target "
              f"(got {n})", file=sys.stderr)
        return 2
    try:
        plan = build_plan(args)
        retention = retention_for(args, plan)
        check_disk(args, plan, retention)
        for k, text in enumerate(args.target):         # refuse bad addresses before spawning anything
            parse_target(text, k, args.allow_remote)
    except (ValueError, TargetError) as exc:
        print(f"strata bench: {exc}", file=sys.stderr)
        return 2
    say = log.info
    try:
        targets = make_targets(args, plan, retention, say)
    except TargetError as exc:
        print(f"strata bench: {exc}", file=sys.stderr)
        return 1
    try:
        result = run_bench(plan, targets, progress=False if args.no_progress else None, say=say)
    finally:
        for t in targets:
            t.cleanup()
    result["bench"]["command"] = " ".join(["strata", *sys.argv[1:]])
    result["bench"]["retention"] = retention
    out = args.out or Path("bench-results") / time.strftime("%Y%m%d-%H%M%S")
    paths = write_reports(result, out)
    print(text_table(result))
    print(f"\nreport: {paths['html']}  json: {paths['json']}")
    return 0
