"""The redis-py drop-in, tested through redis-py's public API only.

Every test in the first part runs twice, through the same code: once with a plain
``redis.Redis`` on a private redis-server, once with ``kvengine.redis_compat.Redis``
(the ``backend`` parameter).  What passes against the real server must pass against
kvengine.  Tests whose commands kvengine does not have yet are skipped on both sides
(they start running as the command table grows).  The second part compares the raw
parser output (callbacks off) of both, for RESP2 and RESP3, with and without decoding.

This file runs under every redis-py major version: see tests/compat/run_matrix.sh.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

pytest.importorskip("redis")
import redis
import redis.asyncio
from redis.exceptions import LockError, LockNotOwnedError

from kvengine import Engine, ManualClock
from kvengine.commands import TABLE
from kvengine.redis_compat import AsyncRedis, ConnectionPool, Redis, from_url
from tests.redis_server import redis_server

REDIS_PY = tuple(int(x) for x in redis.__version__.split(".")[:2])


@pytest.fixture(scope="module")
def server_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A private redis-server for this module (skipped without one, unless required)."""
    with redis_server(tmp_path_factory.mktemp("redis-compat")) as port:
        yield port


def needs(*commands: str) -> None:
    """Skip (on both backends) when kvengine does not have these commands yet."""
    missing = [c for c in commands if c.lower().encode() not in TABLE]
    if missing:
        pytest.skip(f"kvengine has no {', '.join(missing)} yet")


class Backend:
    """Makes clients of one kind: the real server's or kvengine's."""

    def __init__(self, name: str, port: int | None) -> None:
        self.name = name
        self.port = port
        self.engine = Engine(active_expire=False) if name == "kvengine" else None
        self.clients: list[Any] = []

    @property
    def real(self) -> bool:
        return self.name == "redis"

    def client(self, **kwargs: Any) -> Any:
        if self.real:
            c = redis.Redis(port=self.port, **kwargs)
        else:
            c = Redis(engine=self.engine, **kwargs)
        self.clients.append(c)
        return c

    def async_client(self, **kwargs: Any) -> Any:
        if self.real:
            return redis.asyncio.Redis(port=self.port, **kwargs)
        return AsyncRedis(engine=self.engine, **kwargs)

    def close(self) -> None:
        for c in self.clients:
            c.close()
        if self.engine is not None:
            self.engine.close()


@pytest.fixture(params=["redis", "kvengine"])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    port = request.getfixturevalue("server_port") if request.param == "redis" else None
    b = Backend(request.param, port)
    if b.real:
        redis.Redis(port=port).flushall()
    yield b
    b.close()


@pytest.fixture
def r(backend: Backend) -> Any:
    """A default client (bytes replies, db 0, RESP2)."""
    return backend.client()


# -- basics and response callbacks ---------------------------------------------------


def test_isinstance_and_basic_commands(r: Any) -> None:
    assert isinstance(r, redis.Redis)
    assert r.ping() is True
    assert r.set("k", "v") is True
    assert r.set("k", "w", nx=True) is None
    assert r.get("k") == b"v"
    assert r.set("k", "x", get=True) == b"v"
    assert r.incr("n") == 1
    assert r.incrbyfloat("f", 1.5) == 1.5
    assert r.mget("k", "nope", "n") == [b"x", None, b"1"]
    assert r.exists("k", "n", "nope") == 2
    assert r.delete("k", "nope") == 1
    assert r.type("n") == b"string"
    assert r.expire("n", 100) is True
    assert 0 < r.ttl("n") <= 100
    assert r.persist("n") is True
    assert r.dbsize() == 2


def test_hash_list_set_callbacks(r: Any) -> None:
    assert r.hset("h", mapping={"a": "1", "b": "2"}) == 2
    assert r.hgetall("h") == {b"a": b"1", b"b": b"2"}
    assert r.hincrbyfloat("h", "a", "0.5") == 1.5
    assert r.hexists("h", "a") is True
    assert r.rpush("l", "a", "b", "c") == 3
    assert r.lrange("l", 0, -1) == [b"a", b"b", b"c"]
    assert r.lpop("l", 2) == [b"a", b"b"]
    assert r.sadd("s", "x", "y") == 2
    assert r.smembers("s") == {b"x", b"y"}
    assert r.sismember("s", "x") == 1  # True or 1, by redis-py version
    assert r.smismember("s", ["x", "z"]) == [1, 0]


