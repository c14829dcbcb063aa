"""The pytest plugin's fixtures, exercised in throwaway test suites with pytester."""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]


def _plugin_args() -> list[str]:
    """Load the plugin by module name, with its entry point blocked: the same whether
    or not this environment has kvengine pip-installed (the entry point is tested
    separately)."""
    quiet = ["-p", "no:benchmark", "-p", "no:xdist", "-p", "no:xdist.looponfail"]  # faster, no noise
    return ["-p", "no:kvengine", "-p", "kvengine.pytest_plugin", *quiet]


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_inprocess(*_plugin_args(), "-p", "no:cacheprovider", *args)


def test_plugin_is_registered_as_entry_point() -> None:
    eps = [ep for ep in entry_points(group="pytest11") if ep.value == "kvengine.pytest_plugin"]
    if not eps:
        pytest.skip("kvengine is not pip-installed in this environment")
    assert eps[0].name == "kvengine"


def test_kv_is_fresh_per_test_and_kv_clock_drives_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from kvengine import Engine

        def test_one(kv):
            assert isinstance(kv, Engine)
            assert kv.get("k") is None
            kv.set("k", "v")

        def test_two(kv):
            assert kv.dbsize() == 0

        def test_clock(kv, kv_clock):
            kv.set("session", "abc", ex=60)
            kv_clock.advance(59)
            assert kv.get("session") == b"abc"
            kv_clock.advance(2)
            assert kv.get("session") is None
        """
    )
    run(pytester).assert_outcomes(passed=3)


def test_kv_shared_is_one_engine_flushed_between_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        seen = []

        def test_a(kv_shared):
            seen.append(kv_shared)
            kv_shared.set("k", 1)
            kv_shared.client(db=3).set("k", 1)

        def test_b(kv_shared):
            assert kv_shared is seen[0]
            assert kv_shared.dbsize() == 0
            assert kv_shared.client(db=3).dbsize() == 0
        """
    )
    run(pytester).assert_outcomes(passed=2)


def test_kv_redis_is_a_redis_client_over_kv(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        import redis

        def test_client(kv_redis, kv):
            assert isinstance(kv_redis, redis.Redis)
            kv_redis.set("k", "v")
            assert kv.get("k") == b"v"
            with kv_redis.pipeline() as p:
                p.incr("n").incr("n")
                assert p.execute() == [1, 2]

        @pytest.mark.kvengine(decode_responses=True)
        def test_decoded(kv_redis):
            kv_redis.set("k", "v")
            assert kv_redis.get("k") == "v"

        @pytest.mark.kvengine(protocol=3)
        def test_resp3(kv_redis):
            kv_redis.hset("h", "f", "v")
            assert kv_redis.hgetall("h") == {b"f": b"v"}
        """
    )
    run(pytester).assert_outcomes(passed=3)


def test_kv_patch_redis_redirects_code_under_test(pytester: pytest.Pytester) -> None:
    # "Application code" that builds its own clients, as real projects do.
    pytester.makepyfile(
        app="""
        import redis
        from redis import Redis

        def make_client():
            return Redis(host="cache.internal", port=6380, db=2, decode_responses=True)

        def from_url():
            return redis.from_url("redis://cache.internal:6380/2")

        def strict():
            return redis.StrictRedis("cache.internal", 6380, 2)

        def pooled():
            pool = redis.ConnectionPool(host="cache.internal", db=2)
            return redis.Redis(connection_pool=pool)

        def async_client():
            import redis.asyncio
            return redis.asyncio.Redis(host="cache.internal", db=2)
        """
    )
    pytester.makepyfile(
        test_app="""
        import asyncio
        import redis
        import app

        def test_all_clients_use_the_engine(kv_patch_redis):
            app.make_client().set("k", "v")
            assert kv_patch_redis.client(db=2).get("k") == b"v"
            assert app.from_url().get("k") == b"v"
            assert app.strict().get("k") == b"v"
            assert app.pooled().get("k") == b"v"
            assert isinstance(app.make_client(), redis.Redis)

            async def main():
                c = app.async_client()
                assert await c.get("k") == b"v"
            asyncio.run(main())

        def test_unpatched_afterwards():
            pool = redis.Redis(host="127.0.0.1", port=1).connection_pool
            assert pool.connection_class is redis.connection.Connection
        """
    )
    run(pytester).assert_outcomes(passed=2)


def test_marker_and_ini_configure_the_engine(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        """
        [pytest]
        kvengine_maxmemory_policy = allkeys-lru
        """
    )
    pytester.makepyfile(
        """
        import pytest

        def policy(kv):
            return kv.server.maxmemory_policy

        def test_ini(kv):
            assert policy(kv) == "allkeys-lru"

        @pytest.mark.kvengine(maxmemory="1mb", maxmemory_policy="allkeys-random")
        def test_marker(kv):
            assert policy(kv) == "allkeys-random"
            assert kv.server.maxmemory == 1024 * 1024

        @pytest.mark.kvengine(maxmemory_policy="volatile-ttl")
        class TestClassMarker:
            def test_class_marker(self, kv):
                assert policy(kv) == "volatile-ttl"

            @pytest.mark.kvengine(maxmemory_policy="allkeys-lfu")
            def test_closest_marker_wins(self, kv):
                assert policy(kv) == "allkeys-lfu"
        """
    )
    run(pytester).assert_outcomes(passed=4)


def test_marker_with_unknown_option_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.kvengine(colour="blue")
        def test_x(kv):
            pass
        """
    )
    result = run(pytester)
    result.stdout.fnmatch_lines(["*@pytest.mark.kvengine: unknown option(s)*colour*"])
    result.assert_outcomes(errors=1)


