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
