# The two commands that matter: `make demo` and `make test`. Both bootstrap .venv first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# torch pinned: an unpinned torch pulls gigabytes of CUDA packages (README, "Using a GPU", for the CPU index).
# GPU users: see README ("Using a GPU").
TORCH ?= torch==2.13.0

.PHONY: setup demo test test-fast test-min browser clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q $(TORCH)
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/botsmith demo

# Debian's chromium drives the web page test; installed when we are root and it is missing.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	  echo "chromium not installed: the browser test will be skipped"; }

test: setup browser
	$(BIN)/python -m pytest

test-fast: setup
	$(BIN)/python -m pytest -m 'not slow'

# The floors: every dependency at the lowest version pyproject.toml allows (.ci/floors.py), in its own
# venv, then the fast suite. torch comes from the package index at its floor (with its CUDA libraries).
MIN_VENV := .venv-min
MIN_STAMP := $(MIN_VENV)/.installed

$(MIN_STAMP): pyproject.toml .ci/floors.py
	rm -rf $(MIN_VENV)
	$(PY) -m venv $(MIN_VENV)
	$(PY) .ci/floors.py test > $(MIN_VENV)/floors.txt
	$(MIN_VENV)/bin/pip install -q -r $(MIN_VENV)/floors.txt
	$(MIN_VENV)/bin/pip install -q --no-deps -e .
	touch $(MIN_STAMP)

test-min: $(MIN_STAMP) browser
	$(MIN_VENV)/bin/python -m pytest -m 'not slow'

clean:
	rm -rf $(VENV) $(MIN_VENV) build dist src/*.egg-info
