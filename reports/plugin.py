"""Pytest hooks of the report: the running test's id for records, and the ambiguity summary."""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from reports.allure_support import RECORDED, set_current_test


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    set_current_test(item.nodeid)


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
