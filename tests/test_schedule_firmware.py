"""The virtual charger's charging schedule over time, on the physical model with a clock the test moves.

What the schedule says at chosen instants of the charger's calendar (6.31's intervals, chapter 4's
gmt_offset and charging_schedule_enabled), each reading of the three schedule switches, each catalogued
schedule defect's effect, the wraps past midnight and past Sunday, 6.33's Override with and without an EV;
then *when* an edge reaches the CP line after its minute boundary (the scheduler's timer, its decision lag
and the PWM path: limit schedule_edge_s, 10 s), for the default build, the near-limit build just inside
and the boundary defect just outside; and the calendar the bench declares in its ready line.
"""
from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from simulator.__main__ import parse_args, ready_line
from simulator.bench import Endpoints, VirtualBench
from simulator.defects import CATALOGUE, SCHEDULE_TIME
from simulator.firmware.charger import VirtualCharger
from simulator.firmware.limits import REASON_SCHEDULE, REASON_USER
from simulator.firmware.rpc_errors import GENERAL_FAIL, RpcError
from simulator.firmware.timing import FirmwareTiming
from simulator.physics.control_pilot import PilotMode
from simulator.physics.model import PhysicalModel
from tests.firmware_unit import firmware_on_manual_clock
from tests.scpi_twins import ManualClock

MONDAY = datetime(2026, 12, 7, tzinfo=timezone.utc)  # 6.31 'First day of the week is Monday' (day 1)
UNRESTRICTED = 32  # no schedule limit: the hardware maximum
EDGE_LIMIT_S = 10.0  # benches/default-limits.toml schedule_edge_s (a lab decision)


def at(day: int, hour: int, minute: int, second: float = 0.0) -> datetime:
    """An instant of the test week (UTC), day 1 = Monday."""
    return MONDAY + timedelta(days=day - 1, hours=hour, minutes=minute, seconds=second)


def interval(start: tuple[int, int, int], end: tuple[int, int, int], current: int) -> dict[str, int]:
    """A 6.31 interval from (day, hour, minute) to (day, hour, minute)."""
    return {"start_d": start[0], "start_h": start[1], "start_m": start[2], "end_d": end[0], "end_h": end[1],
            "end_m": end[2], "current": current, "lb_mode": 1}


@dataclass
class Unit:
    """One virtual charger on its model, driven by hand."""

    clock: ManualClock
    model: PhysicalModel
    fw: VirtualCharger

    def call(self, method: str, params: dict[str, Any] | None = None) -> Any:
        return self.fw.call(method, params or {})

    def run(self, seconds: float, step: float = 0.05) -> None:
        end = self.clock.t + seconds
        while self.clock.t < end - 1e-12:
            self.clock.t = min(end, self.clock.t + step)
            self.model.advance()

    def schedule(self, *intervals: dict[str, int], enabled: bool = True, **app: Any) -> None:
        """Store a schedule through 6.31 and the chapter 4 keys as App_config.Set would."""
        assert self.call("Charging_schedule.Set", {"charging_schedule": list(intervals)}) is True
        self.fw.store.app.update({"charging_schedule_enabled": enabled, "install_current": 32, **app})

    def set_calendar(self, instant: datetime) -> None:
        """The charger's clock re-synced so that it reads ``instant`` now."""
        self.fw.controller.calendar_start = instant - timedelta(seconds=self.clock.t)

    def limit_at(self, instant: datetime) -> int:
        """System_currents.Get schedule_current with the charger's calendar at ``instant``."""
        self.set_calendar(instant)
        return int(self.call("System_currents.Get")["schedule_current"])

    def info(self) -> dict[str, Any]:
        return self.call("Charger_info.Get")

    def plug(self, state: str = "C") -> None:
        self.model.set_ev_state(state)
        self.run(1.0)

    def unplug(self) -> None:
        self.model.set_ev_state("A")
        self.run(0.5)

    def pilot(self) -> tuple[PilotMode, float]:
        return self.model.pilot.mode, round(self.model.pilot.duty, 6)

    def edge_after(self, boundary: float, *, quiet_s: float = 0.0, within_s: float = 12.0) -> float:
        """Seconds from ``boundary`` (device time) to the next change at the CP line (PWM on, off or a
        new duty), run finely from ``quiet_s`` after the boundary; the line must not move before."""
        before = self.pilot()
        coarse_until = boundary + quiet_s - 0.05
        while self.clock.t < coarse_until - 1e-9:
            self.run(min(0.5, coarse_until - self.clock.t), step=0.5)
            assert self.pilot() == before, f"the CP line moved {self.clock.t - boundary:.2f} s after the boundary"
        step = 0.005
        while self.pilot() == before:
            assert self.clock.t < boundary + quiet_s + within_s, f"no edge within {quiet_s + within_s} s"
            self.clock.t += step
            self.model.advance()
        return self.clock.t - boundary