def test_zset_callbacks(r: Any) -> None:
    needs("zadd", "zrange", "zscore")
    assert r.zadd("z", {"a": 1.5, "b": 2}) == 2
    assert r.zscore("z", "a") == 1.5
    assert r.zrange("z", 0, -1, withscores=True) == [(b"a", 1.5), (b"b", 2.0)]
    assert r.zincrby("z", 1, "a") == 2.5


def test_decode_responses(backend: Backend) -> None:
    r = backend.client(decode_responses=True)
    r.set("k", "välue")
    assert r.get("k") == "välue"
    r.rpush("l", "a", "b")
    assert r.lrange("l", 0, -1) == ["a", "b"]
    assert r.hset("h", "f", "v") == 1
    assert r.hgetall("h") == {"f": "v"}
    assert r.type("k") == "string"
    assert r.ping() is True
    # DUMP is never decoded (redis-py's NEVER_DECODE), whatever decode_responses says.
    assert isinstance(r.dump("k"), bytes)
    p = r.pipeline()
    p.set("a", "1").get("a").lrange("l", 0, -1)
    assert p.execute() == [True, "1", ["a", "b"]]


def test_db_selection_and_shared_engine(backend: Backend) -> None:
    r0 = backend.client()
    r1 = backend.client(db=1)
    r0.set("k", "zero")
    r1.set("k", "one")
    assert r0.get("k") == b"zero"
    assert r1.get("k") == b"one"
    # another client on the same engine / server sees the same data
    assert backend.client(db=1, decode_responses=True).get("k") == "one"
    assert r1.move("k", 2) is True
    assert backend.client(db=2).get("k") == b"one"


def test_scan_iter(r: Any) -> None:
    for i in range(150):
        r.set(f"user:{i}", i)
    r.set("other", 1)
    keys = set(r.scan_iter(match="user:*", count=20))
    assert keys == {f"user:{i}".encode() for i in range(150)}
    r.hset("h", mapping={f"f{i}": i for i in range(40)})
    assert dict(r.hscan_iter("h", count=7)) == {f"f{i}".encode(): str(i).encode() for i in range(40)}
    r.sadd("s", *range(30))
    assert set(r.sscan_iter("s", match="1*")) == {str(i).encode() for i in range(30) if str(i)[0] == "1"}


# -- errors --------------------------------------------------------------------------


def test_errors_have_redis_classes_and_texts(r: Any) -> None:
    r.set("str", "x")
    with pytest.raises(redis.ResponseError) as info:
        r.lpush("str", 1)
    assert type(info.value) is redis.ResponseError
    assert str(info.value) == "WRONGTYPE Operation against a key holding the wrong kind of value"
    with pytest.raises(redis.ResponseError) as info:
        r.execute_command("NOSUCHCOMMAND", "a")
    assert str(info.value).startswith("unknown command 'NOSUCHCOMMAND', with args beginning with: 'a'")
    with pytest.raises(redis.ResponseError) as info:
        r.execute_command("GET")
    assert str(info.value) == "wrong number of arguments for 'get' command"
    with pytest.raises(redis.ResponseError) as info:
        r.incr("str")
    assert str(info.value) == "value is not an integer or out of range"
    # client-side encoding errors are redis-py's own
    with pytest.raises(redis.DataError):
        r.set("k", True)
    with pytest.raises(redis.DataError):
        r.set("k", None)


def test_noscript_error(r: Any) -> None:
    needs("evalsha")
    with pytest.raises(redis.exceptions.NoScriptError) as info:
        r.evalsha("0" * 40, 0)
    assert type(info.value) is redis.exceptions.NoScriptError
    assert "No matching script" in str(info.value)


# -- pipelines and transactions ---------------------------------------------------------


def test_pipeline_without_transaction(r: Any) -> None:
    r.set("str", "x")
    p = r.pipeline(transaction=False)
    p.set("a", 1).incr("a").lpush("str", 1).get("a")
    results = p.execute(raise_on_error=False)
    assert results[:2] == [True, 2]
    assert isinstance(results[2], redis.ResponseError)
    assert "WRONGTYPE" in str(results[2])
    assert results[3] == b"2"
    p.incr("a").lpush("str", 1).incr("a")
    with pytest.raises(redis.ResponseError) as info:
        p.execute()
    assert "Command # 2 (LPUSH str 1) of pipeline caused error: WRONGTYPE" in str(info.value)
    assert r.get("a") == b"4"  # every command ran


