"""The Keysight AC6801B AC source: driver by exact command/response pairs, the twin line by line, and
the real driver against the twin over loopback on a shared physical model (the charger's supply)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import pytest
from pyvisa import constants
from pyvisa.errors import VisaIOError

from instruments.ac_source import KeysightAc6800bSource
from instruments.errors import BenchFault
from instruments.power_analyzer import InstrumentError, ScriptedTransport, UnexpectedReply
from instruments.roles import ROLE_FEATURES, TIMERS, AcSource
from simulator.clock import DeviceClock
from simulator.physics.model import PhysicalModel
from simulator.twins.ac_source import IDENTITY, AcSourceTwin
from tests.scpi_twins import ManualClock, Script, driver_on_twin, scripted_instrument

NO_ERROR = '+0,"No error"'
ERR = "SYST:ERR?"


def ok(command: str) -> Script:
    """A setting and the error-queue check that follows it."""
    return [(command, None), (ERR, NO_ERROR)]


def scripted(script: Script, **kwargs: Any) -> AbstractContextManager[KeysightAc6800bSource]:
    return scripted_instrument(KeysightAc6800bSource, script, **kwargs)


# --- declarations ------------------------------------------------------------------------------
def test_declares_the_ac_source_role_with_every_feature() -> None:
    assert KeysightAc6800bSource.ROLES == {"ac_source": frozenset({"voltage", "frequency", "output"})}
    assert KeysightAc6800bSource.ROLES["ac_source"] <= set(ROLE_FEATURES["ac_source"])
    assert KeysightAc6800bSource.TIMERS == frozenset() and KeysightAc6800bSource.TIMERS <= set(TIMERS)
    assert isinstance(KeysightAc6800bSource(ScriptedTransport([])), AcSource)


# --- driver: exact command/response pairs -----------------------------------------------------
def test_identify() -> None:
    with scripted([("*IDN?", "Keysight Technologies,AC6801B,MY12345678,A.01.02")]) as source:
        assert source.identify() == "Keysight Technologies,AC6801B,MY12345678,A.01.02"


@pytest.mark.parametrize(("call", "command"), [
    (lambda s: s.set_voltage(265.0), "VOLT 265"),
    (lambda s: s.set_voltage(184.5), "VOLT 184.5"),
    (lambda s: s.set_frequency(50.0), "FREQ 50"),
    (lambda s: s.set_output(False), "OUTP OFF"),
    (lambda s: s.set_output(True), "OUTP ON"),
], ids=["265V", "184.5V", "50Hz", "off", "on"])
def test_settings(call, command: str) -> None:
    with scripted(ok(command)) as source:
        call(source)


def test_safe_is_nominal_voltage_and_frequency_before_the_output_goes_on() -> None:
    """The charger is powered at 230 V / 50 Hz from its first instant, never at a test's leftover."""
    with scripted(ok("VOLT 230") + ok("FREQ 50") + ok("OUTP ON")) as source:
        source.source_safe()


def test_measured_voltage_is_the_ac_rms_reading() -> None:
    with scripted([("MEAS:VOLT:AC?", "+2.30125E+02")]) as source:
        assert source.measured_voltage() == pytest.approx(230.125)


@pytest.mark.parametrize("volts", [float("nan"), float("inf"), -1.0])
def test_nonsense_voltages_are_refused_before_anything_is_sent(volts: float) -> None:
    with scripted([]) as source, pytest.raises(ValueError):
        source.set_voltage(volts)


@pytest.mark.parametrize("hertz", [0.0, -50.0, float("nan")])
def test_nonsense_frequencies_are_refused_before_anything_is_sent(hertz: float) -> None:
    with scripted([]) as source, pytest.raises(ValueError):
        source.set_frequency(hertz)


def test_refused_voltage_raises_naming_the_command() -> None:
    script = [("VOLT 400", None), (ERR, '-222,"Data out of range"'), (ERR, NO_ERROR)]
    with scripted(script) as source, pytest.raises(InstrumentError) as caught:
        source.set_voltage(400.0)
    assert (caught.value.code, caught.value.command) == (-222, "VOLT 400")
    assert not isinstance(caught.value, BenchFault)


def test_silent_source_is_a_bench_fault() -> None:
    with scripted([("MEAS:VOLT:AC?", VisaIOError(constants.StatusCode.error_timeout))]) as source:
        with pytest.raises(BenchFault, match="MEAS:VOLT:AC"):
            source.measured_voltage()


