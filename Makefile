# Two commands for a newcomer (see README): `make demo` and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: install demo lint format test test-fast bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/storyreel demo

lint: install
	$(BIN)/ruff check storyreel tests bench
	$(BIN)/ruff format --check storyreel tests bench
	$(BIN)/mypy storyreel

format: install
	$(BIN)/ruff format storyreel tests bench
	$(BIN)/ruff check --fix storyreel tests bench

test: lint
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not slow"

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache out .storyreel
