"""Configuration: defaults, TOML file, flag overrides, and errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from strata.config import Config, ConfigFileError, load


def test_defaults_are_the_embedded_quick_start():
    c = load()
    assert c.server.data_dir == Path("./data") and c.server.bind == "127.0.0.1"
    assert (c.server.line_port, c.server.udp_port, c.server.pickle_port, c.server.http_port) == (2003, 2003, 2004, 8080)
    assert c.limits.max_line_length == 16384 and c.limits.max_pickle_frame == 1048576
    assert c.limits.flush_interval == 0.1


def test_file_then_flags_override_defaults(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('[server]\nline_port = 3003\nbind = "0.0.0.0"\n[limits]\nflush_interval = 0.05\n')
    c = load(f, {"server": {"line_port": 4003, "bind": None}})
    assert c.server.line_port == 4003          # flag wins
    assert c.server.bind == "0.0.0.0"          # an unset flag leaves the file's value
    assert c.limits.flush_interval == 0.05


def test_every_problem_is_reported_with_its_key(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('[server]\nline_port = "x"\nlineport = 1\n[nosuch]\na = 1\n')
    with pytest.raises(ConfigFileError) as err:
        load(f)
    msg = str(err.value)
    assert "[server] line_port = 'x' has the wrong type" in msg
    assert "[server] unknown key 'lineport'" in msg
    assert "unknown section [nosuch]" in msg


def test_a_renamed_setting_names_its_new_name(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text("[limits]\npickle_workers = 2\n")
    with pytest.raises(ConfigFileError, match="unknown key 'pickle_workers' \\(renamed 'parse_workers'\\)"):
        load(f)


def test_unreadable_and_malformed_files_are_clear_errors(tmp_path):
    with pytest.raises(ConfigFileError, match="cannot read config file"):
        load(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[server\n")
    with pytest.raises(ConfigFileError, match=str(bad)):
        load(bad)


def test_carbon_schema_files_feed_the_store(tmp_path):
    schemas = tmp_path / "storage-schemas.conf"
    schemas.write_text("[all]\npattern = .*\nretentions = 1m:1d\n")
    f = tmp_path / "s.toml"
    f.write_text(f'[storage]\nschemas_file = "{schemas}"\nshards = 4\n')
    sc = load(f).store_config()
    assert sc.shards == 4
    assert sc.schemas.match("x").levels[0].step == 60
    assert sc.read_cache_bytes == 256 << 20


def test_read_cache_size_is_a_setting(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text("[storage]\nread_cache_mb = 16\n")
    assert load(f).store_config().read_cache_bytes == 16 << 20


def test_metrics_prefix_follows_carbon():
    assert Config().metrics_prefix().startswith("carbon.agents.")
    assert Config().metrics_prefix().endswith("-a")


def test_render_section_and_unknown_time_zone(tmp_path):
    cfg = tmp_path / "strata.toml"
    cfg.write_text('[render]\nmax_series = 50\ntz = "Europe/Berlin"\n')
    render = load(cfg).render
    assert (render.max_series, render.tz, render.timeout) == (50, "Europe/Berlin", 30.0)
    cfg.write_text('[render]\ntz = "Mars/Olympus"\n')
    with pytest.raises(ConfigFileError, match="Mars/Olympus.*not a known time zone"):
        load(cfg)


def test_admin_token_is_empty_by_default_and_read_from_render(tmp_path):
    assert Config().render.admin_token == ""
    cfg = tmp_path / "strata.toml"
    cfg.write_text('[render]\nadmin_token = "s3cret"\n')
    assert load(cfg).render.admin_token == "s3cret"
    cfg.write_text('[render]\nadmin_token = 5\n')
    with pytest.raises(ConfigFileError, match="admin_token = 5 has the wrong type"):
        load(cfg)


def test_parse_workers_default_to_one_and_zero_means_in_process(tmp_path):
    assert (Config().limits.parse_workers, Config().limits.parse_worker_names) == (1, 1_000_000)
    cfg = tmp_path / "strata.toml"
    cfg.write_text("[limits]\nparse_workers = 0\nparse_worker_names = 5000\n")
    assert (load(cfg).limits.parse_workers, load(cfg).limits.parse_worker_names) == (0, 5000)
    cfg.write_text("[limits]\nreceiver_names = 0\n")
    assert (Config().limits.receiver_names, load(cfg).limits.receiver_names) == (1_000_000, 0)
    cfg.write_text("[limits]\nparse_workers = -1\n")
    with pytest.raises(ConfigFileError, match="parse_workers = -1 has the wrong type"):
        load(cfg)


def test_render_priority_is_checked(tmp_path):
    assert Config().render.priority == "idle"
    cfg = tmp_path / "strata.toml"
    cfg.write_text('[render]\npriority = "low"\n')
    assert load(cfg).render.priority == "low"
    cfg.write_text('[render]\npriority = "urgent"\n')
    with pytest.raises(ConfigFileError, match="priority = 'urgent'"):
        load(cfg)


def test_render_processes_are_at_least_one(tmp_path):
    cfg = tmp_path / "strata.toml"
    assert Config().render.processes == 2
    cfg.write_text("[render]\nprocesses = 3\n")
    assert load(cfg).render.processes == 3
    cfg.write_text("[render]\nprocesses = 0\n")
    with pytest.raises(ConfigFileError, match="processes = 0: must be at least 1"):
        load(cfg)


def test_render_threads_are_at_least_one(tmp_path):
    # 0 would run queries on the server's reactor thread, beside the Carbon receivers
    cfg = tmp_path / "strata.toml"
    cfg.write_text("[render]\nthreads = 0\n")
    with pytest.raises(ConfigFileError, match="threads = 0: must be at least 1"):
        load(cfg)


def test_render_heap_keep_is_zero_or_more(tmp_path):
    cfg = tmp_path / "strata.toml"
    assert Config().render.heap_keep_mb == 64
    cfg.write_text("[render]\nheap_keep_mb = 0\n")
    assert load(cfg).render.heap_keep_mb == 0
    cfg.write_text("[render]\nheap_keep_mb = -1\n")
    with pytest.raises(ConfigFileError, match="heap_keep_mb = -1 has the wrong type"):
        load(cfg)
