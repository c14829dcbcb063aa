"""The parameter table: docs in step, Engine keyword arguments, protected configs."""

from __future__ import annotations

from pathlib import Path

import pytest

from kvengine import Engine
from kvengine.config import PARAMS, docs_table, is_live
from kvengine.config_table import SPECS


def test_docs_page_lists_every_parameter() -> None:
    text = (Path(__file__).parent.parent / "docs" / "config.md").read_text()
    assert docs_table() in text, "docs/config.md is out of date: regenerate its table with config.docs_table()"


def test_table_has_every_redis_parameter() -> None:
    assert len(SPECS) == 178
    assert len(PARAMS) == 178 + 19  # aliases are entries of their own, as in Redis
    assert is_live("maxmemory") and is_live("hash-max-ziplist-entries") and not is_live("port")


def test_engine_keywords_set_immutable_and_protected(tmp_path: Path) -> None:
    kv = Engine(io_threads=4, enable_protected_configs="yes", enable_debug_command="local")
    try:
        assert kv.config_get("io-threads") == {"io-threads": "4"}
        assert kv.config_get("enable-debug-command") == {"enable-debug-command": "local"}
        with pytest.raises(Exception, match="can't set immutable config"):
            kv.config_set("io-threads", "2")
        kv.config_set("dir", str(tmp_path))  # protected, allowed by enable-protected-configs
    finally:
        kv.close()
    with pytest.raises(ValueError, match="must be between 1 and 128"):
        Engine(io_threads=0)


def test_protected_refused_by_default() -> None:
    kv = Engine(active_expire=False)
    try:
        for name in ("dir", "dbfilename"):
            with pytest.raises(Exception, match="can't set protected config"):
                kv.config_set(name, "x")
    finally:
        kv.close()


def test_failed_multi_set_restores_live_settings() -> None:
    kv = Engine(active_expire=False)
    try:
        with pytest.raises(Exception, match="argument must be 'yes' or 'no'"):
            kv.execute_command("CONFIG", "SET", "maxmemory", "1mb", "hash-max-listpack-entries", "7",
                               "activerehashing", "bad")
        assert kv.config_get("maxmemory") == {"maxmemory": "0"}
        assert kv.config_get("hash-max-listpack-entries") == {"hash-max-listpack-entries": "512"}
    finally:
        kv.close()


def test_appendonly_yes_without_a_path_uses_the_working_directory(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    kv = Engine(active_expire=False)
    try:
        kv.set("before", "1")
        kv.config_set("appendfsync", "always")
        assert kv.config_get("dir") == {"dir": str(tmp_path)}
        kv.config_set("appendonly", "yes")
        assert kv.config_get("appendonly") == {"appendonly": "yes"}
        assert kv.config_get("appendfsync") == {"appendfsync": "always"}
        assert (tmp_path / "appendonlydir").is_dir()
        kv.set("after", "2")
        assert kv.info("persistence")["aof_enabled"] == 1
    finally:
        kv.close()
    again = Engine(str(tmp_path), persistence="hybrid", active_expire=False)
    try:
        assert again.get("before") == b"1" and again.get("after") == b"2"
        again.config_set("appendonly", "no")
    finally:
        again.close()
