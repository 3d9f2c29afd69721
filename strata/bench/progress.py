"""A one-line live progress bar on stderr for the bench's long phases.

What: `Progress(label, total)` redraws a single line (`\\r`) with a bar, elapsed time and
whatever counters the phase passes to `update`; it draws nothing when stderr is not a
terminal (logs and CI get the phase's start and end lines instead).  Why hand-written: one
line of ANSI-free text needs no dependency.
"""

from __future__ import annotations

import sys
import time

WIDTH = 24
MIN_REDRAW = 0.2                 # seconds between redraws


def bar(fraction: float, width: int = WIDTH) -> str:
    """'#' for the done share of `width`, '-' for the rest; fraction clipped to 0..1."""
    f = min(1.0, max(0.0, fraction))
    done = int(round(f * width))
    return "#" * done + "-" * (width - done)


def line(label: str, elapsed: float, total: float, fields: dict) -> str:
    extra = "  ".join(f"{k} {v}" for k, v in fields.items())
    return f"{label:<28} [{bar(elapsed / total if total else 1.0)}] {elapsed:5.0f}/{total:.0f} s  {extra}"


class Progress:
    def __init__(self, label: str, total: float, stream=None, enabled: bool | None = None):
        self.label, self.total = label, total
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.t0 = time.monotonic()
        self._last = 0.0
        self._width = 0

    def update(self, **fields) -> None:
        now = time.monotonic()
        if not self.enabled or now - self._last < MIN_REDRAW:
            return
        self._last = now
        text = line(self.label, now - self.t0, self.total, fields)
        self.stream.write("\r" + text.ljust(self._width))
        self._width = len(text)
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