@pytest.fixture
def unit(tmp_path: Path) -> Iterator[Callable[..., Unit]]:
    made = 0

    def make(*defects: str, near: bool = False, **readings: str) -> Unit:
        nonlocal made
        made += 1
        return Unit(*firmware_on_manual_clock(tmp_path / f"unit{made}", defects, near=near, readings=readings))

    yield make


# --- what the schedule says: 6.31 intervals, the end minute, the wraps ------------------------------------
MORNING = interval((1, 8, 0), (1, 8, 30), 10)


@pytest.mark.parametrize("reading", ["exclusive", "inclusive"])
def test_end_minute_belongs_to_the_interval_as_the_reading_says(unit: Callable[..., Unit], reading: str) -> None:
    u = unit(schedule_end_minute=reading)
    u.schedule(MORNING)
    inclusive = reading == "inclusive"
    assert u.limit_at(at(1, 7, 59, 59.9)) == UNRESTRICTED
    assert u.limit_at(at(1, 8, 0)) == 10
    assert u.limit_at(at(1, 8, 29, 59.9)) == 10
    assert u.limit_at(at(1, 8, 30)) == (10 if inclusive else UNRESTRICTED)
    assert u.limit_at(at(1, 8, 30, 59.9)) == (10 if inclusive else UNRESTRICTED)
    assert u.limit_at(at(1, 8, 31)) == UNRESTRICTED


@pytest.mark.parametrize("reading", ["exclusive", "inclusive"])
def test_a_week_long_interval_misses_sunday_2359_only_when_the_end_minute_is_exclusive(
        unit: Callable[..., Unit], reading: str) -> None:
    u = unit(schedule_end_minute=reading)
    u.schedule(interval((1, 0, 0), (7, 23, 59), 0))
    assert u.limit_at(at(1, 0, 0)) == 0
    assert u.limit_at(at(7, 23, 58, 30)) == 0
    assert u.limit_at(at(7, 23, 59, 30)) == (0 if reading == "inclusive" else UNRESTRICTED)


@pytest.mark.parametrize("reading", ["exclusive", "inclusive"])
def test_an_interval_ending_one_minute_before_its_start_wraps_the_week(unit: Callable[..., Unit],
                                                                       reading: str) -> None:
    u = unit(schedule_end_minute=reading)
    u.schedule(interval((1, 8, 0), (1, 7, 59), 10))  # lenient: stored as sent, wraps past Sunday
    for instant in (at(1, 8, 0), at(4, 12, 0), at(7, 23, 59, 30), at(1, 7, 58, 30)):
        assert u.limit_at(instant) == 10, instant
    assert u.limit_at(at(1, 7, 59, 30)) == (10 if reading == "inclusive" else UNRESTRICTED)


MIDNIGHT = interval((1, 22, 0), (2, 6, 0), 10)   # Monday night: crosses midnight, not the week's end
WEEKEND = interval((7, 5, 0), (1, 6, 0), 16)     # Sunday 05:00 to Monday 06:00: wraps the week, not midnight-wise


@pytest.mark.parametrize("build", ["correct", "schedule_midnight_wrap_broken", "schedule_week_wrap_broken"])
def test_wraps_past_midnight_and_past_sunday(unit: Callable[..., Unit], build: str) -> None:
    u = unit(*(() if build == "correct" else (build,)))
    u.schedule(MIDNIGHT, WEEKEND)
    night = 10 if build != "schedule_midnight_wrap_broken" else UNRESTRICTED
    weekend = 16 if build != "schedule_week_wrap_broken" else UNRESTRICTED
    assert (u.limit_at(at(1, 23, 30)), u.limit_at(at(2, 5, 59))) == (night, night)
    assert u.limit_at(at(2, 6, 0)) == UNRESTRICTED
    assert (u.limit_at(at(7, 12, 0)), u.limit_at(at(1, 5, 30))) == (weekend, weekend)
    assert u.limit_at(at(1, 6, 0)) == UNRESTRICTED


