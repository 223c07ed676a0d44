"""Runs started ahead (tests/ahead.py): each once, taken by its module, and only those its selected tests need."""
from __future__ import annotations

import importlib
import threading
from pathlib import Path
from types import SimpleNamespace

from tests.ahead import RUNS_AHEAD, Lane

TESTS = Path(__file__).resolve().parent


def test_a_run_starts_once_and_its_module_takes_that_future() -> None:
    lane = Lane()
    calls: list[str] = []
    gate = threading.Event()

    def job() -> str:
        calls.append("run")
        gate.wait(5)
        return "done"

    try:
        lane.start({"readings alternative": job})
        first = lane.take("readings alternative")
        lane.start({"readings alternative": job})  # a second trigger starts nothing
        assert lane.take("readings alternative") is first
        assert lane.take("schedule sunday_2359") is None  # never started: the module runs its own
        gate.set()
        assert first is not None and first.result(timeout=5) == "done" and calls == ["run"]
    finally:
        gate.set()
        lane.close()


def test_every_stretch_and_every_served_module_exist_and_serve_runs() -> None:
    for stretch, served in RUNS_AHEAD.items():
        assert (TESTS / f"{stretch}.py").exists(), stretch
        assert callable(importlib.import_module(served).runs_ahead), served


def _item(name: str, **params: str) -> SimpleNamespace:
    return SimpleNamespace(originalname=name, name=name, callspec=SimpleNamespace(params=params))


def test_only_the_runs_of_selected_tests_start_ahead() -> None:
    readings = importlib.import_module("tests.test_readings")
    schedule = importlib.import_module("tests.test_schedule_suite")
    kept = SimpleNamespace(items=[_item("test_suites_pass_on_every_reading", mix="alternative"),
                                  _item("test_schedule_suite_passes", run="alternative:2")])
    assert set(readings.runs_ahead(kept)) == {"readings alternative"}
    assert set(schedule.runs_ahead(kept)) == {"schedule alternative:2"}
    assert readings.runs_ahead(SimpleNamespace(items=[])) == {} == schedule.runs_ahead(SimpleNamespace(items=[]))