def test_pipeline_transaction(r: Any) -> None:
    r.set("str", "x")
    with r.pipeline() as p:
        p.incr("c").incr("c").get("c")
        assert p.execute() == [1, 2, b"2"]
    # a runtime error inside EXEC: the other commands ran
    p = r.pipeline()
    p.incr("c").lpush("str", 1).incr("c")
    with pytest.raises(redis.ResponseError) as info:
        p.execute()
    assert "WRONGTYPE" in str(info.value)
    assert r.get("c") == b"4"
    p = r.pipeline()
    p.incr("c").lpush("str", 1)
    res = p.execute(raise_on_error=False)
    assert res[0] == 5 and type(res[1]) is redis.ResponseError


def test_transaction_aborted_at_queue_time(r: Any) -> None:
    p = r.pipeline()
    p.set("a", 1)
    p.execute_command("GET")  # wrong arity: queued with an error -> EXECABORT
    p.set("b", 2)
    with pytest.raises(redis.ResponseError) as info:
        p.execute()
    assert "wrong number of arguments for 'get' command" in str(info.value)
    assert r.exists("a", "b") == 0


def test_exec_abort_error_class(r: Any) -> None:
    # Raw MULTI/EXEC on one connection: the EXECABORT class as redis-py's parser builds it.
    pool = r.connection_pool
    conn = pool.get_connection("MULTI") if REDIS_PY < (5, 3) else pool.get_connection()
    try:
        conn.send_command("MULTI")
        assert conn.read_response() in (b"OK", "OK")
        conn.send_command("GET")
        with pytest.raises(redis.ResponseError):
            conn.read_response()
        conn.send_command("EXEC")
        with pytest.raises(redis.exceptions.ExecAbortError) as info:
            conn.read_response()
        assert type(info.value) is redis.exceptions.ExecAbortError
        assert str(info.value) == "Transaction discarded because of previous errors."
    finally:
        pool.release(conn)
    assert r.ping() is True


def test_watch_error(backend: Backend) -> None:
    r = backend.client()
    other = backend.client()
    r.set("k", 1)
    with r.pipeline() as p:
        p.watch("k")
        assert p.get("k") == b"1"  # immediate mode after WATCH
        other.set("k", 2)
        p.multi()
        p.set("k", 3)
        with pytest.raises(redis.WatchError):
            p.execute()
    assert r.get("k") == b"2"


def test_transaction_helper_retries(backend: Backend) -> None:
    r = backend.client()
    other = backend.client()
    r.set("balance", 10)
    calls = []

    def move(pipe: Any) -> None:
        value = int(pipe.get("balance"))
        if not calls:
            other.incrby("balance", 5)  # a concurrent write: the first EXEC must abort
        calls.append(value)
        pipe.multi()
        pipe.set("balance", value * 2)

    assert r.transaction(move, "balance") == [True]
    assert calls == [10, 15]
    assert r.get("balance") == b"30"
    assert r.transaction(lambda p: p.get("balance"), "balance", value_from_callable=True) == b"30"


def test_watch_state_is_per_connection(backend: Backend) -> None:
    r = backend.client()
    r.set("k", 1)
    p1 = r.pipeline()
    p1.watch("k")
    p2 = r.pipeline()  # another connection from the pool
    p2.watch("other")
    p2.multi()
    p2.set("k", 5)
    assert p2.execute() == [True]
    p1.multi()
    p1.set("k", 7)
    with pytest.raises(redis.WatchError):
        p1.execute()
    p1.reset()
    assert r.get("k") == b"5"


def test_discarded_pipeline_leaves_connection_clean(r: Any) -> None:
    p = r.pipeline()
    p.watch("k")
    p.multi()
    p.set("k", 1)
    p.reset()  # never executed
    assert r.get("k") is None
    assert r.set("k", 2) is True


# -- locks and scripts -------------------------------------------------------------------


def test_lock_acquire_release(r: Any) -> None:
    needs("eval", "evalsha", "script")
    lock = r.lock("res", timeout=10)
    assert lock.acquire(blocking=False) is True
    assert lock.locked() is True and lock.owned() is True
    other = r.lock("res", timeout=10)
    assert other.acquire(blocking=False) is False
    assert other.acquire(blocking_timeout=0) is False
    lock.release()
    assert lock.locked() is False
    with pytest.raises(LockError):
        lock.release()
    with r.lock("res2", timeout=5) as held:
        assert held.owned()
    assert r.exists("res2") == 0


