"""The EV simulator twin: its command logic against the physical model, and the same twin reached
through the real transports (the ASCII driver over ``socket://`` and pyvisa-py over ``ASRLsocket://``).

Command-logic tests use a hand-driven clock so device times are exact; transport tests run the twin
in a background event loop on loopback with a real clock at time_scale 50.
"""
from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest

from instruments.ev_simulator import AsciiEvSimulator, EvSimulatorConnectionError, EvSimulatorError
from simulator.clock import DeviceClock
from simulator.physics.control_pilot import PilotMode
from simulator.physics.model import PhysicalModel
from tests import scpi_twins
from tests.twin_loop import twin_on_loopback
from simulator.twins.ev_simulator import IDN, EvSimulatorTwin

COMMANDS_MD = Path(__file__).resolve().parents[1] / "instruments" / "ev_simulator" / "COMMANDS.md"
wait_until = partial(scpi_twins.wait_until, timeout_s=2.0)  # this module's waits have always had 2 s


class ManualClock:
    """Device time that moves only when the test says so."""

    def __init__(self) -> None:
        self.t = 1.0

    def now(self) -> float:
        return self.t


# --- the command logic (handle) ---------------------------------------------------------------
@pytest.fixture
def manual() -> tuple[ManualClock, PhysicalModel, EvSimulatorTwin]:
    clock = ManualClock()
    model = PhysicalModel(clock)  # type: ignore[arg-type]  # only now() is used
    return clock, model, EvSimulatorTwin(model)


def _doc_rows() -> list[list[str]]:
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in COMMANDS_MD.read_text().splitlines() if line.startswith("| `")]
    assert rows, f"no command table found in {COMMANDS_MD}"
    return rows


def test_commands_md_lists_exactly_the_implemented_commands(manual) -> None:
    documented = [re.match(r"`([^ `]+)", row[0])[1] for row in _doc_rows()]
    assert sorted(documented) == sorted(manual[2].command_set())


def test_commands_md_examples_run_on_a_fresh_twin(manual) -> None:
    """The table's examples, top to bottom, give exactly the documented replies (<s>: any number)."""
    twin = manual[2]
    for row in _doc_rows():
        match = re.fullmatch(r"`(.+)` → `(.+)`", row[-1])
        assert match, f"row without a '`command` → `reply`' example: {row}"
        command, expected = match.groups()
        reply = twin.handle(command)
        if expected == "<s>":
            float(reply)
        else:
            assert reply == expected, f"{command!r}"


@pytest.mark.parametrize("line", ["MEAS:CURR?", "measure:current?", ":Meas:Current?", "MEASURE:CURR?", " meas:curr? \r"])
def test_headers_match_short_or_long_form_in_any_case(manual, line: str) -> None:
    assert manual[2].handle(line) == "0.000"


@pytest.mark.parametrize(("line", "code"), [
    ("", -102),
    ("*IDN?;*RST", -102),
    ("LOAD:CURR sixteen", -104),
    ("RCD:DC INF", -104),
    ("MEAS:CP? 1", -108),
    ("CP:STAT A,B", -108),
    ("CP:STAT", -109),
    ("MEAS:CURRE?", -113),  # neither the short nor the whole long form
    ("MEAS:CP 1", -113),    # query-only header used as a setting
    ("LOAD:CURR 80.1", -222),
    ("LOAD:RAMP 0", -222),
    ("RCD:AC -1", -222),
    ("CP:STAT G", -224),
    ("PE:OPEN MAYBE", -224),
    ("LOAD:FOLL MAYBE", -224),
    ("MEAS:TIME:TRIP? 1", -108),
    ("MEAS:TIME:TRIP 1", -113),
])
def test_errors_reply_one_line_and_queue(manual, line: str, code: int) -> None:
    twin = manual[2]
    reply = twin.handle(line)
    assert re.fullmatch(rf'ERR,{code},"[^\n]*"', reply), reply
    assert twin.handle("SYST:ERR?").startswith(f"{code},")
    assert twin.handle("SYST:ERR?") == '0,"No error"'


@pytest.mark.parametrize(("state", "adc_letter"), [("A", "A"), ("B", "B"), ("C", "C"), ("D", "D"), ("E", "E"), ("F", "F")])
def test_cp_state_reaches_the_charger_adc(manual, state: str, adc_letter: str) -> None:
    _, model, twin = manual
    assert twin.handle(f"CP:STAT {state.lower()}") == "OK"
    assert model.adc()[0] == adc_letter
    assert twin.handle("CP:STAT?") == state


