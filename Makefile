# The two Quick-start commands (README): `make conformance` and `make selftest`.
# Everything installs from the project's own files: pyproject.toml and reports/package-lock.json.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: conformance report selftest install clean mutation timing-kills benches-full robustness realtime readings

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
## then build the HTML report in reports/html/. The recipe exits with pytest's code (README "Exit
## codes"); make itself then exits 2 on any non-zero code and names it: "Error <pytest's code>".
conformance: install
	$(PY) -m pytest --clean-alluredir --alluredir=reports/allure-results $(PYTEST_ARGS); \
	status=$$?; $(MAKE) --no-print-directory report; \
	echo "conformance: pytest exit code $$status (0 verified, 1 product failure, 3 bench fault, 4 usage error, 7 requirement not met)"; \
	exit $$status

report: reports/node_modules/.installed
	$(PY) -m reports.build reports/allure-results reports/html

## The project's own tests: units, drivers, twins, interop, and the mutation test.
selftest: $(VENV)/.installed
	$(PY) -m pytest tests --alluredir=reports/out/selftest-allure $(PYTEST_ARGS)

## The mutation test on the whole defect catalogue (CI runs a fixed, seeded sample in `make selftest`):
## baseline, near-limit run, every hunt; kill table and boundary pairs in reports/out/.  [helper D]
mutation: $(VENV)/.installed
	$(PY) -m tests.mutation

## The near-limit timing defects on the benches with no instrument timer: killed, or inconclusive and why
## (reports/out/timing-kills-*.md): the polling-only box, and the composite bench's 1 s CP board.
timing-kills: $(VENV)/.installed
	$(PY) -m tests.mutation.timing_kills --bench benches/virtual-no-timers.toml
	$(PY) -m tests.mutation.timing_kills --bench benches/virtual-composite.toml

## The bench suites on the other virtual benches with the slow schedule file included (CI leaves it out).
benches-full: $(VENV)/.installed
	LEKTRICO_BENCHES_FULL=1 $(PY) -m pytest tests/test_benches.py --alluredir=reports/out/benches-allure

## The interruption test in full: the runner killed at 24 seeded points (8 per signal: SIGINT, SIGTERM,
## SIGKILL; mid-charge, mid-PIN change, mid-configuration, at random), each followed by a run that must find the
## bench safe and as found; the table goes to reports/out/interruption-kills.md (CI runs 6 of them).
robustness: $(VENV)/.installed
	LEKTRICO_INTERRUPTION_KILLS=24 $(PY) -m pytest tests/test_interruption.py --alluredir=reports/out/robustness-allure $(PYTEST_ARGS); \
	status=$$?; cat reports/out/interruption-kills.md 2>/dev/null; exit $$status

## The state and PWM suites at time scale 1: the suites wait on the charger, not on overhead (CI skips it).
realtime: $(VENV)/.installed
	LEKTRICO_REALTIME=1 $(PY) -m pytest tests/test_realtime_ratio.py -s --alluredir=reports/out/realtime-allure

## The suites on seeded random mixes of the readings, besides the two presets CI runs.
readings: $(VENV)/.installed
	LEKTRICO_READING_SEEDS=1558,9690 $(PY) -m pytest tests/test_readings.py --alluredir=reports/out/readings-allure

clean:
	rm -rf reports/allure-results reports/html reports/out
