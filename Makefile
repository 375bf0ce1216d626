# Two commands do all the setup: `make run` and `make test`. Both create .venv when missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
# The stamps are newer than pyproject.toml once its dependencies are installed.
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test lint format bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is needed (found $(PYTHON))"; exit 1; }
	@$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e . 2>&1 | grep -v "^WARNING: Location" || true
	@$(BIN)/python -c 'import telegram, spacy, spacy_lookups_data, transitions, aiosqlite, cryptography, matplotlib' || { echo "install failed"; exit 1; }
	@touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]' 2>&1 | grep -v "^WARNING: Location" || true
	@$(BIN)/python -c 'import telegram, spacy, spacy_lookups_data, transitions, aiosqlite, cryptography, matplotlib, pytest, pytest_asyncio, aiohttp' || { echo "install failed"; exit 1; }
	@touch $@ $(RUN_STAMP)

run: $(RUN_STAMP)
	@$(BIN)/python -m bot

test: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q

lint: $(DEV_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(DEV_STAMP)
	$(BIN)/python bench/bot_throughput.py
	$(BIN)/python bench/crisis_latency.py
	$(BIN)/python bench/nlp.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