def test_strict_rules_refuse_the_week_wrapping_interval(unit: Callable[..., Unit]) -> None:
    u = unit(schedule_interval_rules="strict")
    with pytest.raises(RpcError):
        u.call("Charging_schedule.Set", {"charging_schedule": [WEEKEND]})
    assert u.call("Charging_schedule.Set", {"charging_schedule": [MIDNIGHT]}) is True


TUESDAY_MORNING = interval((2, 8, 0), (2, 9, 0), 10)


@pytest.mark.parametrize(("build", "applied_on"), [("correct", 2), ("schedule_monday_is_day_0", 3),
                                                    ("schedule_sunday_is_day_1", 1)])
def test_day_numbering(unit: Callable[..., Unit], build: str, applied_on: int) -> None:
    u = unit(*(() if build == "correct" else (build,)))
    u.schedule(TUESDAY_MORNING)
    for day in range(1, 8):
        assert u.limit_at(at(day, 8, 30)) == (10 if day == applied_on else UNRESTRICTED), (build, day)


@pytest.mark.parametrize(("build", "local_hour"), [("correct", 8), ("schedule_gmt_offset_wrong_sign", 4),
                                                   ("schedule_gmt_offset_ignored", 6)])
def test_gmt_offset_makes_local_time(unit: Callable[..., Unit], build: str, local_hour: int) -> None:
    u = unit(*(() if build == "correct" else (build,)))
    u.schedule(*(interval((1, h, 0), (1, h, 59), h + 6) for h in (4, 6, 8)), gmt_offset=2)
    assert u.limit_at(at(1, 6, 30)) == local_hour + 6  # 06:30 UTC


def test_timezone_overrides_gmt_offset_in_that_reading_only(unit: Callable[..., Unit]) -> None:
    for reading, expected in (("gmt_offset_only", 10), ("timezone_overrides", UNRESTRICTED)):
        u = unit(gmt_offset_vs_timezone=reading)
        u.schedule(MORNING, gmt_offset=1, timezone="Asia/Tokyo")  # Tokyo is UTC+9
        assert u.limit_at(at(1, 7, 15)) == expected, reading


@pytest.mark.parametrize("reading", ["unrestricted", "paused"])
def test_outside_every_interval(unit: Callable[..., Unit], reading: str) -> None:
    u = unit(schedule_outside_intervals=reading)
    u.schedule(MORNING)
    u.set_calendar(at(1, 12, 0))
    u.plug()
    info = u.info()
    if reading == "paused":
        assert (u.limit_at(at(1, 12, 0)), info["extended_charger_state"], u.model.pilot.mode) == \
               (0, "B_SCHEDULER", PilotMode.DC_HIGH)
    else:
        assert (u.limit_at(at(1, 12, 0)), info["extended_charger_state"], u.model.pilot.mode) == \
               (UNRESTRICTED, "C", PilotMode.PWM)
    assert u.limit_at(at(1, 8, 10)) == 10  # inside, both readings
    u.fw.store.app["charging_schedule_enabled"] = False
    assert u.limit_at(at(1, 12, 0)) == UNRESTRICTED  # disabled: no schedule at all, both readings


# --- each defect's effect on the charging logic ------------------------------------------------------------
@pytest.mark.parametrize("build", ["correct", "schedule_enable_ignored"])
def test_a_disabled_schedule_is_ignored(unit: Callable[..., Unit], build: str) -> None:
    u = unit(*(() if build == "correct" else (build,)))
    u.schedule(MORNING, enabled=False)
    assert u.limit_at(at(1, 8, 10)) == (UNRESTRICTED if build == "correct" else 10)