def test_state_a_to_d_clears_e_and_f(manual) -> None:
    _, model, twin = manual
    for line in ("CP:STAT E", "CP:STAT F", "CP:STAT B"):
        twin.handle(line)
    assert (model.ev.cp_pe_short, model.ev.forced_negative, model.adc()[0]) == (False, False, "B")


def test_contactor_delay_is_exact_from_the_contactor_timestamps(manual) -> None:
    clock, model, twin = manual
    twin.handle("CP:STAT C")
    assert twin.handle("MEAS:TIME:CONT?") == "NAN"
    clock.t += 0.4
    model.command_contactor(True)  # closes close_delay_s later
    clock.t += 1.0
    assert twin.handle("MEAS:TIME:CONT?") == f"{(0.4 + model.contactor.close_delay_s) * 1000:.3f}"
    twin.handle("CP:STAT B")
    clock.t += 0.01
    model.command_contactor(False)
    clock.t += 0.5  # the contacts opened long before anyone asks: still timed from the contactor
    assert twin.handle("MEAS:TIME:CONT?") == f"{(0.01 + model.contactor.open_delay_s) * 1000:.3f}"


def test_contactor_moving_twice_unseen_is_reported_not_guessed(manual) -> None:
    clock, model, twin = manual
    twin.handle("CP:STAT C")
    clock.t += 0.2
    model.command_contactor(True)
    clock.t += 0.2
    model.command_contactor(False)
    clock.t += 0.2
    assert twin.handle("MEAS:TIME:CONT?").startswith("ERR,-230,")


def test_reset_restores_the_safe_state(manual) -> None:
    _, model, twin = manual
    for line in ("CP:STAT E", "CP:DIOD:SHOR ON", "PE:OPEN ON", "LOAD:CURR 32", "LOAD:RAMP 5", "LOAD:FOLL OFF",
                 "RCD:DC 6", "RCD:AC 30"):
        assert twin.handle(line) == "OK", line
    assert twin.handle("*RST") == "OK"
    ev = model.ev
    assert (ev.state, ev.diode_shorted, ev.cp_pe_short, ev.pe_open, ev.forced_negative) == ("A", False, False, False, False)
    assert (model.load.max_current_a, model.residual_dc_ma, model.residual_ac_ma) == (0.0, 0.0, 0.0)
    assert model.load.follows_pwm is True and twin.handle("LOAD:FOLL?") == "1"
    assert twin.handle("MEAS:TIME:CONT?") == "NAN"


# --- the load's PWM follower and the timers on mains presence -------------------------------------
def _charging(clock: ManualClock, model: PhysicalModel, twin: EvSimulatorTwin) -> None:
    """EV in C drawing up to 20 A, the charger advertising 16 A with its contactor closed."""
    for line in ("LOAD:CURR 20", "CP:STAT C"):
        assert twin.handle(line) == "OK"
    model.set_pilot(PilotMode.PWM, 0.2667)
    model.command_contactor(True)
    clock.t += 1.0


def test_load_follow_off_draws_the_set_current_whatever_the_pwm(manual) -> None:
    """The overcurrent stimulus: an EV that ignores the PWM and draws LOAD:CURR."""
    clock, model, twin = manual
    _charging(clock, model, twin)
    assert float(twin.handle("MEAS:CURR?")) == pytest.approx(16.0, abs=0.05)
    assert (twin.handle("LOAD:FOLL OFF"), twin.handle("LOAD:FOLL?")) == ("OK", "0")
    clock.t += 0.5
    assert float(twin.handle("MEAS:CURR?")) == pytest.approx(20.0, abs=0.05)
    assert twin.handle("LOAD:FOLL ON") == "OK"
    clock.t += 0.5
    assert float(twin.handle("MEAS:CURR?")) == pytest.approx(16.0, abs=0.05)


def test_trip_timer_runs_from_the_residual_change_to_the_loss_of_mains(manual) -> None:
    clock, model, twin = manual
    _charging(clock, model, twin)
    start = clock.t
    assert twin.handle("RCD:DC 6") == "OK"
    assert twin.handle("RCD:AC 0") == "OK"  # no change of the residual current: the timer keeps its start
    assert twin.handle("MEAS:TIME:TRIP?") == "NAN"
    clock.t += 0.5
    model.command_contactor(False, at=start + 0.1)  # the firmware timestamps its trip in the past
    clock.t += 0.5  # the contacts opened long before anyone asks: timed from the contactor
    assert twin.handle("MEAS:TIME:TRIP?") == f"{(0.1 + model.contactor.open_delay_s) * 1000:.3f}"
    clock.t += 0.2
    assert twin.handle("RCD:DC 0") == "OK"  # a new residual change: no loss of mains after it yet
    assert twin.handle("MEAS:TIME:TRIP?") == "NAN"


