# The two commands: `make run` (set up, build from ../shared/data, show the release) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SOURCES ?= ../shared/data
STORE ?= var

.PHONY: run test setup build lint typecheck bench clean

$(BIN)/observatory: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

setup: $(BIN)/observatory

build: setup
	$(BIN)/observatory build --sources $(SOURCES) --store $(STORE)

run: build
	$(BIN)/observatory releases --store $(STORE)

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: setup
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python bench/build.py

clean:
	rm -rf $(VENV) $(STORE) .pytest_cache .mypy_cache .ruff_cache
