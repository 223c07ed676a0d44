"""The virtual charger's protective functions on the physical model, with a clock the test moves.

Residual current, overcurrent, contactor feedback, mains and temperature (simulator/firmware/protection.py,
power.py), each reading of the spec the firmware can take, and each catalogued defect's effect.  Times are
checked *exactly* against the firmware's own numbers with a coarse tick (50 ms), because every reaction is
timestamped from its cause; each boundary defect is shown just outside its limit of
benches/default-limits.toml and the near-limit build just inside.
"""
from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from simulator.defects import CATALOGUE
from simulator.firmware.charger import VirtualCharger
from simulator.firmware.timing import FirmwareTiming
from simulator.physics.control_pilot import PilotMode
from simulator.physics.model import PhysicalModel
from tests.firmware_unit import firmware_on_manual_clock
from tests.scpi_twins import ManualClock

LIMITS = tomllib.loads((Path(__file__).parent.parent / "benches" / "default-limits.toml").read_text())["limits"]
COARSE_S = 0.05  # the tick the exactness checks run at
EXACT = 1e-9


@dataclass
class Unit:
    """One virtual charger on its model, driven by hand."""

    clock: ManualClock
    model: PhysicalModel
    fw: VirtualCharger

    def run(self, seconds: float, step: float = COARSE_S) -> None:
        end = self.clock.t + seconds
        while self.clock.t < end - 1e-12:
            self.clock.t = min(end, self.clock.t + step)
            self.model.advance()

    def until(self, what: str, holds: Callable[[], bool], timeout_s: float, step: float = COARSE_S) -> float:
        """Run until ``holds()``; the device time it first held (a timeout says what was awaited)."""
        end = self.clock.t + timeout_s
        while not holds():
            assert self.clock.t < end, f"not {what} within {timeout_s} s (device time {self.clock.t:.3f} s)"
            self.clock.t += step
            self.model.advance()
        return self.clock.t

    def call(self, method: str, params: dict[str, Any] | None = None) -> Any:
        return self.fw.call(method, params or {})

    def active(self, flag: str) -> bool:
        return bool(self.call("Active_errors.Get")[flag])

    def logged(self, flag: str) -> bool:
        return bool(self.call("Logged_errors.Get")[flag])

    def shown(self) -> tuple[str, str]:
        info = self.call("Charger_info.Get")
        return info["charger_state"], info["extended_charger_state"]

    def closed(self) -> bool:
        return self.model.contactor_closed()

    def opened_at(self) -> float:
        """When the contacts last moved (after a trip: when they opened)."""
        moved = self.model.contactor.last_change_at(self.clock.t)
        assert moved is not None and not self.closed(), "the contactor has not opened"
        return moved

    def charge(self, install_a: int = 6) -> None:
        """EV plugged in and charging (headless), the contactor closed and current flowing."""
        self.fw.store.app["install_current"] = install_a
        self.model.set_ev_state("C")
        self.until("charging", lambda: self.closed() and self.model.load.current_a > 0, 5.0)
        self.run(0.5)

    def tripped(self) -> None:
        """Charging, then an RCD trip on 6 mA DC (its 0.4 s trip well inside the 1 s run)."""
        self.charge()
        self.model.inject_residual(dc_ma=6.0)
        self.run(1.0)

    def power_cycle(self) -> None:
        """What the transport does on Device.Reset: the firmware boots again."""
        self.fw.power_on()
        self.run(COARSE_S)


@pytest.fixture
def unit(tmp_path: Path) -> Iterator[Callable[..., Unit]]:
    made = 0

    def make(*defects: str, near: bool = False, **readings: str) -> Unit:
        nonlocal made
        made += 1
        return Unit(*firmware_on_manual_clock(tmp_path / f"unit{made}", defects, near=near, readings=readings))

    yield make


def limit(name: str) -> float:
    return float(LIMITS[name]["value"])


# --- residual current: trip times -------------------------------------------------------------------
@dataclass(frozen=True)
class Trip:
    build: str          # "default", "near" or a defect name
    dc_ma: float
    ac_ma: float
    total_s: float      # residual change -> contacts open
    limit: str | None   # the limit this trip is judged against


