"""The charging schedule as the firmware runs it (spec 6.31-6.33; chapter 4 gmt_offset, timezone,
charging_schedule_enabled).

Two halves, kept apart so each can be checked on its own:

* *what* the schedule says at one instant of the charger's calendar (:func:`local_time`,
  :func:`scheduled_current`): pure functions of the configuration, the readings and the defects;
* *when* the charging logic acts on it (:class:`ScheduleTimer`).  A real firmware does not watch the
  clock continuously: its scheduler runs from a periodic timer (``schedule_eval_s``), decides a while
  later (``schedule_lag_s``), and hands the new limit to the PWM task like any other limit
  (``pwm_update_s``).  A minute boundary therefore reaches the CP line some time after it, and that
  time is what the bench suite measures (limit ``schedule_edge_s``).  A change of the schedule's
  settings (Charging_schedule.Set, charging_schedule_enabled, gmt_offset, timezone, Override, a
  re-synced clock) is acted on at once, as the settings handler re-runs the scheduler: charging then
  starts or stops as promptly as for any other setting.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from simulator.defects import ActiveDefects
from simulator.firmware.ledger import Reaction
from simulator.firmware.limits import HW_MAX_A
from simulator.firmware.timing import FirmwareTiming
from simulator.readings import ActiveReadings

MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
# A clock that jumped far (a test moving device time by hours) is caught up over this many timer runs
# at most: the earlier ones could not change what the latest run decides.
MAX_CATCH_UP_RUNS = 600


# --- what the schedule says --------------------------------------------------------------------------
def local_time(utc: datetime, app: Mapping[str, Any], readings: ActiveReadings, defects: ActiveDefects) -> datetime:
    """The charger's local wall time (naive) for a UTC instant: by gmt_offset (chapter 4 'GMT offset.
    Used for charging schedule time calculations'), or by the IANA timezone name when the reading
    gmt_offset_vs_timezone is "timezone_overrides" and the name is one the firmware knows."""
    utc = utc.astimezone(timezone.utc).replace(tzinfo=None) if utc.tzinfo else utc
    zone = app.get("timezone")
    if readings.is_("gmt_offset_vs_timezone", "timezone_overrides") and isinstance(zone, str) and zone:
        try:
            return utc.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(zone)).replace(tzinfo=None)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass  # an unknown name: the firmware falls back to gmt_offset
    offset = int(app["gmt_offset"])
    if "schedule_gmt_offset_ignored" in defects:
        offset = 0
    elif "schedule_gmt_offset_wrong_sign" in defects:
        offset = -offset  # the offset subtracted: UTC - gmt_offset
    return utc + timedelta(hours=offset)


def firmware_minute_of_week(local: datetime, defects: ActiveDefects) -> int:
    """Where in the schedule's week (0 = Monday 00:00, 6.31 'First day of the week is Monday') the
    firmware believes ``local`` is, to the minute."""
    if "schedule_edge_minute_late" in defects:
        local -= timedelta(minutes=1)  # it compares the schedule with the minute just ended
    minute = (local.isoweekday() - 1) * MINUTES_PER_DAY + local.hour * 60 + local.minute
    if "schedule_monday_is_day_0" in defects:
        minute -= MINUTES_PER_DAY  # day = isoweekday - 1: day d's interval runs on day d + 1
    elif "schedule_sunday_is_day_1" in defects:
        minute += MINUTES_PER_DAY  # day = isoweekday % 7 + 1: day d's interval runs on day d - 1
    return minute % MINUTES_PER_WEEK


def interval_minute(interval: Mapping[str, int], side: str) -> int:
    """An interval's start or end (``side``) as a minute of the week (6.31 start_d/h/m, end_d/h/m)."""
    return ((interval[f"{side}_d"] - 1) * 24 + interval[f"{side}_h"]) * 60 + interval[f"{side}_m"]


def covers(interval: Mapping[str, int], minute: int, readings: ActiveReadings, defects: ActiveDefects) -> bool:
    """Whether ``interval`` holds at ``minute`` of the week.

    An interval ending earlier in the week than it starts wraps past Sunday 24:00 (reading
    schedule_interval_rules "lenient" stores such intervals; "strict" refuses them at Set).  Its end
    minute belongs to it or not by reading schedule_end_minute (6.31 says only that end_h/end_m are
    when it is 'activated' [sic])."""
    start, end = interval_minute(interval, "start"), interval_minute(interval, "end")
    wraps = end < start
    if wraps and "schedule_week_wrap_broken" in defects:
        return False
    crosses_midnight = (interval["end_h"], interval["end_m"]) < (interval["start_h"], interval["start_m"])
    if crosses_midnight and "schedule_midnight_wrap_broken" in defects:
        return False  # a time-of-day comparison (start <= now < end) that no wrapping interval passes
    if readings.is_("schedule_end_minute", "inclusive"):
        end += 1  # the end minute is part of the interval: it ends at end_h:end_m + 1 minute
    if not wraps:
        return start <= minute < end
    return minute >= start or minute < end


