# The two commands: `make run` (set up, build from ../shared/data, serve it on http://127.0.0.1:8000/)
# and `make test` (set up everything, then lint, type-check and run every test).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SOURCES ?= ../shared/data
STORE ?= var
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run serve test setup system build lint typecheck audit bench bench-pages bench-api bench-load clean

$(BIN)/observatory: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip "setuptools==84.2.1"
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

setup: $(BIN)/observatory

# chromium, wrk, fonts and node_modules (axe-core, lighthouse) for the browser tests and bench/pages.py;
# installs only what is missing, so it is instant once done.
system:
	bash scripts/setup-system.sh

build: setup
	$(BIN)/observatory build --sources $(SOURCES) --store $(STORE)

run: build serve

serve: setup
	$(BIN)/observatory serve --store $(STORE) --host $(HOST) --port $(PORT)

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: setup
	$(BIN)/mypy

# Two pytest-xdist workers (CI has 2 cores); a whole test module stays on one worker (--dist loadfile) so its
# module-scoped fixtures are made once. PYTEST_WORKERS=0 runs everything in one process.
PYTEST_WORKERS ?= 2
test: system lint typecheck audit
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile --durations=40

# installed packages against the vendored advisory snapshot, and pip-audit when an advisory service answers;
# without one it says "advisory database unreachable: not checked" (and, with --offline-ok, does not fail)
audit: setup
	$(BIN)/python scripts/audit.py --offline-ok

bench: setup
	$(BIN)/python bench/build.py

bench-pages: setup system
	$(BIN)/python bench/pages.py

bench-api: setup system
	$(BIN)/python bench/api.py

bench-load: setup
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) $(STORE) .pytest_cache .mypy_cache .ruff_cache
