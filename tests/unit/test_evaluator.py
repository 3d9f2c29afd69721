"""The evaluator over a fake fetch: prefetching, nesting, pipes, errors, re-fetches."""

from __future__ import annotations

import numpy as np
import pytest

from render_api.context import RequestContext
from render_api.evaluator import InputError, evaluate
from render_api.series import series_from_values

DATA = {
    "a.x": [1.0, 2.0, 3.0, 4.0],
    "a.y": [10.0, np.nan, 30.0, 40.0],
    "b.z": [5.0, 5.0, 5.0, 5.0],
}


class FakeStore:
    def __init__(self):
        self.calls: list[tuple[str, int, int]] = []

    def fetch(self, expr: str, start: int, end: int):
        self.calls.append((expr, start, end))
        prefix = expr.rstrip("*")
        step = 10
        first = start - start % step + step
        n = (end - first) // step + 1
        out = []
        for name, values in sorted(DATA.items()):
            if name == expr or (expr.endswith("*") and name.startswith(prefix)):
                vals = np.full(n, np.nan)
                vals[-len(values):] = values[-n:] if n < len(values) else values
                out.append(series_from_values(name, first, step, vals, path_expression=expr))
        return out


def ctx(store: FakeStore, start=1000, end=1040) -> RequestContext:
    return RequestContext(start=start, end=end, now=end, fetch=store.fetch)


def test_each_path_expression_is_fetched_once_for_all_targets():
    store = FakeStore()
    out = evaluate(["sumSeries(a.*)", "a.*", "  ", "scale(a.*,2)"], ctx(store))
    assert [s.name for s in out] == ["sumSeries(a.*)", "a.x", "a.y", "scale(a.x,2)", "scale(a.y,2)"]
    assert [c[0] for c in store.calls] == ["a.*"]


def test_every_use_of_a_fetched_expression_but_the_last_gets_copies():
    # A function may change the series it is given in place: one use must never see
    # another's changes, while a lone use skips the copy.
    fetched = []

    def fetch(expr, start, end):
        fetched.append(FakeStore().fetch(expr, start, end))
        return fetched[-1]

    context = RequestContext(start=1000, end=1040, now=1040, fetch=fetch)
    first, second = evaluate(["a.x", "a.x"], context)
    assert first is not fetched[0][0] and second is fetched[0][0]
    assert not np.shares_memory(first.values, second.values)
    (only,) = evaluate(["b.z"], context)
    assert only is fetched[1][0]


def test_pipes_and_nesting_give_the_same_series():
    store = FakeStore()
    piped, nested = evaluate(["a.x|scale(3)|alias('k')", "alias(scale(a.x,3),'k')"], ctx(store))
    assert piped.name == nested.name == "k"
    np.testing.assert_array_equal(piped.values, nested.values)
    assert piped.values[-4:].tolist() == [3.0, 6.0, 9.0, 12.0]


def test_unknown_function_is_an_input_error():
    with pytest.raises(InputError, match="unknown function: nosuch"):
        evaluate(["nosuch(a.x)"], ctx(FakeStore()))


def test_wrong_arguments_are_an_input_error():
    with pytest.raises(InputError, match="scale"):
        evaluate(["scale(a.x, 1, 2, 3)"], ctx(FakeStore()))


def test_float_parameters_are_coerced_as_graphite_web_validates_them():
    (s,) = evaluate(["scale(a.x,2)"], ctx(FakeStore()))
    assert s.tags["scale"] == "2.0" and s.name == "scale(a.x,2)"


def test_series_by_tag_is_fetched_by_its_call_text():
    store = FakeStore()
    evaluate(["sumSeries(seriesByTag('name=cpu', 'dc=eu'))"], ctx(store))
    assert store.calls[0][0] == "seriesByTag('name=cpu', 'dc=eu')"


def test_moving_average_refetches_with_a_bootstrap_window():
    store = FakeStore()
    (s,) = evaluate(["movingAverage(a.x,2)"], ctx(store))
    frames = [(start, end) for expr, start, end in store.calls]
    assert frames[0] == (1000, 1040) and frames[1][0] < 1000 and frames[1][1] == 1040
    assert s.name == "movingAverage(a.x,2)"
