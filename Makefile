# Two commands do all the set-up on a fresh machine with Python 3.11 and make:
#   make demo   venv + install + the demo batch end to end on the synthetic source
#   make test   venv + install + test tools (chromium) + the whole suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# One switch, SENSEQUANT_PROFILE (sensequant_assets/profiles.py): demo (synthetic, the default)
# or live (set, or implied by SENSEQUANT_SOURCE=breeze|csv), each with its own Dagster instance,
# warehouse, cache and list folder. A DAGSTER_HOME set by the user wins.
PROFILE := $(or $(SENSEQUANT_PROFILE),$(if $(filter breeze csv,$(SENSEQUANT_SOURCE)),live,demo))
export DAGSTER_HOME ?= $(CURDIR)/$(if $(filter live,$(PROFILE)),.dagster_home_live,.dagster_home)
export NO_PROXY := 127.0.0.1,localhost
export no_proxy := 127.0.0.1,localhost
PORT ?= 3000
# The Postgres-backed instance (dagster-postgres.yaml) reads these; a deployment sets its own.
export DAGSTER_PG_HOST ?= 127.0.0.1
export DAGSTER_PG_PORT ?= 5499
export DAGSTER_PG_DB ?= dagster
export DAGSTER_PG_USER ?= postgres
export DAGSTER_PG_PASSWORD ?=

.PHONY: demo test ui bench bench-long bench-quick lint lock instance browser clean postgres-start postgres-stop ui-postgres

# Installs exactly the versions in requirements.lock (pip constraints), so every machine and CI
# run the Dagster the project's internals (dagster_internals.py) were checked against.
$(BIN)/.installed: pyproject.toml setup.cfg requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e ".[dev]"
	touch $@

# Refresh requirements.lock: the newest versions pyproject.toml allows, resolved in a fresh venv
# (.venv-lock, removed after), frozen without the project itself. Run `make test`, then commit.
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet --upgrade pip
	.venv-lock/bin/pip install --quiet -e ".[dev]"
	{ sed -n '1,2p' requirements.lock; \
	  .venv-lock/bin/pip freeze --exclude-editable --exclude sensequant-assets | grep -v '^#'; \
	} > requirements.lock.new
	mv requirements.lock.new requirements.lock
	rm -rf .venv-lock

# The instance, the profile's list folder, and .env (which `dagster dev`, `dg dev` and
# `dagster asset ...` read when started here without make).
instance: $(BIN)/.installed $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/python -m sensequant_assets.profiles

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $@

demo: $(BIN)/.installed instance
	$(BIN)/python -m sensequant_assets.demo

# The design card's workspace.yaml names the same code location that `dg dev` finds through
# pyproject.toml's [tool.dg]; either starts the same UI.
ui: $(BIN)/.installed instance
	$(BIN)/dagster dev -h 127.0.0.1 -p $(PORT) -w workspace.yaml

# A private PostgreSQL (Debian's package, installed where missing) under .postgres/, on
# 127.0.0.1:$(DAGSTER_PG_PORT): the instance storage for `ui-postgres` and the Postgres tests.
postgres-start:
	scripts/postgres.sh start

postgres-stop:
	scripts/postgres.sh stop

# The same UI on the Postgres instance, in its own Dagster home: the sqlite one stays the default.
ui-postgres: $(BIN)/.installed postgres-start
	mkdir -p .dagster_home_postgres
	cp dagster-postgres.yaml .dagster_home_postgres/dagster.yaml
	DAGSTER_HOME=$(CURDIR)/.dagster_home_postgres \
	  $(BIN)/dagster dev -h 127.0.0.1 -p $(PORT) -w workspace.yaml

# The end-to-end test drives a real headless browser: Debian's chromium.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing chromium (Debian package) for the end-to-end test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Two pytest-xdist workers: the daemon-bound end-to-end tests (real webserver, daemon and run
# processes) run one after another on one, everything else on the other; the 25 slowest tests are
# listed at the end, so a test that grows shows in CI before the suite nears its budget.
test: $(BIN)/.installed instance browser
	$(BIN)/dg check defs
	$(BIN)/dagster definitions validate -w workspace.yaml
	$(BIN)/python -m pytest -n 2 --dist loadgroup --durations=25

bench: $(BIN)/.installed
	$(BIN)/python -m benchmarks.teacher_quality
	$(BIN)/python -m benchmarks.bench

# The backfills section again with NIFTY 500 x 10 years on both deployments added (hours).
bench-long: $(BIN)/.installed
	$(BIN)/python -m benchmarks.bench --only backfills --long

bench-quick: $(BIN)/.installed
	$(BIN)/python -m benchmarks.bench --quick

lint: $(BIN)/.installed
	$(BIN)/ruff check sensequant_assets sensequant_assets_tests benchmarks
	$(BIN)/ruff format --check sensequant_assets sensequant_assets_tests benchmarks

clean:
	rm -rf $(VENV) $(DAGSTER_HOME) data/warehouse*.duckdb* data/warehouse*.snapshots data/cache data/models data/reports
