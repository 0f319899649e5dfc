# Two entry points: `make run` (set up, build the index, chat) and `make test` (set up, check everything).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: setup setup-test run ingest test lint eval bench clean

$(BIN)/assistant: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

setup: $(BIN)/assistant

$(VENV)/.test-deps: $(BIN)/assistant
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

setup-test: $(VENV)/.test-deps

ingest: setup
	$(BIN)/assistant ingest --quiet

run: ingest
	$(BIN)/assistant chat

lint: setup-test
	$(BIN)/ruff check assistant tests
	$(BIN)/ruff format --check assistant tests

test: setup-test lint
	$(BIN)/python -m pytest -q
	$(MAKE) eval

# The offline eval gates CI: exit 1 when a floor is missed or a baseline case regresses.
eval: ingest
	$(BIN)/assistant eval

bench: ingest
	$(BIN)/assistant bench

clean:
	rm -rf $(VENV) index/CURRENT index/snapshots index/chroma index/pending.json
