"""`strata bench run` against a real `strata serve`: what it reports is what the store holds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from strata.bench.generator import Workload, series_names, value_table
from tests.integration.conftest import free_port, start_server, wait_for_port
from tsdb import Store, StoreConfig

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def bench(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "strata.cli", "bench", "run", *args], capture_output=True,
                          text=True, timeout=timeout, env=env, cwd=str(REPO))


def test_reported_sent_and_readable_points_match_what_the_store_holds(tmp_path):
    http = free_port()
    server = start_server(tmp_path, "--http-port", str(http))
    try:
        wait_for_port(http)
        out = tmp_path / "report"
        done = bench("--target", f"127.0.0.1:{server.line_port},render=http://127.0.0.1:{http},"
                                 f"pickle={server.pickle_port},pid={server.proc.pid}",
                     "--series", "150", "--seconds", "3", "--speedup", "10", "--levels", "1,2",
                     "--sample", "1000", "--probes", "1", "--queries", "2", "--seed", "5",
                     "--tags", "0.1", "--no-progress", "--out", str(out))
        assert done.returncode == 0, done.stderr[-2000:]
    finally:
        assert server.stop() == 0
    result = json.loads((out / "result.json").read_text())
    assert (out / "report.html").read_text().count("<svg") >= 3
    assert "capacity:" in done.stdout
    target = result["targets"]["target1"]
    base = result["bench"]["base_ts"]
    with Store.open(server.data_dir, StoreConfig()) as store:
        for seg in target["segments"]:
            w = Workload(seg["series"], 10, "mixed", 0.1, 5)
            names = series_names(w)
            table = value_table(w, names)
            t_from, t_until = seg["window"]
            stored = wrong = 0
            for i, name in enumerate(names):
                got = store.read(name, t_from - 1, t_until, now=time.time())
                if got is None:
                    continue
                have = ~np.isnan(got.values)
                stored += int(have.sum())
                ts = got.start + got.step * np.arange(len(got.values))
                wrong += int((got.values[have] != table[i, ((ts[have] - base) // 10) % w.variants]).sum())
            assert seg["sent"] == seg["series"] * seg["rounds"]            # 3 s x10 = 3 rounds, all sent
            assert seg["readable"] == stored == seg["sent"]                 # sample = every series: exact
            assert wrong == 0
            assert seg["resources"]["server"]["cpu_pct"] is not None
    vis = target["visibility"]
    assert vis["seen"] == 1 and 0 < vis["p50"] < 5
    assert set(target["queries"]["kinds"]) == {"single", "sum_glob", "max_points", "find"}
    assert all(k["errors"] == 0 for k in target["queries"]["kinds"].values())


def test_a_non_loopback_target_is_refused_before_anything_is_sent(tmp_path):
    done = bench("--target", "192.0.2.10:2003,render=http://192.0.2.10:8080", "--out", str(tmp_path / "r"),
                 timeout=30)
    assert done.returncode == 2
    assert "refusing to send to 192.0.2.10: not a loopback address" in done.stderr
    assert not (tmp_path / "r").exists()
