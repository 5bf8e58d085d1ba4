# Two commands on a fresh machine (Python 3.11 + pip, nothing else):
#   make report   set up, build the tidy data, render the report pack for Derby (831) into outputs/
#   make test     set up, run every test (library, notebooks via papermill and nbval, lint)
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

.PHONY: setup browser data report report-all test lint bench bench-all verify-data clean help

help:
	@echo "make report   - set up and render the report pack for LA $(LA) into outputs/"
	@echo "make test     - set up and run every test"
	@echo "make bench    - time the data build and a notebook run; write benchmarks/results.md"
	@echo "make data     - (re)build the tidy tables in data/processed/"

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml constraints.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check "pip==25.3"
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (ks2workbook)" > /dev/null
	touch $(STAMP)

setup: $(STAMP)

# Headless Chromium + ChromeDriver from Debian, for the browser test of the HTML reports (installed once, as root;
# elsewhere ask an administrator for the two packages).
browser:
	@command -v chromium > /dev/null && command -v chromedriver > /dev/null || \
	  { if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver > /dev/null; \
	    else echo "make test needs Debian's chromium and chromium-driver: sudo apt-get install chromium chromium-driver" >&2; exit 1; fi; }

data: setup
	$(VENV)/bin/ks2workbook build-data

verify-data: setup
	$(VENV)/bin/ks2workbook verify-data

report: setup
	$(VENV)/bin/ks2workbook build-data
	$(VENV)/bin/ks2workbook report --la $(LA)

# Every current LA in parallel (JOBS workers, default the machine's cores): what cron/systemd run (deploy/).
report-all: setup
	$(VENV)/bin/ks2workbook build-data
	$(VENV)/bin/ks2workbook report --all --no-progress $(if $(JOBS),--jobs $(JOBS),)

test: setup browser
	$(VENV)/bin/ks2workbook verify-data
	$(PY) -m ruff check lib tests benchmarks notebooks
	$(PY) -m pytest tests notebooks --nbval-lax --nbval-current-env

lint: setup
	$(PY) -m ruff check lib tests benchmarks notebooks
	$(PY) -m ruff format --check lib tests benchmarks

bench: setup
	$(PY) benchmarks/run.py

# The same plus the whole pack for every LA with 2 workers (adds about 15 minutes).
bench-all: setup
	$(PY) benchmarks/run.py --all

clean:
	rm -rf data/processed .pytest_cache .ruff_cache
