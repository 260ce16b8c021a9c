# Two commands for a newcomer (see README): `make demo` and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
# The local (diffusers) extra's torch is the CPU build: see .ci/torch-cpu.txt.
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu
# An editable install leaves the package without bytecode, and where PYTHONDONTWRITEBYTECODE
# is set (many container images) every command would compile it again: 0.3-0.4 s of each
# command's start on a 2-core machine. A regular `pip install` compiles it the same way.
COMPILE = $(BIN)/python -m compileall -q storyreel

.PHONY: install demo lint format test test-slow test-all bench clean

$(STAMP): pyproject.toml .ci/torch-cpu.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,local]" -c .ci/torch-cpu.txt \
		$$($(PYTHON) .ci/cpu_index.py $(TORCH_CPU_INDEX))
	$(COMPILE)
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

# `make test` is the fast lane (under 30 min on a 2-core machine); the end-to-end, chaos and
# browser suites are marked `slow` and run in `make test-slow`. CI runs both (.ci/run).
test: lint
	$(BIN)/pytest -m "not slow"

test-slow: install
	$(BIN)/pytest -m slow

test-all: test test-slow

bench: install
	$(COMPILE)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache out .storyreel
