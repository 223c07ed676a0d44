"""The schedule suite's reference clock and week arithmetic (rig/calendar.py), without a bench."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from fixtures.profile import ProfileError
from rig.calendar import (WeekTime, crosses_week_end, interval, local_time, next_boundary, reference_clock,
                          timezone_name, utc_of_local, week_end_after)

SUNDAY_2359 = datetime(2026, 12, 6, 23, 59, tzinfo=timezone.utc)   # 6 December 2026 is a Sunday


def test_a_declared_calendar_runs_at_the_time_scale_from_its_announcement() -> None:
    announced = time.time() - 2.0  # two wall seconds ago, at time scale 20: 40 calendar seconds
    clock = reference_clock({"reference": "declared", "utc": "2026-12-06T23:59:00Z", "at_unix": str(announced)},
                            device_now=100.0, time_scale=20.0, profile_name="virtual.toml")
    assert abs((clock.utc_at(100.0) - SUNDAY_2359).total_seconds() - 40.0) < 1.0
    assert clock.utc_at(120.0) - clock.utc_at(100.0) == timedelta(seconds=20)
    assert clock.device_at(clock.utc_at(123.5)) == pytest.approx(123.5)


@pytest.mark.parametrize("section, message", [
    ({"reference": "declared", "utc": "2026-12-06T23:59:00Z"}, "at_unix"),
    ({"reference": "declared", "utc": "not a time", "at_unix": "1"}, "ISO 8601"),
])
def test_a_declared_calendar_without_its_instant_is_a_profile_error(section: dict[str, str], message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        reference_clock(section, device_now=0.0, time_scale=1.0, profile_name="lab.toml")


def test_host_utc_is_refused_on_a_bench_faster_than_real_time() -> None:
    with pytest.raises(ProfileError, match="real time"):
        reference_clock({"reference": "host_utc"}, device_now=0.0, time_scale=20.0, profile_name="lab.toml")


def test_host_utc_records_the_ntp_state_even_when_the_command_is_missing() -> None:
    clock = reference_clock({"reference": "host_utc", "ntp_command": ["no-such-ntp-tool"]}, device_now=5.0,
                            time_scale=1.0, profile_name="lab.toml")
    assert "NTP state unknown" in clock.note
    assert abs((clock.utc_at(5.0) - datetime.now(timezone.utc)).total_seconds()) < 2.0


def test_week_times_are_monday_first_as_6_31_says() -> None:
    assert WeekTime.of(datetime(2026, 12, 7, 0, 0)) == WeekTime(1, 0, 0)       # Monday
    assert WeekTime.of(datetime(2026, 12, 6, 23, 59)) == WeekTime(7, 23, 59)   # Sunday
    assert WeekTime.from_minutes(WeekTime(7, 23, 59).minutes + 1) == WeekTime(1, 0, 0)
    assert interval(WeekTime(7, 23, 59), WeekTime(1, 0, 1), 10) == {
        "start_d": 7, "start_h": 23, "start_m": 59, "end_d": 1, "end_h": 0, "end_m": 1, "current": 10, "lb_mode": 1}


@pytest.mark.parametrize("hours", [-12, 0, 12])
def test_local_time_is_utc_plus_gmt_offset_and_back(hours: int) -> None:
    local = local_time(SUNDAY_2359, hours)
    assert local == datetime(2026, 12, 6, 23, 59) + timedelta(hours=hours)
    assert utc_of_local(local, hours) == SUNDAY_2359


def test_the_next_boundary_leaves_the_lead_and_the_week_end_is_found() -> None:
    stamp = datetime(2026, 12, 6, 23, 58, 57)
    assert next_boundary(stamp, 4.0) == datetime(2026, 12, 7, 0, 0)
    assert next_boundary(stamp, 2.0) == datetime(2026, 12, 6, 23, 59)
    assert crosses_week_end(datetime(2026, 12, 6, 23, 58), datetime(2026, 12, 7, 0, 3))
    assert not crosses_week_end(datetime(2026, 12, 7, 0, 0), datetime(2026, 12, 7, 0, 3))
    assert week_end_after(datetime(2026, 12, 6, 23, 58)) == datetime(2026, 12, 7)


def test_timezone_names_carry_the_posix_sign() -> None:
    assert [timezone_name(h) for h in (-12, 0, 12)] == ["Etc/GMT+12", "Etc/GMT", "Etc/GMT-12"]
