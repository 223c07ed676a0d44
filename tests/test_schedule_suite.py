"""The schedule suite holds on any day of the week and on every reading of the schedule's ambiguities.

* **Any day**: the virtual charger's calendar is started at Sunday 23:59 (``--calendar-start``), the
  last minute of the week, which a week-long interval cannot hold when its end minute is exclusive: the
  extended-state test's B_SCHEDULER case (its window placed around the reference "now") and the
  week-end interval must pass there, as on any other minute.
* **Every reading**: the schedule file on the alternative readings (inclusive end minute, paused
  outside intervals, strict interval rules, timezone over gmt_offset, Override without an EV having no
  effect) and on the third ones (Override without an EV refused), next to the readings mixes of
  tests/test_readings.py, which leave this slow file to these runs.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial

import pytest

from tests.ahead import taken
from tests.mutation.runner import SuiteRun, run_suites, selected_in_session

SCHEDULE = "suites/bench/test_schedule.py"
SUNDAY_2359 = "2026-12-06T23:59:00Z"   # 6 December 2026 is a Sunday
WEEK_END_TESTS = (
    "suites/bench/test_states.py::test_extended_state_blocks_charging_until_released[B_SCHEDULER]",
    f"{SCHEDULE}::test_6_31_interval_across_the_end_of_the_week",
)
RUNS = {
    "sunday_2359": (WEEK_END_TESTS, ("--calendar-start", SUNDAY_2359)),
    "alternative": ((SCHEDULE,), ("--readings", "alternative")),
    "alternative:2": ((SCHEDULE,), ("--readings", "alternative:2")),
}


def wanted_runs(session: pytest.Session) -> set[str]:
    return selected_in_session(session, "test_schedule_suite_passes", "run") | (
        {"sunday_2359"} if any("sunday" in item.name for item in session.items) else set())


def runs_ahead(session: pytest.Session) -> dict[str, Callable[[], SuiteRun]]:
    """Every selected run, started ahead on the idle core one after another (tests/ahead.py)."""
    return {f"schedule {name}": partial(run_suites, paths, extra=extra)
            for name, (paths, extra) in RUNS.items() if name in wanted_runs(session)}


@pytest.fixture(scope="module")
def schedule_runs(request: pytest.FixtureRequest) -> Iterator[dict[str, Future[SuiteRun]]]:
    """The selected runs, two at a time (one per core), each its own virtual bench; a run started ahead
    (tests/ahead.py) is taken, not run again."""
    wanted = wanted_runs(request.session)
    with ThreadPoolExecutor(max_workers=2) as pool:
        yield {name: taken(request, f"schedule {name}") or pool.submit(run_suites, paths, extra=extra)
               for name, (paths, extra) in RUNS.items() if name in wanted}


def _assert_green(name: str, run: SuiteRun, expected: int | None = None) -> None:
    broken = [f"{case.key} ({case.verdict_class})" for case in run.red]
    paths, extra = RUNS[name]
    print(f"{name}: exit {run.exit_code}, {run.passed} passed, {run.skipped} skipped, {len(broken)} red, {run.seconds:.0f} s")
    assert not broken and run.exit_code == 0, (
        f"pytest {' '.join(paths)} {' '.join(extra)}: {len(broken)} red:\n" + "\n".join(broken) + f"\n{run.tail[-1500:]}")
    if expected is not None:
        assert run.passed == expected, f"{name}: {run.passed} passed, {expected} expected:\n{run.tail[-1500:]}"


@pytest.mark.readings
def test_b_scheduler_and_the_week_end_hold_from_sunday_2359(schedule_runs: dict[str, Future[SuiteRun]]) -> None:
    _assert_green("sunday_2359", schedule_runs["sunday_2359"].result(), expected=len(WEEK_END_TESTS))


@pytest.mark.readings
@pytest.mark.parametrize("run", ["alternative", "alternative:2"])
def test_schedule_suite_passes(run: str, schedule_runs: dict[str, Future[SuiteRun]]) -> None:
    _assert_green(run, schedule_runs[run].result())
