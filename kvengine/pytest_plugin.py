"""pytest plugin: kvengine fixtures for test suites (entry point ``pytest11``).

Installed with kvengine, so every test suite in the environment gets these fixtures:

``kv``
    a fresh :class:`kvengine.Engine` for each test (closed afterwards).  If the test
    also asks for ``kv_clock``, the engine runs on that clock.
``kv_clock``
    a :class:`kvengine.ManualClock`: ``kv_clock.advance(61)`` expires 60-second keys
    without sleeping.
``kv_shared``
    one engine for the whole session, flushed (FLUSHALL) before each test that uses it:
    cheaper when a suite creates many engines.
``kv_redis``
    a real ``redis.Redis`` (``kvengine.redis_compat.Redis``) over the test's ``kv``
    engine.  Needs redis-py.
``kv_patch_redis``
    opt-in: while the test runs, ``redis.Redis(...)``, ``redis.StrictRedis(...)``,
    ``redis.from_url(...)`` and ``redis.asyncio.Redis(...)`` called by the code under
    test connect to the test's ``kv`` engine, whatever host/port/URL they name.  The
    fixture's value is that engine.

``--kvengine-patch-redis`` (or ini ``kvengine_patch_redis = true``) applies
``kv_patch_redis`` to every test: an existing suite that talks to Redis through redis-py
runs on kvengine with no change to its code.

Scope: by default each test gets a fresh engine, closed after it, so a client kept
across tests (a session-scoped fixture, a module-level client built during the first
test) fails from the second test on.  ``kvengine_scope = session`` (ini, or
``@pytest.mark.kvengine(scope="session")`` on a test, class or module) gives ``kv`` (and
so ``kv_redis`` and ``kv_patch_redis``) one engine for the whole session instead,
FLUSHALLed before each test, as a real server would be.  A test whose marker asks for
an engine of its own kind (``persistence``, ``databases``, ``seed``, ``path``) still
gets its own; ``maxmemory`` and ``maxmemory_policy`` are applied with CONFIG SET for the
test and restored after it; ``kv_clock`` drives the session engine during that test.

Configuration, closest wins: ini options ``kvengine_maxmemory``,
``kvengine_maxmemory_policy``, ``kvengine_persistence``, ``kvengine_decode_responses``,
then the marker ``@pytest.mark.kvengine(maxmemory="10mb",
maxmemory_policy="allkeys-lru", persistence="aof", decode_responses=True,
protocol=3)`` on a test, class or module.  With ``persistence`` the engine gets its own
temporary directory.

kvengine is imported only when a fixture is used, so the plugin costs nothing to suites
that do not use it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from kvengine import Engine, ManualClock

# Marker/ini options that configure the Engine itself; the others configure kv_redis.
_ENGINE_OPTIONS = ("maxmemory", "maxmemory_policy", "persistence", "databases", "seed", "path")
_CLIENT_OPTIONS = ("decode_responses", "protocol")
_PLUGIN_OPTIONS = ("scope",)
_SCOPES = ("test", "session")
# Options a shared (session) engine cannot take for one test: such a test gets its own.
_OWN_ENGINE_OPTIONS = ("persistence", "databases", "seed", "path")
_HINT = ("a client kept past its test (session-scoped fixture, module-level client) needs "
         "one engine for the session: set `kvengine_scope = session` in the pytest ini, or "
         "mark the tests @pytest.mark.kvengine(scope=\"session\")")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("kvengine_maxmemory", "maxmemory of the engines of the kv fixtures (e.g. 10mb)",
                  default=None)
    parser.addini("kvengine_maxmemory_policy", "maxmemory-policy of the kv fixtures' engines",
                  default=None)
    parser.addini("kvengine_persistence",
                  "persistence backend of the kv fixtures' engines (memory, snapshot, aof, hybrid)",
                  default=None)
    parser.addini("kvengine_decode_responses", "kv_redis returns str instead of bytes",
                  type="bool", default=False)
    parser.addini("kvengine_scope",
                  "test (default): a fresh engine per test; session: one engine for the "
                  "session, FLUSHALLed before each test", default="test")
    parser.addini("kvengine_patch_redis",
                  "apply kv_patch_redis to every test: redis-py clients made anywhere use kvengine",
                  type="bool", default=False)
    group = parser.getgroup("kvengine")
    group.addoption("--kvengine-patch-redis", action="store_true", default=False,
                    help="run every test with kv_patch_redis (redis.Redis(...) connects to kvengine)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "kvengine(**options): configure the kvengine engine of the kv/kv_redis/kv_patch_redis "
        "fixtures (maxmemory=, maxmemory_policy=, persistence=, decode_responses=, protocol=, "
        "scope=\"test\"|\"session\")",
    )


def _options(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Ini options, overridden by kvengine markers from the farthest to the closest."""
    config = request.config
    options: dict[str, Any] = {}
    for name in ("maxmemory", "maxmemory_policy", "persistence"):
        value = config.getini(f"kvengine_{name}")
        if value not in (None, "", []):
            options[name] = value
    if config.getini("kvengine_decode_responses"):
        options["decode_responses"] = True
    options["scope"] = (config.getini("kvengine_scope") or "test").strip().lower()
    markers = list(request.node.iter_markers("kvengine"))  # closest first
    for marker in reversed(markers):
        if marker.args:
            pytest.fail("@pytest.mark.kvengine takes keyword arguments only", pytrace=False)
        known = _ENGINE_OPTIONS + _CLIENT_OPTIONS + _PLUGIN_OPTIONS
        unknown = set(marker.kwargs) - set(known)
        if unknown:
            pytest.fail(f"@pytest.mark.kvengine: unknown option(s) {sorted(unknown)}; known: "
                        f"{', '.join(known)}", pytrace=False)
        options.update(marker.kwargs)
    if options["scope"] not in _SCOPES:
        pytest.fail(f"kvengine scope must be one of {_SCOPES}, not {options['scope']!r}", pytrace=False)
    return options


