"""Project tests: pytester for plugin tests, and a virtual charger started on demand."""
from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from fixtures.launcher import BenchService
from tests.mutation.runner import SuiteRun, baseline_run, near_limit_run

pytest_plugins = ["pytester"]
PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def virtual_charger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A virtual bench process (as `python -m simulator` would start it) for tests that need one."""
    state = tmp_path_factory.mktemp("virtual-charger")
    service = BenchService([sys.executable, "-m", "simulator", "--port", "0", "--time-scale", "20",
                            "--state-dir", str(state)],
                           cwd=PROJECT_ROOT, ready_timeout_s=30)
    try:
        yield service.endpoints
    finally:
        service.stop()


@pytest.fixture(scope="session")
def correct_charger_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[SuiteRun, Path]:
    """Every suite, once, against the correct virtual charger: its verdict and its Allure results.
    Its passing tests are the only ones that can kill a defect in the mutation test."""
    results = tmp_path_factory.mktemp("correct-charger-allure")
    return baseline_run(alluredir=results), results


@pytest.fixture(scope="session")
def near_limit_charger_run() -> SuiteRun:
    """The bench suites once against a correct charger just inside every limit (``--near-limit``)."""
    return near_limit_run()


REALTIME_ENV = "LEKTRICO_REALTIME"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The real-time ratio runs the state and PWM suites at time scale 1 (about 3 minutes of wall time):
    outside CI's 15 min budget.  ``make realtime`` runs it; here it is a counted skip that says so."""
    import os  # noqa: PLC0415

    if os.environ.get(REALTIME_ENV) == "1":
        return
    skip = pytest.mark.skip(reason=f"time scale 1 for minutes: `make realtime` ({REALTIME_ENV}=1) runs it")
    for item in items:
        if item.get_closest_marker("realtime") is not None:
            item.add_marker(skip)
