# rempart: two commands on a fresh machine with Python 3.11 and pip:  make demo  /  make test
SHELL := /bin/bash
.DEFAULT_GOAL := help
export UV_PYTHON_DOWNLOADS := never
PYTHON ?= python3
BOOT := .bootstrap
UV_VERSION := 0.13.9
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/$(BOOT)/bin/uv)
VENV_STAMP := .venv/.rempart-synced

.PHONY: help demo test check bench lint format env clean

help:
	@echo "make demo   - run rempart (database, demo region, twin, web) until Ctrl-C"
	@echo "make test   - the whole test suite on SQLite and on a throwaway PostgreSQL"
	@echo "make check  - ruff format check, ruff lint, mypy --strict, import-linter, then tests"
	@echo "make bench  - the benchmarks under benchmarks/, JSON results in benchmarks/results/"

# uv is installed with pip into a private bootstrap venv when it is not on PATH.
$(CURDIR)/$(BOOT)/bin/uv:
	$(PYTHON) -m venv $(BOOT)
	$(BOOT)/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV_STAMP): pyproject.toml uv.lock | $(UV)
	"$(UV)" sync --frozen
	@touch $@

env: $(VENV_STAMP)

demo: env
	"$(UV)" run --frozen rempart demo

test: env
	UV="$(UV)" scripts/test.sh

lint: env
	"$(UV)" run --frozen ruff format --check src tests benchmarks
	"$(UV)" run --frozen ruff check src tests benchmarks
	"$(UV)" run --frozen mypy
	"$(UV)" run --frozen lint-imports

check: lint test

format: env
	"$(UV)" run --frozen ruff format src tests benchmarks
	"$(UV)" run --frozen ruff check --fix src tests benchmarks

bench: env
	"$(UV)" run --frozen python -m benchmarks

clean:
	rm -rf .venv $(BOOT) .mypy_cache .ruff_cache var
