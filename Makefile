# papertrends: `make run` and `make test` do all set-up on a fresh machine.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test lint format dagster clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: setup
	$(BIN)/papertrends run

test: setup
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check pipelines tests bench
	$(BIN)/ruff format --check pipelines tests bench
	$(BIN)/sqlfluff lint dbt_project/models dbt_project/macros dbt_project/tests

format: setup
	$(BIN)/ruff check --fix pipelines tests bench
	$(BIN)/ruff format pipelines tests bench
	$(BIN)/sqlfluff fix dbt_project/models

dagster: setup
	DAGSTER_HOME=$${PAPERTRENDS_HOME:-$(CURDIR)/data}/dagster $(BIN)/dagster dev -w workspace.yaml

clean:
	rm -rf data/raw data/warehouse data/published data/dagster data/logs dbt_project/target
