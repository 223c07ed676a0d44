"""Project tests: pytester for plugin tests, and a virtual charger started on demand."""
from __future__ import annotations

import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from fixtures.launcher import BenchService
from tests.ahead import close_lane, start_runs_ahead
from tests.mutation.runner import SuiteRun, baseline_run, near_limit_run

pytest_plugins = ["pytester"]


@dataclass(frozen=True)
class CorrectChargerRuns:
    baseline: Future[SuiteRun]
    baseline_results: Path
    near_limit: Future[SuiteRun]
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
def correct_charger_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CorrectChargerRuns]:
    """The two runs on correct chargers, side by side from the first request (as ``make mutation`` does): every
    suite on the correct charger, and the bench suites on one just inside every limit.  The near-limit run
    then overlaps the baseline and the hunts instead of following them (CI's 15 min budget)."""
    results = tmp_path_factory.mktemp("correct-charger-allure")
    with ThreadPoolExecutor(max_workers=2) as pool:
        yield CorrectChargerRuns(pool.submit(baseline_run, alluredir=results), results, pool.submit(near_limit_run))


@pytest.fixture(scope="session")
def correct_charger_run(correct_charger_runs: CorrectChargerRuns) -> tuple[SuiteRun, Path]:
    """Every suite, once, against the correct virtual charger: its verdict and its Allure results.
    Its passing tests are the only ones that can kill a defect in the mutation test."""
    return correct_charger_runs.baseline.result(), correct_charger_runs.baseline_results


@pytest.fixture(scope="session")
def near_limit_charger_run(correct_charger_runs: CorrectChargerRuns) -> SuiteRun:
    """The bench suites once against a correct charger just inside every limit (``--near-limit``)."""
    return correct_charger_runs.near_limit.result()


REALTIME_ENV = "LEKTRICO_REALTIME"

SHARED_GROUPS = {"test_spec_coverage": "test_mutation"}
"""Modules whose tests share another module's expensive session fixture (the correct-charger baseline run):
under pytest-xdist they go to that module's worker, so the baseline runs once."""


def xdist_group_of(item: pytest.Item) -> str:
    """One pytest-xdist group per test module (``--dist loadgroup``): a module's module- and session-scoped
    runs (the readings mixes, the benches, the mutation baseline) are started once, on one worker."""
    module = Path(str(item.path)).stem
    return SHARED_GROUPS.get(module, module)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Group each test by module for pytest-xdist, then skip the real-time ratio unless asked.

    The real-time ratio runs the state and PWM suites at time scale 1 (about 3 minutes of wall time):
    outside CI's 15 min budget.  ``make realtime`` runs it; here it is a counted skip that says so."""
    import os  # noqa: PLC0415

    for item in items:
        item.add_marker(pytest.mark.xdist_group(xdist_group_of(item)))
    if os.environ.get(REALTIME_ENV) == "1":
        return
    skip = pytest.mark.skip(reason=f"time scale 1 for minutes: `make realtime` ({REALTIME_ENV}=1) runs it")
    for item in items:
        if item.get_closest_marker("realtime") is not None:
            item.add_marker(skip)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """The runs a later module judges start on the idle core when the session reaches a stretch that
    leaves one (tests/ahead.py)."""
    start_runs_ahead(item)


def pytest_sessionfinish(session: pytest.Session) -> None:
    close_lane(session.config)