TRIPS = (
    Trip("default", 6.0, 0.0, 0.4, "rcd_dc_6ma_trip_s"),
    Trip("default", 60.0, 0.0, 0.15, "rcd_dc_60ma_trip_s"),
    Trip("default", 200.0, 0.0, 0.06, "rcd_dc_200ma_trip_s"),
    Trip("default", 0.0, 30.0, 0.15, "rcd_ac_1x_trip_s"),
    Trip("default", 0.0, 60.0, 0.08, "rcd_ac_2x_trip_s"),
    Trip("default", 0.0, 150.0, 0.025, "rcd_ac_5x_trip_s"),
    Trip("default", 6.0, 150.0, 0.025, "rcd_ac_5x_trip_s"),  # both channels: the quicker one trips
    Trip("near", 6.0, 0.0, 9.5, "rcd_dc_6ma_trip_s"),
    Trip("near", 60.0, 0.0, 0.28, "rcd_dc_60ma_trip_s"),
    Trip("near", 200.0, 0.0, 0.092, "rcd_dc_200ma_trip_s"),
    Trip("near", 0.0, 30.0, 0.28, "rcd_ac_1x_trip_s"),
    Trip("near", 0.0, 60.0, 0.14, "rcd_ac_2x_trip_s"),
    Trip("near", 0.0, 150.0, 0.037, "rcd_ac_5x_trip_s"),
    Trip("rcd_dc_6ma_10_5s", 6.0, 0.0, 10.5, "rcd_dc_6ma_trip_s"),
    Trip("rcd_dc_60ma_0_32s", 60.0, 0.0, 0.32, "rcd_dc_60ma_trip_s"),
    Trip("rcd_dc_200ma_0_11s", 200.0, 0.0, 0.11, "rcd_dc_200ma_trip_s"),
    Trip("rcd_ac_1x_0_32s", 0.0, 30.0, 0.32, "rcd_ac_1x_trip_s"),
    Trip("rcd_ac_2x_0_16s", 0.0, 60.0, 0.16, "rcd_ac_2x_trip_s"),
    Trip("rcd_ac_5x_0_045s", 0.0, 150.0, 0.045, "rcd_ac_5x_trip_s"),
    Trip("rcd_ac_2x_slow_0_5s", 0.0, 60.0, 0.5, "rcd_ac_2x_trip_s"),
)


def build(make: Callable[..., Unit], name: str, **readings: str) -> Unit:
    if name == "default":
        return make(**readings)
    if name == "near":
        return make(near=True, **readings)
    return make(name, **readings)


@pytest.mark.parametrize("trip", TRIPS, ids=lambda t: f"{t.build}-dc{t.dc_ma:g}-ac{t.ac_ma:g}")
def test_rcd_trips_exactly_its_time_after_the_residual_change(unit: Callable[..., Unit], trip: Trip) -> None:
    u = build(unit, trip.build)
    u.charge()
    u.model.inject_residual(dc_ma=trip.dc_ma, ac_ma=trip.ac_ma)
    cause = u.model.residual_changed_at
    u.until("the contactor open", lambda: not u.closed(), trip.total_s + 1.0)
    assert u.opened_at() - cause == pytest.approx(trip.total_s, abs=EXACT)
    assert u.model.load.current_a == 0.0
    assert u.active("rcd_error") and u.logged("rcd_error")
    assert u.call("Charger_info.Get")["has_active_errors"] is True
    assert u.model.pilot.mode is PilotMode.DC_HIGH, "PWM must be off after a trip"
    ceiling = limit(trip.limit) if trip.limit else None
    if ceiling is not None:
        outside = trip.build in CATALOGUE  # every defect here is outside its limit, boundary ones just
        assert (trip.total_s > ceiling) == outside, f"{trip.build}: {trip.total_s} s against {ceiling} s"


@pytest.mark.parametrize(("build_name", "dc_ma", "ac_ma", "trips"), [
    ("default", 3.0, 0.0, False), ("default", 6.0, 0.0, True), ("default", 0.0, 15.0, False),
    ("default", 0.0, 30.0, True),
    ("near", 3.0, 0.0, False), ("near", 3.3, 0.0, True), ("near", 0.0, 15.0, False), ("near", 0.0, 16.0, True),
    ("rcd_dc_trips_at_2_9ma", 3.0, 0.0, True), ("rcd_ac_trips_at_14ma", 0.0, 15.0, True),
    ("rcd_dc_threshold_6_5ma", 6.0, 0.0, False), ("rcd_ac_threshold_32ma", 0.0, 30.0, False),
    ("rcd_dc_channel_dead", 200.0, 0.0, False), ("rcd_ac_channel_dead", 0.0, 150.0, False),
    ("rcd_dc_channel_dead", 0.0, 30.0, True), ("rcd_ac_channel_dead", 6.0, 0.0, True),
])
def test_rcd_thresholds(unit: Callable[..., Unit], build_name: str, dc_ma: float, ac_ma: float,
                        trips: bool) -> None:
    u = build(unit, build_name)
    u.charge()
    u.model.inject_residual(dc_ma=dc_ma, ac_ma=ac_ma)
    u.run(11.0, step=0.2)
    assert u.closed() is not trips and u.active("rcd_error") is trips


