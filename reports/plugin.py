"""Pytest hooks of the report: the running test's id for records, and the ambiguity summary."""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from reports.allure_support import ENVIRONMENT, RECORDED, set_current_test


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    set_current_test(item.nodeid)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The report's environment block: which bench and which charger firmware were judged."""
    target = session.config.getoption("--alluredir", None)
    if not target or not ENVIRONMENT:
        return
    Path(target).mkdir(parents=True, exist_ok=True)
    lines = [f"{key}={value}" for key, value in sorted(ENVIRONMENT.items())]
    (Path(target) / "environment.properties").write_text("\n".join(lines) + "\n")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not RECORDED:
        return
    readings: dict[str, set[str]] = defaultdict(set)
    for record in RECORDED:
        readings[f"{record.id} ({record.section})"].add(record.reading)
    terminalreporter.section("spec ambiguities met (labelled in the report, not judged)")
    for name, chosen in sorted(readings.items()):
        terminalreporter.write_line(f"{name}: {'; '.join(sorted(chosen))}")
    target = terminalreporter.config.getoption("--alluredir", None)
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        (Path(target) / "ambiguities.json").write_text(json.dumps([r.__dict__ for r in RECORDED], indent=1))
