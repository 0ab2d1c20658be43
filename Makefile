# Two commands: `make demo` and `make test`. Both create the environment from nothing.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install system-deps demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# Debian packages the tests use (Chromium for the report test, PostgreSQL for the reserve,
# a CJK font for charts). Installed only when missing and when we may (root + apt-get).
system-deps:
	bash scripts/system-deps.sh

demo: install
	bash scripts/demo.sh

lint: install
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/mypy

test: install system-deps lint
	$(BIN)/python -m pytest -q -p no:cacheprovider

bench: install
	$(BIN)/python -m pip install --quiet -r benchmarks/requirements.txt
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
