"""The reference time a schedule is judged against, and the week the charger's intervals live in.

The RPC list has no method that reads or sets the charger's clock.  A 1P7K keeps UTC from the network
and applies ``gmt_offset`` (chapter 4: "Used for charging schedule time calculations"); an interval is
a start and an end (day 1-7, Monday first; hour; minute) of the charger's local week (6.31).  So the
suite needs a reference "now" of its own, and the bench profile declares it (``[clock]``):

* ``host_utc``: the bench host's UTC clock (a real bench; it must be NTP-synced like the charger, and
  its NTP state, from ``ntp_command``, goes into the report);
* ``declared``: a calendar the bench declares, ``utc`` at the host instant ``at_unix`` (``time.time()``):
  the virtual bench announces its charger's calendar this way on its ready line.  Tests read nothing else.

The clock probe (suites/bench/test_schedule.py) then measures how far the charger's schedule runs from
this reference.  Everything here is pure arithmetic on datetimes, so it is unit-tested without a bench.
"""
from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from fixtures.profile import ProfileError

MINUTES_PER_WEEK = 7 * 24 * 60
DEFAULT_NTP_COMMAND = ("timedatectl", "show", "--property=NTPSynchronized", "--value")
DECLARED_UNCERTAINTY_S = 0.005  # host time.time() against itself, plus the ready line's rounding (device s)


@dataclass(frozen=True)
class ReferenceClock:
    """A reference UTC instant tied to the bench clock: ``utc_at(device_s)`` for any bench-clock time."""

    source: str                 # "host_utc" | "declared"
    anchor_utc: datetime        # the reference (aware, UTC) at ...
    anchor_device_s: float      # ... this bench-clock instant (device s)
    uncertainty_s: float        # how well the reference itself is known (device s)
    note: str                   # where it comes from: the NTP state, or the bench's declaration

    def utc_at(self, device_s: float) -> datetime:
        """The reference UTC at a bench-clock instant (device seconds run as calendar seconds)."""
        return self.anchor_utc + timedelta(seconds=device_s - self.anchor_device_s)

    def device_at(self, utc: datetime) -> float:
        """The bench-clock instant at which the reference reads ``utc``."""
        return self.anchor_device_s + (utc - self.anchor_utc).total_seconds()

    def describe(self) -> str:
        return f"{self.source} reference (± {self.uncertainty_s * 1000:.0f} ms): {self.note}"


def _aware(text: str) -> datetime:
    stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)


