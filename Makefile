# Every target builds its own virtual environment from pyproject.toml on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The demo needs the SDK and the local server only, not the development tools.
DEMO_VENV := .venv-demo
DEMO_STAMP := $(DEMO_VENV)/.installed

.PHONY: demo test generate check-generated lint typecheck record bench server clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	# The reference client shares our import name, so it lives apart for the parity tests.
	$(BIN)/pip install -q --upgrade --no-deps --target $(VENV)/reference-client cocalc-api==0.5.1
	touch $(STAMP)

$(DEMO_STAMP): pyproject.toml
	$(PYTHON) -m venv $(DEMO_VENV)
	$(DEMO_VENV)/bin/pip install -q --upgrade pip
	$(DEMO_VENV)/bin/pip install -q -e '.[server]'
	touch $(DEMO_STAMP)

demo: $(DEMO_STAMP)
	$(DEMO_VENV)/bin/python -m demo

test: $(STAMP) lint typecheck check-generated
	$(BIN)/pytest -q -n auto --dist loadfile

generate: $(STAMP)
	$(BIN)/python -m generator

check-generated: $(STAMP)
	$(BIN)/python -m generator --check

lint: $(STAMP)
	$(BIN)/ruff check src generator tests demo bench
	$(BIN)/ruff format --check src generator tests demo bench

typecheck: $(STAMP)
	$(BIN)/mypy src generated generator demo bench

record: $(STAMP)
	$(BIN)/python -m tests.record

bench: $(STAMP)
	$(BIN)/python -m bench

server: $(STAMP)
	$(BIN)/cocalc-project-server

clean:
	rm -rf $(VENV) $(DEMO_VENV)
