"""Project tests: pytester for plugin tests, and a virtual charger started on demand."""
from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from fixtures.launcher import BenchService
from tests.mutation.runner import SUITES, SuiteRun, run_suites

pytest_plugins = ["pytester"]
PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def virtual_charger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A virtual bench process (as `python -m simulator` would start it) for tests that need one."""
    state = tmp_path_factory.mktemp("virtual-charger")
    service = BenchService([sys.executable, "-m", "simulator", "--port", "0", "--time-scale", "20",
                            "--state-dir", str(state), "--provision", "connected_phase=1"],
                           cwd=PROJECT_ROOT, ready_timeout_s=30)
    try:
        yield service.endpoints
    finally:
        service.stop()


@pytest.fixture(scope="session")
def correct_charger_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[SuiteRun, Path]:
    """Every suite, once, against the correct virtual charger: its verdict and its Allure results."""
    results = tmp_path_factory.mktemp("correct-charger-allure")
    return run_suites((SUITES,), stop_first=False, alluredir=results), results
