# Two commands a new machine needs:  make demo  (run the platform)  and  make test  (the whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: demo test lint test-sqlite test-postgres bench bench-directory bench-books bench-dispatch bench-booking bench-booking-calls bench-votes bench-opinion bench-impact bench-merkle bench-log bench-operations bench-inbox bench-search bench-load install install-dev

$(BIN)/taawun: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

install: $(BIN)/taawun

$(VENV)/.dev: $(BIN)/taawun
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install-dev: $(VENV)/.dev

demo: install
	$(BIN)/taawun demo

lint: install-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy src
	$(BIN)/bandit -q -r src -c pyproject.toml
	$(BIN)/pip-audit --vulnerability-service pypi --skip-editable

test-sqlite: install-dev
	$(BIN)/pytest -p no:cacheprovider

test-postgres: install-dev
	DATABASE_URL=$(PG_URL) $(BIN)/pytest -p no:cacheprovider

test: install-dev
	scripts/ensure-test-services
	$(MAKE) lint
	$(MAKE) test-sqlite
	$(MAKE) test-postgres

bench: bench-directory bench-books bench-dispatch bench-booking bench-booking-calls bench-votes bench-opinion bench-impact bench-merkle bench-log bench-operations bench-inbox bench-search

bench-directory: install-dev
	scripts/ensure-test-services bench
	$(BIN)/python benchmarks/run.py

bench-books: install-dev
	scripts/ensure-test-services
	$(BIN)/python benchmarks/books.py

bench-dispatch: install-dev
	$(BIN)/python benchmarks/dispatch.py

bench-booking: install-dev
	scripts/ensure-test-services
	$(BIN)/python benchmarks/booking.py

bench-booking-calls: install-dev
	scripts/ensure-test-services
	$(BIN)/python benchmarks/booking_calls.py

bench-votes: install-dev
	$(BIN)/python benchmarks/votes.py

bench-opinion: install-dev
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/opinion.py

bench-impact: install-dev
	$(BIN)/python benchmarks/impact.py

bench-merkle: install-dev
	$(BIN)/python benchmarks/merkle.py

bench-operations: install-dev
	scripts/ensure-test-services
	$(BIN)/python benchmarks/operations.py

bench-log: install-dev
	scripts/ensure-test-services
	$(BIN)/python benchmarks/log.py

bench-inbox: install-dev
	scripts/ensure-test-services
	$(BIN)/python benchmarks/inbox.py

bench-search: install-dev
	scripts/ensure-test-services
	$(BIN)/python benchmarks/bench_search.py
	$(BIN)/python benchmarks/bench_search.py --postgres

# Not part of `bench`: it runs ten minutes and more.
bench-load: install-dev
	scripts/ensure-test-services
	$(BIN)/pip install --quiet -e '.[load]'
	$(BIN)/python benchmarks/load.py