def scheduled_current(app: Mapping[str, Any], intervals: Sequence[Mapping[str, int]], minute: int, *,
                      overridden: bool, readings: ActiveReadings, defects: ActiveDefects) -> int:
    """The schedule's current limit at ``minute`` of the week: the first interval covering it (6.31
    'A 0 value means charging is paused, otherwise the 6-32 range is applied'); outside every interval
    no limit or a pause (reading schedule_outside_intervals); none while the schedule is disabled
    (chapter 4 charging_schedule_enabled) or overridden for the session (6.33)."""
    enabled = app["charging_schedule_enabled"] or "schedule_enable_ignored" in defects
    if not enabled or overridden:
        return HW_MAX_A
    for interval in intervals:
        if covers(interval, minute, readings, defects):
            current = int(interval["current"])
            return 6 if current == 0 and "schedule_zero_as_6a" in defects else current
    return 0 if readings.is_("schedule_outside_intervals", "paused") else HW_MAX_A


# --- when the charging logic acts on it --------------------------------------------------------------
@dataclass(frozen=True)
class PendingLimit:
    """A schedule decision on its way to the charging logic: in force from ``due``."""

    decided_at: float
    due: float
    value: int


class ScheduleTimer:
    """The firmware's scheduler task: runs every ``schedule_eval_s`` from boot, and its decision is in
    force ``schedule_lag_s`` later.  A pause edge (to or from 0 A: the PWM switched off or on) also
    waits for the PWM task, ``pwm_update_s``, as a duty change does after the limit is in force (the
    charging logic's own PWM path), so every kind of edge takes the same path to the CP line."""

    def __init__(self, evaluate: Callable[[float], int], inputs: Callable[[], Hashable], timing: FirmwareTiming,
                 ledger: Callable[[], list[Reaction]]) -> None:
        self._evaluate = evaluate   # the schedule's limit at a device time (the configuration as it is now)
        self._inputs = inputs       # the settings it depends on: a change is acted on at once
        self._timing = timing
        self._ledger = ledger
        self.boot(0.0)

    def boot(self, now: float) -> None:
        """Power-on: the scheduler runs once at boot and then from its timer."""
        self._epoch = self._last_run = now
        self._seen_inputs = self._inputs()
        self.decided = self.in_force = self._evaluate(now)
        self.pending: PendingLimit | None = None

    def limit(self, now: float) -> int:
        """The schedule limit the charging logic applies at ``now`` (System_currents.Get schedule_current)."""
        inputs = self._inputs()
        if inputs != self._seen_inputs:  # the settings handler re-ran the scheduler: in force at once
            self._seen_inputs = inputs
            self._last_run = max(self._last_run, now)
            self.decided = self.in_force = self._evaluate(now)
            self.pending = None
            return self.in_force
        for run in self._runs_until(now):
            self._apply_due(run)
            self._decide(run, self._evaluate(run))
        self._apply_due(now)
        return self.in_force

    def _runs_until(self, now: float) -> list[float]:
        """The timer's runs after the last one handled, up to ``now`` (device times, exact)."""
        period = self._timing.schedule_eval_s
        first = math.floor((self._last_run - self._epoch) / period + 1e-9) + 1
        last = math.floor((now - self._epoch) / period + 1e-9)
        if last < first:
            return []
        first = max(first, last - MAX_CATCH_UP_RUNS + 1)
        self._last_run = self._epoch + last * period
        return [self._epoch + k * period for k in range(first, last + 1)]

    def _decide(self, run: float, value: int) -> None:
        """One run of the scheduler: a new value goes on its way to the charging logic."""
        if value == self.decided:
            return
        timing = self._timing
        pause_edge = (value == 0) != (self.decided == 0)
        due = run + timing.schedule_lag_s  # the scheduler's own pipeline: fixed, not a reaction that varies
        if pause_edge:
            due += timing.vary(timing.pwm_update_s)
        self.decided = value
        self.pending = None if value == self.in_force else PendingLimit(run, due, value)
        if self.pending is not None:
            self._ledger().append(Reaction("schedule_edge", run, due))

    def _apply_due(self, now: float) -> None:
        if self.pending is not None and self.pending.due <= now:
            self.in_force, self.pending = self.pending.value, None