def test_boundary_thresholds_sit_just_outside_and_the_near_limit_build_just_inside() -> None:
    near, default = FirmwareTiming.near_limit(), FirmwareTiming()
    assert limit("rcd_dc_no_trip_ma") < near.rcd_dc_threshold_ma < default.rcd_dc_threshold_ma <= limit("rcd_dc_trip_ma")
    assert limit("rcd_ac_no_trip_ma") < near.rcd_ac_threshold_ma < default.rcd_ac_threshold_ma <= limit("rcd_ac_idn_ma")
    assert 2.9 < limit("rcd_dc_no_trip_ma") and 14.0 < limit("rcd_ac_no_trip_ma")


def test_rcd_disabled_never_trips(unit: Callable[..., Unit]) -> None:
    u = unit()
    u.fw.store.charger["rcd_enabled"] = False
    u.charge()
    u.model.inject_residual(dc_ma=200.0, ac_ma=150.0)
    u.run(2.0)
    assert u.closed() and not u.active("rcd_error")


def test_a_residual_present_before_charging_keeps_the_contactor_open_then_trips(unit: Callable[..., Unit]) -> None:
    u = unit(near=True)  # 9.5 s to trip at 6 mA DC: the contactor must stay open all along
    u.model.inject_residual(dc_ma=6.0)
    cause = u.model.residual_changed_at
    u.run(1.0)
    u.model.set_ev_state("C")
    u.run(8.0)
    assert not u.model.contactor.commanded_closed and not u.active("rcd_error")
    u.until("rcd_error", lambda: u.active("rcd_error"), 2.0)
    assert u.clock.t - cause == pytest.approx(9.5 - u.model.contactor.open_delay_s, abs=COARSE_S)
    assert u.shown() == ("C", "E")


def test_rcd_closes_with_residual_closes_into_the_fault_then_trips(unit: Callable[..., Unit]) -> None:
    u = unit("rcd_closes_with_residual")
    u.model.inject_residual(dc_ma=6.0)
    u.run(1.0)
    u.model.set_ev_state("C")
    u.until("the contactor closed", u.closed, 2.0)
    closed_at = u.model.contactor.last_change_at(u.clock.t)
    assert closed_at is not None
    u.until("the trip", lambda: not u.closed(), 2.0)
    assert u.opened_at() - closed_at == pytest.approx(0.4, abs=EXACT)


# --- residual current: what it shows, how it recovers -------------------------------------------------
@pytest.mark.parametrize(("reading", "shown", "pilot"), [
    ("cp_letter", ("C", "E"), PilotMode.DC_HIGH), ("f", ("F", "F"), PilotMode.DC_NEGATIVE),
    ("e", ("E", "E"), PilotMode.DC_HIGH),
])
def test_rcd_fault_state_reading(unit: Callable[..., Unit], reading: str, shown: tuple[str, str],
                                 pilot: PilotMode) -> None:
    u = unit(rcd_fault_state=reading)
    u.charge()
    u.model.inject_residual(ac_ma=30.0)
    u.run(1.0)
    assert u.shown() == shown and u.model.pilot.mode is pilot
    assert u.call("Charger_info.Get")["has_active_errors"] is True


def test_rcd_recovery_unplug(unit: Callable[..., Unit]) -> None:
    u = unit()
    u.tripped()
    u.model.inject_residual(dc_ma=0.0)
    u.run(10.0)
    assert u.active("rcd_error"), "the trip must stay latched while the EV stays plugged in"
    u.model.set_ev_state("A")
    u.run(0.5)
    assert not u.active("rcd_error") and u.logged("rcd_error")
    u.call("Logged_errors.Reset")
    assert not u.logged("rcd_error")
    u.model.set_ev_state("C")
    u.until("charging again", u.closed, 2.0)


def test_rcd_unplug_with_the_residual_still_present_stays_latched(unit: Callable[..., Unit]) -> None:
    u = unit()
    u.tripped()
    u.model.set_ev_state("A")
    u.run(1.0)
    u.model.set_ev_state("C")
    u.run(3.0)
    assert u.active("rcd_error") and not u.model.contactor.commanded_closed