def test_persistence_marker(pytester: pytest.Pytester, tmp_path: Path) -> None:
    from kvengine import Engine

    try:
        Engine(str(tmp_path / "probe"), persistence="aof").close()
    except Exception:
        pytest.skip("persistence is not wired into Engine yet")
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.kvengine(persistence="aof")
        def test_aof(kv):
            kv.set("k", "v")
            assert kv.get("k") == b"v"
        """
    )
    run(pytester).assert_outcomes(passed=1)


def test_existing_suite_runs_unchanged_with_the_ini_switch(pytester: pytest.Pytester) -> None:
    """A suite written for a real Redis (its own client fixture, a URL, FLUSHDB) runs on
    kvengine by one line of configuration; each test gets a fresh engine."""
    pytester.makeini(
        """
        [pytest]
        kvengine_patch_redis = true
        """
    )
    pytester.makeconftest(
        """
        import pytest
        import redis

        @pytest.fixture
        def r():
            client = redis.Redis.from_url("redis://localhost:6379/0", decode_responses=True)
            client.flushdb()
            yield client
            client.close()
        """
    )
    pytester.makepyfile(
        """
        def test_counter(r):
            assert r.incr("hits") == 1
            assert r.incr("hits") == 2

        def test_fresh_engine_per_test(r):
            assert r.get("hits") is None

        def test_transaction(r):
            with r.pipeline() as p:
                p.rpush("q", "a", "b").lrange("q", 0, -1)
                assert p.execute() == [2, ["a", "b"]]
        """
    )
    run(pytester).assert_outcomes(passed=3)
    # the command-line switch does the same without an ini line
    pytester.makeini("[pytest]\n")
    run(pytester, "--kvengine-patch-redis").assert_outcomes(passed=3)


def test_docs_worked_example(pytester: pytest.Pytester) -> None:
    """The worked example of docs/usage.md, as written there."""
    pytester.mkpydir("app")
    pytester.path.joinpath("app", "cache.py").write_text(
        "import redis\n\n"
        "def client():\n"
        '    return redis.Redis.from_url("redis://cache.internal:6379/0", decode_responses=True)\n\n'
        "def remember_visit(user):\n"
        '    return client().incr(f"visits:{user}")\n'
    )
    pytester.makepyfile(
        test_cache="""
        import pytest
        from app import cache

        def test_visits_are_counted(kv_patch_redis):
            assert cache.remember_visit("ann") == 1
            assert cache.remember_visit("ann") == 2
            assert kv_patch_redis.get("visits:ann") == b"2"

        def test_ttl_without_sleeping(kv_patch_redis, kv_clock):
            r = cache.client()
            r.set("session", "abc", ex=60)
            kv_clock.advance(61)
            assert r.get("session") is None

        @pytest.mark.kvengine(maxmemory="1mb", maxmemory_policy="allkeys-lru")
        def test_cache_survives_eviction(kv_patch_redis):
            r = cache.client()
            for i in range(10_000):
                r.set(f"k{i}", "x" * 200)
            assert r.dbsize() < 10_000
        """
    )
    run(pytester).assert_outcomes(passed=3)


_SESSION_CLIENT_SUITE = """
    import pytest
    import redis

    @pytest.fixture(scope="session")
    def client():
        # built during the first test that asks for it, kept for the whole session
        return redis.Redis(host="cache.internal", port=6379, decode_responses=True)

    def test_first(client):
        client.set("k", "1")
        assert client.get("k") == "1"

    def test_second(client):
        assert client.get("k") is None      # FLUSHALL between tests, like a real server
        client.incr("n")
        assert client.get("n") == "1"