def test_trip_timer_has_nothing_to_time_when_mains_was_already_absent(manual) -> None:
    """A residual current before the contactor closes (it must then stay open): no trip to time."""
    clock, model, twin = manual
    twin.handle("CP:STAT C")
    twin.handle("RCD:DC 30")
    clock.t += 2.0
    assert twin.handle("MEAS:MAIN?") == "0" and twin.handle("MEAS:TIME:TRIP?") == "NAN"


def test_trip_timer_counts_a_loss_of_the_supply(manual) -> None:
    clock, model, twin = manual
    _charging(clock, model, twin)
    twin.handle("RCD:AC 30")
    clock.t += 0.05
    model.set_mains(on=False)
    clock.t += 0.3
    assert twin.handle("MEAS:MAIN?") == "0" and twin.handle("MEAS:TIME:TRIP?") == "50.000"


def test_contactor_timer_sees_an_injected_weld_and_not_the_contacts_behind_it(manual) -> None:
    clock, model, twin = manual
    twin.handle("CP:STAT C")
    clock.t += 0.2
    model.set_contactor_fault(welded=True)  # a relay across the contactor: mains at the EV side now
    clock.t += 0.3
    assert twin.handle("MEAS:MAIN?") == "1" and twin.handle("MEAS:TIME:CONT?") == "200.000"
    twin.handle("CP:STAT B")
    clock.t += 0.1
    model.command_contactor(True)
    clock.t += 0.2
    model.command_contactor(False)  # the contacts moved twice, mains presence never changed
    clock.t += 0.2
    assert twin.handle("MEAS:TIME:CONT?") == "NAN"


def test_contactor_timer_sees_a_stuck_open_contactor_as_no_change(manual) -> None:
    clock, model, twin = manual
    model.set_contactor_fault(stuck_open=True)
    twin.handle("CP:STAT C")
    clock.t += 0.1
    model.command_contactor(True)
    clock.t += 0.5
    assert twin.handle("MEAS:MAIN?") == "0" and twin.handle("MEAS:TIME:CONT?") == "NAN"


def test_contactor_timer_sees_a_mains_cut(manual) -> None:
    clock, model, twin = manual
    _charging(clock, model, twin)
    twin.handle("CP:STAT B")
    clock.t += 0.1
    model.set_mains(on=False)
    clock.t += 0.4
    assert twin.handle("MEAS:TIME:CONT?") == "100.000"


def test_a_voltage_step_is_no_change_of_presence(manual) -> None:
    clock, model, twin = manual
    twin.handle("CP:STAT C")
    clock.t += 0.1
    model.set_mains(voltage_v=265.0)
    assert twin.handle("MEAS:TIME:CONT?") == "NAN"
    clock.t += 0.2
    model.command_contactor(True)
    clock.t += 0.2
    assert twin.handle("MEAS:TIME:CONT?") == f"{(0.3 + model.contactor.close_delay_s) * 1000:.3f}"


# --- through the transports -------------------------------------------------------------------
# One twin, one event loop and one driver connection for the module: pyserial's socket:// close()
# sleeps 0.3 s, so a connection per test would eat the time budget.  Each test starts from the
# safe state instead, forced rather than trusted.
@dataclass
class Loopback:
    model: PhysicalModel
    twin: EvSimulatorTwin
    port: int
    sim: AsciiEvSimulator
    loop: asyncio.AbstractEventLoop


@pytest.fixture(scope="module")
def loopback_twin() -> Iterator[Loopback]:
    model = PhysicalModel(DeviceClock(time_scale=50))
    twin = EvSimulatorTwin(model)
    with twin_on_loopback(twin) as (port, loop):
        sim = AsciiEvSimulator.open(f"socket://127.0.0.1:{port}", timeout_s=1.0)
        try:
            yield Loopback(model, twin, port, sim, loop)
        finally:
            sim.close()


