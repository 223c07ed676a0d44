"""The Chroma 63800 AC load: driver by exact command/response pairs, the twin line by line, and the
real driver against the twin over loopback on a shared physical model.

The composite-bench property under test: with ``model.load.follows_pwm`` False the load draws what
the driver programmed whenever the contactor is closed and the EV side is in C, whatever the PWM
advertises (keeping it within the PWM is the rig's job, not the instrument's).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import pytest
from pyvisa import constants
from pyvisa.errors import VisaIOError

from instruments.ac_load import Chroma63800Load
from instruments.errors import BenchFault
from instruments.power_analyzer import InstrumentError, ScriptedTransport, UnexpectedReply
from instruments.roles import ROLE_FEATURES, TIMERS, EvLoad, MainsSense, Overdraw
from simulator.clock import DeviceClock
from simulator.physics.control_pilot import PilotMode
from simulator.physics.ev_load import EvLoad as EvLoadPhysics
from simulator.physics.model import PhysicalModel
from simulator.twins.ac_load import AcLoadTwin
from tests.scpi_twins import ManualClock, Script, driver_on_twin, scripted_instrument, wait_until

NO_ERROR = '0,"No error"'
ERR = ":SYST:ERR?"


def ok(command: str) -> Script:
    """A set command and the error-queue check that follows it."""
    return [(command, None), (ERR, NO_ERROR)]


def scripted(script: Script, **kwargs: Any) -> AbstractContextManager[Chroma63800Load]:
    return scripted_instrument(Chroma63800Load, script, **kwargs)


# --- declarations ------------------------------------------------------------------------------
def test_declares_roles_and_features_the_role_table_knows() -> None:
    assert Chroma63800Load.ROLES == {"ev_load": frozenset({"current", "overdraw"}),
                                     "mains_sense": frozenset({"present"})}
    for role, features in Chroma63800Load.ROLES.items():
        assert features <= set(ROLE_FEATURES[role]), role
    assert Chroma63800Load.TIMERS <= set(TIMERS)


def test_implements_the_role_protocols() -> None:
    load = Chroma63800Load(ScriptedTransport([]))
    assert isinstance(load, EvLoad) and isinstance(load, MainsSense) and isinstance(load, Overdraw)


def test_overdraw_is_the_plain_current_setting() -> None:
    """A plain load draws what it is told whatever the PWM says: the overcurrent stimulus."""
    script = ok(":LOAD:MODE CURR") + ok(":LOAD:CURR:PEAK:MAX 63") + ok(":LOAD:CURR 21") + ok(":LOAD ON")
    with scripted(script) as load:
        load.set_overdraw(21.0)


def test_overdraw_off_turns_the_load_off_until_the_follower_sets_it() -> None:
    with scripted(ok(":LOAD OFF")) as load:
        load.set_overdraw(None)


# --- driver: exact command/response pairs -----------------------------------------------------
def test_identify() -> None:
    with scripted([("*IDN?", "Chroma, 63804, 0, 1.00")]) as load:
        assert load.identify() == "Chroma,63804,0,1.00"


def test_garbled_identification_is_an_unexpected_reply() -> None:
    with scripted([("*IDN?", "Chroma,63802")]) as load, pytest.raises(UnexpectedReply):
        load.identify()


def test_set_current_programs_cc_mode_peak_current_and_load_on() -> None:
    script = ok(":LOAD:MODE CURR") + ok(":LOAD:CURR:PEAK:MAX 48") + ok(":LOAD:CURR 16") + ok(":LOAD ON")
    with scripted(script) as load:
        load.set_load_current(16.0)


def test_peak_limit_rounds_to_a_clean_setting() -> None:
    script = ok(":LOAD:MODE CURR") + ok(":LOAD:CURR:PEAK:MAX 19.5") + ok(":LOAD:CURR 6.5") + ok(":LOAD ON")
    with scripted(script) as load:
        load.set_load_current(6.5)


def test_a_fixed_peak_limit_from_the_profile_is_used_as_is() -> None:
    script = ok(":LOAD:MODE CURR") + ok(":LOAD:CURR:PEAK:MAX 100") + ok(":LOAD:CURR 32") + ok(":LOAD ON")
    with scripted(script, peak_max_a=100.0) as load:
        load.set_load_current(32.0)


@pytest.mark.parametrize("call", [lambda load: load.set_load_current(0.0), lambda load: load.load_safe()],
                         ids=["zero_current", "load_safe"])
def test_zero_current_and_safe_turn_the_load_off(call: Callable[[Chroma63800Load], None]) -> None:
    with scripted(ok(":LOAD OFF")) as load:
        call(load)


@pytest.mark.parametrize(("amps", "ramp"), [(-1.0, None), (float("nan"), None), (float("inf"), None), (16.0, 5.0)])
def test_refused_settings_send_nothing(amps: float, ramp: float | None) -> None:
    with scripted([]) as load, pytest.raises(ValueError):
        load.set_load_current(amps, ramp)


def test_rejected_setting_raises_naming_the_command_and_stops_there() -> None:
    script = ok(":LOAD:MODE CURR") + [(":LOAD:CURR:PEAK:MAX 180", None), (ERR, '-222,"Data out of range"'),
                                      (ERR, NO_ERROR)]
    with scripted(script) as load, pytest.raises(InstrumentError) as caught:
        load.set_load_current(60.0)
    assert caught.value.code == -222
    assert caught.value.command == ":LOAD:CURR:PEAK:MAX 180"
    assert ":LOAD:CURR:PEAK:MAX 180" in str(caught.value)
    assert not isinstance(caught.value, BenchFault)  # the instrument refused: a usage error, not the bench


def test_load_current_is_the_measured_rms_current() -> None:
    with scripted([(":MEAS:CURR?", "16.012")]) as load:
        assert load.load_current_a() == pytest.approx(16.012)


def test_measured_power() -> None:
    with scripted([(":MEAS:POW?", "3682.8")]) as load:
        assert load.measured_power_w == pytest.approx(3682.8)


@pytest.mark.parametrize(("reply", "threshold", "present"), [
    ("0.00", 100.0, False),
    ("99.90", 100.0, False),
    ("100.00", 100.0, False),  # above the threshold, not at it
    ("100.10", 100.0, True),
    ("230.40", 100.0, True),
    ("150.00", 180.0, False),
    ("195.00", 180.0, True),
])
def test_mains_present_is_the_voltage_above_the_threshold(reply: str, threshold: float, present: bool) -> None:
    with scripted([(":MEAS:VOLT?", reply)], mains_present_v=threshold) as load:
        assert load.mains_present() is present


def test_garbled_voltage_is_an_unexpected_reply() -> None:
    with scripted([(":MEAS:VOLT?", "230V?")]) as load, pytest.raises(UnexpectedReply):
        load.mains_present()


def test_silent_instrument_is_a_bench_fault_naming_the_query() -> None:
    timeout = VisaIOError(constants.StatusCode.error_timeout)
    with scripted([(":MEAS:CURR?", timeout)]) as load, pytest.raises(BenchFault) as caught:
        load.load_current_a()
    assert ":MEAS:CURR?" in str(caught.value)


@pytest.mark.parametrize("kwargs", [{"mains_present_v": 0.0}, {"mains_present_v": float("nan")},
                                    {"peak_max_a": -1.0}])
def test_nonsense_profile_values_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Chroma63800Load(ScriptedTransport([]), **kwargs)


# --- physics: the plain electronic load ---------------------------------------------------------
@pytest.mark.parametrize(("follows_pwm", "expected_a"), [(True, 6.0), (False, 16.0)])
def test_follows_pwm_decides_whether_the_advertised_current_caps_the_load(follows_pwm: bool, expected_a: float) -> None:
    load = EvLoadPhysics(max_current_a=16.0, follows_pwm=follows_pwm)
    for step in range(1, 101):
        load.step(step * 0.01, 0.01, advertised_a=6.0, energised=True)
    assert load.current_a == pytest.approx(expected_a)
    load.step(1.01, 0.01, advertised_a=6.0, energised=False)
    assert load.current_a == 0.0
    load.step(1.02, 0.01, advertised_a=6.0, energised=True, connected=False)
    assert load.current_a == 0.0


# --- the twin, line by line -----------------------------------------------------------------
@pytest.fixture
def manual() -> tuple[ManualClock, PhysicalModel, AcLoadTwin]:
    clock = ManualClock()
    model = PhysicalModel(clock)  # type: ignore[arg-type]  # only now() is used
    model.load.follows_pwm = False
    return clock, model, AcLoadTwin(model)


def test_twin_powers_up_with_the_load_off(manual) -> None:
    _, model, twin = manual
    assert model.load.max_current_a == 0.0
    assert twin.handle(":LOAD?") == "0"
    assert twin.handle("*IDN?") == "Chroma,63804,VIRTUAL01,1.00"


def test_twin_programs_the_model_only_while_on_in_cc_mode(manual) -> None:
    _, model, twin = manual
    for line in (":LOAD:MODE CURR", ":LOAD:CURR 16"):
        assert twin.handle(line) is None
    assert model.load.max_current_a == 0.0
    twin.handle(":LOAD ON")
    assert model.load.max_current_a == 16.0
    twin.handle("CURR 20")  # the optional LOAD node, as the manual writes [LOAD:]
    assert model.load.max_current_a == 20.0
    twin.handle("MODE POW")
    assert model.load.max_current_a == 0.0
    twin.handle("MODE 0")
    assert (twin.handle("MODE?"), model.load.max_current_a) == ("CURR", 20.0)
    twin.handle(":LOAD 0")
    assert model.load.max_current_a == 0.0
    twin.handle(":LOAD 1")
    twin.handle("*RST")
    assert (model.load.max_current_a, twin.handle(":LOAD:CURR?")) == (0.0, "0.000")


@pytest.mark.parametrize(("line", "code"), [
    (":LOAD:CURR 45.1", -222),
    (":LOAD:CURR -1", -222),
    (":LOAD:CURR:PEAK:MAX 136", -222),
    (":LOAD:MODE 8", -224),
    (":LOAD:MODE FAST", -224),
    (":LOAD MAYBE", -224),
    (":LOAD:CURR sixteen", -104),
    (":LOAD:CURR", -109),
    (":MEAS:VOLTS?", -113),
])
def test_twin_rejections_queue_an_error_and_change_nothing(manual, line: str, code: int) -> None:
    _, model, twin = manual
    twin.handle(":LOAD:CURR 16")
    twin.handle(":LOAD ON")
    assert twin.handle(line) is None
    assert twin.handle(":SYST:ERR?").startswith(f"{code},")
    assert twin.handle(":SYST:ERR?") == NO_ERROR
    assert model.load.max_current_a == 16.0


def test_twin_voltage_is_the_ev_side_of_the_contactor(manual) -> None:
    clock, model, twin = manual
    assert twin.handle(":MEAS:VOLT?") == "0.00"
    model.command_contactor(True)
    clock.t += 1.0
    assert float(twin.handle(":MEAS:VOLT?")) == pytest.approx(model.mains.voltage(clock.t), abs=0.005)
    model.command_contactor(False)
    clock.t += 1.0
    assert twin.handle(":MEAS:VOLT?") == "0.00"


# --- the real driver against the twin over loopback ----------------------------------------------
@dataclass
class Loopback:
    model: PhysicalModel
    twin: AcLoadTwin
    load: Chroma63800Load


@pytest.fixture(scope="module")
def loopback_twin() -> Iterator[Loopback]:
    model = PhysicalModel(DeviceClock(time_scale=20))
    model.load.follows_pwm = False  # a composite bench: the AC load is a plain electronic load
    twin = AcLoadTwin(model)
    with driver_on_twin(twin, Chroma63800Load.from_resource) as load:
        yield Loopback(model, twin, load)


@pytest.fixture
def bench(loopback_twin: Loopback) -> Loopback:
    """The shared twin forced into the safe state: load off, EV unplugged, PWM off, contactor open."""
    loopback_twin.load.load_safe()
    model = loopback_twin.model
    model.set_ev_state("A")
    model.set_pilot(PilotMode.DC_HIGH, 1.0)
    model.command_contactor(False)
    wait_until("mains gone at the EV side", loopback_twin.load.mains_present, lambda present: not present)
    return loopback_twin


def charge(model: PhysicalModel, advertised_a: float) -> None:
    """EV in C, PWM advertising ``advertised_a``, contactor closed (as the charger would)."""
    model.set_ev_state("C")
    model.set_pilot(PilotMode.PWM, advertised_a / 60.0)
    model.command_contactor(True)


def test_driver_identifies_the_twin(bench: Loopback) -> None:
    assert bench.load.identify() == bench.twin.identity


def test_load_draws_the_set_current_regardless_of_the_pwm(bench: Loopback) -> None:
    load, model = bench.load, bench.model
    load.set_load_current(16.0)
    charge(model, advertised_a=6.0)  # the PWM says 6 A; a plain electronic load does not listen
    wait_until("mains present at the load", load.mains_present, bool)
    drawn = wait_until("the load drawing 16 A", load.load_current_a, lambda a: abs(a - 16.0) < 0.01)
    assert drawn == pytest.approx(model.electrical().current_a, abs=0.05)
    power = load.measured_power_w
    assert power == pytest.approx(16.0 * model.mains.nominal_v, rel=0.01)
    load.set_load_current(10.0)
    wait_until("the load drawing 10 A", load.load_current_a, lambda a: abs(a - 10.0) < 0.01)
    load.load_safe()
    wait_until("no current after load off", load.load_current_a, lambda a: a == 0.0)


def test_no_current_without_mains_or_in_state_b(bench: Loopback) -> None:
    load, model = bench.load, bench.model
    load.set_load_current(16.0)
    model.set_ev_state("B")
    model.set_pilot(PilotMode.PWM, 16 / 60.0)
    model.command_contactor(True)
    wait_until("mains present at the load", load.mains_present, bool)
    assert load.load_current_a() == 0.0  # state B: the EV does not draw
    model.set_ev_state("C")
    wait_until("the load drawing 16 A in C", load.load_current_a, lambda a: abs(a - 16.0) < 0.01)
    model.command_contactor(False)
    wait_until("mains gone", load.mains_present, lambda present: not present)
    assert load.load_current_a() == 0.0


def test_rejected_current_raises_and_draws_nothing(bench: Loopback) -> None:
    load, model = bench.load, bench.model
    with pytest.raises(InstrumentError) as caught:
        load.set_load_current(50.0)  # beyond the 63804's 45 A: its 150 A peak limit is refused first
    assert caught.value.command == ":LOAD:CURR:PEAK:MAX 150"
    assert model.load.max_current_a == 0.0
