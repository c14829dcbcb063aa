# kvengine: the two commands a fresh machine needs are `make demo` and `make test`.
PYTHON ?= python3
PIP := $(PYTHON) -m pip
PYTEST := $(PYTHON) -m pytest -q -p no:cacheprovider -n 2

.PHONY: install redis-server demo test test-native test-pure bench lint clean

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

bench: install redis-server  ## side-by-side benchmarks; the table goes to benchmarks/RESULTS.md by hand
	KVENGINE_REQUIRE_NATIVE=1 $(PYTHON) -m pytest benchmarks/test_bench_core.py benchmarks/test_bench_types.py benchmarks/test_bench_scripting.py -q -p no:cacheprovider \
		--benchmark-json=benchmarks/results.json
	$(PYTHON) benchmarks/report.py benchmarks/results.json

lint:
	ruff check .

clean:
	rm -rf build dist *.egg-info kvengine/_native/_table*.so kvengine/_native/_table.c
