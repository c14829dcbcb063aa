"""Pipelines, transaction(), WATCH across threads and views, effects propagation."""

from __future__ import annotations

import threading

import pytest
import redis

from kvengine import Engine, ManualClock
from kvengine import exceptions as e


def test_pipeline_chains_and_returns_typed_results(kv: Engine) -> None:
    pipe = kv.pipeline()
    assert pipe.set("a", 1).incr("a").hset("h", mapping={"f": "v"}).hgetall("h").smembers("nope") is pipe
    assert len(pipe) == 5
    assert pipe.execute() == [True, 2, 1, {b"f": b"v"}, set()]
    assert len(pipe) == 0
    assert pipe.execute() == []


def test_pipeline_without_transaction(kv: Engine) -> None:
    pipe = kv.pipeline(transaction=False)
    pipe.rpush("l", 1, 2).lrange("l", 0, -1)
    assert pipe.execute() == [2, [b"1", b"2"]]


def test_execute_command_queue_error_aborts_whole_transaction(kv: Engine) -> None:
    # redis-py raises the first queueing error, annotated (not EXECABORT): see
    # tests/differential/test_multi_pipeline.py
    pipe = kv.pipeline()
    pipe.set("a", 1).execute_command("SET", "a")
    with pytest.raises(redis.exceptions.ResponseError) as info:
        pipe.execute()
    assert type(info.value) is e.ResponseError
    assert str(info.value) == ("Command # 2 (SET a) of pipeline caused error: "
                               "wrong number of arguments for 'set' command")
    assert kv.get("a") is None


def test_watch_conflict_raises_watch_error(kv: Engine) -> None:
    other = kv.client()
    kv.set("k", 1)
    with kv.pipeline() as pipe:
        pipe.watch("k")
        assert pipe.get("k") == b"1"  # immediate mode while watching
        other.set("k", 5)
        pipe.multi()
        pipe.set("k", 2)
        with pytest.raises(redis.WatchError):
            pipe.execute()
    assert kv.get("k") == b"5"


def test_watched_key_expiring_on_the_manual_clock_aborts(clock: ManualClock) -> None:
    kv = Engine(clock=clock, active_expire=False)
    kv.set("k", 1, px=100)
    pipe = kv.pipeline()
    pipe.watch("k")
    clock.advance(ms=200)
    pipe.multi()
    pipe.set("other", 1)
    with pytest.raises(redis.WatchError):
        pipe.execute()
    assert kv.get("other") is None


def test_transaction_helper_retries_until_clean(kv: Engine) -> None:
    kv.set("n", 0)
    attempts = []
    other = kv.client()

    def incr(pipe) -> None:
        value = int(pipe.get("n"))
        attempts.append(value)
        if len(attempts) == 1:
            other.set("n", 10)  # a concurrent writer: the first try must abort
        pipe.multi()
        pipe.set("n", value + 1)

    assert kv.transaction(incr, "n") == [True]
    assert attempts == [0, 10]
    assert kv.get("n") == b"11"
    assert kv.transaction(lambda p: "v", value_from_callable=True) == "v"


def test_check_and_set_from_threads_loses_no_update(kv: Engine) -> None:
    kv.set("n", 0)

    def worker() -> None:
        def incr(pipe) -> None:
            value = int(pipe.get("n"))
            pipe.multi()
            pipe.set("n", value + 1)

        for _ in range(150):
            kv.transaction(incr, "n")

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert kv.get("n") == b"600"


def test_exec_is_atomic_for_other_threads(kv: Engine) -> None:
    """A reader never sees one key of a transaction written without the other."""
    stop = threading.Event()
    torn = []

    def reader() -> None:
        while not stop.is_set():
            a, b = kv.mget("a", "b")
            if a != b:
                torn.append((a, b))

    t = threading.Thread(target=reader)
    t.start()
    try:
        for i in range(2000):
            pipe = kv.pipeline()
            pipe.set("a", i).set("b", i)
            pipe.execute()
    finally:
        stop.set()
        t.join()
    assert torn == []