@pytest.fixture
def twin_bench(loopback_twin: Loopback) -> Loopback:
    """The shared twin in the safe state: EV unplugged, no load, charger PWM off, contactor open."""
    loopback_twin.sim.reset()
    loopback_twin.model.set_pilot(PilotMode.DC_HIGH, 1.0)
    loopback_twin.model.command_contactor(False)
    wait_until("mains gone at the EV side", loopback_twin.sim.mains_present, lambda present: not present)
    return loopback_twin


def test_driver_over_socket_moves_the_charger_side(twin_bench: Loopback) -> None:
    sim, model = twin_bench.sim, twin_bench.model
    assert sim.identify() == IDN
    sim.reset()
    for state in ("B", "C", "D", "E", "F", "A"):
        sim.set_cp_state(state)
        assert model.adc()[0] == state, f"charger ADC after CP:STAT {state}"


def test_measure_cp_reflects_the_charger_pwm(twin_bench: Loopback) -> None:
    sim, model = twin_bench.sim, twin_bench.model
    sim.set_cp_state("C")
    model.set_pilot(PilotMode.PWM, 0.2667)  # 16 A advertised (field-facts §3)
    cp = sim.measure_cp()
    assert (cp.frequency_hz, cp.duty_percent, cp.high_v, cp.low_v) == (1000.0, 26.67, 6.0, -12.0)
    sim.set_diode_short(True)
    assert sim.measure_cp().low_v == pytest.approx(-12.0 * 882 / 1882, abs=0.005)
    model.set_pilot(PilotMode.DC_HIGH, 1.0)
    assert sim.measure_cp().duty_percent == 100.0


def test_contactor_delay_measured_in_device_time(twin_bench: Loopback) -> None:
    sim, model = twin_bench.sim, twin_bench.model
    before = model.clock.now()
    sim.set_cp_state("C")
    after = model.clock.now()
    assert sim.contactor_delay_ms() is None
    wait_until("0.3 device s to pass", model.clock.now, lambda t: t >= after + 0.3)
    t1 = model.clock.now()
    model.command_contactor(True)  # as the charger would
    t2 = model.clock.now()
    wait_until("mains present at the EV side", sim.mains_present, bool)
    delay_ms = sim.contactor_delay_ms()
    close_s = model.contactor.close_delay_s
    assert delay_ms is not None
    assert (t1 - after + close_s) * 1000 <= delay_ms <= (t2 - before + close_s) * 1000, (
        f"delay {delay_ms} ms outside the bracket [{(t1 - after + close_s) * 1000:.3f}, "
        f"{(t2 - before + close_s) * 1000:.3f}] ms")


def test_load_current_follows_pwm_once_mains_present(twin_bench: Loopback) -> None:
    sim, model = twin_bench.sim, twin_bench.model
    sim.set_load_current(32.0, ramp_a_per_s=200.0)
    sim.set_cp_state("C")
    model.set_pilot(PilotMode.PWM, 0.2667)
    model.command_contactor(True)
    wait_until("mains present", sim.mains_present, bool)
    current = wait_until("the EV drawing the advertised 16 A", sim.load_current_a, lambda a: abs(a - 16.0) < 0.05)
    assert current == pytest.approx(model.electrical().current_a, abs=0.5)
    sim.inject_residual_current(dc_ma=6.0)
    assert model.residual_current_ma() == (6.0, 0.0)


def test_overdraw_and_trip_timer_over_the_socket(twin_bench: Loopback) -> None:
    sim, model = twin_bench.sim, twin_bench.model
    sim.set_load_current(32.0, ramp_a_per_s=1000.0)
    sim.set_cp_state("C")
    model.set_pilot(PilotMode.PWM, 0.2667)  # 16 A advertised
    model.command_contactor(True)
    wait_until("the EV drawing the advertised 16 A", sim.load_current_a, lambda a: abs(a - 16.0) < 0.05)
    sim.set_overdraw(20.0)
    wait_until("the EV overdrawing 20 A", sim.load_current_a, lambda a: abs(a - 20.0) < 0.05)
    sim.set_overdraw(None)  # follows again, within the 32 A asked before
    wait_until("the EV back at the advertised 16 A", sim.load_current_a, lambda a: abs(a - 16.0) < 0.05)
    assert model.load.max_current_a == 32.0
    sim.inject_residual_current(dc_ma=6.0)
    assert sim.trip_time_ms() is None
    model.command_contactor(False)  # as a tripping charger would
    wait_until("mains gone at the EV side", sim.mains_present, lambda present: not present)
    trip = sim.trip_time_ms()
    assert trip is not None and trip >= model.contactor.open_delay_s * 1000