@pytest.mark.parametrize("build", ["correct", "schedule_zero_as_6a"])
def test_current_0_pauses(unit: Callable[..., Unit], build: str) -> None:
    u = unit(*(() if build == "correct" else (build,)))
    u.schedule(interval((1, 8, 0), (1, 9, 0), 0))
    u.set_calendar(at(1, 8, 10))
    u.plug()
    info = u.info()
    if build == "correct":
        assert (info["extended_charger_state"], info["charger_is_paused"], u.model.pilot.mode) == \
               ("B_SCHEDULER", True, PilotMode.DC_HIGH)
    else:
        assert (info["extended_charger_state"], info["pwm_current"], u.model.pilot.mode) == ("C", 6, PilotMode.PWM)


@pytest.mark.parametrize("build", ["correct", "schedule_current_not_applied", "schedule_limit_reason_wrong"])
def test_an_interval_current_limits_charging_and_names_the_schedule(unit: Callable[..., Unit], build: str) -> None:
    u = unit(*(() if build == "correct" else (build,)))
    u.schedule(MORNING)
    u.set_calendar(at(1, 8, 10))
    u.plug()
    currents, info = u.call("System_currents.Get"), u.info()
    limited = build != "schedule_current_not_applied"
    assert currents["schedule_current"] == 10  # reported by every build
    assert (currents["charging_current"], info["pwm_current"]) == ((10, 10) if limited else (32, 32))
    if limited:
        reason = REASON_USER if build == "schedule_limit_reason_wrong" else REASON_SCHEDULE
        assert info["current_limit_reason"] == reason


@pytest.mark.parametrize("build", ["correct", "schedule_lost_on_reset"])
def test_the_schedule_survives_a_reboot(unit: Callable[..., Unit], build: str) -> None:
    u = unit(*(() if build == "correct" else (build,)))
    u.schedule(MORNING)
    u.fw.power_on()  # what the transport does on Device.Reset
    kept = u.call("Charging_schedule.Get")["charging_schedule"]
    assert kept == ([MORNING] if build == "correct" else [])


# --- 6.33 Override ------------------------------------------------------------------------------------------
PAUSED_ALL_WEEK = interval((1, 0, 0), (7, 23, 59), 0)


def _paused_unit(unit: Callable[..., Unit], *defects: str, **readings: str) -> Unit:
    u = unit(*defects, **readings)
    u.schedule(PAUSED_ALL_WEEK)
    u.set_calendar(at(3, 12, 0))
    return u


def _charging(u: Unit) -> bool:
    return u.info()["extended_charger_state"] == "C" and u.model.pilot.mode is PilotMode.PWM


@pytest.mark.parametrize("reading", ["next_session", "no_effect", "refused"])
def test_override_with_an_ev_lasts_until_the_unplug_in_every_reading(unit: Callable[..., Unit],
                                                                     reading: str) -> None:
    u = _paused_unit(unit, schedule_override_without_ev=reading)
    u.plug()
    assert u.info()["extended_charger_state"] == "B_SCHEDULER"
    assert u.call("Charging_schedule.Override") is True
    u.run(0.5)
    assert _charging(u) and u.call("System_currents.Get")["schedule_current"] == UNRESTRICTED
    u.unplug()
    u.plug()
    assert u.info()["extended_charger_state"] == "B_SCHEDULER", "re-armed at the unplug (6.33)"


@pytest.mark.parametrize("reading", ["next_session", "no_effect", "refused"])
def test_override_without_an_ev(unit: Callable[..., Unit], reading: str) -> None:
    u = _paused_unit(unit, schedule_override_without_ev=reading)
    if reading == "refused":
        with pytest.raises(RpcError) as refused:
            u.call("Charging_schedule.Override")
        assert refused.value.code == GENERAL_FAIL
    else:
        assert u.call("Charging_schedule.Override") is True
    u.plug()
    assert _charging(u) is (reading == "next_session")
    u.unplug()
    u.plug()
    assert u.info()["extended_charger_state"] == "B_SCHEDULER", "the next session follows the schedule"


def test_an_override_for_the_next_session_is_not_kept_across_a_reboot(unit: Callable[..., Unit]) -> None:
    u = _paused_unit(unit, schedule_override_without_ev="next_session")
    assert u.call("Charging_schedule.Override") is True
    u.fw.power_on()
    u.plug()
    assert u.info()["extended_charger_state"] == "B_SCHEDULER"