def test_lock_extend_and_reacquire(r: Any) -> None:
    needs("eval", "evalsha", "script")
    lock = r.lock("res", timeout=10)
    assert lock.acquire(blocking=False)
    assert lock.extend(20) is True
    assert 20 < r.pttl("res") <= 30_000
    assert lock.extend(5, replace_ttl=True) is True
    assert r.pttl("res") <= 5000
    assert lock.reacquire() is True
    assert 5000 < r.pttl("res") <= 10_000
    r.set("res", "someone else")
    assert lock.owned() is False
    with pytest.raises(LockNotOwnedError):
        lock.extend(1)
    with pytest.raises(LockNotOwnedError):
        lock.reacquire()
    with pytest.raises(LockNotOwnedError):
        lock.release()


def test_lock_timeout_expires_on_manual_clock() -> None:
    """The lock's own TTL: moving kvengine's clock makes it expire, no sleeping."""
    needs("eval", "evalsha", "script")
    clock = ManualClock(1_700_000_000_000)
    engine = Engine(clock=clock, active_expire=False)
    r = Redis(engine=engine)
    lock = r.lock("res", timeout=5)
    assert lock.acquire(blocking=False)
    clock.advance(4)
    assert r.lock("res", timeout=5).acquire(blocking=False) is False
    clock.advance(1.5)
    assert lock.locked() is False
    taker = r.lock("res", timeout=5)
    assert taker.acquire(blocking=False) is True
    with pytest.raises(LockNotOwnedError):
        lock.release()
    engine.close()


def test_register_script(r: Any) -> None:
    needs("eval", "evalsha", "script")
    incr_by = r.register_script("return redis.call('INCRBY', KEYS[1], ARGV[1])")
    assert incr_by(keys=["n"], args=[5]) == 5
    r.script_flush()
    assert incr_by(keys=["n"], args=[2]) == 7  # NoScriptError -> reloaded by redis-py
    p = r.pipeline()
    incr_by(keys=["n"], args=[1], client=p)
    p.get("n")
    r.script_flush()
    assert p.execute() == [8, b"8"]
    with pytest.raises(redis.ResponseError):
        r.eval("return redis.call('NOSUCH')", 0)
    assert r.eval("return {1, 'two', {3}}", 0) == [1, b"two", [3]]


# -- RESP3 -------------------------------------------------------------------------------


def test_resp3_callbacks(backend: Backend) -> None:
    r = backend.client(protocol=3)
    assert r.ping() is True
    r.hset("h", mapping={"a": "1"})
    assert r.hgetall("h") == {b"a": b"1"}
    r.sadd("s", "x")
    assert r.smembers("s") == {b"x"}
    assert r.set("k", "v") is True
    assert r.get("k") == b"v"
    p = r.pipeline()
    p.hgetall("h").smembers("s")
    assert p.execute() == [{b"a": b"1"}, {b"x"}]
    d = backend.client(protocol=3, decode_responses=True)
    assert d.hgetall("h") == {"a": "1"}


def test_resp3_zset_callbacks(backend: Backend) -> None:
    needs("zadd", "zrange", "zscore", "zpopmin")
    r = backend.client(protocol=3)
    r.zadd("z", {"a": 1.5, "b": 2})
    assert r.zscore("z", "a") == 1.5
    assert r.zrange("z", 0, -1, withscores=True) in ([[b"a", 1.5], [b"b", 2.0]], [(b"a", 1.5), (b"b", 2.0)])
    assert r.zpopmin("z") in ([[b"a", 1.5]], [b"a", 1.5], [(b"a", 1.5)])


# -- raw parser output, compared -------------------------------------------------------------