def test_device_time_is_the_model_clock(twin_bench: Loopback) -> None:
    before = twin_bench.model.clock.now()
    device = twin_bench.sim.device_time_s()
    assert before <= device <= twin_bench.model.clock.now()


def test_errors_over_the_socket_keep_the_link_in_sync(twin_bench: Loopback) -> None:
    with pytest.raises(EvSimulatorError) as info:
        twin_bench.sim.set_load_current(100.0)
    assert info.value.code == -222
    assert twin_bench.sim.identify() == IDN


def test_reachable_through_pyvisa_py(twin_bench: Loopback) -> None:
    pyvisa = pytest.importorskip("pyvisa")
    rm = pyvisa.ResourceManager("@py")
    try:
        inst = rm.open_resource(f"ASRLsocket://127.0.0.1:{twin_bench.port}::INSTR",
                                read_termination="\n", write_termination="\n", timeout=2000)
        try:
            assert inst.query("*IDN?") == IDN
        finally:
            inst.close()
    finally:
        rm.close()


def test_stopped_twin_is_a_connection_error(loopback_twin: Loopback) -> None:
    """A twin that goes away mid-session is a bench fault at the next command, not a hang."""
    loop = loopback_twin.loop
    twin = EvSimulatorTwin(loopback_twin.model)
    port = asyncio.run_coroutine_threadsafe(twin.start(), loop).result(timeout=2)
    sim = AsciiEvSimulator.open(f"socket://127.0.0.1:{port}", timeout_s=1.0)
    try:
        assert sim.identify() == IDN  # the connection is up and served
        asyncio.run_coroutine_threadsafe(twin.stop(), loop).result(timeout=2)
        with pytest.raises(EvSimulatorConnectionError, match="socket disconnected"):
            sim.identify()
    finally:
        sim.close()


def test_cp_levels_are_the_1k_divider_not_ideal_levels() -> None:
    """IEC 61851-1 Annex A: the EVSE's ±12 V drives the EV's resistor and diode through ~1 kΩ, so each
    level is a divider: the nominal 9/6/3 V with a 12 V source, lower with a low source, and a shorted
    diode pulls the negative half (and state F) towards 0 V instead of leaving an ideal −12 V."""
    from simulator.physics.control_pilot import EvSideLoad, PilotGenerator, line_levels

    pwm = PilotGenerator(mode=PilotMode.PWM, duty=0.5)
    for state, nominal in (("A", 12.0), ("B", 9.0), ("C", 6.0), ("D", 3.0)):
        assert line_levels(pwm, EvSideLoad(state=state)).high_v == pytest.approx(nominal, abs=0.1), state
    low_source = PilotGenerator(mode=PilotMode.PWM, duty=0.5, source_v=11.5)
    levels = line_levels(low_source, EvSideLoad(state="C"))
    assert levels.low_v == -11.5 and levels.high_v == pytest.approx(11.5 - 10.8 / 1882 * 1000, abs=1e-6)
    shorted = EvSideLoad(state="C", diode_shorted=True)
    assert line_levels(pwm, shorted).low_v == pytest.approx(-12.0 * 882 / 1882)
    f_drive = PilotGenerator(mode=PilotMode.DC_NEGATIVE)
    assert line_levels(f_drive, shorted).high_v == pytest.approx(-12.0 * 882 / 1882)
    assert line_levels(f_drive, EvSideLoad(state="C")).high_v == -12.0  # a working diode blocks


def test_meter_window_lags_a_change_of_current() -> None:
    """A charger's meter reports the mean over its own window: half a window after a step it reads
    half the step, a whole window after it the new value."""
    from simulator.clock import DeviceClock
    from simulator.physics.model import PhysicalModel

    class ManualClock(DeviceClock):
        t = 0.0

        def now(self) -> float:
            return self.t

    clock = ManualClock()
    model = PhysicalModel(clock)
    model._amp_s = 0.0
    for step in range(1, 301):  # 3 s at 10 ms: 0 A for 1 s, then 10 A
        clock.t = step * 0.01
        model.load.current_a = 10.0 if clock.t > 1.0 else 0.0
        model._amp_s += model.load.current_a * 0.01
        model._history.append((clock.t, model._volt_s, model._amp_s, model._energy_wh))
        model._t = clock.t
    clock.t = 1.5
    assert model._integrals_at(1.5)[2] == pytest.approx(5.0, abs=0.2)
    clock.t = 3.0
    assert model.electrical_mean(1.0).current_a == pytest.approx(10.0, abs=0.01)