def test_rcd_resumes_with_fault_clears_on_unplug_and_charges_into_it(unit: Callable[..., Unit]) -> None:
    u = unit("rcd_resumes_with_fault")
    u.tripped()
    u.model.set_ev_state("A")
    u.run(1.0)
    assert not u.active("rcd_error")
    u.model.set_ev_state("C")
    u.until("closing into the residual current", u.closed, 2.0)


def test_rcd_recovery_automatic(unit: Callable[..., Unit]) -> None:
    u = unit(rcd_recovery="automatic")
    u.tripped()
    u.model.inject_residual(dc_ma=0.0)
    gone = u.model.residual_changed_at
    cleared = u.until("the latch cleared", lambda: not u.active("rcd_error"), 6.0)
    assert cleared - gone == pytest.approx(5.0, abs=COARSE_S)
    u.until("charging again, EV still plugged in", u.closed, 2.0)


def test_rcd_recovery_reset(unit: Callable[..., Unit]) -> None:
    u = unit(rcd_recovery="reset")
    u.tripped()
    u.model.inject_residual(dc_ma=0.0)
    u.model.set_ev_state("A")
    u.run(10.0)
    assert u.active("rcd_error") and u.shown() == ("A", "E")
    u.power_cycle()
    assert not u.active("rcd_error") and u.logged("rcd_error")


def test_rcd_no_latch_forgets_the_logged_trip(unit: Callable[..., Unit]) -> None:
    u = unit("rcd_no_latch")
    u.tripped()
    u.model.inject_residual(dc_ma=0.0)
    u.model.set_ev_state("A")
    u.run(0.5)
    assert not u.logged("rcd_error")


@pytest.mark.parametrize(("defects", "kept"), [((), False), (("rcd_logged_not_reset",), True)])
def test_logged_errors_reset_clears_a_gone_trip(unit: Callable[..., Unit], defects: tuple[str, ...],
                                                kept: bool) -> None:
    u = unit(*defects)
    u.tripped()
    u.model.inject_residual(dc_ma=0.0)
    u.model.set_ev_state("A")
    u.run(0.5)
    u.call("Logged_errors.Reset")
    assert u.logged("rcd_error") is kept


@pytest.mark.parametrize(("defect", "flag", "shown", "has_active"), [
    ("rcd_error_not_active", False, ("C", "E"), False),
    ("rcd_trip_not_shown", False, ("C", "C"), False),
])
def test_a_trip_that_is_not_reported(unit: Callable[..., Unit], defect: str, flag: bool, shown: tuple[str, str],
                                     has_active: bool) -> None:
    u = unit(defect)
    u.charge()
    u.model.inject_residual(dc_ma=60.0)
    u.run(1.0)
    assert not u.closed(), "the trip itself still opens the contactor"
    assert u.active("rcd_error") is flag and u.shown() == shown
    assert u.call("Charger_info.Get")["has_active_errors"] is has_active


@pytest.mark.parametrize(("defects", "init_end"), [((), False), (("rcd_init_flag_after_reset",), True)])
def test_self_test_flags_after_device_reset(unit: Callable[..., Unit], defects: tuple[str, ...],
                                            init_end: bool) -> None:
    u = unit(*defects)
    u.run(0.5)
    u.power_cycle()
    errors = u.call("Active_errors.Get")
    assert (errors["rcd_test_error"], errors["rcd_init_start_error"], errors["rcd_init_end_error"]) == \
        (False, False, init_end)


# --- overcurrent ------------------------------------------------------------------------------------
def overdraw(u: Unit, amps: float) -> None:
    """The EV's load ignores the PWM and draws ``amps`` (a plain load, or an EV emulator's follower off)."""
    u.model.load.follows_pwm = False
    u.model.set_ev_load(max_current_a=amps)


@pytest.mark.parametrize(("build_name", "total_s"), [
    ("default", 1.0), ("near", 4.7), ("overcurrent_response_5_5s", 5.5)])