RAW_COMMANDS: list[tuple[Any, ...]] = [
    ("SET", "s", "v"), ("GET", "s"), ("GET", "nokey"), ("PING",), ("ECHO", "hi"),
    ("RPUSH", "l", "a", "b", "c"), ("LRANGE", "l", "0", "-1"), ("LPOP", "l", "5"), ("LPOP", "l"),
    ("HSET", "h", "f", "v", "g", "w"), ("HGETALL", "h"), ("HGETALL", "nokey"), ("HKEYS", "h"),
    ("HRANDFIELD", "h", "-2", "WITHVALUES"), ("HINCRBYFLOAT", "h", "n", "1.5"),
    ("SADD", "st", "a"), ("SMEMBERS", "st"), ("SINTER", "st"), ("SUNION", "st", "nokey"),
    ("SDIFF", "st"), ("SPOP", "st", "1"), ("SMEMBERS", "st"),
    ("ZADD", "z", "1.5", "a", "2", "b"), ("ZSCORE", "z", "a"), ("ZSCORE", "z", "x"),
    ("ZMSCORE", "z", "a", "x"), ("ZINCRBY", "z", "1", "a"), ("ZADD", "z", "INCR", "1", "b"),
    ("ZRANGE", "z", "0", "-1", "WITHSCORES"), ("ZRANGE", "z", "0", "-1"),
    ("ZREVRANGE", "z", "0", "0", "WITHSCORES"), ("ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES"),
    ("ZUNION", "1", "z", "WITHSCORES"), ("ZPOPMIN", "z"), ("ZPOPMAX", "z", "5"), ("ZPOPMIN", "z"),
    ("ZADD", "z", "1", "a"), ("ZMPOP", "1", "z", "MIN"), ("ZADD", "z", "1", "a"), ("BZPOPMIN", "z", "0"),
    ("SET", "a", "ohmytext"), ("SET", "b", "mynewtext"), ("LCS", "a", "b"), ("LCS", "a", "b", "IDX"),
    ("INCRBYFLOAT", "fl", "0.1"), ("EXISTS", "a", "b"), ("TYPE", "a"),
    ("MULTI",), ("HGETALL", "h"), ("ZSCORE", "z", "a"), ("SMEMBERS", "nokey"), ("EXEC",),
    ("SCAN", "0", "COUNT", "100", "MATCH", "h*"),
]


def _raw_replies(client: Any, commands: list[tuple[Any, ...]], skip: Callable[[str], bool]) -> list[Any]:
    out = []
    for cmd in commands:
        if skip(cmd[0]):
            continue
        try:
            reply = client.execute_command(*cmd)
        except redis.RedisError as exc:
            reply = ("error", type(exc).__name__, str(exc))
        if isinstance(reply, list) and cmd[0] in ("EXEC",):
            reply = [("error", type(x).__name__, str(x)) if isinstance(x, Exception) else x for x in reply]
        if isinstance(reply, set):
            reply = ("set", sorted(reply))
        out.append((cmd, reply))
    return out


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("decode", [False, True])
def test_raw_replies_match_real_redis(server_port: int, protocol: int, decode: bool) -> None:
    """With response callbacks off, kvengine's connection hands redis-py the same objects
    its parser builds from a real server's bytes (types, nesting, decoding, RESP3 maps,
    doubles and sets)."""
    names = {c[0].lower().encode() for c in RAW_COMMANDS}
    missing = {n.decode() for n in names if n not in TABLE}

    def skip(name: str) -> bool:
        return name.lower() in missing

    real = redis.Redis(port=server_port, protocol=protocol, decode_responses=decode, single_connection_client=True)
    real.flushall()
    real.response_callbacks.clear()
    engine = Engine(active_expire=False)
    mine = Redis(engine=engine, protocol=protocol, decode_responses=decode, single_connection_client=True)
    mine.response_callbacks.clear()
    try:
        expected = _raw_replies(real, RAW_COMMANDS, skip)
        got = _raw_replies(mine, RAW_COMMANDS, skip)
        for (cmd, want), (_, have) in zip(expected, got):
            if cmd[0] in ("SPOP",) or "-2" in cmd:  # random picks: compare shapes only
                assert type(have) is type(want), cmd
                continue
            if cmd[0] == "SCAN":
                want, have = sorted(want[1]), sorted(have[1])
            assert have == want, f"{cmd}: kvengine {have!r} != redis {want!r}"
            assert repr(have) == repr(want), f"{cmd}: kvengine {have!r} != redis {want!r} (types)"
    finally:
        real.close()
        mine.close()
        engine.close()


# -- kvengine-only behaviour of the drop-in ---------------------------------------------


def test_from_url_and_pool() -> None:
    engine = Engine(active_expire=False)
    r = from_url("kvengine://?db=3&decode_responses=true", engine=engine)
    r.set("k", "v")
    assert r.get("k") == "v"
    assert engine.client(db=3).get("k") == b"v"
    r2 = Redis.from_url("redis://localhost:6379/3", engine=engine)
    assert r2.get("k") == b"v"
    pool = ConnectionPool(engine, db=3)
    assert redis.Redis(connection_pool=pool).get("k") == b"v"
    assert Redis().engine is not engine  # no engine given: a fresh one
    engine.close()


def test_socket_keywords_are_ignored() -> None:
    r = Redis(host="example.invalid", port=1, socket_timeout=0.5, password="pw",
              retry_on_timeout=True, health_check_interval=10, client_name="app")
    assert r.set("k", "v") is True and r.get("k") == b"v"


