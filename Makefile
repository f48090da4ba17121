# 長照行政入口 — the two commands in README.md are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := wsgi:app
PG_ADMIN_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres

.PHONY: run test test-sqlite test-postgres serve worker redis system-packages venv db demo postgres clean

run: system-packages venv ## install everything, migrate, load demo data, serve on http://127.0.0.1:5000
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo
	$(BIN)/flask run --host 127.0.0.1 --port 5000

test: system-packages venv postgres redis ## install everything and run the whole suite on SQLite and PostgreSQL
	$(BIN)/pytest
	PORTAL_TEST_DATABASE=postgres PORTAL_TEST_PG_ADMIN_URL=$(PG_ADMIN_URL) $(BIN)/pytest

test-sqlite: venv
	$(BIN)/pytest $(ARGS)

test-postgres: venv postgres
	PORTAL_TEST_DATABASE=postgres PORTAL_TEST_PG_ADMIN_URL=$(PG_ADMIN_URL) $(BIN)/pytest $(ARGS)

worker: venv ## background-job worker (needs REDIS_URL, e.g. redis://127.0.0.1:6379/0)
	$(BIN)/flask jobs-worker

serve: venv ## production server (set SECRET_KEY, DATABASE_URL, PORTAL_ENV=production)
	$(BIN)/flask db upgrade
	$(BIN)/gunicorn --workers $${WEB_CONCURRENCY:-3} --bind $${BIND:-127.0.0.1:8000} wsgi:app

system-packages:
	@scripts/install-system-packages.sh

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

redis:
	@scripts/ensure-redis.sh

postgres:
	@scripts/ensure-postgres.sh

clean:
	rm -rf $(VENV) instance/portal.sqlite3
