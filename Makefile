# The two Quick-start commands (README): `make conformance` and `make selftest`.
# Everything installs from the project's own files: pyproject.toml and reports/package-lock.json.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: conformance report selftest install clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

reports/node_modules/.installed: reports/package.json reports/package-lock.json
	cd reports && npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed reports/node_modules/.installed

## Run every conformance suite against the virtual bench (or PYTEST_ARGS="--bench lab.toml"),
## then build the HTML report in reports/html/. The suite's verdict is the command's exit code.
conformance: install
	$(PY) -m pytest --clean-alluredir --alluredir=reports/allure-results $(PYTEST_ARGS); \
	status=$$?; $(MAKE) --no-print-directory report; exit $$status

report: reports/node_modules/.installed
	$(PY) -m reports.build reports/allure-results reports/html

## The project's own tests: units, drivers, twins, interop, and the mutation test.
selftest: $(VENV)/.installed
	$(PY) -m pytest tests --alluredir=reports/out/selftest-allure $(PYTEST_ARGS)

clean:
	rm -rf reports/allure-results reports/html reports/out