class _SessionClock:
    """The session engine's clock: the current test's ``kv_clock`` if it asked for one,
    else the system clock."""

    def __init__(self) -> None:
        self.manual: Any = None

    def __call__(self) -> int:
        manual = self.manual
        if manual is not None:
            return manual()  # type: ignore[no-any-return]
        from kvengine.clock import system_clock

        return system_clock()


def _make_engine(options: dict[str, Any], clock: Any, tmp_dir: Any) -> Engine:
    from kvengine import Engine

    kwargs: dict[str, Any] = {k: options[k] for k in ("maxmemory", "maxmemory_policy", "databases", "seed")
                              if options.get(k) is not None}
    if clock is not None:
        kwargs["clock"] = clock
    path = options.get("path")
    persistence = options.get("persistence")
    if persistence not in (None, "memory"):
        kwargs["persistence"] = persistence
        if path is None:
            path = str(tmp_dir())
    try:
        return Engine(path, **kwargs) if path is not None else Engine(**kwargs)
    except (TypeError, ValueError, NotImplementedError) as exc:
        pytest.fail(f"kvengine cannot make an engine with {kwargs}: {exc}", pytrace=False)


@pytest.fixture
def kv_clock() -> ManualClock:
    """A ManualClock; the ``kv`` engine of the same test runs on it."""
    from kvengine import ManualClock

    return ManualClock()