def test_override_not_rearmed_stays_until_a_reboot(unit: Callable[..., Unit]) -> None:
    u = _paused_unit(unit, "schedule_override_not_rearmed")
    u.plug()
    assert u.call("Charging_schedule.Override") is True
    u.unplug()
    u.plug()
    assert _charging(u), "the defect keeps the Override past the unplug"
    u.fw.power_on()
    u.run(1.0)
    assert u.info()["extended_charger_state"] == "B_SCHEDULER"


def test_override_ignored_answers_true_and_changes_nothing(unit: Callable[..., Unit]) -> None:
    u = _paused_unit(unit, "schedule_override_ignored", schedule_override_without_ev="next_session")
    u.plug()
    assert u.call("Charging_schedule.Override") is True
    u.run(1.0)
    assert u.info()["extended_charger_state"] == "B_SCHEDULER"
    u.unplug()
    assert u.call("Charging_schedule.Override") is True
    u.plug()
    assert u.info()["extended_charger_state"] == "B_SCHEDULER"


# --- when an edge reaches the CP line --------------------------------------------------------------------
def _edges(u: Unit, boundary_fraction: float, late_s: float = 0.0) -> dict[str, float]:
    """Charging at the schedule's pace through three minute boundaries (Monday 08:01, 08:02, 08:03):
    0 A -> 10 A (PWM on), 10 A -> 16 A (a new duty), 16 A -> 0 A (PWM off, B_SCHEDULER); the delay of
    each from its boundary to the CP line.  ``late_s``: the line must stay still that long first."""
    first = 20.0 + boundary_fraction  # device time of 08:01:00
    u.schedule(interval((1, 7, 58), (1, 8, 1), 0), interval((1, 8, 1), (1, 8, 2), 10),
               interval((1, 8, 2), (1, 8, 3), 16), interval((1, 8, 3), (1, 8, 4), 0))
    u.set_calendar(at(1, 8, 1) - timedelta(seconds=first))
    u.model.set_ev_state("C")
    delays = {"pwm_on": u.edge_after(first, quiet_s=late_s)}
    assert u.info()["pwm_current"] == 10
    delays["duty_10_to_16"] = u.edge_after(first + 60, quiet_s=late_s)
    assert u.info()["pwm_current"] == 16
    delays["pwm_off"] = u.edge_after(first + 120, quiet_s=late_s)
    assert u.info()["extended_charger_state"] == "B_SCHEDULER"
    return delays


@pytest.mark.parametrize("fraction", [0.001, 0.5, 0.999])  # where the boundary falls between timer runs
@pytest.mark.parametrize(("build", "low", "high"), [("default", 0.0, 1.5), ("near", 9.0, 9.5)])
def test_every_edge_reaches_the_cp_line_inside_the_limit(unit: Callable[..., Unit], build: str, low: float,
                                                         high: float, fraction: float) -> None:
    delays = _edges(unit(near=build == "near"), fraction)
    assert all(low <= d <= high for d in delays.values()), delays
    assert high < EDGE_LIMIT_S


def test_boundary_defect_puts_every_edge_just_outside_the_limit(unit: Callable[..., Unit]) -> None:
    assert CATALOGUE["schedule_edge_10_8s"].limit == "schedule_edge_s"
    delays = _edges(unit("schedule_edge_10_8s"), 0.37, late_s=10.0)
    assert all(10.65 <= d <= 10.95 for d in delays.values()), delays


def test_minute_late_defect_puts_every_edge_a_minute_late(unit: Callable[..., Unit]) -> None:
    delays = _edges(unit("schedule_edge_minute_late"), 0.37, late_s=60.0)
    assert all(60.0 <= d <= 61.5 for d in delays.values()), delays


def test_a_setting_change_is_acted_on_at_once(unit: Callable[..., Unit]) -> None:
    """Charging_schedule.Set / charging_schedule_enabled re-run the scheduler: no timer wait, even on the
    near-limit build (the extended-state suite arranges B_SCHEDULER this way)."""
    u = unit(near=True)
    u.set_calendar(at(2, 10, 0, 0.4))
    u.plug()
    u.run(3.0)
    assert _charging(u)
    u.schedule(PAUSED_ALL_WEEK)
    u.run(0.05)
    assert u.info()["extended_charger_state"] == "B_SCHEDULER" and u.model.pilot.mode is PilotMode.DC_HIGH


