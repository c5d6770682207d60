# The README's two commands: `make run` and `make test`. Every step is idempotent and re-runs
# only when its inputs change (stamp files inside .venv/ and node_modules/).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: run test test-js setup deps node static migrate bench lock clean

run: setup
	$(PY) scripts/run.py

# The suite on SQLite and on PostgreSQL, in two lanes side by side (scripts/test.py says which
# tests go where); the second lane's output is in var/test-lane2.log and shown at the end.
test: deps node static test-js
	PG_TEST_URL="$(PG_TEST_URL)" $(PY) scripts/test.py

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
