# The two commands: `make run` (set up, build from ../shared/data, serve it on http://127.0.0.1:8000/)
# and `make test` (set up everything, then lint, type-check and run every test).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SOURCES ?= ../shared/data
STORE ?= var
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run serve test setup system build lint typecheck bench bench-pages bench-api clean

$(BIN)/observatory: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
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

test: system lint typecheck
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python bench/build.py

bench-pages: setup system
	$(BIN)/python bench/pages.py

bench-api: setup system
	$(BIN)/python bench/api.py

clean:
	rm -rf $(VENV) $(STORE) .pytest_cache .mypy_cache .ruff_cache
