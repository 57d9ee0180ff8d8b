# Two commands set everything up on a fresh machine with Python 3.11+ and make:
#   make demo   - create .venv, install, run the demo session
#   make test   - create .venv, install with test extras, run the whole suite
#   make check  - lint (ruff), types (mypy) and the layer rules (import-linter), in seconds
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test check format install install-test install-dev bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $@ $(VENV)/.installed-test $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test
install-dev: $(VENV)/.installed-dev

demo: install
	$(BIN)/iop-tui demo

# The suite on 4 workers (its tests mostly wait on relays, terminals and PostgreSQL, so 4
# fit 2 cores), then the few marked `serial` alone: they measure how one process meets
# the machine (write backlogs, file limits), which other tests running beside would blur.
test: install-test
	$(BIN)/python -m pytest -q -n 4 -m "not serial"
	$(BIN)/python -m pytest -q -m serial

# Formatting (ruff format, and import order) is configured in pyproject.toml
# and applied to the whole tree at once with `make format`; `check` checks
# lint, types and layers, not formatting, until that has been done.
check: install-dev
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

format: install-dev
	$(BIN)/ruff check --select I --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) build *.egg-info
