# The README's two commands: `make run` and `make test`. Each sets itself up first.
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: setup index run test lint

$(BIN)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,prod]'
	touch $@

setup: $(BIN)/.installed

index: setup
	$(BIN)/shownotes index

run: index
	$(BIN)/shownotes serve --host $(HOST) --port $(PORT)

test: setup
	$(BIN)/pytest -q

lint: setup
	$(BIN)/ruff check indexer webapp tests
	$(BIN)/ruff format --check indexer webapp tests
	$(BIN)/mypy --strict indexer webapp
