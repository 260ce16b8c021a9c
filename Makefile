# Two commands for a newcomer (see README): `make demo` and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
# The local (diffusers) extra's torch is the CPU build: see .ci/torch-cpu.txt.
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu

.PHONY: install demo lint format test test-fast bench clean

$(STAMP): pyproject.toml .ci/torch-cpu.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,local]" -c .ci/torch-cpu.txt \
		$$($(PYTHON) .ci/cpu_index.py $(TORCH_CPU_INDEX))
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
