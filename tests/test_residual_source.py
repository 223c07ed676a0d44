"""The Fluke 5522A residual-current source: driver by exact command/response pairs, the twin line by
line, and the real driver against the twin over loopback on a shared physical model.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import pytest
from pyvisa import constants
from pyvisa.errors import VisaIOError

from instruments.errors import BenchFault
from instruments.power_analyzer import InstrumentError, ScriptedTransport, UnexpectedReply
from instruments.residual_source import Fluke5522aResidualSource, Output
from instruments.roles import ROLE_FEATURES, TIMERS, ResidualCurrentSource
from simulator.clock import DeviceClock
from simulator.physics.model import PhysicalModel
from simulator.twins.residual_source import IDENTITY, ResidualSourceTwin
from tests.scpi_twins import ManualClock, Script, driver_on_twin, scripted_instrument, wait_until

NO_ERROR = '0,"No Error"'  # as a 5522A answers an empty queue


def ok(command: str) -> Script:
    """A command and the error-queue check that follows it."""
    return [(command, None), ("ERR?", NO_ERROR)]


def scripted(script: Script, **kwargs: Any) -> AbstractContextManager[Fluke5522aResidualSource]:
    return scripted_instrument(Fluke5522aResidualSource, script, **kwargs)


# --- declarations ------------------------------------------------------------------------------
def test_declares_the_residual_role_with_dc_and_ac() -> None:
    assert Fluke5522aResidualSource.ROLES == {"residual_current": frozenset({"dc", "ac"})}
    assert Fluke5522aResidualSource.ROLES["residual_current"] <= set(ROLE_FEATURES["residual_current"])
    assert Fluke5522aResidualSource.TIMERS == frozenset() and Fluke5522aResidualSource.TIMERS <= set(TIMERS)
    assert isinstance(Fluke5522aResidualSource(ScriptedTransport([])), ResidualCurrentSource)


# --- driver: exact command/response pairs -----------------------------------------------------
def test_identify() -> None:
    with scripted([("*IDN?", "FLUKE,5522A,1972905,1.1+1.3+1.8")]) as source:
        assert source.identify() == "FLUKE,5522A,1972905,1.1+1.3+1.8"


@pytest.mark.parametrize(("kwargs", "command"), [
    ({"dc_ma": 6.0}, "OUT 6 MA, 0 HZ"),      # DC always names 0 HZ: a bare OUT keeps the last frequency
    ({"dc_ma": -6.0}, "OUT -6 MA, 0 HZ"),    # either polarity of DC
    ({"dc_ma": 0.5}, "OUT 0.5 MA, 0 HZ"),
    ({"ac_ma": 30.0}, "OUT 30 MA, 50 HZ"),
    ({"ac_ma": 30.0, "dc_ma": 0.0}, "OUT 30 MA, 50 HZ"),
])
def test_set_residual_sets_the_output_then_operates(kwargs: dict[str, float], command: str) -> None:
    with scripted(ok(command) + ok("OPER")) as source:
        source.set_residual(**kwargs)


def test_ac_frequency_comes_from_the_profile() -> None:
    with scripted(ok("OUT 30 MA, 60 HZ") + ok("OPER"), ac_frequency_hz=60.0) as source:
        source.set_residual(ac_ma=30.0)


@pytest.mark.parametrize("call", [lambda s: s.set_residual(), lambda s: s.set_residual(0.0, 0.0),
                                  lambda s: s.residual_safe()], ids=["defaults", "zero_zero", "residual_safe"])
def test_nothing_to_source_is_standby(call: Callable[[Fluke5522aResidualSource], None]) -> None:
    with scripted(ok("STBY")) as source:
        call(source)


@pytest.mark.parametrize(("dc_ma", "ac_ma"), [(6.0, 30.0), (-6.0, 1.0), (0.0, -30.0), (float("nan"), 0.0),
                                              (0.0, float("inf"))])
def test_impossible_residuals_are_refused_before_anything_is_sent(dc_ma: float, ac_ma: float) -> None:
    with scripted([]) as source, pytest.raises(ValueError):
        source.set_residual(dc_ma=dc_ma, ac_ma=ac_ma)


def test_refused_output_raises_naming_the_command_and_never_operates() -> None:
    script = [("OUT 6 MA, 0 HZ", None), ("ERR?", '321,"20A Terminals must be shorted"'), ("ERR?", NO_ERROR)]
    with scripted(script) as source, pytest.raises(InstrumentError) as caught:
        source.set_residual(dc_ma=6.0)
    assert (caught.value.code, caught.value.command) == (321, "OUT 6 MA, 0 HZ")
    assert "OUT 6 MA, 0 HZ" in str(caught.value)
    assert not isinstance(caught.value, BenchFault)


def test_silent_calibrator_is_a_bench_fault() -> None:
    timeout = VisaIOError(constants.StatusCode.error_timeout)
    with scripted([("STBY", None), ("ERR?", timeout)]) as source, pytest.raises(BenchFault) as caught:
        source.residual_safe()
    assert "ERR?" in str(caught.value)


def test_output_and_operate_queries() -> None:
    script = [("OUT?", "3.0000000E-02,A,0E+00,0,5.00E+01"), ("OPER?", "1"), ("OPER?", "0")]
    with scripted(script) as source:
        assert source.output == Output(0.03, "A", 50.0)
        assert source.operating is True
        assert source.operating is False


@pytest.mark.parametrize("reply", ["0.0000000E+00", "garbage", "1,2,3,4,x"])
def test_garbled_output_reply_is_an_unexpected_reply(reply: str) -> None:
    with scripted([("OUT?", reply)]) as source, pytest.raises(UnexpectedReply):
        source.output


@pytest.mark.parametrize("frequency", [0.0, -50.0, float("nan")])
def test_nonsense_ac_frequency_is_refused(frequency: float) -> None:
    with pytest.raises(ValueError):
        Fluke5522aResidualSource(ScriptedTransport([]), ac_frequency_hz=frequency)


# --- the twin, line by line -----------------------------------------------------------------
@pytest.fixture
def manual() -> tuple[PhysicalModel, ResidualSourceTwin]:
    model = PhysicalModel(ManualClock())  # type: ignore[arg-type]  # only now() is used
    return model, ResidualSourceTwin(model)


def injected(model: PhysicalModel) -> tuple[float, float]:
    return model.residual_dc_ma, model.residual_ac_ma


def test_twin_reaches_the_sensor_only_while_operating(manual) -> None:
    model, twin = manual
    assert twin.handle("*IDN?") == IDENTITY
    twin.handle("OUT 6 MA, 0 HZ")
    assert (injected(model), twin.handle("OPER?")) == ((0.0, 0.0), "0")
    twin.handle("OPER")
    assert (injected(model), twin.handle("OPER?")) == ((6.0, 0.0), "1")
    twin.handle("OUT 30 MA, 50 HZ")
    assert injected(model) == (0.0, 30.0)
    assert twin.handle("OUT?") == "3.0000000E-02,A,0E+00,0,5.00E+01"
    twin.handle("STBY")
    assert injected(model) == (0.0, 0.0)
    twin.handle("out 0.006 a, 0 hz; oper")  # any case, units with a multiplier, compound line
    assert injected(model) == (6.0, 0.0)
    twin.handle("*RST")
    assert (injected(model), twin.handle("OUT?")) == ((0.0, 0.0), "0.0000000E+00,A,0E+00,0,0.00E+00")


def test_twin_keeps_the_frequency_when_out_names_none(manual) -> None:
    """Why the driver always sends 0 HZ for DC: a bare OUT after AC is still AC."""
    model, twin = manual
    twin.handle("OUT 30 MA, 50 HZ")
    twin.handle("OPER")
    twin.handle("OUT 6 MA")
    assert injected(model) == (0.0, 6.0)


@pytest.mark.parametrize(("line", "code"), [
    ("OUT 5 V, 0 HZ", -131),     # twin: only the current function is simulated
    ("OUT 6", -131),
    ("OUT six MA", -104),
    ("OUT -3 MA, 50 HZ", -222),  # an rms amplitude is not negative
    ("OUT 30 MA, 5 HZ", -222),
    ("OUT 21 A, 0 HZ", -222),
    ("OUT", -109),
    ("OPER 1", -108),
    ("OPERATE", -113),
])
def test_twin_rejections_queue_an_error_and_change_nothing(manual, line: str, code: int) -> None:
    model, twin = manual
    twin.handle("OUT 6 MA, 0 HZ; OPER")
    assert twin.handle(line) is None
    assert twin.handle("ERR?").startswith(f"{code},")
    assert twin.handle("ERR?") == NO_ERROR
    assert injected(model) == (6.0, 0.0)


# --- the real driver against the twin over loopback ----------------------------------------------
@dataclass
class Loopback:
    model: PhysicalModel
    twin: ResidualSourceTwin
    source: Fluke5522aResidualSource


@pytest.fixture(scope="module")
def loopback_twin() -> Iterator[Loopback]:
    model = PhysicalModel(DeviceClock(time_scale=20))
    twin = ResidualSourceTwin(model)
    with driver_on_twin(twin, Fluke5522aResidualSource.from_resource, ac_frequency_hz=50) as source:
        yield Loopback(model, twin, source)


@pytest.fixture
def bench(loopback_twin: Loopback) -> Loopback:
    """The shared twin forced into standby, the charger's contactor closed (residual current flows)."""
    loopback_twin.source.residual_safe()
    loopback_twin.model.command_contactor(True)
    wait_until("the contactor closed", loopback_twin.model.contactor_closed, bool)
    return loopback_twin


