# Two commands on a fresh machine (Python 3.11 + pip, nothing else):
#   make report   set up, build the tidy data and national results, render the report pack for Derby (831)
#   make test     set up, run every test (library, whole packs rendered and read, safety), lint and format check
# Inside the conda environment of environment.yml (conda activate ks2workbook) the same commands use it.

PYTHON ?= python3
LA ?= 831

ifeq ($(CONDA_DEFAULT_ENV),ks2workbook)
VENV := $(CONDA_PREFIX)
else
VENV := .venv
endif
PY := $(VENV)/bin/python
STAMP := $(VENV)/.ks2workbook-installed
LINTED := lib tests benchmarks notebooks

.PHONY: help setup browser data verify-data report report-all test lint format strip bench bench-all clean

help:
	@echo "make report      set up, build the data, render the report pack for LA $(LA) into outputs/ (LA=343 for another)"
	@echo "make test        set up and run every test, the lint and the format check (what CI runs)"
	@echo "make data        (re)build the tidy tables and the national results every pack reads"
	@echo "make verify-data check every raw file against its catalogued checksum"
	@echo "make report-all  the pack for every current council, in parallel (what the weekly job runs)"
	@echo "make lint        ruff check and format check"
	@echo "make format      ruff format and fix"
	@echo "make strip       clear the notebooks' outputs before committing"
	@echo "make bench       benchmarks; writes benchmarks/results.md"
	@echo "make bench-all   the benchmarks plus every council on one kernel and on two and make test from a fresh clone (long)"
	@echo "make browser     install headless Chromium for the print and browser tests (root, Debian)"
	@echo "make clean       remove the built tables and caches"

$(PY):
	$(PYTHON) -m venv $(VENV)

# The pinned packages are installed by uv (Astral's installer, itself from PyPI and pinned here like pip): the same
# versions as pip gives from constraints.txt, in 45 s instead of 103 s on the 2-core machine, each compiled to
# bytecode as pip does (this machine and CI set PYTHONDONTWRITEBYTECODE, so nothing is compiled later). uv reads
# none of pip's settings, so where an index of one's own is set for pip (PIP_INDEX_URL, or index-url in pip's
# configuration) pip installs, from that index; and where uv cannot install (no wheel of it for the platform, no
# route to PyPI), pip installs the same pins, reinstalling whatever uv left behind.
$(STAMP): pyproject.toml constraints.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check "pip==25.3"
	if [ -z "$$PIP_INDEX_URL" ] && ! $(PY) -m pip config get global.index-url > /dev/null 2>&1 && \
	   $(PY) -m pip install --quiet --disable-pip-version-check "uv==0.9.7" && \
	   $(VENV)/bin/uv pip install --quiet --python $(PY) --compile-bytecode -c constraints.txt -e ".[dev]"; then :; \
	else $(PY) -m pip install --quiet --disable-pip-version-check --force-reinstall -c constraints.txt -e ".[dev]"; fi
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (ks2workbook)" > /dev/null
	touch $(STAMP)

setup: $(STAMP)

# Headless Chromium + ChromeDriver from Debian, for the browser and print tests of the HTML reports (installed
# once, as root; elsewhere ask an administrator for the two packages, or the tests that need them are skipped).
browser:
	@command -v chromium > /dev/null && command -v chromedriver > /dev/null || \
	  { if [ "$$(id -u)" = 0 ] && command -v apt-get > /dev/null; then \
	      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver > /dev/null; } || \
	      echo "chromium could not be installed: the print and browser tests will be skipped" >&2; \
	    else echo "the print and browser tests need Debian's chromium and chromium-driver: sudo apt-get install chromium chromium-driver" >&2; fi; }

data: setup
	$(VENV)/bin/ks2workbook build-data

verify-data: setup
	$(VENV)/bin/ks2workbook verify-data

report: data
	$(VENV)/bin/ks2workbook report --la $(LA)

# Every current council in parallel (JOBS kernels, default the machine's cores): what cron/systemd run (deploy/).
report-all: data
	$(VENV)/bin/ks2workbook report --all --no-progress $(if $(JOBS),--jobs $(JOBS),)

test: setup browser
	$(VENV)/bin/ks2workbook verify-data
	$(PY) -m ruff check $(LINTED)
	$(PY) -m ruff format --check $(LINTED)
	$(VENV)/bin/ks2workbook build-data
	$(PY) -m pytest -n 2 --dist loadfile tests

lint: setup
	$(PY) -m ruff check $(LINTED)
	$(PY) -m ruff format --check $(LINTED)

format: setup
	$(PY) -m ruff check --fix $(LINTED)
	$(PY) -m ruff format $(LINTED)

strip: setup
	$(VENV)/bin/nbstripout notebooks/*.ipynb

bench: data
	$(PY) benchmarks/run.py

bench-all: data
	$(PY) benchmarks/run.py --all --test

clean:
	rm -rf data/processed .pytest_cache .ruff_cache .hypothesis
