"""Timing verdicts as measurements with an uncertainty: pass, fail or inconclusive, never a guess."""
from __future__ import annotations

import asyncio

import pytest

from fixtures.clock import BenchClock
from fixtures.profile import Limit
from rig.measurement import Inconclusive, Measurement
from rig.timing import Instant, Span, Timing, judge

OPEN = Limit("contactor_open_s", 0.1, "s", "IEC 61851-1 (ref), field-facts §4")
F_MIN = Limit("state_f_min_s", 0.3, "s", "IEC 61851-1 (ref), field-facts §4")


@pytest.mark.parametrize(("low", "high", "verdict"), [
    (0.05, 0.09, "PASS"),        # value + uncertainty within
    (0.11, 0.13, "FAIL"),        # value - uncertainty beyond
    (0.085, 0.105, "INCONCLUSIVE"),
    (0.08, 0.10, "PASS"),        # exactly on the limit at its worst
])
def test_a_maximum_is_decided_by_the_whole_interval(low: float, high: float, verdict: str) -> None:
    span = Span(low, high, "polled")
    if verdict == "PASS":
        assert judge("open", span, OPEN).verdict == "PASS"
    elif verdict == "FAIL":
        with pytest.raises(AssertionError, match="outside"):
            judge("open", span, OPEN)
    else:
        with pytest.raises(Inconclusive) as unresolved:
            judge("open", span, OPEN)
        assert "needs better than ±0.005 s" in str(unresolved.value)


@pytest.mark.parametrize(("low", "high", "verdict"), [
    (0.32, 0.40, "PASS"), (0.10, 0.25, "FAIL"), (0.25, 0.35, "INCONCLUSIVE")])
def test_a_minimum_is_decided_by_the_whole_interval(low: float, high: float, verdict: str) -> None:
    try:
        result = judge("F shown", Span(low, high), F_MIN, "min").verdict
    except Inconclusive:
        result = "INCONCLUSIVE"
    except AssertionError:
        result = "FAIL"
    assert result == verdict


def test_an_effect_cannot_precede_its_cause() -> None:
    span = Instant(1.00, 1.02).delay_since(Instant(0.99, 1.01))
    assert span.low == 0.0 and span.high == pytest.approx(0.03)
    assert span.value == pytest.approx(0.015) and span.uncertainty == pytest.approx(0.015)


def test_an_inconclusive_measurement_is_recorded_with_its_uncertainty() -> None:
    measurement = Measurement("open", unit="s", high=0.1, origin="x")
    with pytest.raises(Inconclusive):
        measurement.check(0.1, 0.02, "polled")
    assert measurement.verdict == "INCONCLUSIVE" and measurement.passed is None
    assert "± 0.02" in measurement.summary()


def test_an_edge_is_bracketed_by_the_read_before_and_the_read_that_showed_it() -> None:
    clock = BenchClock(time_scale=1.0, poll_s=0.001)
    timing = Timing(clock)
    reads = iter([False, False, True])

    async def run() -> None:
        start = Instant(clock.now(), clock.now())
        edge = await timing.edge(lambda: next(reads), bool, since=start, within_s=1.0, what="a change")
        assert edge.polls == 3 and edge.value is True
        assert edge.at.earliest >= start.earliest and edge.at.latest <= clock.now()
        span = timing.polled(edge, start, "a probe")
        assert span.low <= span.high and "3 reads" in span.how

    asyncio.run(run())
