"""A writer killed with SIGKILL mid-stream loses at most its in-flight batch.

The child writes batches and prints one line after each write() returns; the parent kills
it at a random moment, reopens the data directory (no repair by hand) and checks that every
acknowledged point is there and every series of every file reads.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from tsdb import Store, StoreConfig

pytestmark = pytest.mark.integration

NOW = 1_700_000_000
SERIES = 2000

CHILD = textwrap.dedent("""
    import sys, numpy as np
    from tsdb import Store, StoreConfig
    NOW, SERIES = {now}, {series}
    store = Store.open(sys.argv[1], StoreConfig(shards=4, block_buckets=12, seal_grace=20), now=NOW)
    names = [f"srv{{i % 50}}.metric{{i}}" for i in range(SERIES)]
    for k in range(100000):
        now = NOW + 10 * k
        store.write(names, np.full(SERIES, now), np.full(SERIES, float(k)), now=now)
        print(k, flush=True)
        if now >= store.due():
            store.maintain(now=now)
""")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sigkill_loses_at_most_the_in_flight_batch(tmp_path, seed):
    code = CHILD.format(now=NOW, series=SERIES)
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    child = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, env=env)
    rng = np.random.default_rng(seed)
    wanted = int(rng.integers(30, 120))      # batches; crosses block seals (12 buckets = 2 min)
    acked = -1
    deadline = time.monotonic() + 120
    while acked < wanted and time.monotonic() < deadline:
        line = child.stdout.readline()
        if not line:
            break
        acked = int(line)
    time.sleep(float(rng.uniform(0, 0.05)))    # land somewhere inside the next write
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert acked >= 0, "child acknowledged nothing"
    now = NOW + 10 * (acked + 1)
    with Store.open(tmp_path, StoreConfig(shards=4, block_buckets=12, seal_grace=20), now=now) as store:
        assert len(store) == SERIES
        for i in range(SERIES):
            got = store.read(f"srv{i % 50}.metric{i}", NOW - 10, now, now=now)
            known = got.values[: acked + 1]
            assert known.tolist() == [float(k) for k in range(acked + 1)], i
