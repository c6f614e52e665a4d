# Every target builds its own virtual environment from pyproject.toml on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The demo needs the SDK, the local server and the command line, not the development tools.
DEMO_VENV := .venv-demo
DEMO_STAMP := $(DEMO_VENV)/.installed
MUTATE_STAMP := $(VENV)/.mutate-installed
# uv installs the environment's ~200 wheels in parallel: 19 s on a fresh machine where pip took
# 61 s (of a 180 s budget for `make test`). Pinned, like the other tools; it reads no pip.conf.
UV := uv==0.13.10
# The machine's certificate store, as pip's: where a proxy with its own authority stands
# between the machine and PyPI, uv's built-in roots alone are refused.
UV_INSTALL := uv pip install -q --system-certs
# Python writes its byte-code caches, and pytest its rewritten test modules, as they do by
# default: where the machine sets PYTHONDONTWRITEBYTECODE, each of the suite's processes (four
# workers, every server, kernel and command it starts) compiled every module again, and each
# worker's collection took 11 s of CPU instead of 4.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: demo test suite docs generate check-generated lint typecheck record bench server mutate clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q $(UV)
	$(BIN)/$(UV_INSTALL) --python $(BIN)/python -e '.[dev]'
	# The reference client shares our import name, so it lives apart for the parity tests.
	$(BIN)/$(UV_INSTALL) --python $(BIN)/python --no-deps --target $(VENV)/reference-client \
		cocalc-api==0.5.1
	# yapf pickles its grammars on first import; done once here, not by four test workers at
	# once (one of them read a half-written pickle: EOFError at collection).
	$(BIN)/python -c "import yapf.yapflib.yapf_api"
	touch $(STAMP)

$(DEMO_STAMP): pyproject.toml
	$(PYTHON) -m venv $(DEMO_VENV)
	$(DEMO_VENV)/bin/pip install -q $(UV)
	$(DEMO_VENV)/bin/$(UV_INSTALL) --python $(DEMO_VENV)/bin/python -e '.[server,cli]'
	touch $(DEMO_STAMP)

demo: $(DEMO_STAMP)
	$(DEMO_VENV)/bin/python -m demo

# The checks run beside the suite, which mostly waits on servers and kernels; each target's
# output is printed whole when it ends. Any failure fails `make test`.
test: $(STAMP)
	$(MAKE) --no-print-directory -j 5 --output-sync=target lint typecheck check-generated docs suite

suite: $(STAMP)
	$(BIN)/pytest -q -n 4 --dist worksteal

generate: $(STAMP)
	$(BIN)/python -m generator

check-generated: $(STAMP)
	$(BIN)/python -m generator --check

lint: $(STAMP)
	$(BIN)/ruff check src generator tests demo bench examples
	$(BIN)/ruff format --check src generator tests demo bench examples
	$(BIN)/lint-imports --no-cache

# mypy strict over the code and the examples; pyright strict over what users write (the typing
# cases and the examples: [tool.pyright] in pyproject.toml).
typecheck: $(STAMP)
	$(BIN)/mypy src generated generator demo bench examples
	$(BIN)/pyright

# The documentation site (mkdocs.yml) into build/site; --strict fails on any warning (a broken
# link, a page missing from the nav, a docstring mkdocstrings cannot read). Its code blocks run
# in the tests (tests/docs).
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

record: $(STAMP)
	$(BIN)/python -m tests.record

bench: $(STAMP)
	$(BIN)/python -m bench

server: $(STAMP)
	$(BIN)/cocalc-project-server

$(MUTATE_STAMP): $(STAMP)
	$(BIN)/$(UV_INSTALL) --python $(BIN)/python -e '.[dev,mutate]'
	touch $(MUTATE_STAMP)

# Mutation testing (MUTATION.md), outside `make test`, one module at a time
# (tests/mutation/run.py): mutmut over its functions, tests/mutation/constants.py over its
# module-level constants (which mutmut leaves alone), then its row of MUTATION.md.
# MODULES="a b" runs only those (a package stands for its modules). mutants/ is kept between
# runs (`make clean` removes it); each module's result is recorded as soon as it is done.
mutate: $(MUTATE_STAMP)
	$(BIN)/python -m tests.mutation.run $(MODULES)

clean:
	rm -rf $(VENV) $(DEMO_VENV) mutants