@pytest.fixture
def kv(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A fresh kvengine Engine for this test (on ``kv_clock`` if the test uses it), or
    with ``kvengine_scope = session`` the session's engine, FLUSHALLed first."""
    options = _options(request)
    clock = request.getfixturevalue("kv_clock") if "kv_clock" in request.fixturenames else None
    if options["scope"] == "session" and not any(options.get(k) is not None
                                                 for k in _OWN_ENGINE_OPTIONS):
        yield from _session_kv(request, options, clock)
        return
    engine = _make_engine(options, clock, lambda: tmp_path_factory.mktemp("kvengine"))
    yield engine
    srv = engine.server
    srv.closed_by = f"the kvengine pytest plugin's `kv` fixture after test {request.node.nodeid}"
    srv.closed_hint = _HINT
    engine.close()


def _session_kv(request: pytest.FixtureRequest, options: dict[str, Any], clock: Any) -> Iterator[Engine]:
    """The session engine for one test: flushed, with the test's maxmemory settings and
    clock for its duration."""
    engine: Engine = request.getfixturevalue("_kv_session_engine")
    session_clock = engine.server.clock
    restore: dict[str, Any] = {}
    for name in ("maxmemory", "maxmemory_policy"):
        if options.get(name) is not None:
            param = name.replace("_", "-")
            restore[param] = engine.config_get(param)[param]
    if isinstance(session_clock, _SessionClock):
        session_clock.manual = clock
    try:
        engine.flushall()
        for param in restore:
            engine.config_set(param, options[param.replace("-", "_")])
        yield engine
    finally:
        if isinstance(session_clock, _SessionClock):
            session_clock.manual = None
        if not engine.server.closed:
            for param, value in restore.items():
                engine.config_set(param, value)


@pytest.fixture(scope="session")
def _kv_session_engine(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    options: dict[str, Any] = {}
    for name in ("maxmemory", "maxmemory_policy", "persistence"):
        value = pytestconfig.getini(f"kvengine_{name}")
        if value not in (None, "", []):
            options[name] = value
    engine = _make_engine(options, _SessionClock(), lambda: tmp_path_factory.mktemp("kvengine-shared"))
    yield engine
    engine.server.closed_by = "the kvengine pytest plugin at the end of the test session"
    engine.close()


@pytest.fixture
def kv_shared(_kv_session_engine: Engine) -> Engine:
    """The session's shared engine, flushed (every db) before this test."""
    _kv_session_engine.flushall()
    return _kv_session_engine


@pytest.fixture
def kv_redis(request: pytest.FixtureRequest, kv: Engine) -> Iterator[Any]:
    """A ``redis.Redis`` (kvengine.redis_compat.Redis) over this test's ``kv`` engine."""
    from kvengine.redis_compat import Redis

    options = _options(request)
    client = Redis(
        engine=kv,
        decode_responses=bool(options.get("decode_responses", False)),
        protocol=int(options.get("protocol", 2)),
    )
    yield client
    client.close()


@pytest.fixture
def kv_patch_redis(kv: Engine) -> Iterator[Engine]:
    """While the test runs, redis-py clients made by code under test (``redis.Redis(...)``,
    ``redis.StrictRedis``, ``redis.from_url``, ``redis.asyncio.Redis``...) use ``kv``."""
    from kvengine.redis_compat import patch_redis

    patch = patch_redis(kv).start()
    try:
        yield kv
    finally:
        patch.stop()


def _patch_all(config: pytest.Config) -> bool:
    return bool(config.getoption("kvengine_patch_redis", False) or config.getini("kvengine_patch_redis"))


@pytest.fixture(scope="session", autouse=True)
def _kvengine_session_autopatch(request: pytest.FixtureRequest) -> Iterator[None]:
    """With ``kvengine_patch_redis`` and ``kvengine_scope = session``, the patch covers
    the whole session, so clients built by session-scoped fixtures (set up before any
    test's fixtures) use the session engine too."""
    config = request.config
    scope = (config.getini("kvengine_scope") or "test").strip().lower()
    if not (_patch_all(config) and scope == "session"):
        yield
        return
    from kvengine.redis_compat import patch_redis

    patch = patch_redis(request.getfixturevalue("_kv_session_engine")).start()
    try:
        yield
    finally:
        patch.stop()


@pytest.fixture(autouse=True)
def _kvengine_autopatch(request: pytest.FixtureRequest) -> None:
    """With ``kvengine_patch_redis = true`` (ini) or ``--kvengine-patch-redis``, every
    test runs as if it asked for ``kv_patch_redis``: an existing suite written against a
    real Redis runs on kvengine without touching its code."""
    if _patch_all(request.config):
        request.getfixturevalue("kv_patch_redis")