def test_timing_fields() -> None:
    default, near = FirmwareTiming(), FirmwareTiming.near_limit()
    assert (default.schedule_eval_s, default.schedule_lag_s) == (1.0, 0.0)
    assert near.schedule_eval_s + near.schedule_lag_s + near.pwm_update_s < 9.5


# --- the catalogue ----------------------------------------------------------------------------------------
SCHEDULE_DEFECTS = {
    "schedule_gmt_offset_wrong_sign", "schedule_gmt_offset_ignored", "schedule_midnight_wrap_broken",
    "schedule_week_wrap_broken", "schedule_monday_is_day_0", "schedule_sunday_is_day_1",
    "schedule_override_not_rearmed", "schedule_override_ignored", "schedule_current_not_applied",
    "schedule_zero_as_6a", "schedule_enable_ignored", "schedule_lost_on_reset", "schedule_limit_reason_wrong",
    "schedule_edge_minute_late", "schedule_edge_10_8s",
}


def test_schedule_defects_name_their_suite_and_the_firmware_checks_each() -> None:
    firmware = "".join(p.read_text() for p in (Path(__file__).parent.parent / "simulator").rglob("*.py")
                       if p.name != "defects.py")
    area = {name for name, d in CATALOGUE.items() if d.area == "schedule"}
    assert area == SCHEDULE_DEFECTS
    for name in area:
        assert CATALOGUE[name].suites == (SCHEDULE_TIME,), name
        assert f'"{name}"' in firmware, f"{name}: no firmware checks it"
    assert {n for n in area if CATALOGUE[n].limit} == {"schedule_edge_10_8s"}


# --- the calendar the bench declares -------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["2026-12-06T23:59:00Z", "2026-12-06T23:59:00+00:00", "2026-12-06T23:59:00",
                                  "2026-12-07T01:59:00+02:00"])
def test_calendar_start_takes_z_offsets_and_naive_utc(text: str) -> None:
    assert parse_args(["--calendar-start", text]).calendar_start == datetime(2026, 12, 6, 23, 59, tzinfo=timezone.utc)


def test_calendar_start_defaults_to_now_and_refuses_nonsense(capsys: pytest.CaptureFixture[str]) -> None:
    assert parse_args([]).calendar_start is None
    assert parse_args(["--calendar-start", "now"]).calendar_start is None
    with pytest.raises(SystemExit):
        parse_args(["--calendar-start", "tomorrow"])
    assert "ISO 8601" in capsys.readouterr().err


ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def _declared(line: dict[str, Any]) -> datetime:
    assert ISO_Z.fullmatch(line["calendar_utc"]), line["calendar_utc"]
    return datetime.strptime(line["calendar_utc"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def test_ready_line_declares_the_charger_calendar(tmp_path: Path) -> None:
    start = datetime(2026, 12, 6, 23, 59, tzinfo=timezone.utc)
    args = parse_args(["--calendar-start", "2026-12-06T23:59:00Z", "--time-scale", "20"])
    bench = VirtualBench(tmp_path, time_scale=args.time_scale, calendar_start=args.calendar_start)
    endpoints = Endpoints(*("x",) * 9, time_scale=bench.clock.time_scale)
    line = ready_line(bench, endpoints, args, bench.readings)
    assert {"event", "charger_url", "time_scale", "defects", "readings", "near_limit", "calendar_utc",
            "calendar_unix"} <= set(line)
    declared, device_now = _declared(line), bench.clock.now()
    assert abs(line["calendar_unix"] - time.time()) < 1.0
    assert timedelta(0) <= declared - start <= timedelta(seconds=device_now)
    # The suite's reference clock: calendar_utc + (time.time() - calendar_unix) * time_scale
    reference = declared + timedelta(seconds=(time.time() - line["calendar_unix"]) * line["time_scale"])
    charger = bench.charger.controller.calendar_utc(bench.clock.now())
    assert abs((charger - reference).total_seconds()) < 0.1


def test_the_default_calendar_is_the_hosts_utc_now(tmp_path: Path) -> None:
    bench = VirtualBench(tmp_path)
    declared = _declared(bench.calendar())
    assert abs((declared - datetime.now(timezone.utc)).total_seconds()) < 0.5
