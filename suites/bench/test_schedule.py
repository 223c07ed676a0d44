"""The charging schedule over time, on the charger's own clock (6.31 Set, 6.33 Override; chapter 4
``gmt_offset``, ``timezone``, ``charging_schedule_enabled``).

No RPC reads the charger's clock: windows are placed relative to the reference "now" the profile
declares (rig.calendar), and every result is read where the EV reads it, at the CP line, plus the
charger's own ``schedule_current`` / ``current_limit_reason`` (6.3).  The first test is the clock probe
(rig.clock_probe): it measures the charger's offset from the reference at one edge, and learns its end
minute reading; when it fails, every other test here is skipped with its reason.

* **Edges**: a window opening (B_SCHEDULER → charging) and closing (charging → B_SCHEDULER), and a day
  of several intervals, each edge timed from its minute boundary to the CP (``schedule_edge_s``).
* **The interval's current**: ``schedule_current``, ``current_limit_reason`` 4 and the duty agree;
  current 0 pauses.
* **Wraps**: an interval across midnight and one across the end of the week (day 7 → day 1), each
  active now and ending at its end minute by the charger's reading (``schedule_end_minute``); a charger
  that refuses a week-wrapping interval (``schedule_interval_rules`` strict) must say so with the code.
* **gmt_offset** -12, 0, +12 shifts the windows by whole hours (decoys at the wrong sign and at UTC say
  which mistake a charger made); whether ``timezone`` is used is a labelled reading.
* **The enable flag**, **Override** (charges now; re-armed at the unplug; without an EV a labelled
  reading), **persistence** across ``Device.Reset`` (destructive).

Windows are placed so that each edge is at most about 70 s away at time scale 1: the whole file takes
about 10-14 minutes in real time (``slow``), well under a minute at the CI time scale.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio

from fixtures.clock import WaitTimeout
from instruments.charger_rpc import DeviceError
from reference.spec import KEYS_BY_NAME, method
from reference.spec.errors import GENERAL_FAIL, PROHIBITED
from reports.allure_support import cover
from rig import Observation, Rig
from rig.calendar import (MINUTES_PER_WEEK, ReferenceClock, WeekTime, crosses_week_end, describe_interval, interval,
                          local_time, minute_floor, timezone_name)
from rig.clock_probe import ProbeResult, probe_clock
from rig.schedule import OUTSIDE_A, ScheduleDriver, cp_text, no_pwm, offers

pytestmark = [pytest.mark.bench, pytest.mark.schedule, pytest.mark.slow]
BENCH = pytest.mark.needs("cp_control", "ev_load", "cp_measurement")
PROBE = pytest.StashKey[ProbeResult]()
REASON_SCHEDULE = 4        # 6.3 current_limit_reason: "4- Current limited by schedule"
A_LOW, A_MID, A_HIGH = 8, 10, 13   # interval currents, all below OUTSIDE_A (install_current) and apart
SCHEDULE_CODES = (-4, -5, -1)      # ambiguity schedule_validation_codes: range -4, format -5, general fail -1
MAX_OFFSET = int(KEYS_BY_NAME["gmt_offset"].maximum)   # +12 (chapter 4)
MIN_OFFSET = int(KEYS_BY_NAME["gmt_offset"].minimum)   # -12


async def _run_probe(rig: Rig, reference_clock: ReferenceClock, stash: pytest.Stash) -> ProbeResult:
    result = await probe_clock(ScheduleDriver(rig, reference_clock))
    stash[PROBE] = result
    return result


@pytest_asyncio.fixture
async def schedule(request: pytest.FixtureRequest, rig: Rig, reference_clock: ReferenceClock
                   ) -> AsyncIterator[ScheduleDriver]:
    """A schedule driver holding the charger to the probe's end-minute reading; the probe runs first
    (in this test, when it has not run yet), and its failure skips the test with its reason."""
    stash = request.config.stash
    if PROBE not in stash:
        await _run_probe(rig, reference_clock, stash)
        await rig.force_safe()
    result = stash[PROBE]
    if result.skip_reason:
        pytest.skip(result.skip_reason)
    yield ScheduleDriver(rig, reference_clock, end_minute=result.end_minute)


# --- the clock probe -----------------------------------------------------------------------------------
@BENCH
async def test_schedule_clock_probe(request: pytest.FixtureRequest, rig: Rig, reference_clock: ReferenceClock) -> None:
    cover("6.31 Charging_schedule.Set", title="clock probe: the charger's schedule clock against the reference")
    result = await _run_probe(rig, reference_clock, request.config.stash)
    if result.outside is not None and not result.outside.startswith("other"):
        rig.label_ambiguity("schedule_outside_intervals", f"{result.outside} (seen before the probe's interval)")
    if result.error is not None:
        raise result.error
    rig.label_ambiguity("schedule_end_minute", f"{result.end_minute}: the probe's interval ended "
                                               f"{result.end_span} after its end boundary")
    request.node.user_properties.append(("clock_probe", result.summary()))
    print(result.summary(), f"({reference_clock.describe()})")


# --- edges -------------------------------------------------------------------------------------------------
async def _edge_day(schedule: ScheduleDriver, currents: tuple[int, ...]) -> list[datetime]:
    """Intervals of ``currents`` back to back: the first covers now, each next one starts on the next
    minute boundary (written by the charger's end-minute reading: no gap, no overlap); returns the
    boundaries (local) at which each next interval starts."""
    start = await schedule.window_start(60.0 * (len(currents) + 2))
    first = schedule.boundary()
    boundaries = [first + timedelta(minutes=i) for i in range(len(currents) - 1)]
    ends = [schedule.end_at(b) for b in boundaries] + [WeekTime.of(boundaries[-1] + timedelta(minutes=2))]
    starts = [WeekTime.of(start)] + [WeekTime.of(b) for b in boundaries]
    await schedule.set_schedule([interval(a, b, amps) for a, b, amps in zip(starts, ends, currents)])
    return boundaries


@dataclass(frozen=True)
class WindowEdge:
    """A window edge: the interval before and after the boundary, what the CP shows on each side, and
    what the charger must reach after it (state, contactor, current) and within how long: an interval of
    0 A shows as no PWM and B_SCHEDULER, one of a current as that current advertised and charging."""

    name: str
    currents: tuple[int, int]
    title: str
    after: Callable[[Observation], bool]            # once the edge has passed
    after_within: Callable[[Rig], float]


def _paused(o: Observation) -> bool:
    return no_pwm(o.cp) and o.extended == "B_SCHEDULER"


WINDOW_EDGES = (
    WindowEdge("opens", (0, A_HIGH), "a window opens on its minute: B_SCHEDULER → charging",
               lambda o: o.state == "C" and o.charging and o.extended == "C", lambda rig: rig.charging_deadline_s),
    WindowEdge("closes", (A_HIGH, 0), "a window closes on its minute: charging → B_SCHEDULER",
               lambda o: _paused(o) and o.no_current and not o.mains_present,
               lambda rig: rig.limit("state_report_s").value + rig.limit("pause_open_max_s").value + rig.settle_s),
)


def _shows(amps: int, schedule: ScheduleDriver) -> Callable[[Any], bool]:
    """The CP side of an interval of ``amps``: its current advertised, or no PWM for 0 A."""
    return offers(amps, schedule.tolerance_a) if amps else no_pwm


@BENCH
@pytest.mark.parametrize("case", WINDOW_EDGES, ids=lambda c: c.name)
async def test_6_31_window_edge_on_its_minute(case: WindowEdge, schedule: ScheduleDriver) -> None:
    cover("6.31 Charging_schedule.Set", title=case.title)
    rig = schedule.rig
    await schedule.prepare(0)
    await schedule.plug_in()
    (boundary,) = await _edge_day(schedule, case.currents)
    first, second = case.currents
    inside_first = _shows(first, schedule)
    settled = (lambda o: inside_first(o.cp) and o.charging) if first else _paused
    await rig.wait(settled, within_s=rig.limit("schedule_edge_s").value + rig.charging_deadline_s,
                   what=f"the {first} A interval in force before the edge")
    # A once-a-second CP board's next frames may still straddle the change just seen: let them pass.
    await schedule.wait_until(schedule.local_now() + timedelta(seconds=rig.cp_lag_s), what="two CP readings past it")
    span = await schedule.edge(boundary, _shows(second, schedule), before=inside_first,
                               what=f"{first} A → {second} A")
    schedule.judge_edge(f"window {case.name} ({boundary:%H:%M})", span)
    await rig.wait(case.after, within_s=case.after_within(rig), what=f"the charger once the window {case.name}")


@BENCH
async def test_6_31_several_intervals_in_a_day_each_give_their_current(schedule: ScheduleDriver) -> None:
    cover("6.31 Charging_schedule.Set", title="several intervals in a day: each its own current, on its minute")
    rig = schedule.rig
    await schedule.prepare(0)
    await schedule.plug_in()
    currents = (A_MID, A_HIGH, A_LOW)
    boundaries = await _edge_day(schedule, currents)
    await rig.wait(lambda o: offers(A_MID, schedule.tolerance_a)(o.cp),
                   within_s=rig.limit("schedule_edge_s").value + rig.cp_lag_s, what=f"{A_MID} A in the first interval")
    for boundary, before, after in zip(boundaries, currents, currents[1:]):
        span = await schedule.edge(boundary, offers(after, schedule.tolerance_a),
                                   before=offers(before, schedule.tolerance_a), what=f"{before} A → {after} A")
        schedule.judge_edge(f"{before} A → {after} A ({boundary:%H:%M})", span)
        reported = await _schedule_current(rig)
        assert reported == after, f"System_currents.Get schedule_current {reported} in the {after} A interval"


# --- the interval's current ----------------------------------------------------------------------------------
async def _schedule_current(rig: Rig) -> int:
    """6.20 System_currents.Get ``schedule_current``: the limit the schedule sets now."""
    return (await rig.charger.call("System_currents.Get"))["schedule_current"]


@BENCH
@pytest.mark.parametrize("current", (A_MID, 0), ids=("10A", "0A_pauses"))
async def test_6_31_interval_current_is_what_the_charger_offers(current: int, schedule: ScheduleDriver) -> None:
    cover("6.31 Charging_schedule.Set", title=f"an interval of {current} A: schedule_current, reason 4 and the duty agree")
    cover(method("System_currents.Get"))
    rig = schedule.rig
    await schedule.prepare(0)
    await schedule.set_schedule([await schedule.covering(current, 60.0)])
    await schedule.plug_in()
    within = rig.limit("schedule_edge_s").value + rig.charging_deadline_s
    if current:
        on = offers(current, schedule.tolerance_a)
        seen = await rig.wait(lambda o: on(o.cp) and o.charging, within_s=within,
                              what=f"the CP advertising {current} A and the EV charging")
        assert await _schedule_current(rig) == current, f"System_currents.Get schedule_current in a {current} A interval"
        assert seen.info["current_limit_reason"] == REASON_SCHEDULE, \
            f"current_limit_reason {seen.info['current_limit_reason']} (4: schedule) with the schedule lowest: {seen.info}"
        assert abs(seen.info["pwm_current"] - current) <= schedule.tolerance_a, f"pwm_current: {seen.info}"
    else:
        seen = await rig.wait(lambda o: no_pwm(o.cp) and o.extended == "B_SCHEDULER" and o.no_current, within_s=within,
                              what="B_SCHEDULER, no PWM, no current in a 0 A interval")
        assert await _schedule_current(rig) == 0, "System_currents.Get schedule_current in a 0 A interval"
        await rig.hold(lambda o: no_pwm(o.cp) and o.no_current, for_s=rig.limit("contactor_close_s").value,
                       what="no PWM and no current in the 0 A interval (an EV asking, C)")


# --- wraps -----------------------------------------------------------------------------------------------------
def _offset_for(utc: datetime, *, hour: int | None, day: int | None) -> int | None:
    """A gmt_offset (-12..+12, smallest shift first) that keeps local time in ``hour`` (when given) and on
    ``day`` (given) or off Monday (not given) from now until an edge a minute and a half away."""
    for offset in sorted(range(MIN_OFFSET, MAX_OFFSET + 1), key=lambda o: (abs(o), o)):
        ends = (local_time(utc, offset), local_time(utc + timedelta(seconds=90), offset))
        if hour is not None and any(t.hour != hour for t in ends):
            continue
        if (day is None and any(t.isoweekday() == 1 for t in ends)) or (day is not None and any(t.isoweekday() != day for t in ends)):
            continue
        return offset
    return None


async def _set_or_refused(schedule: ScheduleDriver, intervals: list[dict[str, int]], label: str) -> bool:
    """Charging_schedule.Set: True when stored; a refusal must carry a schedule code and change nothing
    (ambiguity schedule_interval_rules: a strict charger refuses an interval ending before it starts)."""
    rig = schedule.rig
    before = (await rig.charger.call("Charging_schedule.Get"))["charging_schedule"]
    try:
        answer = await rig.charger.call("Charging_schedule.Set", {"charging_schedule": intervals})
    except DeviceError as error:
        assert error.code in SCHEDULE_CODES, f"Charging_schedule.Set {label} refused with {error.code}, not a schedule code {SCHEDULE_CODES}"
        after = (await rig.charger.call("Charging_schedule.Get"))["charging_schedule"]
        assert after == before, f"a refused Charging_schedule.Set changed the schedule: {before} → {after}"
        rig.label_ambiguity("schedule_interval_rules", f"strict: {label} refused with {error.code}")
        return False
    assert answer is True, f"Charging_schedule.Set {label} answered {answer!r}"
    read_back = (await rig.charger.call("Charging_schedule.Get"))["charging_schedule"]
    assert read_back == intervals, f"Charging_schedule.Get gave {read_back}, set {intervals}"
    return True


async def _active_then_ends(schedule: ScheduleDriver, entry: dict[str, int], end: Any, what: str) -> None:
    """The interval is in force now (the CP offers its current) and ends on its end minute."""
    rig = schedule.rig
    await schedule.enable(True)
    await schedule.plug_in()
    on = offers(entry["current"], schedule.tolerance_a)
    try:
        await rig.wait(lambda o: on(o.cp), within_s=rig.limit("schedule_edge_s").value + rig.charging_deadline_s,
                       what=f"{describe_interval(entry)} in force at local {schedule.local_now():%a %H:%M}")
    except WaitTimeout as timeout:
        raise AssertionError(f"{what}: {describe_interval(entry)} is not in force at local "
                             f"{schedule.local_now():%a %H:%M:%S} (gmt_offset {schedule.offset_h}): {timeout}") from None
    span = await schedule.edge(end, lambda cp: not on(cp), before=on, what=f"{what} ending")
    schedule.judge_edge(f"{what} ends ({schedule.end_minute} end minute, {end:%a %H:%M})", span)
    rig.label_ambiguity("schedule_end_minute", f"{schedule.end_minute} ({what})")


@BENCH
async def test_6_31_interval_across_midnight(schedule: ScheduleDriver) -> None:
    cover("6.31 Charging_schedule.Set", title="an interval across midnight (day d 23:59 → d+1): in force, ends on its minute")
    # Local time just after a midnight (00:xx) on a day that is not Monday (that would be the week's
    # end, the next test's subject); any other hour of a non-Monday day when no offset gives 00:xx.
    offset = _offset_for(schedule.utc_now(), hour=0, day=None)
    if offset is None:
        offset = _offset_for(schedule.utc_now(), hour=None, day=None)
    assert offset is not None  # ±12 h always reaches a day that is not Monday
    await schedule.prepare(offset)
    end = schedule.boundary()
    start = WeekTime(end.isoweekday() - 1, 23, 59)
    entry = interval(start, schedule.end_at(end), A_MID)
    assert await _set_or_refused(schedule, [entry], describe_interval(entry)), \
        f"an interval across midnight ({describe_interval(entry)}, not across the week's end) was refused"
    await _active_then_ends(schedule, entry, end, "the interval across midnight")


@BENCH
async def test_6_31_interval_across_the_end_of_the_week(schedule: ScheduleDriver) -> None:
    cover("6.31 Charging_schedule.Set", title="an interval across the end of the week (day 7 → day 1)")
    offset = _offset_for(schedule.utc_now(), hour=0, day=1)  # Monday 00:xx when ±12 h reaches it, else now
    await schedule.prepare(offset if offset is not None else 0)
    end = schedule.boundary()
    while WeekTime.of(end).minutes < 2 or WeekTime.of(end).minutes == MINUTES_PER_WEEK - 1:
        end += timedelta(minutes=1)  # not next to the start (day 7 23:59): a one-minute or empty interval
    entry = interval(WeekTime(7, 23, 59), schedule.end_at(end), A_MID)
    if not await _set_or_refused(schedule, [entry], describe_interval(entry)):
        return  # strict: refused with its code, schedule unchanged (checked); nothing wraps on this charger
    rig = schedule.rig
    rig.label_ambiguity("schedule_interval_rules", "lenient: a week-wrapping interval is stored")
    await _active_then_ends(schedule, entry, end, "the interval across the end of the week")


# --- gmt_offset and timezone ---------------------------------------------------------------------------------
@BENCH
@pytest.mark.parametrize("offset", (MIN_OFFSET, 0, MAX_OFFSET), ids=lambda o: f"gmt{o:+d}")
async def test_4_gmt_offset_shifts_the_windows_by_whole_hours(offset: int, schedule: ScheduleDriver) -> None:
    cover("4 gmt_offset", title=f"gmt_offset {offset:+d}: the schedule runs on UTC {offset:+d} h")
    rig = schedule.rig
    await schedule.prepare(offset)
    entry = await schedule.covering(A_MID, 60.0)
    decoys = {}
    if offset:
        # Where a charger that got gmt_offset wrong would be: the same span at UTC (offset ignored) and
        # at UTC - offset (wrong sign), each with its own current, so the CP says which mistake it made.
        for name, hours, amps in (("gmt_offset ignored", 0, A_HIGH), ("gmt_offset applied with the wrong sign", -offset, A_LOW)):
            local = local_time(schedule.utc_now(), hours)
            start = minute_floor(local) - timedelta(minutes=1)
            end = minute_floor(local + timedelta(seconds=60)) + timedelta(minutes=2)
            if not crosses_week_end(start, end):
                decoys[amps] = (name, interval(WeekTime.of(start), WeekTime.of(end), amps))
    await schedule.set_schedule([entry, *(d[1] for d in decoys.values())])
    await schedule.plug_in()
    on = offers(A_MID, schedule.tolerance_a)
    try:
        seen = await rig.wait(lambda o: on(o.cp), within_s=rig.limit("schedule_edge_s").value + rig.charging_deadline_s,
                              what=f"{A_MID} A: the interval at local (UTC {offset:+d} h) {describe_interval(entry)}")
    except WaitTimeout as timeout:
        last = await rig.observe()
        mistaken = [name for amps, (name, _) in decoys.items() if offers(amps, schedule.tolerance_a)(last.cp)]
        raise AssertionError(f"gmt_offset {offset:+d}: the CP shows {cp_text(last.cp)}, schedule_current "
                             f"{await _schedule_current(rig)}: {mistaken[0] if mistaken else 'not the local interval'} "
                             f"({timeout})") from None
    assert await _schedule_current(rig) == A_MID, f"System_currents.Get schedule_current with gmt_offset {offset:+d}"


@BENCH
async def test_4_timezone_string_is_used_or_ignored(schedule: ScheduleDriver) -> None:
    cover("4 timezone", title="timezone versus gmt_offset: which one the schedule follows (a labelled reading)")
    rig = schedule.rig
    await schedule.prepare(0)
    zone_hours = MAX_OFFSET
    assert await rig.app_config_set("timezone", timezone_name(zone_hours)) is True, "App_config.Set timezone"
    by_offset = await schedule.covering(A_MID, 60.0)
    local = local_time(schedule.utc_now(), zone_hours)
    start, end = minute_floor(local) - timedelta(minutes=1), minute_floor(local + timedelta(seconds=60)) + timedelta(minutes=2)
    intervals = [by_offset]
    if not crosses_week_end(start, end):
        intervals.append(interval(WeekTime.of(start), WeekTime.of(end), A_HIGH))
    await schedule.set_schedule(intervals)
    await schedule.plug_in()
    readings = {"gmt_offset_only": offers(A_MID, schedule.tolerance_a),
                "timezone_overrides": offers(A_HIGH, schedule.tolerance_a)}
    seen = await rig.wait(lambda o: any(check(o.cp) for check in readings.values()),
                          within_s=rig.limit("schedule_edge_s").value + rig.charging_deadline_s,
                          what=f"the interval at gmt_offset 0 ({A_MID} A) or at timezone {timezone_name(zone_hours)} ({A_HIGH} A)")
    reading = next(name for name, check in readings.items() if check(seen.cp))
    rig.label_ambiguity("gmt_offset_vs_timezone", f"{reading}: gmt_offset 0 with timezone {timezone_name(zone_hours)} "
                                                  f"gave {cp_text(seen.cp)}")


# --- the enable flag, the time outside every interval -----------------------------------------------------------
@BENCH
async def test_4_schedule_disabled_is_ignored(schedule: ScheduleDriver) -> None:
    cover("4 charging_schedule_enabled", title="charging_schedule_enabled false: the charger ignores the schedule")
    rig = schedule.rig
    await schedule.prepare(0)
    await schedule.set_schedule([await schedule.covering(0, 120.0)], enabled=False)
    await schedule.plug_in()
    full = offers(OUTSIDE_A, schedule.tolerance_a)
    await rig.wait(lambda o: full(o.cp) and o.charging, within_s=rig.charging_deadline_s,
                   what=f"charging at {OUTSIDE_A} A with the schedule disabled")
    held = await rig.hold(lambda o: full(o.cp) and o.charging and o.extended != "B_SCHEDULER",
                          for_s=rig.limit("schedule_edge_s").value, what="charging on with a disabled 0 A schedule",
                          poll_s=0.5)
    assert held.info["current_limit_reason"] != REASON_SCHEDULE, f"a disabled schedule limits the current: {held.info}"
    await schedule.enable(True)  # the same schedule, enabled: it pauses (the window does cover now)
    await rig.wait(_paused,
                   within_s=rig.limit("schedule_edge_s").value + rig.cp_lag_s, what="B_SCHEDULER once enabled")


@BENCH
async def test_6_31_time_outside_every_interval(schedule: ScheduleDriver) -> None:
    cover("6.31 Charging_schedule.Set", title="no interval covers now: unrestricted or paused (a labelled reading)")
    rig = schedule.rig
    await schedule.prepare(0)
    now = schedule.local_now()
    far = minute_floor(now) + timedelta(hours=6)
    if crosses_week_end(minute_floor(now), far + timedelta(hours=1)):
        far = minute_floor(now) - timedelta(hours=6)
    await schedule.set_schedule([interval(WeekTime.of(far), WeekTime.of(far + timedelta(hours=1)), A_MID)])
    await schedule.plug_in()
    readings = {"unrestricted": lambda o: offers(OUTSIDE_A, schedule.tolerance_a)(o.cp) and o.charging,
                "paused": lambda o: no_pwm(o.cp) and o.extended == "B_SCHEDULER"}
    seen = await rig.wait(lambda o: any(r(o) for r in readings.values()),
                          within_s=rig.limit("schedule_edge_s").value + rig.charging_deadline_s,
                          what=f"charging at {OUTSIDE_A} A or B_SCHEDULER outside every interval")
    reading = next(name for name, check in readings.items() if check(seen))
    await rig.hold(readings[reading], for_s=rig.limit("schedule_edge_s").value, what=f"{reading} outside every interval",
                   poll_s=0.5)
    rig.label_ambiguity("schedule_outside_intervals", f"{reading}: {cp_text(seen.cp)}, {seen.extended}")


# --- Override (6.33) ------------------------------------------------------------------------------------------
async def _paused_by_schedule(rig: Rig, what: str) -> None:
    await rig.wait(_paused,
                   within_s=rig.limit("schedule_edge_s").value + rig.limit("state_report_s").value + rig.cp_lag_s,
                   what=what)
    await rig.hold(lambda o: no_pwm(o.cp) and not o.mains_present, for_s=rig.limit("contactor_close_s").value,
                   what=f"{what}: no PWM, contactor open")


@BENCH
async def test_6_33_override_charges_now_and_is_rearmed_at_the_unplug(schedule: ScheduleDriver) -> None:
    cover(method("Charging_schedule.Override"), title="Override charges now, outside the window; the unplug re-arms the schedule")
    rig = schedule.rig
    await schedule.prepare(0)
    await schedule.set_schedule([await schedule.covering(0, 150.0)])
    await schedule.plug_in()
    await _paused_by_schedule(rig, "B_SCHEDULER in the 0 A window")
    assert await rig.charger.call("Charging_schedule.Override") is True, "Charging_schedule.Override"
    full = offers(OUTSIDE_A, schedule.tolerance_a)
    await rig.wait(lambda o: full(o.cp) and o.charging and o.state == "C", within_s=rig.limit("pwm_update_s").value
                   + rig.charging_deadline_s, what="charging after Charging_schedule.Override")
    await rig.unplug()
    await schedule.plug_in()
    await _paused_by_schedule(rig, "the schedule in force again after the unplug (6.33 'reactivated when the car is disconnected')")


@BENCH
async def test_6_33_override_without_an_ev(schedule: ScheduleDriver) -> None:
    cover(method("Charging_schedule.Override"), title="Override with no EV: refused, for the next session, or nothing (labelled)")
    rig = schedule.rig
    await schedule.prepare(0)
    await schedule.set_schedule([await schedule.covering(0, 150.0)])
    try:
        answer: Any = await rig.charger.call("Charging_schedule.Override")
    except DeviceError as error:
        assert error.code in (GENERAL_FAIL, PROHIBITED), f"Override with no EV refused with {error.code}, not -1/-7"
        answer = error
    else:
        assert answer is True, f"Charging_schedule.Override with no EV answered {answer!r}"
    await schedule.plug_in()
    full = offers(OUTSIDE_A, schedule.tolerance_a)
    seen = await rig.wait(lambda o: (full(o.cp) and o.charging) or (no_pwm(o.cp) and o.extended == "B_SCHEDULER"),
                          within_s=rig.limit("schedule_edge_s").value + rig.charging_deadline_s,
                          what="charging (the override taken for this session) or B_SCHEDULER")
    if full(seen.cp):
        assert answer is True, f"Override was refused ({answer}) yet the next session ignores the schedule"
        rig.label_ambiguity("schedule_override_without_ev", "next_session: the next plug-in charges")
        await rig.unplug()
        await schedule.plug_in()
        await _paused_by_schedule(rig, "the schedule in force again after that session's unplug")
    else:
        await _paused_by_schedule(rig, "B_SCHEDULER: the override without an EV has no effect")
        rig.label_ambiguity("schedule_override_without_ev", "refused" if isinstance(answer, DeviceError) else "no_effect")


# --- persistence ----------------------------------------------------------------------------------------------
@BENCH
@pytest.mark.destructive
@pytest.mark.needs("destructive")
async def test_6_31_schedule_and_its_effect_survive_device_reset(schedule: ScheduleDriver) -> None:
    cover(method("Device.Reset"), title="the schedule, its enable flag and its effect survive Device.Reset")
    rig = schedule.rig
    await schedule.prepare(0)
    entries = [await schedule.covering(0, 2 * rig.limit("reboot_max_s").value + 60)]
    entries[0]["lb_mode"] = 3
    await schedule.set_schedule(entries)
    await schedule.plug_in()
    await _paused_by_schedule(rig, "B_SCHEDULER before the reset")
    await rig.unplug()  # Device.Reset waits for a session to end (6.7): reset with no EV, plug in again after
    await rig.device_reset()
    kept = (await rig.charger.call("Charging_schedule.Get"))["charging_schedule"]
    assert kept == entries, f"Charging_schedule.Get after Device.Reset: {kept}, set {entries}"
    enabled = (await rig.charger.call("App_config.Get"))["charging_schedule_enabled"]
    assert enabled in (True, "true"), f"charging_schedule_enabled after Device.Reset: {enabled!r}"
    await schedule.plug_in()
    await _paused_by_schedule(rig, "B_SCHEDULER after the reset")
