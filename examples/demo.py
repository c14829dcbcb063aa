"""A tour of kvengine: strings and TTLs on a manual clock, data types, a transaction,
a Lua script, a job queue on a stream with a consumer group, a cache under maxmemory,
a hostile script that cannot hurt the engine, and a data directory that survives a
restart (and refuses a second opener).

Run: make demo
"""

from __future__ import annotations

import tempfile
import threading

import kvengine
from kvengine import Engine, ManualClock


def strings_and_ttls() -> None:
    clock = ManualClock()
    kv = Engine(clock=clock, decode_responses=True)
    kv.set("user:1", "ann", ex=60)
    kv.set("user:2", "bob")
    for _ in range(3):
        kv.incr("page:home")
    print("GET user:1            ->", kv.get("user:1"))
    print("TTL user:1            ->", kv.ttl("user:1"))
    print("INCR page:home x3     ->", kv.get("page:home"))
    clock.advance(61)  # time moves only when we say so
    print("after 61 s, GET user:1 ->", kv.get("user:1"), "(expired)")
    try:
        kv.incr("user:2")
    except kvengine.ResponseError as exc:
        print("INCR user:2           -> error:", exc)
    kv.close()


def data_types() -> None:
    kv = Engine(decode_responses=True)
    kv.hset("user:1:profile", mapping={"name": "ann", "lang": "fr"})
    kv.zadd("age", {"ann": 31, "bob": 27, "cyd": 45})
    kv.sadd("tags", "redis", "python", "c")
    print("HGETALL user:1:profile ->", kv.hgetall("user:1:profile"))
    print("ZRANGE age WITHSCORES  ->", kv.zrange("age", 0, -1, withscores=True))
    print("SINTER tags            ->", sorted(kv.sinter("tags")))

    # A queue: a consumer thread blocks in BLPOP until a producer pushes.
    got: list[object] = []
    consumer = threading.Thread(target=lambda: got.append(kv.blpop(["jobs"], timeout=5)))
    consumer.start()
    kv.rpush("jobs", "resize:42")
    consumer.join()
    print("BLPOP jobs (threaded)  ->", got[0])
    kv.close()


def transactions_and_scripts() -> None:
    kv = Engine(decode_responses=True)
    kv.set("balance", 100)

    def withdraw(pipe: kvengine.pipeline.Pipeline) -> None:
        balance = int(pipe.get("balance"))  # WATCHed read
        pipe.multi()
        pipe.set("balance", balance - 30)

    kv.transaction(withdraw, "balance")  # WATCH/MULTI/EXEC, retried on conflict
    print("after transaction, balance ->", kv.get("balance"))

    limiter = kv.register_script(
        """
        local n = redis.call('INCR', KEYS[1])
        if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
        return n <= tonumber(ARGV[2]) and 1 or 0
        """
    )
    allowed = [limiter(keys=["rate:ann"], args=[60, 3]) for _ in range(5)]
    print("rate limiter (3/min), 5 calls ->", allowed)
    kv.close()


def job_queue_on_a_stream() -> None:
    clock = ManualClock()
    kv = Engine(clock=clock, decode_responses=True, active_expire=False)
    kv.xgroup_create("jobs", "workers", "$", mkstream=True)
    for n in range(5):
        kv.xadd("jobs", {"resize": f"img{n}.png"})
    batch = kv.xreadgroup("workers", "w1", {"jobs": ">"}, count=3)[0][1]
    kv.xack("jobs", "workers", batch[0][0])  # w1 finishes one job, then dies
    print("w1 took, acked 1       ->", [fields["resize"] for _, fields in batch])
    clock.advance(61)  # a minute later a rescuer claims what w1 left pending
    _, claimed, _ = kv.xautoclaim("jobs", "workers", "rescuer", min_idle_time=60_000)
    print("rescuer reclaimed      ->", [fields["resize"] for _, fields in claimed])
    kv.close()


def hostile_input() -> None:
    kv = Engine()
    for script in ("return unpack({}, -2147483648, 2147483647)",  # crashed Lua before (CVE shape)
                   "return #string.rep('x', 2^29)"):                # 512 MiB, over the Lua cap
        try:
            kv.eval(script, 0)
        except kvengine.exceptions.ResponseError as exc:
            print("refused                ->", str(exc).split(" script:")[0][:95])
    kv.sadd("s", "a")
    try:
        kv.srandmember("s", -(2**63))
    except kvengine.exceptions.ResponseError as exc:
        print("refused                ->", exc)
    print("engine still fine      ->", kv.smembers("s"))
    kv.close()


def cache_under_maxmemory() -> None:
    cache = Engine(maxmemory="200kb", maxmemory_policy="allkeys-lru")
    for i in range(10_000):
        cache.set(f"page:{i}", "x" * 100)
    info = cache.info()
    print(f"cache: {cache.dbsize()} keys kept, {info['evicted_keys']} evicted, "
          f"used_memory {info['used_memory_human']} (maxmemory {info['maxmemory_human']}; "
          "the last write may overshoot, as in Redis)")
    cache.close()


def persistence() -> None:
    with tempfile.TemporaryDirectory() as data:
        with Engine(data) as kv:  # hybrid snapshot + append-only log, fsync every second
            kv.set("greeting", "bonjour")
            kv.rpush("history", "a", "b", "c")
        with Engine(data, decode_responses=True) as kv:  # a restart: the data is back
            print("after restart          ->", kv.get("greeting"), kv.lrange("history", 0, -1))
            try:
                Engine(data)  # a second opener would interleave its writes: refused
            except kvengine.persistence.DataDirLocked as exc:
                print("second opener          ->", type(exc).__name__)


def main() -> None:
    print(f"kvengine {kvengine.__version__}, native C table: {kvengine.NATIVE}\n")
    for part in (strings_and_ttls, data_types, transactions_and_scripts, job_queue_on_a_stream,
                 hostile_input, cache_under_maxmemory, persistence):
        print(f"-- {part.__name__.replace('_', ' ')}")
        part()
        print()


if __name__ == "__main__":
    main()
