# The README's two commands: `make run` and `make test`. Every step is idempotent and re-runs
# only when its inputs change (stamp files inside .venv/ and node_modules/).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: run test test-js setup deps node static migrate test-sqlite test-postgres bench lock clean

run: setup
	$(PY) scripts/run.py

# The SQLite pass in the foreground, the PostgreSQL pass beside it (its output goes to
# var/test-postgres.log and is shown at the end). Most tests wait on processes, sockets and
# browsers, so the two together take about as long as the SQLite pass alone (about 11 min against 13.5
# one after the other on a 2-core machine).
test: deps node static test-js
	@mkdir -p var
	@$(MAKE) --no-print-directory test-postgres > var/test-postgres.log 2>&1 & pg=$$!; \
	$(PY) -m pytest; sqlite=$$?; \
	wait $$pg; postgres=$$?; \
	echo "--- the PostgreSQL pass (var/test-postgres.log) ---"; \
	if [ $$postgres -eq 0 ]; then tail -n 1 var/test-postgres.log; else cat var/test-postgres.log; fi; \
	[ $$sqlite -eq 0 ] && [ $$postgres -eq 0 ]

# The suite again on PostgreSQL: every test that reads or writes the database through the app.
# Left out: browser tests (they exercise pages, not the database), `make run`'s tests (the embedded
# defaults ignore DATABASE_URL by design), static files and the X-ray stream (no database code).
PG_TESTS := tests/api tests/classroom tests/integration --ignore=tests/integration/test_make_run.py \
	--ignore=tests/integration/test_static.py --ignore=tests/integration/test_live_xray.py
test-postgres: deps
	@if $(PY) scripts/pg_ready.py "$(PG_TEST_URL)"; then \
		DATABASE_URL="$(PG_TEST_URL)" $(PY) -m pytest -m "not browser" $(PG_TESTS); \
	else echo "PostgreSQL at $(PG_TEST_URL) is not reachable: skipping the PostgreSQL pass"; fi

setup: deps node migrate static

# The pure chart maths of static/js, under node's own test runner.
test-js:
	node --test tests/js/

$(PY):
	$(PYTHON) -m venv $(VENV)

deps: $(VENV)/.deps-stamp
$(VENV)/.deps-stamp: requirements.lock | $(PY)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.lock
	touch $@

# npm packages, then the partial plotly.js bundle built from them (build/plotly/, collected as static).
node: node_modules/.node-stamp build/plotly/plotly-layerlab.min.js
node_modules/.node-stamp: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@
build/plotly/plotly-layerlab.min.js: node_modules/.node-stamp scripts/build_plotly.mjs
	node scripts/build_plotly.mjs

# Hashed, gzip- and brotli-compressed copies in STATIC_ROOT, which WhiteNoise serves.
static: deps node
	$(PY) manage.py collectstatic --noinput -v 0

migrate: deps
	$(PY) manage.py migrate --noinput

bench: deps
	$(PY) bench/bench_summary.py
	$(PY) bench/bench_engine.py

# Re-pin requirements.lock from a fresh resolve of pyproject.toml.
lock:
	rm -rf /tmp/layerlab-lock && $(PYTHON) -m venv /tmp/layerlab-lock
	/tmp/layerlab-lock/bin/pip install --quiet ".[test]"
	/tmp/layerlab-lock/bin/pip freeze --exclude layerlab | sed 's/^torch==\(.*\)+cpu$$/torch==\1/' > requirements.lock

clean:
	rm -rf $(VENV) node_modules var build
