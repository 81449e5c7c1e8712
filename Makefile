# KAM: two commands for a newcomer (`make run`, `make test`); the rest for developers.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
KAM_DATA_DIR ?= ./var
export KAM_DATA_DIR

.PHONY: run test bench lint fmt install install-dev assets clean help

help:
	@echo "make run    set up and serve KAM with demo data on http://127.0.0.1:8000"
	@echo "make test   set up and run ruff, the import layers, mypy, the migration check and the tests"
	@echo "make bench  run the benchmarks in benchmarks/"
	@echo "make lint   ruff + mypy;  make fmt  format the code"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install only when the dependency pins change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(VENV)/.installed $@

node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

install: $(VENV)/.installed node_modules/.installed
install-dev: $(VENV)/.installed-dev node_modules/.installed
assets: node_modules/.installed

run: install
	$(BIN)/kam run

test: install-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy kam
	$(BIN)/kam makemigrations --check --dry-run
	$(BIN)/pytest -n auto $(PYTEST_ARGS)

bench: install-dev
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy kam

fmt: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) node_modules
