# The two Quick-start commands (README): `make conformance` and `make selftest`.
# Everything installs from the project's own files: pyproject.toml and reports/package-lock.json.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: conformance report selftest install install-browser clean mutation timing-kills benches-full robustness realtime readings records-postgres lab-timing \
        release nightly nightly-demo eol-demo

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

reports/node_modules/.installed: reports/package.json reports/package-lock.json
	cd reports && npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed reports/node_modules/.installed

## Headless Chromium and its driver from Debian's packages, for the report's browser test
## (tests/test_report_browser.py). Installed when missing, as root or through sudo; without either the
## browser test is a counted skip that says so (CI sets LEKTRICO_REQUIRE_BROWSER=1: there it must run).
BROWSER_PACKAGES := chromium chromium-driver
install-browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=; elif command -v sudo >/dev/null; then sudo=sudo; else \
	  echo "install-browser: not root and no sudo: apt-get install $(BROWSER_PACKAGES) yourself"; exit 0; fi; \
	$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq \
	  --no-install-recommends $(BROWSER_PACKAGES)

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

## A release run (PYTEST_ARGS="--bench benches/my-lab.toml"): every suite, destructive and slow included,
## --require all, at time scale 1; the one-page sign-off summary in reports/out/release/ and next to the
## Allure results; then the report. Exits with pytest's code (README "Exit codes").
release: install
	$(PY) -m pytest --profile release --clean-alluredir --alluredir=reports/allure-results $(PYTEST_ARGS); \
	status=$$?; $(MAKE) --no-print-directory report; exit $$status

## The nightly run (a lab CI runner): every suite incl. slow, fuzz budget 10 000, load 30 s; JUnit XML, one
## history line and the flaky list in reports/out/nightly/; then the report, whose trend comes from
## reports/out/allure-history.jsonl. The last line of pytest's output says "nightly: product failure" (exit 1),
## "nightly: bench fault" (exit 3) or "nightly: verified" (0); the recipe exits with that code.
nightly: install
	$(PY) -m pytest --profile nightly --clean-alluredir --alluredir=reports/allure-results $(PYTEST_ARGS); \
	status=$$?; $(MAKE) --no-print-directory report; exit $$status

## Three real nightly runs, a firmware defect on the second only: the flaky list names the flipped test and
## only it, and three report builds leave a three-run trend (a private history; about 40 s; CI runs one night).
nightly-demo: install
	LEKTRICO_NIGHTLY_NIGHTS=1 $(PY) -m pytest tests/test_nightly.py --alluredir=reports/out/nightly-demo-allure

## Ten units in a row through `lektrico-hil eol` at time scale 1 on the virtual bench (units 4 and 8 carry
## catalogued defects that must fail at the PWM and the AC RCD step), into one SQLite file, then the lot
## report: reports/out/eol-demo/units.md, eol.sqlite3, lot/ (about 4 minutes).
eol-demo: $(VENV)/.installed
	$(PY) -m station.demo --out reports/out/eol-demo

## The project's own tests: units, drivers, twins, interop, and the mutation test.
## One process: the heavy modules already run their whole-suite runs two at a time (a pytest-xdist run,
## PYTEST_ARGS="-n 2 --dist loadgroup", groups tests by module: tests/conftest.py; on 2 cores it is slower).
selftest: $(VENV)/.installed reports/node_modules/.installed install-browser
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

## A lab of benches through labgrid: the state suite at time scale 1 on 1, 2 and 4 virtual benches (a coordinator,
## an exporter per bench), wall time and speed-up = N x T1 / TN into reports/out/lab-timing.md (about 6 minutes).
lab-timing: $(VENV)/.installed
	$(PY) -m lab.timing --benches 1,2,4 --time-scale 1 --out reports/out/lab-timing.md

## The state and PWM suites at time scale 1: the suites wait on the charger, not on overhead (CI skips it).
realtime: $(VENV)/.installed
	LEKTRICO_REALTIME=1 $(PY) -m pytest tests/test_realtime_ratio.py -s --alluredir=reports/out/realtime-allure

## The suites on the second alternative readings and seeded random mixes, besides the preset CI runs.
readings: $(VENV)/.installed
	LEKTRICO_READING_MIXES=alternative:2 LEKTRICO_READING_SEEDS=1558,9690 $(PY) -m pytest tests/test_readings.py --alluredir=reports/out/readings-allure

PG_BIN ?= $(lastword $(wildcard /usr/lib/postgresql/*/bin))

## The records store on PostgreSQL (tests/test_records_postgres.py; CI has no server, there they are counted
## skips): a throwaway server from Debian's postgresql package (installed when missing, as root), run as user
## postgres on a private socket, then stopped.
records-postgres: $(VENV)/.installed
	@command -v $(PG_BIN)/initdb >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql)
	$(PY) -m pip install --quiet '.[postgres]'
	@pg_bin=$$(ls -d /usr/lib/postgresql/*/bin | tail -1); dir=$$(mktemp -d); chown postgres $$dir; \
	runuser -u postgres -- $$pg_bin/initdb -D $$dir/data -A trust -U postgres >/dev/null && \
	runuser -u postgres -- $$pg_bin/pg_ctl -D $$dir/data -o "-p 55440 -k $$dir -c listen_addresses=''" -l $$dir/log -w start >/dev/null && \
	LEKTRICO_HIL_PG_URL="postgresql+psycopg://postgres@/postgres?host=$$dir&port=55440" \
	  $(PY) -m pytest tests/test_records_postgres.py --alluredir=reports/out/records-postgres-allure; \
	status=$$?; runuser -u postgres -- $$pg_bin/pg_ctl -D $$dir/data -m fast stop >/dev/null; rm -rf $$dir; exit $$status

clean:
	rm -rf reports/allure-results reports/html reports/out
