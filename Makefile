# The two commands of the quickstart: `make run` and `make test`. Both set everything up first.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
MANIFEST := dbt_project/target/manifest.json
KPI_DOCS := dbt_project/models/docs/kpi_catalog.md
DBT_SOURCES := $(shell find dbt_project/models dbt_project/macros dbt_project/seeds dbt_project/tests -type f) dbt_project/dbt_project.yml

export CRM_KPI_HOME ?= $(CURDIR)/.crm_kpi
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DBT_LOG_PATH := $(CRM_KPI_HOME)/logs/dbt
export GX_ANALYTICS_ENABLED := False

.PHONY: setup manifest browser postgres java run test test-slow bench ui lock clean

## setup: the virtualenv from requirements.lock (hash-checked) and the dbt manifest
setup: $(INSTALLED) $(MANIFEST)

$(INSTALLED): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.9
	@# Bytecode compiled once here: where PYTHONDONTWRITEBYTECODE is set (CI images, containers) every
	@# dbt process of every run would otherwise compile dbt from source again (about 4 s each).
	$(BIN)/uv pip sync --quiet --python $(BIN)/python --require-hashes --compile-bytecode requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $@

## manifest: dbt's manifest, prepared once here so Dagster never parses the project on import;
## parsed as the pipeline's dbt runs (orchestration/runtime/dbt_child.py), so every run keeps the parse
manifest: $(MANIFEST)
$(MANIFEST): $(INSTALLED) $(DBT_SOURCES) $(KPI_DOCS) dbt_project/profiles.yml
	$(BIN)/crm-kpi-dbt parse --profiles-dir $(CURDIR)/dbt_project --quiet
	@touch $@

# The KPI doc blocks and macros are generated from the catalog seed and the marts' yml (and committed,
# so dbt also works alone).
$(KPI_DOCS): dbt_project/seeds/kpi_catalog.csv orchestration/kpi_catalog.py $(wildcard dbt_project/models/marts/*/_kpi_*.yml) $(INSTALLED)
	$(BIN)/python -m orchestration.kpi_catalog

## run: generate the demo org, run the whole pipeline through Dagster, publish, print the KPIs
run: setup
	$(BIN)/crm-kpi run

## browser: Debian's headless Chromium and its WebDriver, for the browser tests (installed once)
CHROMIUM_PACKAGES := chromium chromium-driver
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(CHROMIUM_PACKAGES); \
	fi

## postgres: Debian's PostgreSQL server, for the tests of the Postgres engine (each test run starts a
## throwaway cluster of its own: tests/support/postgres.py); installed once
postgres:
	@# postgresql-common first, told to create no system cluster: the package would otherwise start
	@# one of its own on port 5432 of every machine that runs the tests
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-common && \
		$(SUDO) sed -i 's/^#* *create_main_cluster *=.*/create_main_cluster = false/' \
			/etc/postgresql-common/createcluster.conf && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; \
	fi

## test: lint, then the test suite (two workers; a test file stays on one, as its runs share a state
## directory). sqlfluff lints the dbt project inside the suite (tests/transform/test_sql_style.py).
test: setup browser postgres
	$(BIN)/ruff check orchestration data_quality demo_org tests bench
	$(BIN)/pytest -n 2 --dist loadfile -m "not slow" --durations=15

## java: Debian's Java 17 runtime, which Spark 4 needs, unless a java of 17 or later is on the PATH
java:
	@if ! java -version 2>&1 | grep -Eq 'version "(1[7-9]|[2-9][0-9])'; then \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless; \
	fi

## test-slow: the tests that kill or race whole runs, and the dbt project on Spark (CI runs them
## after `make test`)
test-slow: setup java
	$(BIN)/pytest -n 2 --dist loadfile -m slow --durations=10

## bench: the pipeline stage by stage beside the floor script (bench/), on scale 1, scale 10 and the
## large org with a day's delta (SIZES="1 10" for fewer); docs/performance.md's table comes from it
## ENGINE=postgres or spark: the same runs on that engine (Postgres: a throwaway cluster unless PGHOST
## names a server)
SIZES ?= 1 10 large
ENGINE ?= duckdb
bench: setup $(if $(filter postgres,$(ENGINE)),postgres) $(if $(filter spark,$(ENGINE)),java)
	CRM_KPI_ENGINE=$(ENGINE) $(BIN)/python -m bench.pipeline $(SIZES)

## ui: the Dagster UI on the same state directory (http://127.0.0.1:3000)
ui: setup
	$(BIN)/python -m orchestration.runtime.instance
	DAGSTER_HOME=$(CRM_KPI_HOME)/dagster $(BIN)/dagster dev -w orchestration/workspace.yaml -h 127.0.0.1 -p 3000

## lock: re-resolve requirements.lock from pyproject.toml (needs the package index)
lock: $(INSTALLED)
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes \
		--no-header --quiet -o requirements.lock

clean:
	rm -rf $(VENV) dbt_project/target dbt_project/logs
