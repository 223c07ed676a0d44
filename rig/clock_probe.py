"""The clock probe: how far the charger's schedule runs from the reference clock, seen at one schedule edge.

No RPC reads the charger's clock, so the probe watches one: an interval of ``PROBE_A`` on *every* day of
the week (7 intervals, one minute long, at the same time of day), so that neither the day numbering nor
a wrong ``gmt_offset`` can move it (gmt_offset 0 is set; those are the subjects of other tests).

* The interval's **start** reaching the CP, against its minute boundary, is the offset: the charger's
  clock error plus its scheduler's and PWM's latency, with the polls' uncertainty.  Beyond
  ``schedule_clock_tolerance_s`` either way the probe fails, and every other schedule test is skipped
  with that reason: no schedule verdict stands on a clock that is off.
* The interval's **end** says which reading of the end minute the charger takes (ambiguity
  ``schedule_end_minute``): it ends at ``end_m`` (exclusive) or a minute later (inclusive).  Later tests
  hold the charger to that reading.
* What the CP offered before the interval is the reading of ``schedule_outside_intervals`` (the
  installed current, or nothing), recorded for the report.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fixtures.clock import WaitTimeout
from rig.calendar import WeekTime, interval
from rig.measurement import Inconclusive
from rig.schedule import OUTSIDE_A, ScheduleDriver, cp_text, no_pwm, offers
from rig.timing import Span

PROBE_A = 10


@dataclass(frozen=True)
class ProbeResult:
    """What the probe found; ``error`` (the probe's failure) makes every other schedule test skip."""

    boundary: datetime | None = None
    offset: Span | None = None
    end_minute: str | None = None
    end_span: Span | None = None
    outside: str | None = None
    error: BaseException | None = None

    @property
    def skip_reason(self) -> str | None:
        if self.error is None:
            return None
        return f"the clock probe failed, so no schedule verdict stands: {str(self.error).splitlines()[0]}"

    def summary(self) -> str:
        if self.offset is None:
            return f"clock probe: no offset measured ({self.error})"
        return (f"clock probe at {self.boundary:%a %H:%M} local (gmt_offset 0): the charger's schedule runs "
                f"{self.offset.value:+.2f} ± {self.offset.uncertainty:.2f} s from the reference; end minute "
                f"{self.end_minute}; outside every interval: {self.outside}")


def _probe_boundary(driver: ScheduleDriver) -> datetime:
    """The next boundary whose one-minute interval (and its inclusive minute) stays within its day."""
    boundary = driver.boundary()
    while boundary.hour == 23 and boundary.minute >= 57:
        boundary += timedelta(minutes=1)
    return boundary


async def probe_clock(driver: ScheduleDriver) -> ProbeResult:
    """Run the probe on a rig in the safe state; never raises for what it measures (see ``error``)."""
    rig = driver.rig
    await driver.prepare(0)
    await driver.plug_in()
    boundary = _probe_boundary(driver)
    end = boundary + timedelta(minutes=1)
    await driver.set_schedule([interval(WeekTime(day, boundary.hour, boundary.minute),
                                        WeekTime(day, end.hour, end.minute), PROBE_A) for day in range(1, 8)])
    probe_on, tolerance = offers(PROBE_A, driver.tolerance_a), driver.tolerance_a
    outside = {"unrestricted": offers(OUTSIDE_A, tolerance), "paused": no_pwm}
    found = ProbeResult(boundary=boundary)
    try:
        last = await rig.observe()
        try:
            start = await driver.edge(boundary, probe_on, before=lambda cp: not probe_on(cp),
                                      what=f"the {PROBE_A} A interval starting")
        except WaitTimeout as timeout:
            raise AssertionError(await _no_start(driver, boundary, timeout)) from None
        seen_before = [name for name, check in outside.items() if check(last.cp)]
        found = ProbeResult(boundary, start, outside=seen_before[0] if seen_before else f"other: {cp_text(last.cp)}")
        driver.judge_edge("schedule clock offset (interval start)", start)
        end_span, reading = await _end_edge(driver, end, probe_on)
        driver.judge_edge(f"interval end ({reading} end minute)", end_span)
        return ProbeResult(boundary, start, reading, end_span, found.outside)
    except (AssertionError, Inconclusive) as error:
        return ProbeResult(found.boundary, found.offset, outside=found.outside, error=error)


async def _no_start(driver: ScheduleDriver, boundary: datetime, timeout: WaitTimeout) -> str:
    """Why the probe's interval never reached the CP, in the charger's own words where it has them:
    a charger that reports the interval's current (6.20 schedule_current) but does not offer it is not
    a clock problem."""
    late = 2 * driver.rig.limit("schedule_edge_s").value
    reported = (await driver.rig.charger.call("System_currents.Get")).get("schedule_current")
    if reported == PROBE_A:
        return (f"the charger reports schedule_current {PROBE_A} A from the {boundary:%H:%M} interval but the CP "
                f"does not offer it {late:g} s after the boundary: the interval's current is not applied ({timeout})")
    return (f"no {PROBE_A} A at the CP within {late:g} s of the {boundary:%H:%M} boundary (schedule_current "
            f"{reported}): the charger's schedule clock is off by more than that, or its intervals are not applied "
            f"({timeout})")


async def _end_edge(driver: ScheduleDriver, end: datetime, probe_on: Callable[[Any], bool]) -> tuple[Span, str]:
    """The interval's end at the CP: at ``end`` (exclusive end minute) or a minute later (inclusive)."""
    try:
        span = await driver.edge(end, lambda cp: not probe_on(cp), before=probe_on,
                                 what=f"the {PROBE_A} A interval ending (exclusive end minute)")
        return span, "exclusive"
    except WaitTimeout:
        pass
    later = end + timedelta(minutes=1)
    try:
        span = await driver.edge(later, lambda cp: not probe_on(cp), before=probe_on,
                                 what=f"the {PROBE_A} A interval ending (inclusive end minute)")
    except WaitTimeout as timeout:
        raise AssertionError(f"the {PROBE_A} A interval ending at {end:%H:%M} did not end at {end:%H:%M} nor "
                             f"at {later:%H:%M} (either reading of its end minute): {timeout}") from None
    return span, "inclusive"
