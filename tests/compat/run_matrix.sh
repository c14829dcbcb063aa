#!/usr/bin/env bash
# Run the redis-py drop-in's compatibility suite (tests/test_redis_compat.py) under each
# redis-py major version, each in its own throwaway virtualenv.
#
#   tests/compat/run_matrix.sh                      # the default versions below
#   REDIS_PY_VERSIONS="5.0.8 8.1.0" tests/compat/run_matrix.sh
#
# kvengine itself is not installed into the venvs: the checkout is put on PYTHONPATH,
# so the C table already built in the working tree (pip install -e .) is reused and
# nothing in the tree is rebuilt.  Needs redis-server for the "real Redis" half of the
# suite (KVENGINE_REQUIRE_REDIS=1 makes its absence a failure).
set -u
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PYTHON="${PYTHON:-python3}"
VENVS="${KVENGINE_COMPAT_VENVS:-${TMPDIR:-/tmp}/kvengine-compat-venvs}"
VERSIONS="${REDIS_PY_VERSIONS:-5.0.8 5.3.1 6.4.0 7.4.1 8.1.0}"
mkdir -p "$VENVS"
declare -A RESULT
status=0
for v in $VERSIONS; do
    venv="$VENVS/redis-$v"
    if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import redis, hypothesis, lupa, sys; sys.exit(redis.__version__ != '$v')" 2>/dev/null; then
        rm -rf "$venv"
        "$PYTHON" -m venv "$venv" || { RESULT[$v]="venv failed"; status=1; continue; }
        if ! "$venv/bin/pip" install -q "redis==$v" pytest hypothesis cffi msgpack sortedcontainers lupa >"$venv.log" 2>&1; then
            RESULT[$v]="pip install failed (see $venv.log)"; status=1; continue
        fi
    fi
    echo "=== redis-py $v"
    out=$(cd "$ROOT" && PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" "$venv/bin/python" -m pytest -q \
          -p no:cacheprovider tests/test_redis_compat.py 2>&1)
    rc=$?
    echo "$out" | tail -n 15
    RESULT[$v]="$(echo "$out" | grep -E '^[0-9]+ (passed|failed)|passed|failed' | tail -n 1)"
    [ $rc -eq 0 ] || status=1
done
echo
echo "redis-py  result"
for v in $VERSIONS; do
    printf '%-9s %s\n' "$v" "${RESULT[$v]}"
done
exit $status
