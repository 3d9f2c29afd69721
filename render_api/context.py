"""The request context a render function sees (graphite-web's requestContext dict).

What: the time frame as epoch seconds plus the request's tz, default xFilesFactor, template
values, and two callbacks into the evaluator: `fetch` (series of one path expression over
another frame) and `evaluate` (a whole target string over another frame, used by the
functions that re-fetch with a bootstrap window, such as movingAverage or timeShift).
Why: functions stay pure over numpy arrays; whatever touches storage is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Callable
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from .series import Series


def _no_fetch(path_expression: str, start: int, end: int) -> list["Series"]:
    return []


@dataclass(frozen=True)
class RequestContext:
    start: int                                # `from`, epoch seconds
    end: int                                  # `until`, epoch seconds
    now: int                                  # `now`, epoch seconds
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    xff: float = 0.0                          # request xFilesFactor (DEFAULT_XFILES_FACTOR = 0)
    template: dict[str, str] = field(default_factory=dict)
    local: bool = False
    fetch: Callable[[str, int, int], list["Series"]] = _no_fetch
    # evaluate(ctx, target_text) -> list[Series]; set by the evaluator
    evaluate: Callable[["RequestContext", str], list["Series"]] | None = None

    def with_frame(self, start: int, end: int) -> "RequestContext":
        """The same request over another time frame (bootstrap and timeShift re-fetches)."""
        return replace(self, start=int(start), end=int(end))

    def evaluate_target(self, target: str) -> list["Series"]:
        if self.evaluate is None:
            raise RuntimeError("this context cannot evaluate targets")
        return self.evaluate(self, target)
