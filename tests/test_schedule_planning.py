"""Windows placed relative to the reference "now" (rig/schedule.py), on a fast clock and no bench."""
from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from fixtures.clock import BenchClock
from rig.calendar import ReferenceClock, WeekTime
from rig.schedule import ScheduleDriver

FAST = 600.0   # device seconds per wall second: a device minute in 0.1 s


def driver_at(utc: datetime, *, end_minute: str | None = "exclusive", offset_h: int = 0) -> ScheduleDriver:
    clock = BenchClock(FAST, poll_s=0.5)
    reference = ReferenceClock("declared", utc, clock.now(), 0.0, "test")
    return ScheduleDriver(SimpleNamespace(clock=clock), reference, offset_h=offset_h, end_minute=end_minute)  # type: ignore[arg-type]


async def test_a_window_covers_now_from_the_minute_before() -> None:
    driver = driver_at(datetime(2026, 12, 2, 10, 27, 30, tzinfo=timezone.utc))   # a Wednesday
    entry = await driver.covering(0, 60.0)
    assert (entry["start_d"], entry["start_h"], entry["start_m"]) == (3, 10, 26)
    assert (entry["end_d"], entry["end_h"], entry["end_m"]) == (3, 10, 30)


async def test_a_window_across_the_week_end_waits_for_monday() -> None:
    driver = driver_at(datetime(2026, 12, 6, 23, 59, 0, tzinfo=timezone.utc))   # Sunday 23:59
    entry = await driver.covering(0, 120.0)
    assert (entry["start_d"], entry["start_h"], entry["start_m"]) == (1, 0, 0), entry
    assert driver.local_now() >= datetime(2026, 12, 7, 0, 0)
    assert WeekTime(entry["end_d"], entry["end_h"], entry["end_m"]).minutes > 0


async def test_the_local_week_follows_gmt_offset() -> None:
    driver = driver_at(datetime(2026, 12, 2, 14, 0, 10, tzinfo=timezone.utc), offset_h=12)
    entry = await driver.covering(10, 30.0)
    assert (entry["start_d"], entry["start_h"]) == (4, 1)   # Thursday 01:59 local


@pytest.mark.parametrize("reading, end_m", [("exclusive", 30), ("inclusive", 29)])
def test_an_interval_ending_on_a_boundary_is_written_by_the_end_minute_reading(reading: str, end_m: int) -> None:
    driver = driver_at(datetime(2026, 12, 2, 10, 0, tzinfo=timezone.utc), end_minute=reading)
    assert driver.end_at(datetime(2026, 12, 2, 10, 30)) == WeekTime(3, 10, end_m)


def test_without_the_probe_no_end_is_guessed() -> None:
    with pytest.raises(RuntimeError, match="clock probe"):
        driver_at(datetime(2026, 12, 2, 10, 0, tzinfo=timezone.utc), end_minute=None).end_at(datetime(2026, 12, 2, 10, 30))
