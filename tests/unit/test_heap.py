"""strata.heap: freed memory kept for reuse (each case in a fresh interpreter, as the
setting lasts for the life of a process)."""

import platform
import subprocess
import sys

import pytest

_FAULTS = """
import resource, sys
import numpy as np
from strata.heap import keep_freed_memory
took = keep_freed_memory(int(sys.argv[1]))
def churn():
    for _ in range(20):
        held = [np.ones(1 << 17) for _ in range(8)]     # 8 x 1 MiB at once, then freed
        del held
churn()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
churn()
print(took, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(keep: int) -> tuple[str, int]:
    out = subprocess.run([sys.executable, "-c", _FAULTS, str(keep)], capture_output=True,
                         text=True, check=True).stdout.split()
    return out[0], int(out[1])


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_kept_memory_is_reused_without_page_faults():
    took, faults = _faults(64 << 20)
    assert took == "True"
    assert faults < 100            # the same pages serve every round
    took, faults = _faults(0)
    assert took == "False"
    assert faults > 20 * 1000      # glibc trims the freed 8 MiB: each round faults them in again
