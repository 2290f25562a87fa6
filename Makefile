# papertrends: `make run` and `make test` do all set-up on a fresh machine.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup browser run test lint format dagster bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: setup
	$(BIN)/papertrends run

# The report's browser test needs a chromium (Debian package). Installed when we may (root with
# apt-get); otherwise the test skips, and says so loudly here first.
browser:
	@if command -v chromium >/dev/null 2>&1; then \
		echo "chromium: $$(command -v chromium)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium); \
	else \
		echo "**********************************************************************"; \
		echo "WARNING: chromium is not installed and cannot be installed here"; \
		echo "(needs root and apt-get): tests/test_report_browser.py will be SKIPPED."; \
		echo "Install the chromium package, then rerun make test."; \
		echo "**********************************************************************"; \
	fi

# Two workers, a test file each at a time (its module fixtures run once): a pipeline run keeps
# about one of the two cores busy. Files go out slowest first (tests/conftest.py): xdist's own
# order, most tests first, left the slowest files for the end. TEST_WORKERS=0: in this process.
TEST_WORKERS ?= 2

test: setup browser
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=30

lint: setup
	$(BIN)/ruff check pipelines tests bench
	$(BIN)/ruff format --check pipelines tests bench
	$(BIN)/sqlfluff lint dbt_project/models dbt_project/macros dbt_project/tests

format: setup
	$(BIN)/ruff check --fix pipelines tests bench
	$(BIN)/ruff format pipelines tests bench
	$(BIN)/sqlfluff fix dbt_project/models

# Benchmarks print tables (never timed tests); figures go to bench/RESULTS.md. Sizes fit a
# 2-core machine's disk and half an hour: with 100k papers the set took 34.5 minutes on a slow
# day (session 12), so 50k; 1M papers x 10 snapshots is ~68 GB of JSON. The 100k and 1M figures:
# bench/full_build.py --sizes 10000,100000 and --sizes 1000000 --snapshots 2 --days 333.
BENCH_SIZES ?= 10000,50000
BENCH_INCREMENT_PAPERS ?= 50000
bench: setup
	$(BIN)/python bench/noop_run.py
	$(BIN)/python bench/full_build.py --sizes $(BENCH_SIZES) --clean
	$(BIN)/python bench/increment.py --papers $(BENCH_INCREMENT_PAPERS)
	$(BIN)/python bench/ingest_throughput.py --replicate 60 10 100
	$(BIN)/python bench/topic_stability.py

dagster: setup
	DAGSTER_HOME=$${PAPERTRENDS_HOME:-$(CURDIR)/data}/dagster $(BIN)/dagster dev -w workspace.yaml

clean:
	rm -rf data/raw data/warehouse data/published data/dagster data/logs data/state dbt_project/target
