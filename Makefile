# Two commands do all the set-up on a fresh machine with Python 3.11+: `make run`, `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# Two workers: the fault, capacity and fuzz suites wait on real servers, and the machine has 2 cores.
PYTEST_ARGS ?= -n 2
# Hashed pins (uv pip compile, installed by plain pip): runtime in requirements.lock (the
# image), dev and embedded servers in requirements-dev.lock (make run/test); offline here.
DEV_LOCK := requirements-dev.lock

.PHONY: install run test lint lock bench-roster bench-turns bench-http bench-summary clean-data

$(STAMP): pyproject.toml $(DEV_LOCK)
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r $(DEV_LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(VENV)/bin/growth-engine run

# pytest exits 5 when a selection holds no test; that is not a failure of the suite.
test: install
	$(PY) -m pytest -q $(PYTEST_ARGS); rc=$$?; if [ $$rc -eq 5 ]; then exit 0; fi; exit $$rc

# ruff on everything, mypy --strict on core/ and bot/ (the CI gate; see .ci/lint).
lint: install
	.ci/lint

# Re-pin after changing dependencies in pyproject.toml (then commit both lock files). Resolved for
# CPython 3.11 on x86_64 Linux (this machine and the image), from the indexes pip uses here.
LOCK_FLAGS := --generate-hashes --no-header --python-version 3.11 \
	--python-platform x86_64-manylinux_2_28 --index-strategy unsafe-best-match \
	--extra-index-url file:///opt/pypi/simple --extra-index-url file:///opt/pypi-more/simple \
	--find-links /opt/wheels
lock: install
	$(VENV)/bin/uv pip compile pyproject.toml $(LOCK_FLAGS) -o requirements.lock
	$(VENV)/bin/uv pip compile pyproject.toml $(LOCK_FLAGS) --extra dev --extra embedded \
		-o $(DEV_LOCK)

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