"""


_LAZY_CLIENT_SUITE = """
    import redis

    _client = None

    def client():
        # an application's client, built on first use (during the first test) and kept
        global _client
        if _client is None:
            _client = redis.Redis.from_url("redis://cache.internal:6379/0", decode_responses=True)
        return _client

    def test_first():
        client().set("k", "1")
        assert client().get("k") == "1"

    def test_second():
        assert client().get("k") is None
"""


def test_a_kept_client_under_per_test_engines_says_what_to_use(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nkvengine_patch_redis = true\n")
    pytester.makepyfile(_LAZY_CLIENT_SUITE)
    result = run(pytester)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*the engine is closed (engine 0x*, closed by the kvengine pytest plugin's `kv` fixture "
        "after test test_a_kept_client_under_per_test_engines_says_what_to_use.py::test_first)*",
    ])
    result.stdout.fnmatch_lines(["*kvengine_scope = session*"])


def test_session_scope_from_the_ini_keeps_one_engine(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nkvengine_patch_redis = true\nkvengine_scope = session\n")
    pytester.makepyfile(test_lazy=_LAZY_CLIENT_SUITE, test_fixture=_SESSION_CLIENT_SUITE)
    run(pytester).assert_outcomes(passed=4)


def test_session_scope_by_marker_with_clock_and_settings(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        pytestmark = pytest.mark.kvengine(scope="session")
        seen = []

        def test_a(kv):
            seen.append(kv)
            kv.set("k", "v")

        def test_clock(kv, kv_clock):
            assert kv is seen[0] and kv.dbsize() == 0
            kv.set("s", "x", ex=60)
            kv_clock.advance(61)
            assert kv.get("s") is None

        @pytest.mark.kvengine(maxmemory="1mb", maxmemory_policy="allkeys-lru")
        def test_settings_for_one_test(kv):
            assert kv is seen[0]
            assert kv.config_get("maxmemory-policy") == {"maxmemory-policy": "allkeys-lru"}

        def test_settings_restored(kv):
            assert kv is seen[0]
            assert kv.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
            assert kv.config_get("maxmemory") == {"maxmemory": "0"}

        @pytest.mark.kvengine(scope="test")
        def test_own_engine_when_asked(kv):
            assert kv is not seen[0]

        @pytest.mark.kvengine(persistence="aof")
        def test_own_engine_for_persistence(kv):
            assert kv is not seen[0] and kv.server.persistence is not None
        """
    )
    run(pytester).assert_outcomes(passed=6)


def test_unknown_scope_is_refused(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nkvengine_scope = module\n")
    pytester.makepyfile("def test_x(kv):\n    pass\n")
    result = run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*kvengine scope must be one of*"])


def test_docs_import_time_client_example(pytester: pytest.Pytester) -> None:
    """docs/usage.md: a client made at import time, patched from the top of conftest.py."""
    import redis

    init_before = redis.Redis.__init__
    pytester.mkpydir("app")
    pytester.path.joinpath("app", "store.py").write_text(
        "import redis\n\n"
        "cache = redis.Redis(host='cache.internal', port=6379, decode_responses=True)\n"
    )
    pytester.makeconftest(
        """
        import pytest
        from kvengine import Engine
        from kvengine.redis_compat import patch_redis

        ENGINE = Engine()
        PATCH = patch_redis(ENGINE).start()

        @pytest.fixture(autouse=True)
        def _flush():
            ENGINE.flushall()

        def pytest_unconfigure(config):
            PATCH.stop()
        """
    )
    pytester.makepyfile(
        test_store="""
        from app.store import cache
        from conftest import ENGINE

        def test_one():
            cache.set("k", "v")
            assert ENGINE.get("k") == b"v"

        def test_two():
            assert cache.get("k") is None
            assert repr(cache).count("kvengine in-process") == 1
        """
    )
    run(pytester).assert_outcomes(passed=2)
    assert redis.Redis.__init__ is init_before  # the conftest's patch was stopped