def test_raw_multi_exec_per_view(kv: Engine) -> None:
    other = kv.client()
    assert kv.execute_command("MULTI") == b"OK"
    assert kv.execute_command("INCRBY", "x", "1") == b"QUEUED"
    assert other.get("x") is None  # queued, not run; other views are not in kv's MULTI
    assert other.incrby("y", 2) == 2
    assert kv.execute_command("EXEC") == [1]
    assert kv.get("x") == b"1"


def test_effects_propagate_wrapped_in_multi_exec(kv: Engine) -> None:
    srv = kv.server
    fed: list = []
    srv.feeding = True
    srv.flush_feed = lambda: (fed.extend(srv.pending_ops), srv.pending_ops.clear())  # type: ignore[method-assign]
    pipe = kv.pipeline()
    pipe.set("a", 1).get("a").incr("a")
    pipe.execute()
    assert [op for _, op in fed] == [[b"MULTI"], [b"SET", b"a", b"1"], [b"INCRBY", b"a", b"1"], [b"EXEC"]]
    fed.clear()
    pipe.set("b", 1).get("b")
    pipe.execute()
    assert [op for _, op in fed] == [[b"SET", b"b", b"1"]]  # one effect: no wrapper
    fed.clear()
    kv.execute_command("MULTI")
    kv.execute_command("GET", "a")
    kv.execute_command("EXEC")
    assert fed == []  # a read-only transaction logs nothing


def test_blocked_client_served_after_exec_not_during(kv: Engine) -> None:
    got = []
    t = threading.Thread(target=lambda: got.append(kv.client().blpop("q", timeout=5)))
    t.start()
    while not kv.server.blocked:
        threading.Event().wait(0.001)
    pipe = kv.pipeline()
    pipe.rpush("q", "x").llen("q").delete("q")
    assert pipe.execute() == [1, 1, 1]
    kv.rpush("q", "y")
    t.join(5)
    assert got == [(b"q", b"y")]


def test_engine_survives_errors_in_exec(kv: Engine) -> None:
    kv.set("s", "v")
    kv.execute_command("MULTI")
    kv.execute_command("INCR", "s")
    replies = kv.execute_command("EXEC")
    assert isinstance(replies[0], e.ResponseError)
    assert kv.get("s") == b"v"
    assert kv.multi is None


# -- the pipeline's shortcuts (GET/SET inline, execute_command resolved when queued) ---


def _feed(kv: Engine) -> list:
    srv = kv.server
    fed: list = []
    srv.feeding = True
    srv.flush_feed = lambda: (fed.extend(srv.pending_ops), srv.pending_ops.clear())  # type: ignore[method-assign]
    return fed


def test_transaction_effects_reach_the_aof_wrapped_in_multi_exec(tmp_path, clock: ManualClock) -> None:
    kv = Engine(str(tmp_path), clock=clock, active_expire=False, persistence="aof", appendfsync="always")
    pipe = kv.client(db=2).pipeline()
    pipe.set("a", "1").get("a").execute_command("INCRBY", "a", 5).rpush("l", "x").set("b", b"2")
    assert pipe.execute() == [True, b"1", 6, 1, True]
    kv.close()
    log = (tmp_path / "appendonly.aof").read_bytes()
    resp = [b"*%d\r\n" % len(argv) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in argv) for argv in (
        [b"SELECT", b"2"], [b"MULTI"], [b"SET", b"a", b"1"], [b"INCRBY", b"a", b"5"],
        [b"RPUSH", b"l", b"x"], [b"SET", b"b", b"2"], [b"EXEC"])]
    assert log.endswith(b"".join(resp))
    with Engine(str(tmp_path), clock=clock, active_expire=False, persistence="aof") as again:
        assert again.client(db=2).mget("a", "b") == [b"6", b"2"]
        assert again.client(db=2).lrange("l", 0, -1) == [b"x"]