def test_single_connection_client_and_close() -> None:
    engine = Engine(active_expire=False)
    r = Redis(engine=engine, single_connection_client=True)
    r.set("k", 1)
    p = r.pipeline()
    p.watch("k")
    r.close()  # the connection goes away: its WATCH is forgotten
    assert not engine.server.watched
    pooled = Redis(engine=engine)
    pooled.execute_command("WATCH", "k")  # on the client's own connection
    assert engine.server.watched
    pooled.close()
    assert not engine.server.watched
    engine.close()


def test_closed_engine_raises_connection_error() -> None:
    engine = Engine(active_expire=False)
    r = Redis(engine=engine)
    engine.close()
    with pytest.raises(redis.ConnectionError):
        r.get("k")


def test_blocking_pop_waits_for_a_push_from_another_thread() -> None:
    engine = Engine(active_expire=False)
    r = Redis(engine=engine)
    t = threading.Timer(0.05, lambda: Redis(engine=engine).rpush("q", "job"))
    t.start()
    assert tuple(r.blpop("q", timeout=5)) == (b"q", b"job")
    t.join()
    engine.close()


def test_threads_share_one_engine() -> None:
    engine = Engine(active_expire=False)
    r = Redis(engine=engine)

    def work() -> None:
        for _ in range(200):
            r.incr("n")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert r.get("n") == b"800"
    engine.close()


# -- asyncio -----------------------------------------------------------------------------


def test_async_basics(backend: Backend) -> None:
    async def main() -> None:
        r = backend.async_client(decode_responses=True)
        assert isinstance(r, redis.asyncio.Redis)
        assert await r.set("k", "v") is True
        assert await r.get("k") == "v"
        async with r.pipeline() as p:
            p.incr("n").incr("n").get("n")
            assert await p.execute() == [1, 2, "2"]
        with pytest.raises(redis.ResponseError):
            await r.lpush("k", 1)
        await r.aclose() if hasattr(r, "aclose") else await r.close()

    asyncio.run(main())


def test_async_blocking_does_not_block_the_loop(backend: Backend) -> None:
    async def main() -> None:
        r = backend.async_client()
        pusher = backend.async_client()
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.001)

        tick = asyncio.create_task(ticker())
        waiting = asyncio.create_task(r.blpop(["q"], timeout=0))
        await asyncio.sleep(0.05)
        assert not waiting.done()
        assert ticks > 3  # the loop kept running while BLPOP waited
        await pusher.rpush("q", "job")
        assert tuple(await asyncio.wait_for(waiting, 5)) == (b"q", b"job")
        tick.cancel()
        for c in (r, pusher):
            await c.aclose() if hasattr(c, "aclose") else await c.close()

    asyncio.run(main())


def test_async_cancelled_blocking_call_leaves_client_usable(backend: Backend) -> None:
    async def main() -> None:
        r = backend.async_client(single_connection_client=True)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(r.blpop(["q"], timeout=0), 0.05)
        # the cancelled BLPOP must not take this element
        pusher = backend.async_client()
        await pusher.rpush("q", "kept")
        await pusher.aclose() if hasattr(pusher, "aclose") else await pusher.close()
        assert await r.ping() is True
        assert await r.lrange("q", 0, -1) == [b"kept"]
        assert await r.blpop(["q"], timeout=1) in ([b"q", b"kept"], (b"q", b"kept"))
        await r.aclose() if hasattr(r, "aclose") else await r.close()

    asyncio.run(main())


def test_async_transaction_and_watch(backend: Backend) -> None:
    async def main() -> None:
        r = backend.async_client()
        other = backend.async_client()
        await r.set("k", 1)
        async with r.pipeline() as p:
            await p.watch("k")
            await other.set("k", 2)
            p.multi()
            p.set("k", 3)
            with pytest.raises(redis.WatchError):
                await p.execute()
        assert await r.get("k") == b"2"
        for c in (r, other):
            await c.aclose() if hasattr(c, "aclose") else await c.close()

    asyncio.run(main())