def test_garbled_reading_is_an_unexpected_reply() -> None:
    with scripted([("MEAS:VOLT:AC?", "volts")]) as source, pytest.raises(UnexpectedReply):
        source.measured_voltage()


# --- the twin, line by line -----------------------------------------------------------------
@pytest.fixture
def manual() -> tuple[PhysicalModel, AcSourceTwin]:
    model = PhysicalModel(ManualClock())  # type: ignore[arg-type]  # only now() is used
    return model, AcSourceTwin(model)


def test_twin_powers_up_as_the_bench_leaves_it_supplying_the_charger(manual) -> None:
    model, twin = manual
    assert twin.handle("*IDN?") == IDENTITY
    assert (twin.handle("OUTP?"), twin.handle("VOLT?"), twin.handle("FREQ?")) == ("1", "+2.30000E+02", "+5.00000E+01")
    assert (model.mains.on, model.mains.nominal_v, model.mains.frequency_hz) == (True, 230.0, 50.0)


def test_twin_settings_are_the_charger_supply(manual) -> None:
    model, twin = manual
    model.clock.t = 5.0
    twin.handle("VOLT 265")
    assert model.mains.nominal_v == 265.0 and model.mains_changed_at == 5.0
    twin.handle(":source:voltage:level:immediate:amplitude 207")  # the long form, any case
    assert model.mains.nominal_v == 207.0
    twin.handle("FREQ 60")
    assert model.mains.frequency_hz == 60.0
    twin.handle("OUTP OFF")
    assert model.mains.on is False
    assert float(twin.handle("MEAS:VOLT:AC?")) == 0.0  # the output is off: nothing at the terminals
    twin.handle("OUTPut:STATe ON")
    assert model.mains.on is True
    assert float(twin.handle("MEAS:VOLT:AC?")) == pytest.approx(207.0, abs=0.5)  # the model's ripple


@pytest.mark.parametrize(("line", "code"), [
    ("VOLT 316", -222),     # beyond the 310 V range's settable maximum
    ("VOLT -1", -222),
    ("FREQ 39", -222),      # below the 40-500 Hz output range
    ("FREQ 501", -222),
    ("VOLT high", -104),
    ("OUTP MAYBE", -224),
    ("VOLT", -109),
    ("MEAS:VOLT:AC? 1", -108),
    ("OUT ON", -113),       # neither OUTP nor OUTPUT ([G] p. 93)
])
def test_twin_rejections_queue_an_error_and_change_nothing(manual, line: str, code: int) -> None:
    model, twin = manual
    assert twin.handle(line) is None
    assert twin.handle("SYST:ERR?").startswith(f"{code},")
    assert twin.handle("SYST:ERR?").startswith("0,")
    assert (model.mains.on, model.mains.nominal_v, model.mains.frequency_hz) == (True, 230.0, 50.0)


# --- the real driver against the twin over loopback ----------------------------------------------
@dataclass
class Loopback:
    model: PhysicalModel
    source: KeysightAc6800bSource


@pytest.fixture(scope="module")
def loopback_twin() -> Iterator[Loopback]:
    model = PhysicalModel(DeviceClock(time_scale=20))
    with driver_on_twin(AcSourceTwin(model), KeysightAc6800bSource.from_resource) as source:
        yield Loopback(model, source)


@pytest.fixture
def bench(loopback_twin: Loopback) -> Loopback:
    loopback_twin.source.source_safe()
    return loopback_twin


def test_driver_identifies_the_twin(bench: Loopback) -> None:
    assert bench.source.identify() == IDENTITY


def test_driver_moves_the_charger_supply(bench: Loopback) -> None:
    source, model = bench.source, bench.model
    source.set_voltage(265.0)
    assert model.mains.nominal_v == 265.0  # the SYST:ERR? round trip: the twin has acted
    assert source.measured_voltage() == pytest.approx(265.0, abs=0.5)
    source.set_output(False)
    assert model.mains.on is False and source.measured_voltage() == 0.0
    source.source_safe()
    assert (model.mains.on, model.mains.nominal_v, model.mains.frequency_hz) == (True, 230.0, 50.0)
    assert source.output_on is True


def test_refused_voltage_through_the_twin_names_the_command(bench: Loopback) -> None:
    with pytest.raises(InstrumentError) as caught:
        bench.source.set_voltage(400.0)
    assert caught.value.command == "VOLT 400"
    assert bench.model.mains.nominal_v == 230.0