def test_fast_entries_count_stats_dirty_and_signal_watchers(kv: Engine) -> None:
    srv = kv.server
    watcher = kv.pipeline()
    watcher.watch("a")
    dirty, calls_set, calls_get = srv.dirty, kv.info("commandstats"), None
    before = kv.info("stats")
    pipe = kv.pipeline()
    pipe.set("a", 1).get("a").get("missing").set("b", 2)
    assert pipe.execute() == [True, b"1", None, True]
    after = kv.info("stats")
    assert srv.dirty == dirty + 2
    assert after["keyspace_hits"] == before["keyspace_hits"] + 1
    assert after["keyspace_misses"] == before["keyspace_misses"] + 1
    calls_get = kv.info("commandstats")
    assert calls_get["cmdstat_set"]["calls"] == calls_set["cmdstat_set"]["calls"] + 2
    assert calls_get["cmdstat_get"]["calls"] == calls_set.get("cmdstat_get", {"calls": 0})["calls"] + 2
    watcher.multi()
    watcher.get("a")
    with pytest.raises(redis.WatchError):
        watcher.execute()  # the inline SET invalidated the other pipeline's WATCH


def test_watch_abort_runs_nothing_and_forgets_the_watch(kv: Engine) -> None:
    fed = _feed(kv)
    kv.set("k", 1)
    fed.clear()
    pipe = kv.pipeline()
    pipe.watch("k")
    kv.client().set("k", 2)
    fed.clear()
    pipe.multi()
    pipe.set("k", 3).set("j", 3).execute_command("SET", "i", 3)
    with pytest.raises(redis.WatchError):
        pipe.execute()
    assert kv.mget("k", "j", "i") == [b"2", None, None]
    assert fed == []
    assert kv.server.watched == {}
    pipe.set("k", 4)  # no longer watching: the next transaction runs
    assert pipe.execute() == [True]


def test_queueing_errors_abort_before_anything_runs(kv: Engine) -> None:
    fed = _feed(kv)
    for bad in (("NOSUCH", "x"), ("GET",), ("OBJECT", "NOSUCH", "a")):
        pipe = kv.pipeline()
        pipe.watch("w")
        pipe.multi()
        pipe.set("a", 1).execute_command(*bad).get("a")
        with pytest.raises(redis.exceptions.ResponseError, match=r"^Command # 2 ") as info:
            pipe.execute()
        assert not isinstance(info.value, redis.exceptions.ExecAbortError)
        assert kv.get("a") is None
        assert kv.server.watched == {}
    assert fed == []


def test_runtime_errors_stay_in_place_and_the_first_is_raised(kv: Engine) -> None:
    kv.rpush("l", "x")
    pipe = kv.pipeline()
    pipe.set("a", 1).get("l").execute_command("INCR", "l").set("b", 2).get("b")
    results = pipe.execute(raise_on_error=False)
    assert [type(r).__name__ for r in results] == ["bool", "ResponseError", "ResponseError", "bool", "bytes"]
    assert str(results[1]).startswith("WRONGTYPE")
    pipe.get("l").set("c", 3)
    with pytest.raises(redis.ResponseError, match=r"^Command # 1 \(GET l\) of pipeline caused error: WRONGTYPE"):
        pipe.execute()
    assert kv.get("c") == b"3"  # no rollback, as Redis
    pipe = kv.pipeline(transaction=False)
    pipe.get("a").get("l").execute_command("LLEN", "l").get("nope")
    with pytest.raises(redis.ResponseError, match=r"^Command # 2 \(GET l\) of pipeline caused error: WRONGTYPE"):
        pipe.execute()


def test_unencodable_argument_raises_at_execute_and_runs_nothing(kv: Engine) -> None:
    for transaction in (True, False):
        pipe = kv.pipeline(transaction=transaction)
        pipe.set("a", 1)
        pipe.set("b", None)  # type: ignore[arg-type]
        pipe.get({"x"})  # type: ignore[arg-type]
        with pytest.raises(redis.DataError):
            pipe.execute()
        assert kv.get("a") is None
        assert len(pipe) == 0
        assert pipe.execute() == []


