"""Driving a charging schedule against the reference clock: windows placed relative to "now", edges timed.

A schedule test sets intervals in the charger's local week (6.31), plugs the EV in and watches the CP
line, the EV's own view of what it may draw.  Every edge is timed from its minute boundary on the
reference clock (rig.calendar) to the change at the CP, as a :class:`rig.timing.Span`: the polls
bracket it, and the reference's own uncertainty widens it.  Nothing here assumes a reading the RPC
list leaves open:

* whether an interval's end minute is part of it (ambiguity ``schedule_end_minute``) is learned by the
  clock probe, then held to: contiguous intervals are written so that they neither overlap nor leave a
  gap under the charger's own reading;
* what a time no interval covers means (``schedule_outside_intervals``) never decides a test: every
  span a test watches is covered by an interval it set, except where that reading is the subject;
* a window that would cross the end of the week is never needed by a test that is not about it: the
  test waits, on the reference clock, for the new week (a few minutes a week at most).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

from rig.calendar import (ReferenceClock, WeekTime, crosses_week_end, describe_interval, interval, local_time,
                          minute_floor, next_boundary, timezone_name, utc_of_local, week_end_after)
from rig.ev import advertised_a, pwm_on
from rig.measurement import Measurement
from rig.rig import Rig
from rig.timing import Instant, Span

OUTSIDE_A = 16        # install_current while a schedule test runs: what a time outside every interval offers
LEAD_S = 4.0          # device s a test needs between planning an edge and the edge (RPCs, plug-in)
HOLD_POLL_S = 0.5     # device s between observations while a state is held up to an edge (no flooding)
END_READINGS = ("exclusive", "inclusive")


def offers(amps: float, tolerance_a: float) -> Callable[[Any], bool]:
    """The CP advertises ``amps`` (IEC 61851-1 duty, EV side), within the duty tolerance."""
    def check(cp: Any) -> bool:
        seen = advertised_a(cp)
        return seen is not None and abs(seen - amps) <= tolerance_a
    check.__doc__ = f"PWM advertising {amps} A"
    return check


def no_pwm(cp: Any) -> bool:
    """No PWM on the CP line: charging not allowed (B_SCHEDULER, 6.33)."""
    return not pwm_on(cp)


def cp_text(cp: Any) -> str:
    seen = advertised_a(cp)
    return "no PWM" if seen is None else f"PWM {cp.duty_percent:.2f} % ({seen:.2f} A)"


@dataclass
class ScheduleDriver:
    """A rig and the reference clock, with the charger's local offset and its learned end-minute reading."""

    rig: Rig
    reference: ReferenceClock
    offset_h: int = 0
    end_minute: str | None = None        # "exclusive" | "inclusive" once the clock probe has seen an end
    notes: list[str] = field(default_factory=list)

    # --- time ------------------------------------------------------------------------------------
    def utc_now(self) -> datetime:
        return self.reference.utc_at(self.rig.clock.now())

    def local_now(self) -> datetime:
        return local_time(self.utc_now(), self.offset_h)

    def device_at(self, local: datetime) -> float:
        """The bench-clock instant at which the charger's local time should read ``local``."""
        return self.reference.device_at(utc_of_local(local, self.offset_h))

    def boundary(self, lead_s: float = LEAD_S) -> datetime:
        """The next local minute boundary the test has time to arrange an edge for."""
        return next_boundary(self.local_now(), lead_s)

    @property
    def tolerance_a(self) -> float:
        """Duty tolerance as a current (±0.5 % duty is ±0.3 A at 0.6 A/%), plus the CP board's rounding."""
        return self.rig.limit("duty_tolerance_pct").value * 0.6 + 0.1

    # --- the charger ---------------------------------------------------------------------------
    async def use_offset(self, hours: int) -> None:
        """gmt_offset (chapter 4) and a timezone naming the same offset, so both readings of
        gmt_offset_vs_timezone put the charger on the same local time."""
        assert await self.rig.app_config_set("gmt_offset", hours) is True, f"App_config.Set gmt_offset {hours}"
        assert await self.rig.app_config_set("timezone", timezone_name(hours)) is True, "App_config.Set timezone"
        self.offset_h = hours

    async def set_schedule(self, intervals: list[dict[str, int]], *, enabled: bool = True) -> None:
        """Charging_schedule.Set, read back field for field (6.32), then charging_schedule_enabled."""
        answer = await self.rig.charger.call("Charging_schedule.Set", {"charging_schedule": intervals})
        assert answer is True, f"Charging_schedule.Set {[describe_interval(i) for i in intervals]} answered {answer!r}"
        read_back = (await self.rig.charger.call("Charging_schedule.Get"))["charging_schedule"]
        assert read_back == intervals, f"Charging_schedule.Get gave {read_back}, set {intervals}"
        await self.enable(enabled)

    async def enable(self, on: bool) -> None:
        assert await self.rig.app_config_set("charging_schedule_enabled", on) is True, \
            f"App_config.Set charging_schedule_enabled {on}"

    async def prepare(self, offset_h: int = 0) -> None:
        """The charger's local time by ``offset_h``, and what a time outside every interval offers."""
        await self.use_offset(offset_h)
        assert await self.rig.app_config_set("install_current", OUTSIDE_A) is True, "App_config.Set install_current"

    async def plug_in(self) -> None:
        """EV plugged in and asking to charge (C), drawing what the PWM offers; the charger has seen it."""
        rig = self.rig
        await rig.range_for(OUTSIDE_A)
        rig.ev.set_load_current(OUTSIDE_A)
        rig.ev.set_state("B")
        await rig.wait(lambda o: o.adc_state != "A" and o.state != "A",
                       within_s=rig.limit("state_report_s").value + rig.cp_lag_s, what="charger sees the EV plugged in")
        rig.ev.set_state("C")

    # --- windows ---------------------------------------------------------------------------------
    def end_at(self, boundary: datetime) -> WeekTime:
        """The end fields of an interval that should stop at ``boundary``, by the charger's end-minute
        reading (an inclusive end minute is the minute before)."""
        if self.end_minute is None:
            raise RuntimeError("the end-minute reading is not known: run the clock probe first")
        return WeekTime.of(boundary - timedelta(minutes=1) if self.end_minute == "inclusive" else boundary)

    async def window_start(self, span_s: float, *, before_min: int = 1) -> datetime:
        """The start of a window that covers now and the next ``span_s`` device s without crossing the
        end of the week: when it would, wait (reference clock) until the new week has begun."""
        start = minute_floor(self.local_now()) - timedelta(minutes=before_min)
        end = self.window_end(span_s)
        if crosses_week_end(start, end):
            week = week_end_after(start)
            await self.wait_until(week + timedelta(seconds=1), what="the charger's new week (Monday 00:00)")
            start = week
        return start

    def window_end(self, span_s: float) -> datetime:
        """A minute boundary more than a minute after now + ``span_s``: an end whose minute reading
        (inclusive or not) never matters to a test that is over by then."""
        return minute_floor(self.local_now() + timedelta(seconds=span_s)) + timedelta(minutes=2)

    async def covering(self, current: int, span_s: float) -> dict[str, int]:
        """One interval of ``current`` covering now and the next ``span_s`` device s."""
        start = await self.window_start(span_s)
        return interval(WeekTime.of(start), WeekTime.of(self.window_end(span_s)), current)

    async def wait_until(self, local: datetime, *, what: str) -> None:
        """Wait on the reference clock (no charger is asked) until local time ``local``."""
        target = self.device_at(local)
        clock = self.rig.clock
        await clock.wait_for_sync(clock.now, lambda now: now >= target, within_s=max(0.0, target - clock.now()) + 1.0,
                                  what=f"reference time {local:%a %H:%M:%S} ({what})", poll_s=HOLD_POLL_S)

    async def hold_until(self, local: datetime, predicate: Callable[[Any], bool], *, what: str) -> None:
        """Observe that the CP keeps ``predicate`` until just before local time ``local``: the state a
        window edge starts from, proven rather than assumed."""
        rig = self.rig
        remaining = self.device_at(local) - rig.clock.now()
        if remaining > 0:
            await rig.hold(lambda o: predicate(o.cp), for_s=remaining, what=what, poll_s=HOLD_POLL_S)

    async def edge(self, boundary: datetime, predicate: Callable[[Any], bool], *, what: str,
                   before: Callable[[Any], bool] | None = None) -> Span:
        """Time the CP change ``predicate`` against the local minute ``boundary``.

        The CP must hold ``before`` (when given) until ``schedule_clock_tolerance_s`` ahead of the
        boundary; then it is polled until the change, for at most ``2 x schedule_edge_s`` past it, so a
        late edge is measured with its margin rather than waited for forever."""
        rig = self.rig
        early_s = rig.limit("schedule_clock_tolerance_s").value
        late_s = 2 * rig.limit("schedule_edge_s").value
        guard = boundary - timedelta(seconds=early_s)
        if before is not None:
            await self.hold_until(guard, before, what=f"{what}: the state before the {boundary:%a %H:%M} edge")
        else:
            await self.wait_until(guard, what=what)
        at_boundary = self.device_at(boundary)
        since = Instant(rig.clock.now(), rig.clock.now())
        found = await rig.cp_edge(predicate, since=since, within_s=max(0.0, at_boundary + late_s - rig.clock.now()),
                                  what=f"{what} at the CP, from {boundary:%a %H:%M} local")
        span = found.at.since(Instant(at_boundary, at_boundary))
        widen = self.reference.uncertainty_s
        return Span(span.low - widen, span.high + widen,
                    f"CP polled every ≤ {found.gap_s * 1000:.0f} ms, reference ± {widen * 1000:.0f} ms")

    def judge_edge(self, name: str, span: Span) -> Measurement:
        """An edge delay within [-schedule_clock_tolerance_s, schedule_edge_s] of its boundary."""
        rig = self.rig
        edge, early = rig.limit("schedule_edge_s"), rig.limit("schedule_clock_tolerance_s")
        measurement = Measurement(name, unit="s", origin=f"{edge.name}: {edge.origin}; early: {early.name}",
                                  high=edge.value, low=-early.value)
        measurement.check(span.value, span.uncertainty, span.how)
        return measurement