def test_overdraw_is_stopped_exactly_its_time_after_it_began(unit: Callable[..., Unit], build_name: str,
                                                              total_s: float) -> None:
    u = build(unit, build_name)
    u.charge()
    overdraw(u, 6 + 4.0)
    began = u.clock.t
    u.until("the contactor open", lambda: not u.closed(), total_s + 1.0)
    trip = next(r for r in u.fw.controller.s.ledger if r.what == "overcurrent_trip")
    assert trip.applied_at - trip.caused_at == pytest.approx(total_s, abs=EXACT)
    assert u.opened_at() == pytest.approx(trip.applied_at, abs=EXACT)
    assert 0 < trip.caused_at - began <= 0.011, "the overdraw is timed from the moment the current rose"
    assert u.active("overcurrent") and u.logged("overcurrent") and u.shown() == ("C", "E")
    assert u.model.pilot.mode is PilotMode.DC_HIGH
    assert (total_s > limit("overcurrent_response_s")) == (build_name == "overcurrent_response_5_5s")
    u.model.set_ev_state("A")
    u.run(0.5)
    assert not u.active("overcurrent") and u.logged("overcurrent")


def test_an_overdraw_within_the_margin_is_not_stopped(unit: Callable[..., Unit]) -> None:
    u = unit()
    u.charge()
    overdraw(u, 6 + 0.9)
    u.run(5.0)
    assert u.closed() and not u.active("overcurrent")


def test_an_ev_following_a_lower_pwm_within_5_s_is_no_overdraw(unit: Callable[..., Unit]) -> None:
    u = unit()
    u.charge(install_a=16)
    u.model.load.reaction_s = 4.0  # a slow EV: allowed 5 s to follow (field-facts §4)
    u.call("Dynamic_current.Set", {"dynamic_current": 6})
    u.run(6.0)
    assert u.closed() and not u.active("overcurrent") and u.model.load.current_a == pytest.approx(6.0)


@pytest.mark.parametrize(("defect", "stops", "flag"), [
    ("overcurrent_ignored", False, False), ("overcurrent_flag_missing", True, False)])
def test_overcurrent_defects(unit: Callable[..., Unit], defect: str, stops: bool, flag: bool) -> None:
    u = unit(defect)
    u.charge()
    overdraw(u, 12.0)
    u.run(3.0)
    assert u.closed() is not stops and u.active("overcurrent") is flag and u.logged("overcurrent") is flag


# --- contactor feedback -------------------------------------------------------------------------------
@pytest.mark.parametrize(("build_name", "detect_s"), [
    ("default", 0.2), ("near", 0.9), ("contactor_failure_detect_1_2s", 1.2)])
def test_a_welded_contactor_is_flagged_its_time_after_the_release(unit: Callable[..., Unit], build_name: str,
                                                                   detect_s: float) -> None:
    u = build(unit, build_name)
    u.charge()
    u.model.set_contactor_fault(welded=True)
    u.model.set_ev_state("B")
    stimulus = u.clock.t
    flagged = u.until("contactor_failure", lambda: u.active("contactor_failure"), 2.0, step=0.001)
    released = u.model.contactor.commanded_at
    failure = next(r for r in u.fw.controller.s.ledger if r.what == "contactor_failure")
    assert failure.caused_at == pytest.approx(released, abs=EXACT)
    assert failure.applied_at - failure.caused_at == pytest.approx(detect_s, abs=EXACT)
    # As a bench sees it from the EV's move to B: the CP debounce and the release come first.
    assert (flagged - stimulus > limit("contactor_failure_detect_s")) == (build_name == "contactor_failure_detect_1_2s")
    assert u.shown() == ("B", "E") and u.model.pilot.mode is PilotMode.DC_HIGH


def test_a_stuck_open_contactor_is_flagged_after_its_closing_mechanics(unit: Callable[..., Unit]) -> None:
    u = unit()
    u.model.set_contactor_fault(stuck_open=True)
    u.model.set_ev_state("C")
    u.until("contactor_failure", lambda: u.active("contactor_failure"), 3.0)
    failure = next(r for r in u.fw.controller.s.ledger if r.what == "contactor_failure")
    energised = next(r for r in u.fw.controller.s.ledger if r.what == "contactor_close")
    assert failure.caused_at == pytest.approx(energised.applied_at, abs=EXACT)  # coil + 50 ms mechanics
    assert failure.applied_at - failure.caused_at == pytest.approx(0.2, abs=EXACT)
    assert not u.model.contactor.commanded_closed and u.shown() == ("C", "E")