def ntp_state(command: tuple[str, ...] | list[str]) -> str:
    """What the host says of its NTP sync (recorded, never judged: the probe measures the result)."""
    try:
        done = subprocess.run(list(command), capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"NTP state unknown ({' '.join(command)}: {error})"
    answer = (done.stdout or done.stderr).strip() or f"exit code {done.returncode}"
    return f"{' '.join(command)}: {answer}"


def reference_clock(clock_section: dict[str, Any], *, device_now: float, time_scale: float,
                    profile_name: str) -> ReferenceClock:
    """The profile's reference clock, anchored now (``clock_section`` with its placeholders filled)."""
    source = clock_section.get("reference", "host_utc")
    if source == "declared":
        try:
            declared = _aware(str(clock_section["utc"]))
            at_unix = float(clock_section["at_unix"])
        except (KeyError, ValueError) as error:
            raise ProfileError(f"{profile_name}: [clock] reference = \"declared\" needs utc (ISO 8601) and "
                               f"at_unix (host time.time()): {error}") from None
        anchor = declared + timedelta(seconds=(time.time() - at_unix) * time_scale)
        return ReferenceClock(source, anchor, device_now, DECLARED_UNCERTAINTY_S * time_scale,
                              f"declared by the bench: {declared.isoformat()} at host time {at_unix:.3f}")
    if time_scale != 1.0:
        raise ProfileError(f"{profile_name}: [clock] reference = \"host_utc\" is real time; the run's time "
                           f"scale is {time_scale} (a launched virtual bench declares its calendar instead)")
    command = tuple(clock_section.get("ntp_command", DEFAULT_NTP_COMMAND))
    return ReferenceClock(source, datetime.now(timezone.utc), device_now, 0.0, ntp_state(command))


def reference_for(bench: Any) -> ReferenceClock:
    """The reference clock of a :class:`fixtures.bench.Bench`, from its profile's ``[clock]`` (filled)."""
    section = {key: bench.fill(value) for key, value in bench.profile.section("clock").items()}
    return reference_clock(section, device_now=bench.clock.now(), time_scale=bench.clock.time_scale,
                           profile_name=bench.profile.path.name)


# --- the charger's local week (6.31) ---------------------------------------------------------------
@dataclass(frozen=True)
class WeekTime:
    """A minute of the charger's local week as an interval names it: day 1-7 (Monday first), hour, minute."""

    day: int
    hour: int
    minute: int

    @classmethod
    def of(cls, local: datetime) -> WeekTime:
        return cls(local.isoweekday(), local.hour, local.minute)

    @classmethod
    def from_minutes(cls, minutes: int) -> WeekTime:
        minutes %= MINUTES_PER_WEEK
        return cls(minutes // 1440 + 1, minutes // 60 % 24, minutes % 60)

    @property
    def minutes(self) -> int:
        """Minutes since Monday 00:00."""
        return (self.day - 1) * 1440 + self.hour * 60 + self.minute

    def __str__(self) -> str:
        return f"day {self.day} {self.hour:02d}:{self.minute:02d}"


def interval(start: WeekTime, end: WeekTime, current: int, lb_mode: int = 1) -> dict[str, int]:
    """One Charging_schedule.Set interval (6.31's field names)."""
    return {"start_d": start.day, "start_h": start.hour, "start_m": start.minute, "end_d": end.day,
            "end_h": end.hour, "end_m": end.minute, "current": current, "lb_mode": lb_mode}


def describe_interval(entry: dict[str, int]) -> str:
    start = WeekTime(entry["start_d"], entry["start_h"], entry["start_m"])
    end = WeekTime(entry["end_d"], entry["end_h"], entry["end_m"])
    return f"{start} → {end} at {entry['current']} A"


def local_time(utc: datetime, gmt_offset_h: int) -> datetime:
    """The charger's local time by gmt_offset (chapter 4), naive."""
    return (utc + timedelta(hours=gmt_offset_h)).replace(tzinfo=None)


def utc_of_local(local: datetime, gmt_offset_h: int) -> datetime:
    return (local - timedelta(hours=gmt_offset_h)).replace(tzinfo=timezone.utc)


def minute_floor(stamp: datetime) -> datetime:
    return stamp.replace(second=0, microsecond=0)


def next_boundary(stamp: datetime, lead_s: float) -> datetime:
    """The first whole minute at least ``lead_s`` after ``stamp`` (an edge the test has time to arrange)."""
    return minute_floor(stamp + timedelta(seconds=lead_s)) + timedelta(minutes=1)


def crosses_week_end(start_local: datetime, end_local: datetime) -> bool:
    """A span that runs from one week into the next (Sunday → Monday): as one interval it would wrap."""
    monday = datetime.combine((start_local - timedelta(days=start_local.isoweekday() - 1)).date(), datetime.min.time())
    return end_local >= monday + timedelta(days=7)


def week_end_after(local: datetime) -> datetime:
    """The next Monday 00:00 (local) after ``local``."""
    monday = datetime.combine((local - timedelta(days=local.isoweekday() - 1)).date(), datetime.min.time())
    return monday + timedelta(days=7)


def timezone_name(gmt_offset_h: int) -> str:
    """The IANA fixed-offset zone for a whole-hour offset (POSIX sign: Etc/GMT-12 is UTC+12), so that a
    charger that takes ``timezone`` over ``gmt_offset`` (ambiguity gmt_offset_vs_timezone) agrees."""
    return "Etc/GMT" if gmt_offset_h == 0 else f"Etc/GMT{-gmt_offset_h:+d}"