# -- random programs through both clients ------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_K = st.sampled_from(["a", "b", "c"])
_V = st.sampled_from(["", "0", "1", "2.5", "abc", "\x00\xff", "OK", "QUEUED"])
_N = st.sampled_from(["0", "1", "-1", "2", "10"])
_PROGRAM_COMMANDS = st.one_of(
    st.tuples(st.sampled_from(["SET", "GETSET", "RPUSH", "LPUSH", "SADD", "APPEND", "SETNX"]), _K, _V),
    st.tuples(st.sampled_from(["GET", "TYPE", "LLEN", "SMEMBERS", "HGETALL", "INCR", "DEL", "EXISTS",
                               "LPOP", "ZPOPMIN", "ZCARD", "HKEYS", "SCARD"]), _K),
    st.tuples(st.just("HSET"), _K, _V, _V),
    st.tuples(st.sampled_from(["ZADD", "ZINCRBY"]), _K, _N, _V),
    st.tuples(st.sampled_from(["ZSCORE", "HGET", "SISMEMBER", "ZRANK"]), _K, _V),
    st.tuples(st.just("ZRANGE"), _K, _N, _N).flatmap(lambda c: st.sampled_from([c, (*c, "WITHSCORES")])),
    st.tuples(st.just("LRANGE"), _K, _N, _N),
    st.tuples(st.sampled_from(["LPOP", "ZPOPMAX"]), _K, _N),
    st.tuples(st.sampled_from(["SINTER", "SUNION", "SDIFF", "MGET"]), _K, _K),
    st.tuples(st.sampled_from(["MULTI", "EXEC", "DISCARD"])),
    st.tuples(st.just("HINCRBYFLOAT"), _K, _V, _N),
)
_RANDOM_ORDER = {"SMEMBERS", "SINTER", "SUNION", "SDIFF"}


def _norm(cmd: tuple[str, ...], reply: Any) -> Any:
    if isinstance(reply, Exception):
        return ("error", type(reply).__name__, str(reply))
    if isinstance(reply, set):
        return ("set", sorted(reply, key=repr))
    if cmd[0] in _RANDOM_ORDER and isinstance(reply, list):
        return ("list", sorted(reply, key=repr))
    if isinstance(reply, list):
        return [_norm(("",), r) for r in reply]
    return reply


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(program=st.lists(_PROGRAM_COMMANDS, min_size=1, max_size=20),
       protocol=st.sampled_from([2, 3]), decode=st.booleans())
def test_random_programs_give_the_same_objects(server_port: int, program: list[tuple[str, ...]],
                                               protocol: int, decode: bool) -> None:
    """Random command programs (MULTI/EXEC included) through redis-py on a real server
    and on kvengine, callbacks off: the same Python objects come back, for RESP2 and
    RESP3, with and without decoding (SPOP is left out: its victim is random)."""
    kw = {"protocol": protocol, "decode_responses": decode, "single_connection_client": True,
          "encoding_errors": "replace"}
    real = redis.Redis(port=server_port, **kw)
    engine = Engine(active_expire=False)
    mine = Redis(engine=engine, **kw)
    try:
        real.flushall()
        for client in (real, mine):
            client.response_callbacks.clear()
        for cmd in program:
            out = []
            for client in (real, mine):
                try:
                    out.append(_norm(cmd, client.execute_command(*[a.encode("latin-1") for a in cmd])))
                except redis.RedisError as exc:
                    out.append(_norm(cmd, exc))
            assert out[1] == out[0], f"{cmd}: kvengine {out[1]!r} != redis {out[0]!r}"
    finally:
        real.close()
        mine.close()
        engine.close()


# -- execute_command's direct path: the same answers as redis-py's own ---------------------


@pytest.mark.parametrize("decode", [False, True])
def test_execute_command_edge_cases(backend: Backend, decode: bool) -> None:
    """GET/SET take the engine's typed fast paths inside the drop-in's execute_command:
    every case around them answers as a real server through redis-py does."""
    from redis.client import EMPTY_RESPONSE, NEVER_DECODE

    r = backend.client(decode_responses=decode)
    text = (lambda b: b.decode()) if decode else (lambda b: b)
    assert r.execute_command("SET", "k", "v") is True
    assert r.execute_command("GET", "k") == text(b"v")
    assert r.execute_command("get", "k") == text(b"v")            # a lower-case name
    assert r.execute_command(b"SET", b"k", b"w") == text(b"OK")   # bytes name: no callback
    assert r.execute_command("GET", "k", **{NEVER_DECODE: []}) == b"w"
    assert r.execute_command("SET", "n", 12) is True and r.execute_command("GET", "n") == text(b"12")
    assert r.execute_command("SET", "f", 1.5) is True and r.get("f") == text(b"1.5")
    assert r.execute_command("GET", "missing") is None
    r.rpush("list", "a")
    with pytest.raises(redis.ResponseError) as err:
        r.execute_command("GET", "list")
    assert str(err.value).startswith("WRONGTYPE")
    assert r.execute_command("GET", "list", **{EMPTY_RESPONSE: "fallback"}) == "fallback"
    with pytest.raises(redis.ResponseError):
        r.execute_command("SET", "k")                              # wrong arity
    with pytest.raises(redis.DataError):
        r.execute_command("SET", "k", True)                        # redis-py's own check
    r.execute_command("SET", "x", "1", "EX", 100)
    assert 0 < r.ttl("x") <= 100


