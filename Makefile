# Two commands do all the set-up on a fresh machine with Python 3.11+: `make run`, `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: install run test lint bench-roster bench-turns bench-http bench-summary clean-data

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(VENV)/bin/growth-engine run

# pytest exits 5 when a selection holds no test; that is not a failure of the suite.
test: install
	$(PY) -m pytest -q $(PYTEST_ARGS); rc=$$?; if [ $$rc -eq 5 ]; then exit 0; fi; exit $$rc

lint: install
	$(VENV)/bin/ruff check .

bench-roster: install
	$(PY) -m bench.roster

bench-turns: install
	$(PY) -m bench.turns

# BENCH_ARGS=--slow-model: 100 conversations against a model taking 2 s (PASS/FAIL).
bench-http: install
	$(PY) -m bench.http $(BENCH_ARGS)

clean-data:
	rm -rf .data

bench-summary: install
	$(PY) -m bench.summary $(BENCH_ARGS)
