# Two commands: `make demo` and `make test`. Both create the environment from nothing.
# `make demo` installs only what the demo needs (the runtime dependencies and HiGHS, which
# the engine uses for pool payments); `make test`
# installs every extra (solvers, PostgreSQL driver, Dask, Playwright, the docs tools).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
RUNTIME := $(VENV)/.installed-runtime
DEV     := $(VENV)/.installed-dev

.PHONY: install install-runtime system-deps demo test lint docs bench catalogue clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[highs]"
	touch $(RUNTIME)

$(DEV): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(DEV) $(RUNTIME)

install-runtime: $(RUNTIME)

install: $(DEV)

# Debian packages the tests use (Chromium for the report tests and PDFs, PostgreSQL for the
# reserve, a CJK font for charts). Installed only when missing and when we may (root + apt-get).
system-deps:
	bash scripts/system-deps.sh

demo: install-runtime
	bash scripts/demo.sh

lint: install
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/mypy

# The user guide and API reference; warnings are errors (no plugin fetches from the network).
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/python -m mkdocs build --strict --quiet -d $(VENV)/site

# One worker per core; a test file stays on one worker (README lines run in order).
TEST_WORKERS ?= auto
test: install system-deps lint docs
	$(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile

# After editing a message in src/selector/i18n/locale/*/LC_MESSAGES/*.po: the compiled .mo
# files the library reads (tests/test_i18n.py fails while one is stale).
catalogue: install-runtime
	$(BIN)/python -c "from selector.i18n import compile_catalogue; compile_catalogue()"

bench: install
	$(BIN)/python -m pip install --quiet -r benchmarks/requirements.txt
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache site
