# The two commands: `make run` and `make test`.
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
WORKER_CONNECTIONS ?= 4000
export FLASK_APP := wsgi.py

.PHONY: run dev test install migrate bench

$(BIN)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,postgres,redis]'
	touch $@

install: $(BIN)/.installed

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

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)
