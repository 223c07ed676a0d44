"""Whole-suite runs started ahead of the module that judges them, on the core the session leaves idle.

The project's tests run in one process (CI's 15 min on 2 cores), and long stretches of it keep one core
busy: a ``pip install`` into a fresh venv, dozens of pytester runs, a kill test.  A module whose verdict
rests on a whole-suite run in a subprocess (the readings mixes, the schedule runs) can have that run
start on the other core when the session reaches such a stretch, instead of when the module's turn
comes.  The module's fixture then takes the run's future from here; with the module run alone (``-k``,
a node id) nothing was started ahead and it runs its own, as before.

One lane, one run at a time: with the main thread's own work that is two loads on two cores, as when a
heavy module runs its two runs side by side.  A stretch is chosen only where the main thread's tests time
nothing of their own against a tight limit.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

RUNS_AHEAD: dict[str, str] = {
    "test_installed_plugin": "tests.test_readings",   # 40 s of pip install, then the kill test's 40 s
    "test_run_profiles": "tests.test_schedule_suite",  # 90 s of pytester runs in run_profiles and run_verdicts
}
"""``{module that starts the stretch: module whose runs start ahead}``.  The second module provides
``runs_ahead(session) -> {name: job}`` (only the runs its selected tests need) and takes them with
:func:`taken`."""

LANE = pytest.StashKey["Lane"]()


class Lane:
    """One background worker; each run is started once, by name."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="run-ahead")
        self.futures: dict[str, Future[Any]] = {}

    def start(self, jobs: dict[str, Callable[[], Any]]) -> None:
        for name, job in jobs.items():
            if name not in self.futures:
                self.futures[name] = self.pool.submit(job)

    def take(self, name: str) -> Future[Any] | None:
        return self.futures.get(name)

    def close(self) -> None:
        """At the session's end: a run not yet begun is dropped; one under way ends by its own timeout."""
        self.pool.shutdown(wait=False, cancel_futures=True)


def start_runs_ahead(item: pytest.Item) -> None:
    """At the first test of a stretch, start the runs of the module it serves (once)."""
    serves = RUNS_AHEAD.get(Path(str(item.path)).stem)
    if serves is None:
        return
    lane = item.config.stash.setdefault(LANE, Lane())
    lane.start(importlib.import_module(serves).runs_ahead(item.session))


def taken(request: pytest.FixtureRequest, name: str) -> Future[Any] | None:
    """The future of a run started ahead under ``name``, or None (the module then runs its own)."""
    lane = request.config.stash.get(LANE, None)
    return None if lane is None else lane.take(name)


def close_lane(config: pytest.Config) -> None:
    lane = config.stash.get(LANE, None)
    if lane is not None:
        lane.close()