def test_driver_identifies_the_twin(bench: Loopback) -> None:
    assert bench.source.identify() == IDENTITY


def test_dc_then_ac_then_safe_reach_the_charger_sensor(bench: Loopback) -> None:
    source, model = bench.source, bench.model
    source.set_residual(dc_ma=6.0)
    assert model.residual_current_ma() == (6.0, 0.0)  # the ERR? round trip: the twin has acted
    assert (source.output, source.operating) == (Output(0.006, "A", 0.0), True)
    source.set_residual(ac_ma=30.0)
    assert model.residual_current_ma() == (0.0, 30.0)
    source.set_residual(dc_ma=6.0)  # back to DC: 0 HZ, not the AC frequency still set
    assert model.residual_current_ma() == (6.0, 0.0)
    source.residual_safe()
    assert model.residual_current_ma() == (0.0, 0.0)
    assert source.operating is False


def test_the_sensor_sees_the_test_loop_with_the_contactor_open(bench: Loopback) -> None:
    """The calibrator drives its test loop through the charger's sensor, not through the EV circuit: the
    sensor sees it with the contactor open too (how a residual current before closing is tested)."""
    source, model = bench.source, bench.model
    source.set_residual(ac_ma=30.0)
    model.command_contactor(False)
    wait_until("the contactor open", model.contactor_closed, lambda closed: not closed)
    assert model.residual_current_ma() == (0.0, 30.0)


def test_refused_output_through_the_twin_names_the_command(bench: Loopback) -> None:
    source, model = bench.source, bench.model
    with pytest.raises(InstrumentError) as caught:
        source.set_residual(dc_ma=25_000.0)  # beyond the 20.5 A output
    assert caught.value.command == "OUT 25000 MA, 0 HZ"
    assert model.residual_current_ma() == (0.0, 0.0)
