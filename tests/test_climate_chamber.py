"""The ESPEC SH chamber: driver by exact command/reply lines (CR LF, OK:/NA: acknowledgements), the twin
line by line, and the real driver against the twin over loopback driving the board's temperature."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from instruments.errors import BenchFault
from instruments.roles import ROLE_FEATURES, TIMERS, Thermal
from instruments.thermal import (
    ChamberConnectionError,
    ChamberError,
    ChamberReplyError,
    EspecShChamber,
    TemperatureStatus,
)
from simulator.clock import DeviceClock
from simulator.physics.model import PhysicalModel
from simulator.twins.climate_chamber import IDENTITY, ClimateChamberTwin
from tests.scpi_twins import ManualClock, wait_until
from tests.twin_loop import twin_on_loopback


class ScriptedPort:
    """A pyserial stand-in: each written line must be the next scripted command; its reply follows."""

    def __init__(self, script: list[tuple[str, bytes | str]]) -> None:
        self.script = list(script)
        self.closed = False
        self._pending = b""

    def write(self, data: bytes) -> int:
        assert data.endswith(b"\r\n"), f"command not CR LF terminated: {data!r}"
        assert self.script, f"unexpected command {data!r}"
        expected, reply = self.script.pop(0)
        assert data[:-2].decode("ascii") == expected
        self._pending = reply if isinstance(reply, bytes) else reply.encode("ascii") + b"\r\n"
        return len(data)

    def readline(self) -> bytes:
        data, self._pending = self._pending, b""
        return data

    def close(self) -> None:
        self.closed = True


@contextmanager
def scripted(script: list[tuple[str, bytes | str]]) -> Iterator[EspecShChamber]:
    port = ScriptedPort(script)
    with EspecShChamber(port) as chamber:
        yield chamber
    assert not port.script, f"never sent: {[c for c, _ in port.script]}"
    assert port.closed


# --- declarations ------------------------------------------------------------------------------
def test_declares_the_thermal_role() -> None:
    assert EspecShChamber.ROLES == {"thermal": frozenset({"board_temperature"})}
    assert EspecShChamber.ROLES["thermal"] <= set(ROLE_FEATURES["thermal"])
    assert EspecShChamber.TIMERS == frozenset() and EspecShChamber.TIMERS <= set(TIMERS)
    assert isinstance(EspecShChamber(ScriptedPort([])), Thermal)


# --- driver: exact lines -------------------------------------------------------------------------
def test_set_temperature_sets_the_target_then_runs_constant_mode() -> None:
    with scripted([("TEMP, S60.0", "OK:TEMP, S60.0"), ("MODE, CONSTANT", "OK:MODE, CONSTANT")]) as chamber:
        chamber.set_temperature(60.0)


def test_an_acknowledgement_without_blanks_is_the_same_command() -> None:
    with scripted([("TEMP, S-10.5", "OK:TEMP,S-10.5"), ("MODE, CONSTANT", "OK:MODE,CONSTANT")]) as chamber:
        chamber.set_temperature(-10.5)


def test_safe_holds_room_temperature() -> None:
    """Not standby: a board a failed test left hot must be brought back, not left to cool for minutes."""
    with scripted([("TEMP, S25.0", "OK:TEMP, S25.0"), ("MODE, CONSTANT", "OK:MODE, CONSTANT")]) as chamber:
        chamber.thermal_safe()


def test_measured_temperature_is_the_first_field_of_temp() -> None:
    with scripted([("TEMP?", "59.8,60.0,155.0,-45.0"), ("TEMP?", "59.8,60.0,155.0,-45.0")]) as chamber:
        assert chamber.measured_temperature() == pytest.approx(59.8)
        assert chamber.status() == TemperatureStatus(59.8, 60.0, 155.0, -45.0)


def test_identify_is_type() -> None:
    with scripted([("TYPE?", "T,T,S2,160.0")]) as chamber:
        assert chamber.identify() == "T,T,S2,160.0"


def test_refused_setting_raises_with_the_chamber_message() -> None:
    with scripted([("TEMP, S200.0", "NA:DATA OUT OF RANGE")]) as chamber, pytest.raises(ChamberError) as caught:
        chamber.set_temperature(200.0)
    assert (caught.value.message, caught.value.command) == ("DATA OUT OF RANGE", "TEMP, S200.0")
    assert not isinstance(caught.value, BenchFault)


@pytest.mark.parametrize("reply", ["OK:TEMP, S61.0", "TEMP, S60.0", "60.0"])
def test_an_acknowledgement_of_something_else_is_a_reply_error(reply: str) -> None:
    with scripted([("TEMP, S60.0", reply)]) as chamber, pytest.raises(ChamberReplyError):
        chamber.set_temperature(60.0)


@pytest.mark.parametrize("reply", ["59.8,60.0", "hot,60.0,155.0,-45.0", "nan,60.0,155.0,-45.0"])
def test_garbled_temperature_is_a_reply_error(reply: str) -> None:
    with scripted([("TEMP?", reply)]) as chamber, pytest.raises(ChamberReplyError):
        chamber.measured_temperature()


@pytest.mark.parametrize("reply", [b"", b"59.8,60"], ids=["silent", "cut"])
def test_no_complete_reply_is_a_bench_fault(reply: bytes) -> None:
    with scripted([("TEMP?", reply)]) as chamber, pytest.raises(ChamberConnectionError):
        chamber.measured_temperature()


def test_non_finite_temperature_never_reaches_the_wire() -> None:
    with scripted([]) as chamber, pytest.raises(ValueError):
        chamber.set_temperature(float("nan"))


# --- the twin, line by line -----------------------------------------------------------------
@pytest.fixture
def manual() -> tuple[PhysicalModel, ClimateChamberTwin]:
    model = PhysicalModel(ManualClock())  # type: ignore[arg-type]  # only now() is used
    return model, ClimateChamberTwin(model)


def test_twin_drives_the_board_only_in_constant_mode(manual) -> None:
    model, twin = manual
    assert twin.handle("TYPE?") == IDENTITY
    assert twin.handle("TEMP, S60.0") == "OK:TEMP, S60.0"
    assert model.thermal.setpoint_c is None  # standby: a target alone heats nothing
    assert twin.handle("mode,constant") == "OK:mode,constant"
    assert model.thermal.setpoint_c == 60.0
    assert twin.handle("TEMP,S70") == "OK:TEMP,S70"
    assert model.thermal.setpoint_c == 70.0
    assert twin.handle("TEMP?") == "25.0,70.0,155.0,-45.0"  # no device time has passed yet
    assert twin.handle("MODE, STANDBY") == "OK:MODE, STANDBY"
    assert model.thermal.setpoint_c is None


def test_twin_power_off_stops_control_and_refuses_constant_mode(manual) -> None:
    model, twin = manual
    twin.handle("TEMP, S60.0")
    twin.handle("MODE, CONSTANT")
    assert twin.handle("POWER, OFF") == "OK:POWER, OFF" and model.thermal.setpoint_c is None
    assert twin.handle("MODE, CONSTANT").startswith("NA:")
    assert twin.handle("POWER, ON") == "OK:POWER, ON" and model.thermal.setpoint_c is None  # back in standby
    assert twin.handle("MODE, CONSTANT") == "OK:MODE, CONSTANT" and model.thermal.setpoint_c == 60.0


@pytest.mark.parametrize("line", ["TEMP, S151.0", "TEMP, S-41", "TEMP, Shot", "TEMP, H160", "MODE, RUN",
                                  "POWER, MAYBE", "HEAT, ON", "TEMP,"])
def test_twin_refusals_are_na_and_change_nothing(manual, line: str) -> None:
    model, twin = manual
    twin.handle("TEMP, S40.0")
    twin.handle("MODE, CONSTANT")
    assert twin.handle(line).startswith("NA:")
    assert model.thermal.setpoint_c == 40.0 and twin.handle("TEMP?").split(",")[1] == "40.0"


# --- the real driver against the twin over loopback ----------------------------------------------
@dataclass
class Loopback:
    model: PhysicalModel
    chamber: EspecShChamber


@pytest.fixture(scope="module")
def loopback_twin() -> Iterator[Loopback]:
    model = PhysicalModel(DeviceClock(time_scale=50))
    with twin_on_loopback(ClimateChamberTwin(model)) as (port, _loop):
        chamber = EspecShChamber.from_resource({"url": f"socket://127.0.0.1:{port}", "timeout_s": 2.0})
        try:
            yield Loopback(model, chamber)
        finally:
            chamber.close()


def test_driver_identifies_the_twin(loopback_twin: Loopback) -> None:
    assert loopback_twin.chamber.identify() == IDENTITY


def test_driver_heats_the_board_and_reads_it_back(loopback_twin: Loopback) -> None:
    chamber, model = loopback_twin.chamber, loopback_twin.model
    chamber.set_temperature(60.0)
    assert model.thermal.setpoint_c == 60.0
    # 10 s device time constant at time scale 50: within 2 % of the step in about 1 wall second
    reading = wait_until("the chamber at 60 °C", chamber.measured_temperature, lambda c: c >= 59.3)
    assert reading == pytest.approx(model.temperature_c(), abs=0.2)
    chamber.thermal_safe()
    assert model.thermal.setpoint_c == 25.0


def test_refused_target_through_the_twin_raises_and_keeps_the_last_one(loopback_twin: Loopback) -> None:
    chamber = loopback_twin.chamber
    with pytest.raises(ChamberError):
        chamber.set_temperature(200.0)
    assert chamber.status().target_c != 200.0
