# Two commands for a fresh machine with only Python 3.11:  make run  |  make test
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install run test typecheck lint format bench smoke fuzz browser

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/python manage.py migrate --noinput
	@echo ""
	@echo "Tutor Calendar on http://$(HOST):$(PORT)  (daphne: HTTP + WebSocket, embedded SQLite, no bot token needed)"
	@echo "  Mini App:   http://$(HOST):$(PORT)/  (dev sign-in as tutor, student or parent)"
	@echo "  Swagger UI: http://$(HOST):$(PORT)/api/docs/     Admin: http://$(HOST):$(PORT)/admin/"
	@echo "  A token:    $(BIN)/python manage.py issue_token --telegram-id 1 --role teacher"
	@echo "  Staff user: $(BIN)/python manage.py createsuperuser"
	@echo ""
	$(BIN)/daphne -b $(HOST) -p $(PORT) tutorcal.asgi:application

test: install
	$(BIN)/ruff check .
	DJANGO_TESTING=1 $(BIN)/mypy
	DJANGO_TESTING=1 $(BIN)/pytest $(PYTEST_ARGS)

# mypy (django-stubs, djangorestframework-stubs) on the services and selectors modules listed in pyproject.toml
typecheck: install
	DJANGO_TESTING=1 $(BIN)/mypy

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

# Production-like smoke test (run by .ci/run): nginx (repo config) + gunicorn + daphne + worker on loopback with
# DJANGO_DEBUG=False, against DATABASE_URL (PostgreSQL) and REDIS_URL. Needs nginx: apt-get install -y nginx-light.
smoke: install
	TUTORCAL_SMOKE=1 DJANGO_TESTING=1 $(BIN)/pytest tests/smoke -m smoke -v

# The built-in Mini App in a real browser (run by .ci/run): Playwright + Debian's Chromium (/usr/bin/chromium;
# apt-get install -y chromium), daphne on 127.0.0.1. Failing steps leave screenshots in tests/browser/artifacts/;
# the README's screenshots are rewritten in docs/screenshots/.
browser: install
	TUTORCAL_BROWSER=1 DJANGO_TESTING=1 $(BIN)/pytest tests/browser -m browser -v $(PYTEST_ARGS)

# Fuzz gate (run by .ci/run after the tests): hostile-body corpus + schemathesis against a production-settings
# gunicorn on a fresh PostgreSQL database (DATABASE_URL's server) and a private redis-server; fails on any 5xx.
fuzz: install
	$(BIN)/python tests/fuzz/run_fuzz.py
