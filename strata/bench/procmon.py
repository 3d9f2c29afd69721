"""CPU seconds and memory of a process on this host, sampled from /proc in a thread.

What: `ProcMonitor(pid)` samples utime+stime, RSS and anonymous RSS every `interval`; a
`window(a, b)` gives CPU % and peaks between two monotonic times.  Why /proc: no dependency,
and the numbers are the ones `top` shows an operator.  RSS includes file pages the process
maps (Strata's memory-mapped head files, page cache the kernel can write back and drop);
RSS - shared (statm) is the anonymous part, the heap, which memory per series is judged by.
"""

from __future__ import annotations

import os
import threading
import time

MAX_SECONDS = 7200.0             # a monitor samples for at most 2 h


class ProcMonitor(threading.Thread):
    def __init__(self, pid: int, interval: float = 0.5):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.samples: list[tuple[float, float, int, int]] = []
        self._stop_ev = threading.Event()
        self._tck = os.sysconf("SC_CLK_TCK")
        self._page = os.sysconf("SC_PAGE_SIZE")

    def sample(self) -> tuple[float, float, int, int] | None:
        """(monotonic time, CPU seconds, RSS bytes, anonymous RSS bytes), None once the process is gone."""
        try:
            with open(f"/proc/{self.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{self.pid}/statm") as f:
                statm = f.read().split()
            rss, shared = int(statm[1]) * self._page, int(statm[2]) * self._page
        except (OSError, IndexError, ValueError):
            return None
        cpu = (int(fields[11]) + int(fields[12])) / self._tck
        return (time.monotonic(), cpu, rss, rss - shared)

    def run(self) -> None:
        for _ in range(int(MAX_SECONDS / self.interval)):
            s = self.sample()
            if s is None:
                return
            self.samples.append(s)
            if self._stop_ev.wait(self.interval):
                return

    def stop(self) -> None:
        self._stop_ev.set()
        if self.is_alive():
            self.join(timeout=5)

    def window(self, a: float, b: float) -> dict:
        pts = [s for s in self.samples if a - self.interval <= s[0] <= b + self.interval]
        if len(pts) < 2:
            return {"cpu_pct": None, "rss_peak": None, "anon_peak": None, "rss_end": None, "rss_series": []}
        cpu = 100.0 * (pts[-1][1] - pts[0][1]) / max(pts[-1][0] - pts[0][0], 1e-9)
        return {"cpu_pct": cpu, "rss_peak": max(p[2] for p in pts), "anon_peak": max(p[3] for p in pts),
                "rss_end": pts[-1][2], "rss_series": [(round(p[0] - a, 2), p[2], p[3]) for p in pts]}


def rss_trend(win: dict, col: int = 1) -> str:
    """RSS (col 1) or anonymous RSS (col 2) at 25/50/75/100% of the window, MB."""
    s = win["rss_series"]
    if len(s) < 4:
        return "-"
    idx = [len(s) // 4, len(s) // 2, 3 * len(s) // 4, len(s) - 1]
    return "/".join(f"{s[i][col] / 1e6:.0f}" for i in idx)
