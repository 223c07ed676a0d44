"""Pytest hooks of the report: the running test's id for records, the environment, the ambiguity summary.

Each run's Allure results describe that run only (``--clean-alluredir`` is in pytest.ini's addopts;
trends come from the history file reports/build.py keeps, not from results left in place), and its
environment block is the run's real bench: profile, charger firmware, serial, board revision, and
each instrument's ``*IDN?``.
"""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from reports.allure_support import RUN_RECORD, RunRecord, begin_run, set_current_test


@pytest.hookimpl(trylast=True)  # after fixtures.bench has resolved the profile
def pytest_configure(config: pytest.Config) -> None:
    """Start from nothing: an in-process run (pytester) must not inherit the last run's bench."""
    record = begin_run(config)
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


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The report's environment block: which bench and which charger firmware were judged."""
    target = session.config.getoption("--alluredir", None)
    environment = session.config.stash.get(RUN_RECORD, RunRecord()).environment
    if not target or not environment:
        return
    Path(target).mkdir(parents=True, exist_ok=True)
    lines = [f"{key}={_escaped(value)}" for key, value in sorted(environment.items())]
    (Path(target) / "environment.properties").write_text("\n".join(lines) + "\n")


def _escaped(value: str) -> str:
    """A .properties value on one line."""
    return value.replace("\\", "\\\\").replace("\n", "\\n")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    recorded = terminalreporter.config.stash.get(RUN_RECORD, RunRecord()).ambiguities
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