def test_a_contactor_failure_latches_until_device_reset(unit: Callable[..., Unit]) -> None:
    u = unit()
    u.model.set_contactor_fault(stuck_open=True)
    u.model.set_ev_state("C")
    u.run(2.0)
    u.model.set_contactor_fault(stuck_open=False)
    u.model.set_ev_state("A")
    u.run(1.0)
    u.model.set_ev_state("C")
    u.run(3.0)
    assert u.active("contactor_failure") and u.model.pilot.mode is PilotMode.DC_HIGH and not u.closed()
    u.power_cycle()
    assert not u.active("contactor_failure") and u.logged("contactor_failure")
    u.until("charging after the reset", u.closed, 2.0)


@pytest.mark.parametrize(("defect", "fault", "ev"), [
    ("contactor_weld_not_flagged", "welded", "B"), ("contactor_stuck_open_not_flagged", "stuck_open", "C")])
def test_contactor_faults_not_flagged(unit: Callable[..., Unit], defect: str, fault: str, ev: str) -> None:
    u = unit(defect)
    u.charge()
    u.model.set_contactor_fault(**{fault: True})
    u.model.set_ev_state(ev)
    u.run(3.0)
    assert not u.active("contactor_failure")


def test_charges_after_contactor_failure_puts_pwm_back_at_the_next_plug_in(unit: Callable[..., Unit]) -> None:
    u = unit("charges_after_contactor_failure")
    u.model.set_contactor_fault(stuck_open=True)
    u.model.set_ev_state("C")
    u.run(2.0)
    assert u.active("contactor_failure")
    u.model.set_contactor_fault(stuck_open=False)
    u.model.set_ev_state("A")
    u.run(1.0)
    u.model.set_ev_state("C")
    u.run(1.0)
    assert u.model.pilot.mode is PilotMode.PWM and not u.active("contactor_failure")


# --- mains voltage -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Supply:
    build: str
    volts: float
    stops: bool
    total_s: float = 0.0  # voltage step -> contacts open, when it stops


SUPPLIES = (
    Supply("default", 265.0, True, 0.2), Supply("default", 184.0, True, 0.2),
    Supply("default", 253.0, False), Supply("default", 207.0, False),
    Supply("near", 253.0, False), Supply("near", 207.0, False),
    Supply("near", 254.5, True, 0.9), Supply("near", 205.5, True, 0.9),
    Supply("near", 265.0, True, 0.9), Supply("near", 184.0, True, 0.9),
    Supply("overvoltage_trips_at_250v", 253.0, True, 0.2), Supply("undervoltage_trips_at_210v", 207.0, True, 0.2),
    Supply("mains_fault_response_1_2s", 265.0, True, 1.2),
    Supply("overvoltage_ignored", 265.0, False), Supply("undervoltage_ignored", 184.0, False),
)


@pytest.mark.parametrize("supply", SUPPLIES, ids=lambda s: f"{s.build}-{s.volts:g}V")
def test_mains_out_of_band_stops_charging_its_time_after_the_step(unit: Callable[..., Unit], supply: Supply) -> None:
    u = build(unit, supply.build)
    u.charge()
    u.model.set_mains(voltage_v=supply.volts)
    step = u.model.mains_changed_at
    u.run(3.0)
    assert u.closed() is not supply.stops
    if supply.stops:
        assert u.opened_at() - step == pytest.approx(supply.total_s, abs=EXACT)
        assert u.shown() == ("C", "E")
        outside = CATALOGUE.get(supply.build) is not None and CATALOGUE[supply.build].limit == "mains_fault_response_s"
        assert (supply.total_s > limit("mains_fault_response_s")) == outside


@pytest.mark.parametrize(("reading", "over", "under", "generic"), [
    ("specific", True, False, False), ("generic", False, False, True), ("both", True, False, True)])
def test_mains_voltage_flag_reading(unit: Callable[..., Unit], reading: str, over: bool, under: bool,
                                    generic: bool) -> None:
    u = unit(mains_voltage_flag=reading)
    u.charge()
    u.model.set_mains(voltage_v=265.0)
    u.run(1.0)
    errors = u.call("Active_errors.Get")
    assert (errors["overvoltage_error"], errors["undervoltage_error"], errors["voltage_error"]) == \
        (over, under, generic)


def test_under_voltage_sets_its_own_flag(unit: Callable[..., Unit]) -> None:
    u = unit()
    u.model.set_mains(voltage_v=184.0)
    u.run(1.0)
    assert u.active("undervoltage_error") and not u.active("overvoltage_error")


