# The two commands: `make run` (serve the app, with the demo school) and `make test` (the whole suite).
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
WORKER_CONNECTIONS ?= 4000
export FLASK_APP := wsgi.py

PIP_INSTALL := $(BIN)/pip install --quiet --no-compile --disable-pip-version-check
# The embedded default (SQLite, in-process broker) needs only the runtime dependencies;
# with DATABASE_URL or REDIS_URL set, psycopg and redis come too.
SCALED_EXTRAS := [postgres,redis]
SERVE_EXTRAS := $(if $(DATABASE_URL)$(REDIS_URL),$(SCALED_EXTRAS),)
SERVE_MARK := $(BIN)/.installed-serve$(if $(SERVE_EXTRAS),-scaled,)
TEST_MARK := $(BIN)/.installed-test

.PHONY: run dev test install migrate bench

$(BIN)/python:
	python3 -m venv $(VENV)

$(SERVE_MARK): pyproject.toml | $(BIN)/python
	$(PIP_INSTALL) -e '.$(SERVE_EXTRAS)'
	touch $@

$(TEST_MARK): pyproject.toml | $(BIN)/python
	$(PIP_INSTALL) -e '.[test,postgres,redis]'
	touch $@

install: $(SERVE_MARK)

migrate: install
	$(BIN)/flask db upgrade

run: migrate
	$(BIN)/flask seed-demo --if-empty
	@echo ""
	@echo "RRP is starting on http://127.0.0.1:$(PORT)/"
	@echo "Demo sign-in: head@oakfield.example (admin, DSL), teacher1@oakfield.example (teacher),"
	@echo "  midday1@oakfield.example (support), pastoral@oakfield.example, dsl@oakfield.example;"
	@echo "  password: \$$RRP_DEMO_PASSWORD, or the one printed when the demo school was first loaded."
	@echo ""
	$(BIN)/gunicorn --worker-class gevent --workers 1 --worker-connections $(WORKER_CONNECTIONS) \
		--no-control-socket --bind 127.0.0.1:$(PORT) --access-logfile - wsgi:app

dev: migrate
	$(BIN)/flask seed-demo --if-empty
	$(BIN)/flask run --debug --host 127.0.0.1 --port $(PORT)

test: $(TEST_MARK)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(TEST_MARK)
	$(BIN)/python bench/page_weight.py