def test_oom_aborts_a_pipeline_transaction_whole(clock: ManualClock) -> None:
    kv = Engine(clock=clock, active_expire=False, maxmemory_policy="noeviction")
    kv.set("x", "1")
    kv.config_set("maxmemory", 1)
    pipe = kv.pipeline()
    pipe.get("x").set("a", 1).incr("n")
    with pytest.raises(redis.exceptions.OutOfMemoryError, match=r"^Command # 1 \(GET x\) of pipeline"):
        pipe.execute(raise_on_error=False)  # an aborted EXEC raises either way, as redis-py
    assert kv.mget("a", "n") == [None, None]
    pipe = kv.pipeline(transaction=False)  # no transaction: each command on its own
    pipe.get("x").set("a", 1)
    results = pipe.execute(raise_on_error=False)
    assert results[0] == b"1" and isinstance(results[1], redis.exceptions.OutOfMemoryError)


def test_oom_in_a_transaction_evicts_first_under_an_eviction_policy(clock: ManualClock) -> None:
    kv = Engine(clock=clock, active_expire=False, maxmemory_policy="allkeys-lru", seed=3)
    for i in range(50):
        kv.set(f"k{i}", "v" * 100)
    kv.config_set("maxmemory", kv.server.used_memory() - 500)
    pipe = kv.pipeline()
    pipe.set("new", "v").get("new")
    assert pipe.execute() == [True, b"v"]
    assert kv.info("stats")["evicted_keys"] > 0


def test_pipeline_on_another_db_and_select_inside(kv: Engine) -> None:
    fed = _feed(kv)
    view = kv.client(db=3)
    pipe = view.pipeline()
    pipe.set("a", "3").get("a").execute_command("SELECT", 4).set("a", "4").get("a")
    assert pipe.execute() == [True, b"3", True, True, b"4"]
    assert [(db, op) for db, op in fed] == [
        (3, [b"MULTI"]), (3, [b"SET", b"a", b"3"]), (4, [b"SET", b"a", b"4"]), (4, [b"EXEC"])]
    assert kv.get("a") is None
    assert kv.client(db=3).get("a") == b"3"
    assert kv.client(db=4).get("a") == b"4"
    pipe = kv.client(db=5).pipeline(transaction=False)
    pipe.set("a", "5").get("a")
    assert pipe.execute() == [True, b"5"]
    assert kv.client(db=5).get("a") == b"5" and kv.get("a") is None


def test_decode_responses_in_pipelines(kv: Engine) -> None:
    view = kv.client(decode_responses=True)
    kv.set("a", "é")
    for transaction in (True, False):
        pipe = view.pipeline(transaction=transaction)
        pipe.get("a").get("nope").set("b", "ü").execute_command("GET", "b").execute_command("PING")
        pipe.execute_command("HSET", "h", "f", "v").hgetall("h")
        assert pipe.execute() == ["é", None, True, "ü", True, 1, {"f": "v"}]
        kv.delete("h")


def test_non_transaction_gets_expire_lazily_and_log_del(clock: ManualClock) -> None:
    kv = Engine(clock=clock, active_expire=False)
    fed = _feed(kv)
    kv.set("a", 1, px=10)
    kv.set("b", 2)
    fed.clear()
    clock.advance(ms=20)
    pipe = kv.pipeline(transaction=False)
    pipe.get("a").get("b").get("a")
    assert pipe.execute() == [None, b"2", None]
    assert fed == [(0, [b"DEL", b"a"])]
    assert kv.info("stats")["expired_keys"] == 1