# -- what libraries read from the client (connection_kwargs, repr, fork) -------------------

_NOMINAL = ("host", "port", "db", "username", "password", "socket_timeout",
            "socket_connect_timeout", "socket_keepalive", "retry_on_error", "health_check_interval",
            "client_name", "encoding", "encoding_errors", "decode_responses", "path")


@pytest.mark.parametrize("how", [
    lambda cls: cls(),
    lambda cls: cls(host="cache.internal", port=6380, db=2, password="pw", socket_timeout=1.5),
    lambda cls: cls.from_url("redis://ann:secret@cache.internal:6390/3"),
    lambda cls: cls(unix_socket_path="/tmp/redis.sock", db=1),
])
def test_pool_keeps_redis_pys_connection_kwargs(how: Callable[[type], Any]) -> None:
    """pottery, rq and others read host/port/db from connection_kwargs to tell servers
    apart or rebuild a client: the drop-in keeps what redis-py keeps, same values."""
    real = how(redis.Redis)
    engine = Engine(active_expire=False)
    from kvengine.redis_compat import patch_redis

    with patch_redis(engine):
        ours = how(redis.Redis)
    want = {k: v for k, v in real.connection_pool.connection_kwargs.items() if k in _NOMINAL}
    got = {k: v for k, v in ours.connection_pool.connection_kwargs.items() if k in _NOMINAL}
    # every keyword redis-py keeps is there, with its value (from_url keeps only what the
    # URL says in redis-py; the drop-in also has the defaults, which is harmless)
    assert {k: got.get(k, "<missing>") for k in want} == want
    assert ours.ping() is True
    text = repr(ours)
    assert "kvengine in-process" in text and "password" not in text and "secret" not in text
    where = want.get("path") or f"host={want['host']},port={want['port']}"
    assert str(where) in text
    real.close()
    ours.close()
    engine.close()


def test_drop_in_connection_repr_is_honest() -> None:
    engine = Engine(active_expire=False)
    r = Redis(engine=engine, host="cache.internal", port=6380)
    conn = r.connection_pool.get_connection()
    try:
        text = repr(conn)
        assert "kvengine=in-process" in text
        assert "nominal_host=cache.internal" in text and "nominal_port=6380" in text
        assert (conn.host, conn.port) == ("cache.internal", 6380)
    finally:
        r.connection_pool.release(conn)
        r.close()
        engine.close()


def test_rq_style_rebuild_from_connection_kwargs() -> None:
    """rq's pattern: copy connection_kwargs, raise socket_timeout in place, and rebuild
    a client of the same classes from them (in the same process, it reaches the engine)."""
    engine = Engine(active_expire=False)
    r = Redis(engine=engine)
    pool = r.connection_pool
    pool.connection_kwargs.update({"socket_timeout": 420})
    kwargs = {k: v for k, v in pool.connection_kwargs.items() if type(v) is not object}
    again = type(r)(connection_pool=redis.ConnectionPool(connection_class=pool.connection_class, **kwargs))
    try:
        r.set("job", "queued")
        assert again.get("job") == b"queued"
        assert again.connection_pool.connection_kwargs["host"] == "localhost"
    finally:
        again.close()
        r.close()
        engine.close()


def _child_work(engine: Engine, queue: Any) -> None:  # pragma: no cover - runs in a child
    r = Redis(engine=engine)
    r.set("from-child", "1")
    r.incr("counter")
    queue.put((r.get("from-child"), r.get("counter"), r.get("from-parent")))


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork()")
def test_a_forked_child_works_on_a_private_copy() -> None:
    """multiprocessing (fork) or rq's work-horse: the child gets a copy of the engine,
    usable on its own; its writes do not reach the parent (no shared memory, no socket)."""
    import multiprocessing

    engine = Engine()
    engine.set("from-parent", "p")
    engine.set("counter", 10)
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_child_work, args=(engine, queue))
    child.start()
    try:
        assert queue.get(timeout=30) == (b"1", b"11", b"p")
    finally:
        child.join(timeout=30)
    assert child.exitcode == 0
    assert engine.get("from-child") is None and engine.get("counter") == b"10"
    engine.close()
