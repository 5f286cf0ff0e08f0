# CareTrail: `make run` and `make test` are all a new user needs (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Test processes (pytest-xdist): one per core.  Each test clones its own
# database (about 0.1 s); the suite is CPU-bound (the app, PostgreSQL and
# headless Chromium share the cores).
TEST_WORKERS ?= auto

.PHONY: run serve worker test lint format bench bench-load clean-venv translations

$(STAMP): requirements.txt
	@echo "[caretrail] setting up $(VENV) from requirements.txt"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $(STAMP)

## run: embedded PostgreSQL (unless DATABASE_URL is set), migrate, set up, serve
run: $(STAMP)
	@$(BIN)/python -m app.launcher

## serve: gunicorn (4 workers, --preload: gunicorn.conf.py) against DATABASE_URL, already migrated and set up by `make run` or `flask db upgrade`
serve: $(STAMP)
	@$(BIN)/gunicorn run:app

## worker: run background jobs (queue, periodic tasks) against DATABASE_URL; `make run` starts one itself
worker: $(STAMP)
	@$(BIN)/flask --app run.py worker

## test: the whole suite against a real PostgreSQL (TEST_DATABASE_URL, else embedded)
test: $(STAMP)
	@$(BIN)/python -m app.embedded_postgres --check-install
	@if [ -n "$$TEST_DATABASE_URL" ]; then echo "[caretrail] testing against TEST_DATABASE_URL"; \
	 else echo "[caretrail] testing against a throwaway embedded PostgreSQL: one cluster per test process in /tmp/caretrail-test-*, reachable by its user (caretrail-pg as root), removed afterwards"; fi
	@$(BIN)/python -m pytest -n $(TEST_WORKERS)

## bench: load test short form (10,000 patients, 20 users, 15 s), audit overhead (throughput and instructions), audit search, free-slot, prescription-check, PDF and alert-latency benchmarks (minutes; prints ratios and timings)
bench: $(STAMP) bench-load
	@$(BIN)/python -m bench.audit_overhead
	@$(BIN)/python -m bench.audit_search
	@$(BIN)/python -m bench.slots
	@if command -v valgrind >/dev/null; then $(BIN)/python -m bench.audit_instructions; \
	 else echo "[caretrail] valgrind is not installed: skipping bench.audit_instructions"; fi
	@$(BIN)/python -m bench.prescription_check
	@$(BIN)/python -m bench.pdf
	@$(BIN)/python -m bench.alert_latency

## bench-load: the load test's short form alone (see README, "Performance at hospital scale", for the full one)
bench-load: $(STAMP)
	@$(BIN)/python -m bench.load

## translations: extract every msgid, merge into translations/fr (.po), compile the committed .mo
translations: $(STAMP)
	@$(BIN)/python -m app.interface.translations

lint: $(STAMP)
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .

format: $(STAMP)
	@$(BIN)/ruff format .
	@$(BIN)/ruff check --fix .

clean-venv:
	rm -rf $(VENV)