def test_blocking_command_in_a_non_transaction_pipeline_is_served(kv: Engine) -> None:
    from tests.threads import start, wait_blocked

    pipe = kv.pipeline(transaction=False)
    pipe.get("x").blpop("q", timeout=5).get("x")
    t, out = start(pipe.execute)
    wait_blocked(kv, 1)
    kv.set("x", "after")  # the pipeline holds no lock while it waits
    kv.rpush("q", "item")
    t.join(5)
    assert out == [[None, (b"q", b"item"), b"after"]]


def test_misconf_aborts_a_transaction_with_writes_like_queueing_in_redis(kv: Engine) -> None:
    """Redis rejects a write while queueing when persistence fails (MISCONF), which
    aborts EXEC; redis-py then raises that first error.  Reads-only transactions run."""
    misconf = "MISCONF Errors writing to the AOF file: No space left on device"
    kv.set("a", "1")
    kv.server.write_denied = misconf  # what a failing AOF write leaves (test_persistence_crash)
    try:
        pipe = kv.pipeline()
        pipe.get("a").incr("a").set("b", 1)
        with pytest.raises(e.MisconfError, match=r"^Command # 2 \(INCRBY a 1\) of pipeline caused error: MISCONF"):
            pipe.execute(raise_on_error=False)
        pipe.get("a").execute_command("GET", "a")
        assert pipe.execute() == [b"1", b"1"]
        pipe = kv.pipeline(transaction=False)  # no transaction: each write refused alone
        pipe.get("a").set("b", 1).get("b")
        results = pipe.execute(raise_on_error=False)
        assert results[0] == b"1" and isinstance(results[1], e.MisconfError) and results[2] is None
    finally:
        kv.server.write_denied = None
    assert kv.mget("a", "b") == [b"1", None]


def test_inline_get_set_have_the_general_paths_side_effects(clock: ManualClock) -> None:
    """The same transaction with GET/SET queued as typed calls (run inline) and as
    execute_command (run by dispatch.execute): identical replies, data, dirty counter,
    keyspace and command stats, propagation, WATCH invalidation and blocked clients."""
    from tests.threads import start, wait_blocked

    seen = []
    for inline in (True, False):
        kv = Engine(clock=ManualClock(clock.ms), active_expire=False, seed=1)
        kv.set("gone", "x", px=5)
        kv.rpush("l", "x")
        clock_ms = clock.ms
        kv.server.clock.advance(ms=10)  # "gone" is now past its time
        fed = _feed(kv)
        watcher = kv.pipeline()
        watcher.watch("w")
        waiter, out = start(lambda kv=kv: kv.client().blpop("w", timeout=0))
        wait_blocked(kv, 1)
        pipe = kv.client(db=0).pipeline()
        ops = [("SET", "w", "1"), ("GET", "w"), ("GET", "gone"), ("GET", "l"), ("GET", "missing"),
               ("SET", "n", "2")]
        for op in ops:
            if inline:
                getattr(pipe, op[0].lower())(*op[1:])
            else:
                pipe.execute_command(*op)
        before = kv.info("commandstats")  # (Command.calls is per process, not per engine)
        results = pipe.execute(raise_on_error=False)
        kv.rpush("w2", "unblock")  # nothing for the waiter: it waits on "w"
        kv.delete("w")
        kv.rpush("w", "item")
        waiter.join(5)
        stats = kv.info("stats")
        cmds = kv.info("commandstats")
        seen.append((
            [repr(r) for r in results],
            kv.mget("w", "n", "gone"),
            kv.server.dirty,
            [stats[k] for k in ("keyspace_hits", "keyspace_misses", "expired_keys")],
            [cmds[k]["calls"] - before.get(k, {"calls": 0})["calls"] for k in ("cmdstat_get", "cmdstat_set")],
            fed,
            watcher._view.watch_dirty,
            [repr(r) for r in out],
        ))
        assert clock_ms == clock.ms
        kv.close()
    assert seen[0] == seen[1]
    assert seen[0][6] is True  # the SET invalidated the other pipeline's WATCH
