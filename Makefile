# Two commands matter: `make site` and `make test`. Both work on a fresh clone with only Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: site test serve check bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(STAMP)

site: $(STAMP)
	$(BIN)/publisher build

test: $(TEST_STAMP)
	$(BIN)/python -m pytest

check: $(STAMP)
	$(BIN)/publisher check

serve: $(STAMP)
	$(BIN)/mkdocs serve --livereload

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf site .venv