def test_a_mains_fault_clears_2_s_after_the_supply_is_back_and_charging_resumes(unit: Callable[..., Unit]) -> None:
    u = unit()
    u.charge()
    u.model.set_mains(voltage_v=265.0)
    u.run(1.0)
    u.model.set_mains(voltage_v=230.0)
    back = u.model.mains_changed_at
    cleared = u.until("overvoltage_error cleared", lambda: not u.active("overvoltage_error"), 3.0)
    assert cleared - back == pytest.approx(2.0, abs=COARSE_S)
    assert u.logged("overvoltage_error")
    u.until("charging again", u.closed, 2.0)


def test_voltage_flag_missing_stops_without_a_flag(unit: Callable[..., Unit]) -> None:
    u = unit("voltage_flag_missing")
    u.charge()
    u.model.set_mains(voltage_v=265.0)
    u.run(1.0)
    errors = u.call("Active_errors.Get")
    assert not u.closed() and not (errors["overvoltage_error"] or errors["voltage_error"])


# --- mains loss ---------------------------------------------------------------------------------------
@dataclass
class Supervised:
    """A unit whose transport hooks are recorded (what the HTTP server does on each)."""

    unit: Unit
    events: list[str]


def supervised(u: Unit) -> Supervised:
    events: list[str] = []
    u.fw.on_power_loss = lambda: events.append("loss")
    u.fw.on_power_back = lambda: events.append("back")
    return Supervised(u, events)


def total_wh(u: Unit) -> float:
    return float(u.fw.store.data["counters"]["total_charged_energy_wh"])


@pytest.mark.parametrize(("defects", "booked"), [((), True), (("energy_lost_on_power_cut",), False)])
def test_a_mains_cut_drops_the_contactor_at_once_and_books_the_session(unit: Callable[..., Unit],
                                                                       defects: tuple[str, ...], booked: bool) -> None:
    s = supervised(unit(*defects))
    u = s.unit
    u.charge(install_a=32)
    u.run(30.0, step=0.5)
    energy = u.fw.controller.session_energy_wh(u.fw.meter().energy_wh)
    assert energy > 50
    before = total_wh(u)
    u.model.set_mains(on=False)
    cut = u.model.mains_changed_at
    u.run(COARSE_S)
    assert s.events == ["loss"] and not u.fw.powered
    assert u.opened_at() == pytest.approx(cut + u.model.contactor.open_delay_s, abs=EXACT)
    assert not u.model.mains_present_at_ev()
    assert (total_wh(u) - before) == (pytest.approx(energy, abs=1.0) if booked else 0.0)
    u.run(5.0)
    assert s.events == ["loss"], "an unpowered charger does nothing"
    u.model.set_mains(on=True)
    u.run(COARSE_S)
    assert s.events == ["loss", "back"]


@pytest.mark.parametrize(("reading", "same_id"), [("new_session", False), ("resumed", True)])
def test_session_after_mains_loss(unit: Callable[..., Unit], reading: str, same_id: bool) -> None:
    s = supervised(unit(session_after_mains_loss=reading))
    u = s.unit
    u.charge(install_a=32)
    u.run(20.0, step=0.5)
    session_id = u.call("Charger_info.Get")["session_id"]
    before = u.fw.controller.session_energy_wh(u.fw.meter().energy_wh)
    u.model.set_mains(on=False)
    u.run(1.0)
    u.model.set_mains(on=True)
    u.run(2.0)
    u.power_cycle()
    u.until("charging again", u.closed, 3.0)
    info = u.call("Charger_info.Get")
    assert (info["session_id"] == session_id) is same_id
    if same_id:
        assert info["session_energy"] >= before - 1.0, "a resumed session keeps its energy"
    total = total_wh(u)
    u.run(10.0, step=0.5)
    u.model.set_ev_state("A")
    u.run(1.0)
    counters = u.call("Counters_config.Get")
    assert counters["total_charged_sessions"] == (1 if same_id else 2)
    assert total_wh(u) > total, "the energy after the cut is booked at unplug"
    assert total_wh(u) == pytest.approx(u.fw.meter().energy_wh, abs=2.0), "nothing booked twice, nothing lost"


# --- temperature ----------------------------------------------------------------------------------------
def heat(u: Unit, celsius: float) -> None:
    """A heater already at ``celsius`` on the board sensor."""
    u.model.set_board_setpoint(celsius)
    u.model.thermal.temperature_c = celsius


def pwm_update_after(u: Unit, since: float) -> float:
    update = next(r for r in reversed(u.fw.controller.s.ledger) if r.what == "pwm_update")
    return update.applied_at - since


