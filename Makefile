# Comity: the two commands a newcomer needs are `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint typecheck unit bench serve browser-deps clean

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)

## Debian's chromium for the browser tests (Playwright drives it; it never downloads a browser of its own).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

demo: setup
	$(BIN)/comity demo

serve: setup
	$(BIN)/comity serve

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: setup
	$(BIN)/mypy

test: setup browser-deps lint typecheck
	$(BIN)/pytest

## PostgreSQL figures use this server (each benchmark makes and drops a scratch database); empty: SQLite only.
COMITY_BENCH_PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
bench: setup
	COMITY_BENCH_PG_URL="$(COMITY_BENCH_PG_URL)" $(PY) -m benchmarks.run

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
