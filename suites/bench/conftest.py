"""Fixtures of the bench suites: the EV in the safe state, the analyzer set up, a session trace.

The helpers the suites call live in :mod:`suites.bench.support`; this file only provides fixtures.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from fixtures.bench import Bench
from instruments.ev_simulator import EvSimulator
from instruments.power_analyzer.scpi import InvalidReading
from instruments.power_analyzer.wt300 import PowerAnalyzer
from suites.bench.support import ANALYZER_ITEMS, ANALYZER_UPDATE_S, SessionTrace


@pytest.fixture
def ev(ev_simulator: EvSimulator, safe_bench: Bench) -> EvSimulator:
    """The EV simulator on a bench in the safe state (EV unplugged, no load, no faults, charger in A,
    logged errors reset), put back into it after the test whatever happened."""
    return ev_simulator


def _items_of(analyzer_: PowerAnalyzer) -> tuple[str, ...] | None:
    try:
        return analyzer_.items
    except RuntimeError:  # the driver does not know them yet
        return None


@pytest.fixture
async def analyzer(bench: Bench, power_analyzer: PowerAnalyzer) -> PowerAnalyzer:
    """The power analyzer reading ``ANALYZER_ITEMS`` every ``ANALYZER_UPDATE_S`` (set for every test,
    so a test that changes the analyzer's setup does not leak it).  After a change of setup the
    instrument has no data (NAN) until its first update period ends: wait for it, never read early."""
    if _items_of(power_analyzer) == ANALYZER_ITEMS and power_analyzer.update_rate_s == ANALYZER_UPDATE_S:
        return power_analyzer  # already set up: no new setup, no gap in the data
    power_analyzer.configure_items(ANALYZER_ITEMS)
    power_analyzer.update_rate_s = ANALYZER_UPDATE_S

    def voltage_valid() -> bool:
        try:
            power_analyzer.read_item("U")
        except InvalidReading:
            return False
        return True

    await bench.clock.wait_for_sync(voltage_valid, bool, within_s=4 * ANALYZER_UPDATE_S + 1.0,
                                    what="the analyzer's first valid reading after its setup")
    return power_analyzer


@pytest.fixture
def trace(request: pytest.FixtureRequest) -> Iterator[SessionTrace]:
    """A session trace for the test, attached to the report as a PNG: by the test (``trace.attach()``,
    in the test's own result) or else here at teardown (pass or fail)."""
    recorder = SessionTrace(request.node.name)
    yield recorder
    if not recorder.attached:
        recorder.attach()
