"""StoreView: a read-only view that follows a writer in another process (same files)."""

from __future__ import annotations

import numpy as np
import pytest

from tsdb import Store, StoreConfig, layout
from tsdb.view import ReadOnlyStore, StoreView

NOW = 1_700_000_000


def test_view_follows_new_names_and_points(tmp_path):
    with Store.open(tmp_path, StoreConfig(shards=2), now=NOW) as store:
        store.write(["a.b"], [NOW - 30], [1.0], now=NOW)
        view = StoreView.open(tmp_path, StoreConfig(shards=2), max_age=3600)
        try:
            assert view.expand("a.*") == ["a.b"]
            store.write(["a.c", "a.b"], [NOW - 20, NOW - 20], [2.0, 3.0], now=NOW)
            assert view.expand("a.*") == ["a.b"]           # not refreshed yet: max_age
            view.refresh()
            assert view.expand("a.*") == ["a.b", "a.c"]
            got = view.read_many(["a.b", "a.c"], NOW - 60, NOW, now=NOW)
            assert np.nansum(got[0].values) == 4.0 and np.nansum(got[1].values) == 2.0
        finally:
            view.close()


def test_view_never_writes(tmp_path):
    Store.open(tmp_path, StoreConfig(shards=1), now=NOW).close()
    view = StoreView.open(tmp_path, StoreConfig(shards=1))
    try:
        with pytest.raises(ReadOnlyStore):
            view.write(["x"], [NOW], [1.0], now=NOW)
        with pytest.raises(ReadOnlyStore):
            view.maintain(now=NOW)
        assert not (tmp_path / "LOCK").exists() or view._lockfd is None
    finally:
        view.close()


def test_torn_name_record_is_read_once_complete(tmp_path):
    with Store.open(tmp_path, StoreConfig(shards=1), now=NOW) as store:
        store.write(["a.b"], [NOW - 30], [1.0], now=NOW)
    log_path = layout.namelog_path(tmp_path, 0)
    whole = log_path.read_bytes()
    with Store.open(tmp_path, StoreConfig(shards=1), now=NOW) as store:
        store.write(["a.c"], [NOW - 30], [1.0], now=NOW)
    record = log_path.read_bytes()[len(whole):]
    log_path.write_bytes(whole + record[:5])                # the writer mid-append
    view = StoreView.open(tmp_path, StoreConfig(shards=1), max_age=0)
    try:
        assert view.expand("a.*") == ["a.b"]
        log_path.write_bytes(whole + record)
        assert view.expand("a.*") == ["a.b", "a.c"]
    finally:
        view.close()


def test_tag_queries_see_a_tag_event_at_once_though_the_view_is_fresh(tmp_path):
    # another render process forwarded /tags/tagSeries to the writer a moment ago
    from render_api.tags import tagged_names
    with Store.open(tmp_path, StoreConfig(shards=2)) as writer:
        view = StoreView.open(tmp_path, StoreConfig(shards=2), max_age=3600)
        assert tagged_names(view, ["rack=a1"]) == []
        writer.tag_series(["disk.used;rack=a1"])
        assert tagged_names(view, ["rack=a1"]) == ["disk.used;rack=a1"]
        writer.tag_series(["disk.used;rack=a1"], delete=True)
        assert tagged_names(view, ["rack=a1"]) == []
        view.close()


def _settle() -> None:
    """Wait until every directory mtime is older than the view's racy window."""
    import time
    from tsdb import view as view_module
    time.sleep(view_module._SETTLED_NS / 1e9 + 0.02)


def test_refresh_relists_only_the_folders_that_changed(tmp_path):
    hour = 3600
    with Store.open(tmp_path, StoreConfig(shards=2), now=NOW) as store:
        store.write(["a.b", "c.d"], [NOW - 30, NOW - 30], [1.0, 2.0], now=NOW)
        _settle()
        view = StoreView.open(tmp_path, StoreConfig(shards=2), max_age=3600)
        try:
            view.refresh()
            assert view._relisted == []
            got = view.read_many(["a.b", "c.d"], NOW - 60, NOW, now=NOW)
            assert [np.nansum(s.values) for s in got] == [1.0, 2.0]
            # a point in a block of its own: a new head file in one folder
            store.write(["a.b"], [NOW - 5 * hour], [7.0], now=NOW)
            view.refresh()
            assert len(view._relisted) == 1
            got = view.read("a.b", NOW - 6 * hour, NOW, now=NOW)
            assert np.nansum(got.values) == 8.0
            _settle()
            view.refresh()          # listed while fresh: once more now that it has settled
            view.refresh()
            assert view._relisted == []
            assert np.nansum(view.read("a.b", NOW - 6 * hour, NOW, now=NOW).values) == 8.0
            # a change seen only once it has settled: its new mtime still gets it listed
            store.write(["a.b"], [NOW - 3 * hour], [9.0], now=NOW)
            _settle()
            view.refresh()
            assert np.nansum(view.read("a.b", NOW - 6 * hour, NOW, now=NOW).values) == 17.0
        finally:
            view.close()


def test_a_folder_changed_moments_ago_is_relisted_at_every_refresh(tmp_path):
    # its mtime may be shared by a change the last listing did not see (coarse fs clock)
    with Store.open(tmp_path, StoreConfig(shards=1), now=NOW) as store:
        store.write(["a.b"], [NOW - 30], [1.0], now=NOW)
    _settle()
    view = StoreView.open(tmp_path, StoreConfig(shards=1), max_age=3600)
    try:
        folder = next(p.parent for p in tmp_path.rglob("*.head"))
        folder.touch()
        view.refresh()
        view.refresh()
        assert view._relisted == [folder]
    finally:
        view.close()


def test_view_follows_a_seal_in_a_folder_it_had_listed(tmp_path):
    later = NOW + 3 * 3600
    with Store.open(tmp_path, StoreConfig(shards=1), now=NOW) as store:
        store.write(["a.b"] * 3, [NOW - 30, NOW - 20, NOW - 20], [1.0, 2.0, 4.0], now=NOW)
        _settle()
        view = StoreView.open(tmp_path, StoreConfig(shards=1), max_age=3600)
        try:
            heads = list(view._mapped)
            assert heads
            assert store.maintain(now=later)["sealed"] >= 1
            view.refresh()
            assert not set(heads) & set(view._mapped)       # the absorbed heads are let go
            got = view.read("a.b", NOW - 40, NOW, aggregate="sum", now=later)
            assert got.values[:2].tolist() == [1.0, 6.0]
        finally:
            view.close()
