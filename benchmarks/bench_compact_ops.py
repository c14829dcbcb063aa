"""CPU time per call (us) of reads and writes on small (packed) containers, two trees.

Usage: python benchmarks/bench_compact_ops.py BEFORE_TREE [op,op,...] [rounds]

Each round runs every operation in a fresh child of BEFORE_TREE (another kvengine
checkout, built) and of this tree, alternating; best of 7 x 2,000 calls per child and
the minimum over rounds, in process CPU time (a loaded machine disturbs it less than
the wall clock).  Compare within a row.
"""

import json
import os
import subprocess
import sys

CHILD = r'''
import json, sys, time
import kvengine
kv = kvengine.Engine(active_expire=False)
for i in range(1000):
    kv.hset(b"user:%08d" % i, mapping={b"field%d" % f: b"value-%d-%d" % (i, f) for f in range(10)})
    kv.zadd(b"z:%08d" % i, {b"member:%d" % f: i + f * 1.5 for f in range(10)})
    kv.sadd(b"s:%08d" % i, *[i * 10 + f for f in range(10)])
    kv.rpush(b"l:%08d" % i, *[b"item-%d-%d" % (i, f) for f in range(10)])
n = iter(range(10**9))
H = {b"field%d" % f: b"value-%d" % f for f in range(10)}
Z = {b"member:%d" % f: f * 1.5 for f in range(10)}
S = list(range(100, 110))
L = [b"item-%d" % f for f in range(10)]
ops = {
 "hget": lambda: kv.hget(b"user:00000500", b"field7"),
 "hset10_new": lambda: kv.hset(b"new:%d" % next(n), mapping=H),
 "hset1_update": lambda: kv.hset(b"user:00000500", b"field3", b"xyz"),
 "hset1_newfield": lambda: (kv.hset(b"user:00000501", b"extra", b"v"), kv.hdel(b"user:00000501", b"extra")),
 "hincrby": lambda: kv.hincrby(b"user:00000502", b"cnt", 1),
 "hgetall": lambda: kv.hgetall(b"user:00000500"),
 "zscore": lambda: kv.zscore(b"z:00000500", b"member:7"),
 "zadd10_new": lambda: kv.zadd(b"newz:%d" % next(n), Z),
 "zadd1_update": lambda: kv.zadd(b"z:00000500", {b"member:3": 7.25}),
 "zincrby": lambda: kv.zincrby(b"z:00000502", 1, b"member:4"),
 "zrange": lambda: kv.zrange(b"z:00000500", 0, -1, withscores=True),
 "sadd10_new": lambda: kv.sadd(b"news:%d" % next(n), *S),
 "sadd1_exist": lambda: kv.sadd(b"s:00000500", 5003),
 "sismember": lambda: kv.sismember(b"s:00000500", 5003),
 "smembers": lambda: kv.smembers(b"s:00000500"),
 "rpush10_new": lambda: kv.rpush(b"newl:%d" % next(n), *L),
 "lpush_rpop": lambda: (kv.lpush(b"l:00000502", b"x"), kv.rpop(b"l:00000502")),
 "lrange10": lambda: kv.lrange(b"l:00000500", 0, -1),
 "lrange3": lambda: kv.lrange(b"l:00000500", 2, 4),
 "lindex": lambda: kv.lindex(b"l:00000500", 5),
}
sel = sys.argv[1].split(",") if len(sys.argv) > 1 and sys.argv[1] else list(ops)
out = {}
for name in sel:
    fn = ops[name]
    best = 1e9
    for r in range(7):
        t = time.process_time()
        for _ in range(2000):
            fn()
        best = min(best, time.process_time() - t)
    out[name] = best / 2000 * 1e6
print(json.dumps(out))
'''
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
trees = {"old": os.path.abspath(sys.argv[1]), "new": ROOT}
sel = sys.argv[2] if len(sys.argv) > 2 else ""
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
res = {k: {} for k in trees}
for _ in range(rounds):
    for k, t in trees.items():
        o = subprocess.run([sys.executable, "-c", CHILD, sel], capture_output=True, text=True, cwd=t,
                           env=dict(os.environ, PYTHONPATH=t), check=True)
        for name, v in json.loads(o.stdout).items():
            res[k][name] = min(res[k].get(name, 1e9), v)
print(f"{'op':16} {'before':>7} {'after':>7} ratio")
for name in res["old"]:
    o, nw = res["old"][name], res["new"][name]
    print(f"{name:16} {o:7.2f} {nw:7.2f} {nw/o:5.2f}{'  SLOWER' if nw > o*1.02 else ''}")
