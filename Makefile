# Every target creates .venv and installs into it when needed.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_DEVICES ?= 2000

.PHONY: run test lint format migrate demo bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py generate_demo_data --devices $(DEMO_DEVICES) --if-empty --demo-logins
	@echo "Backup Report is serving on http://$(HOST):$(PORT)/; its worker runs the background jobs."
	@# The worker (uploads, Sync now, webhooks, password reset mails) beside the web server, stopped with it: Ctrl-C ends
	@# both. --no-reload: on SIGTERM the worker finishes its job, a reloader would kill it.
	@# Both in the background and waited for: a shell runs no trap while a command in the foreground runs, so a SIGTERM
	@# to make (a container's stop, `timeout make run`) stopped nothing (found by an audit); `wait` is cut short by it.
	@$(BIN)/python manage.py db_worker --no-reload & worker=$$!; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT) & web=$$!; \
	trap 'kill $$web $$worker 2>/dev/null; wait $$web $$worker 2>/dev/null' EXIT; \
	trap 'exit 130' INT; trap 'exit 143' TERM; \
	wait $$web

# The suite on every core (pytest-xdist); TEST_WORKERS=0 runs it in this one process.
TEST_WORKERS ?= auto
test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --noinput

bench: $(STAMP)
	@command -v wrk >/dev/null || echo "wrk is missing (apt-get install wrk): section g is left out."
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles
