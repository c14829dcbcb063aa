# kvengine: the two commands a fresh machine needs are `make demo` and `make test`.
PYTHON ?= python3
PIP := $(PYTHON) -m pip
PYTEST := $(PYTHON) -m pytest -q -p no:cacheprovider -n 2

.PHONY: install redis-server demo test test-native test-pure test-sanitize bench lint clean

install:  ## install kvengine (compiling the C table) with its dev dependencies
	$(PIP) install -q -e '.[dev]'
	$(PYTHON) -c "import kvengine; print('kvengine', kvengine.__version__, 'native C table:', kvengine.NATIVE)"

redis-server:  ## the differential tests need a real redis-server (Debian package)
	@command -v redis-server >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; \
		else sudo apt-get update -qq && sudo apt-get install -y -qq redis-server >/dev/null; fi; }
	@redis-server --version

demo: install  ## a tour of the engine
	$(PYTHON) examples/demo.py

test: install redis-server test-native test-pure  ## the whole suite, on the C table and on the twin

test-native:
	KVENGINE_REQUIRE_NATIVE=1 KVENGINE_REQUIRE_REDIS=1 $(PYTEST)

test-pure:
	KVENGINE_PUREPYTHON=1 KVENGINE_REQUIRE_REDIS=1 $(PYTEST)

# The C table built under ASan+UBSan as a separate module (_table_asan, never the
# normal .so), driven by its twin tests, the malformed-call children, eviction and SCAN.
SAN_CC ?= gcc
test-sanitize:  ## the C table under AddressSanitizer and UndefinedBehaviorSanitizer: 0 reports
	KVENGINE_SANITIZE=1 $(PYTHON) bindings/build_table.py --inplace
	LD_PRELOAD="$$($(SAN_CC) -print-file-name=libasan.so)" ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 KVENGINE_SANITIZE=1 KVENGINE_REQUIRE_NATIVE=1 \
	$(PYTEST) tests/test_table.py tests/test_eviction.py tests/test_fastpath.py \
		tests/differential/test_keys.py::test_scan_full_iteration tests/differential/test_keys.py::test_randomkey \
		tests/test_api.py::test_scan_iter_and_mapping_helpers

bench: install redis-server  ## side-by-side benchmarks; the table goes to benchmarks/RESULTS.md by hand
	KVENGINE_REQUIRE_NATIVE=1 $(PYTHON) -m pytest benchmarks/test_bench_core.py benchmarks/test_bench_types.py benchmarks/test_bench_scripting.py -q -p no:cacheprovider \
		--benchmark-json=benchmarks/results.json
	$(PYTHON) benchmarks/report.py benchmarks/results.json

lint:
	ruff check .

clean:
	rm -rf build dist *.egg-info kvengine/_native/_table*.so kvengine/_native/_table.c