@pytest.mark.parametrize(("build_name", "response_s"), [
    ("default", 0.2), ("near", 4.7), ("derate_after_5_5s", 5.5)])
def test_overtemperature_derates_to_16_a_within_its_time(unit: Callable[..., Unit], build_name: str,
                                                          response_s: float) -> None:
    u = build(unit, build_name)
    u.charge(install_a=32)
    u.run(6.0)
    heat(u, 71.0)
    crossed = u.clock.t
    u.until("the PWM at 16 A", lambda: u.fw.controller.s.pwm_current == 16, 7.0, step=0.001)
    jitter = u.fw.controller.timing.jitter  # the near-limit build's PWM update varies below its value
    assert response_s * (1 - jitter) - 0.0021 <= pwm_update_after(u, crossed) <= response_s + 0.0021
    assert (response_s > limit("temperature_response_s")) == (build_name == "derate_after_5_5s")
    assert u.active("overtemp") and u.call("System_currents.Get")["temperature_current"] == 16
    assert u.call("Charger_info.Get")["current_limit_reason"] == 8 and u.closed()
    heat(u, 65.5)
    u.run(1.0)
    assert u.active("overtemp"), "clears only 5 °C below the threshold"
    heat(u, 65.0)
    u.run(6.0)
    assert not u.active("overtemp") and u.fw.controller.s.pwm_current == 32


def test_temperature_is_board_plus_offset(unit: Callable[..., Unit]) -> None:
    u = unit()
    u.fw.store.charger["temp_offset"] = 5.0
    heat(u, 66.0)
    u.run(0.5)
    assert u.active("overtemp")


def test_critical_temperature_stops_charging_and_clears_5_c_below(unit: Callable[..., Unit]) -> None:
    u = unit()
    u.charge(install_a=32)
    heat(u, 80.0)
    u.run(0.5)
    assert u.active("critical_temp") and not u.closed() and u.shown() == ("C", "E")
    heat(u, 75.5)
    u.run(1.0)
    assert u.active("critical_temp")
    heat(u, 60.0)
    u.until("charging again", u.closed, 5.0)


@pytest.mark.parametrize(("defect", "celsius", "flag", "limit_a", "reason", "charging"), [
    ("derate_missing", 71.0, ("overtemp", True), 32, 0, True),
    ("derate_wrong_reason", 71.0, ("overtemp", True), 16, 0, True),
    ("overtemp_flag_missing", 71.0, ("overtemp", False), 16, 8, True),
    ("critical_temp_keeps_charging", 81.0, ("critical_temp", True), 16, 8, True),
])
def test_temperature_defects(unit: Callable[..., Unit], defect: str, celsius: float, flag: tuple[str, bool],
                             limit_a: int, reason: int, charging: bool) -> None:
    u = unit(defect)
    u.charge(install_a=32)
    heat(u, celsius)
    u.run(1.0)
    assert u.active(flag[0]) is flag[1]
    assert u.call("System_currents.Get")["temperature_current"] == limit_a
    assert u.call("Charger_info.Get")["current_limit_reason"] == reason
    assert u.closed() is charging


# --- CP faults ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("defects", "flag"), [((), True), (("cp_pe_short_flag_missing",), False)])
def test_cp_pe_short_sets_state_e_activated(unit: Callable[..., Unit], defects: tuple[str, ...], flag: bool) -> None:
    u = unit(*defects)
    u.charge()
    u.model.set_ev_fault(cp_pe_short=True)
    u.run(0.5)
    assert u.shown()[0] == "E" and u.active("state_e_activated") is flag


# --- the catalogue ---------------------------------------------------------------------------------------
NEW_AREAS = {"rcd": "suites/bench/test_rcd.py", "overcurrent": "suites/bench/test_overcurrent.py",
             "contactor": "suites/bench/test_contactor_failure.py", "mains": "suites/bench/test_mains.py",
             "temperature": "suites/bench/test_temperature.py"}


def test_protection_defects_name_their_suite_and_a_limit_of_the_limits_file() -> None:
    firmware = "".join(p.read_text() for p in (Path(__file__).parent.parent / "simulator").rglob("*.py")
                       if p.name != "defects.py")
    for name, defect in CATALOGUE.items():
        if defect.area in NEW_AREAS:
            assert defect.suites == (NEW_AREAS[defect.area],), name
            assert f'"{name}"' in firmware, f"{name}: no firmware checks it"
            assert defect.limit is None or defect.limit in LIMITS, f"{name}: unknown limit {defect.limit}"
