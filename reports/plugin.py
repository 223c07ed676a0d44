"""Pytest hooks of the report: the running test's id for records, the environment, the ambiguity summary.

Each run's Allure results describe that run only (``--clean-alluredir`` is in pytest.ini's addopts;
trends come from the history file reports/build.py keeps, not from results left in place), and its
environment block is the run's real bench: profile, charger firmware, serial, board revision, and
each instrument's ``*IDN?``.

At each test's end (its teardown report) the test's Allure result is finished here
(:mod:`reports.test_result`): its one primary section, a title that reads like the spec, the label
``verdict_class`` the report's categories match, and its "Measurements" table.  A bench fault that
stops the run (``pytest.exit(..., returncode=3)``) becomes a *broken* result of its own, named
``Bench fault at start-up: <line>``, and a run-level error, instead of "1 skipped".
"""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from reports.allure_support import RUN_RECORD, RunRecord, begin_run, set_current_test
from reports.test_result import finish_test_result, project_fixture, write_run_fault

BENCH_FAULT_EXIT = 3
RUN_FAULT = pytest.StashKey[str]()
CALLS_DONE = pytest.StashKey[int]()
FIXTURES_SEEN = pytest.StashKey[dict[str, str]]()


@pytest.hookimpl(trylast=True)  # after fixtures.bench has resolved the profile
def pytest_configure(config: pytest.Config) -> None:
    """Start from nothing: an in-process run (pytester) must not inherit the last run's bench."""
    record = begin_run(config)
    if not config.pluginmanager.has_plugin("lektrico_run_fault"):
        config.pluginmanager.register(RunFaultWatcher(config), "lektrico_run_fault")
    from fixtures.bench import RESOLVED  # noqa: PLC0415

    if RESOLVED in config.stash:
        profile = config.stash[RESOLVED].profile
        record.environment.update({"bench": profile.name, "bench.profile": str(profile.path),
                            "bench.capabilities": ",".join(sorted(profile.capabilities)) or "none",
                            "bench.allow_destructive": str(profile.allow_destructive).lower(),
                            "time_scale": str(profile.time_scale)})


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    set_current_test(item.nodeid)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)  # outermost: the verdict class and Allure's status are set
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if report.when == "call":
        item.config.stash[CALLS_DONE] = item.config.stash.get(CALLS_DONE, 0) + 1
    if report.when == "teardown":
        finish_test_result(item, item.config.stash.get(RUN_RECORD, RunRecord()))


@pytest.hookimpl(tryfirst=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[object], request: pytest.FixtureRequest) -> None:
    """Note each of the project's own fixtures as it is set up (fixtures.json: the report shows only these)."""
    found = project_fixture(fixturedef)
    if found is not None:
        request.config.stash.setdefault(FIXTURES_SEEN, {})[found[0]] = found[1]


class RunFaultWatcher:
    """Keeps the one line of a bench fault that stopped the run (``pytest.exit(..., returncode=3)``) in
    the config's stash for the report (pytest_keyboard_interrupt has no config of its own)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        error = excinfo.value
        if isinstance(error, pytest.exit.Exception) and error.returncode == BENCH_FAULT_EXIT:
            self.config.stash[RUN_FAULT] = str(error.msg)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The report's environment block: which bench and which charger firmware were judged."""
    target = session.config.getoption("--alluredir", None)
    environment = session.config.stash.get(RUN_RECORD, RunRecord()).environment
    if target and RUN_FAULT in session.config.stash:
        Path(target).mkdir(parents=True, exist_ok=True)
        write_run_fault(Path(target), session.config.stash[RUN_FAULT],
                        started=session.config.stash.get(CALLS_DONE, 0) > 0)
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        (Path(target) / "fixtures.json").write_text(json.dumps(session.config.stash.get(FIXTURES_SEEN, {}), indent=1))
    if not target or not environment:
        return
    lines = [f"{key}={_escaped(value)}" for key, value in sorted(environment.items())]
    (Path(target) / "environment.properties").write_text("\n".join(lines) + "\n")


def _escaped(value: str) -> str:
    """A .properties value on one line."""
    return value.replace("\\", "\\\\").replace("\n", "\\n")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    recorded = terminalreporter.config.stash.get(RUN_RECORD, RunRecord()).ambiguities
    target = terminalreporter.config.getoption("--alluredir", None)
    if target and not recorded:
        Path(target).mkdir(parents=True, exist_ok=True)
        (Path(target) / "ambiguities.json").write_text("[]")
    if not recorded:
        return
    readings: dict[str, set[str]] = defaultdict(set)
    for record in recorded:
        readings[f"{record.id} ({record.section})"].add(record.reading)
    terminalreporter.section("spec ambiguities met (labelled in the report, not judged)")
    for name, chosen in sorted(readings.items()):
        terminalreporter.write_line(f"{name}: {'; '.join(sorted(chosen))}")
    target = terminalreporter.config.getoption("--alluredir", None)
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        (Path(target) / "ambiguities.json").write_text(json.dumps([r.__dict__ for r in recorded], indent=1))
