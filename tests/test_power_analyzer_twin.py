"""Tests of the power analyzer twin: its SCPI behaviour, and the real driver against it.

Two layers. ``handle()`` tests drive the twin line by line on a hand-stepped clock, so averaging
windows, over-range and integration can be checked exactly against the model. Transport tests
serve the twin on loopback (its own event loop in a background thread, as on the virtual bench)
and open it through pyvisa-py with the real driver, both as a raw socket and as a pyserial URL.
"""
from __future__ import annotations

import math
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import pytest

from instruments.power_analyzer import (
    InstrumentConnectionError,
    InstrumentError,
    InvalidReading,
    PowerAnalyzer,
)
from simulator.clock import DeviceClock
from simulator.physics import PhysicalModel
from simulator.physics.control_pilot import PilotMode
from tests.scpi_twins import ManualClock
from tests.twin_loop import twin_on_loopback
from simulator.twins.power_analyzer import PowerAnalyzerTwin
from simulator.twins.scpi_parser import format_nr3

T = TypeVar("T")
NO_ERROR = '0,"No error"'


def charge(model: PhysicalModel, amps: float = 16.0) -> None:
    """EV in C, PWM advertising ``amps``, contactor closed."""
    model.set_ev_state("C")
    model.set_pilot(PilotMode.PWM, amps / 60.0)
    model.command_contactor(True)


@dataclass
class Stepped:
    clock: ManualClock
    model: PhysicalModel
    twin: PowerAnalyzerTwin

    def run_to(self, t: float, step: float = 0.05) -> None:
        """Move device time to ``t``, sampling as the served twin's background sampler does."""
        while self.clock.t < t - 1e-12:
            self.clock.t = min(self.clock.t + step, t)
            self.twin.sample()

    def ask(self, line: str) -> str | None:
        return self.twin.handle(line)

    def values(self, line: str = ":NUM:NORM:VAL?") -> list[float]:
        reply = self.ask(line)
        assert reply is not None
        return [float(v) if v not in ("NAN", "INF") else {"NAN": math.nan, "INF": math.inf}[v]
                for v in reply.split(",")]

    def errors(self) -> list[str]:
        entries = []
        while (entry := self.ask(":STAT:ERR?")) != NO_ERROR:
            assert entry is not None
            entries.append(entry)
        return entries


@pytest.fixture
def bench() -> Stepped:
    clock = ManualClock()
    model = PhysicalModel(clock)  # type: ignore[arg-type]  # duck-typed DeviceClock
    stepped = Stepped(clock, model, PowerAnalyzerTwin(model))
    stepped.ask(":COMM:HEAD OFF")
    return stepped


# --- SCPI behaviour ------------------------------------------------------------------------------
def test_identifies_as_virtual(bench: Stepped) -> None:
    manufacturer, model, serial, firmware = (bench.ask("*IDN?") or "").split(",")
    assert (manufacturer, model, firmware) == ("YOKOGAWA", "WT310EH", "F1.03") and "VIRTUAL" in serial


def test_headers_until_turned_off_and_verbose_tokens() -> None:
    twin = PowerAnalyzerTwin(PhysicalModel(ManualClock()))  # type: ignore[arg-type]
    assert twin.handle(":rate?") == ":RATE 250.00E-03"
    assert twin.handle("*IDN?") == "YOKOGAWA,WT310EH,VIRTUAL01,F1.03"  # common queries never carry one
    assert twin.handle(":COMMUNICATE:HEADER OFF;:RATE?;:INTEG:STAT?") == "250.00E-03;RES"
    assert twin.handle(":COMM:VERB ON;:INTEG:STAT?;:NUM:NORM:ITEM6?") == "RESET;LAMBDA,1"


@pytest.mark.parametrize(("line", "error"), [
    ("BOGUS 1", '-113,"Undefined header"'),
    (":NUM:NORM:VAL 1", '-113,"Undefined header"'),      # query only
    (":RATE 0.3", '-224,"Illegal parameter value"'),
    (":RATE fast", '-104,"Data type error"'),
    (":INP:VOLT:RANG 250", '-224,"Illegal parameter value"'),
    (":INP:CURR:RANG 0.5", '-224,"Illegal parameter value"'),  # a WT310EH starts at 1 A
    (":NUM:NORM:ITEM1 VOLTS", '-224,"Illegal parameter value"'),
    (":NUM:NORM:ITEM1 U,2", '-224,"Illegal parameter value"'),   # one element only
    (":NUM:NORM:ITEM256 U", '-114,"Header suffix out of range"'),
    (":NUM:NORM:NUM 0", '-224,"Illegal parameter value"'),
    (":INTEG:TIM 0,60,0", '-224,"Illegal parameter value"'),
    (":INTEG:TIM 1,2", '-109,"Missing parameter"'),
    (":INTEG:MODE CONT;:INTEG:STAR", '-221,"Settings conflict"'),  # continuous needs a timer
])
def test_errors_are_queued(bench: Stepped, line: str, error: str) -> None:
    assert bench.ask(line) is None
    assert bench.errors() == [error]


def test_reset_clear_and_opc(bench: Stepped) -> None:
    bench.ask(":RATE 1;:INP:VOLT:RANG 300;:NUM:NORM:NUM 2;:BOGUS")
    assert bench.ask("*OPC?") == "1"
    bench.ask("*RST;*CLS")
    assert bench.ask(":STAT:ERR?") == NO_ERROR
    assert bench.ask(":RATE?;:INP:VOLT:AUTO?;:NUM:NORM:NUM?") == "250.00E-03;1;10"


def test_fixed_range_turns_auto_off(bench: Stepped) -> None:
    bench.run_to(1.0)
    assert bench.ask(":INP:VOLT:AUTO?;:INP:VOLT:RANG?") == "1;300.00E+00"  # auto: smallest range holding 230 V
    bench.ask(":INP:VOLT:RANG 600")
    assert bench.ask(":INP:VOLT:AUTO?;:INP:VOLT:RANG?") == "0;600.00E+00"


def test_items_can_be_set_and_read_back(bench: Stepped) -> None:
    bench.ask(":NUM:NORM:ITEM3 lambda,1;ITEM4 TIME;ITEM5 NONE")
    assert bench.ask(":NUM:NORM:ITEM3?;ITEM4?;ITEM5?") == "LAMB,1;TIME,1;NONE"


# --- values from the model -----------------------------------------------------------------------
def test_values_follow_the_model(bench: Stepped) -> None:
    charge(bench.model)
    bench.run_to(10.0)
    truth = bench.model.electrical()
    u, i, p, s, q, lam, phi, fu, fi, none = bench.values()
    assert u == pytest.approx(truth.voltage_v, rel=1e-3) and i == pytest.approx(16.0, rel=1e-4)
    assert p == pytest.approx(u * i, rel=1e-4) and s == pytest.approx(p, rel=1e-4)
    assert (q, lam, phi, fu, fi) == (0.0, pytest.approx(1.0, abs=1e-4), 0.0, 50.0, 50.0)
    assert math.isnan(none)


def test_values_are_averages_over_the_last_completed_update(bench: Stepped) -> None:
    bench.ask(":RATE 1;:NUM:NORM:NUM 1;ITEM1 I")
    charge(bench.model)
    bench.run_to(5.0)
    bench.model.command_contactor(False)  # current stops 20 ms later
    bench.run_to(5.9)
    assert bench.values() == [pytest.approx(16.0)]  # [4, 5]: not yet the present zero
    bench.run_to(6.9)
    (partial,) = bench.values()                      # [5, 6]: 16 A for ~20 ms of the second
    assert 0.0 < partial < 16.0 * 0.1
    bench.run_to(7.9)
    assert bench.values() == [0.0]


def test_no_data_before_the_first_update_reads_nan(bench: Stepped) -> None:
    bench.run_to(0.2)
    assert all(math.isnan(v) for v in bench.values())
    bench.run_to(0.3)
    assert bench.values()[0] == pytest.approx(230.0, abs=0.5)


def test_idle_power_factor_and_current_frequency_have_no_value(bench: Stepped) -> None:
    bench.run_to(1.0)
    _, i, p, _, _, lam, phi, fu, fi, _ = bench.values()
    assert (i, p, fu) == (0.0, 0.0, 50.0) and all(math.isnan(v) for v in (lam, phi, fi))


@pytest.mark.parametrize(("setting", "over"), [
    (":INP:VOLT:RANG 150", {"U", "P", "S", "Q", "LAMBda", "PHI"}),   # 230 V > 150 V × 1.4
    (":INP:CURR:RANG 10", {"I", "P", "S", "Q", "LAMBda", "PHI"}),    # 16 A > 10 A × 1.4
    (":INP:CURR:RANG 20", set()),                                    # 16 A < 20 A × 1.4
])
def test_over_range_reads_inf(bench: Stepped, setting: str, over: set[str]) -> None:
    charge(bench.model)
    bench.run_to(5.0)
    bench.ask(setting)
    names = ("U", "I", "P", "S", "Q", "LAMBda", "PHI", "FU", "FI")
    values = dict(zip(names, bench.values(":NUM:NORM:NUM 9;VAL?")))
    assert {name for name, value in values.items() if math.isinf(value)} == over


def test_eesr_flags_each_new_update(bench: Stepped) -> None:
    bench.run_to(1.0)
    assert bench.ask(":STAT:FILT1 FALL;:STAT:EESR?;:STAT:EESR?") == "1;0"
    bench.run_to(1.25)
    assert bench.ask(":STAT:EESR?") == "1"


# --- integration -----------------------------------------------------------------------------------
INTEGRATION = ":NUM:NORM:NUM 3;ITEM1 WH;ITEM2 TIME;ITEM3 AH"


def test_integration_items_read_nan_until_started(bench: Stepped) -> None:
    bench.run_to(1.0)
    assert all(math.isnan(v) for v in bench.values(INTEGRATION + ";VAL?"))


def test_integration_accumulates_the_models_energy(bench: Stepped) -> None:
    bench.ask(INTEGRATION)
    charge(bench.model)
    bench.run_to(2.0)
    energy_at_start = bench.model.electrical().energy_wh
    bench.ask(":INTEG:RES;:INTEG:STAR")
    bench.run_to(12.0)
    energy_at_end = bench.model.electrical().energy_wh
    wh, seconds, ah = bench.values()
    assert seconds == pytest.approx(10.0)
    assert wh == pytest.approx(energy_at_end - energy_at_start, rel=5e-5)  # 5 significant digits
    assert wh == pytest.approx(230.0 * 16.0 * 10.0 / 3600.0, rel=3e-3)  # mains ripple ±0.4 V
    assert ah == pytest.approx(16.0 * 10 / 3600, rel=5e-5)
    bench.ask(":INTEG:STOP")
    bench.run_to(20.0)
    assert bench.ask(":INTEG:STAT?") == "STOP"
    assert bench.values() == [wh, seconds, ah]  # held after stop
    bench.ask(":INTEG:STAR")                       # a restart continues the total
    bench.run_to(25.0)
    assert bench.values()[1] == pytest.approx(15.0)
    bench.ask(":INTEG:STOP;:INTEG:RES")
    assert bench.ask(":INTEG:STAT?") == "RES" and all(math.isnan(v) for v in bench.values())


@pytest.mark.parametrize(("line", "code"), [
    (":INTEG:STOP", 844), (":INTEG:STAR;:INTEG:STAR", 842), (":INTEG:STAR;:INTEG:RES", 845),
    (":INTEG:STAR;:RATE 1", 813), (":INTEG:STAR;:INTEG:MODE CONT", 813), (":INTEG:STAR;:INTEG:TIM 0,0,5", 813),
    (":INTEG:STAR;:INP:VOLT:RANG 300", 813), (":INTEG:STAR;:INP:CURR:AUTO OFF", 813),
])
def test_integration_misuse(bench: Stepped, line: str, code: int) -> None:
    bench.ask(line)
    (error,) = bench.errors()
    assert error.startswith(f"{code},")


def test_normal_mode_timer_stops_integration(bench: Stepped) -> None:
    bench.ask(INTEGRATION + ";:INTEG:MODE NORM;TIM 0,0,5")
    charge(bench.model)
    bench.run_to(2.0)
    bench.ask(":INTEG:STAR")
    bench.run_to(9.93, step=0.07)  # the timer runs out between samples
    assert bench.ask(":INTEG:STAT?") == "TIME"
    wh, seconds, _ = bench.values()
    assert seconds == pytest.approx(5.0) and wh == pytest.approx(230.0 * 16.0 * 5 / 3600, rel=2e-3)
    bench.ask(":INTEG:STAR")
    assert bench.errors() == ['842,"Integration already started"']


def test_continuous_mode_restarts_each_timer_period(bench: Stepped) -> None:
    bench.ask(INTEGRATION + ";:INTEG:MODE CONT;TIM 0,0,5")
    bench.run_to(2.0)
    bench.ask(":INTEG:STAR")
    bench.run_to(13.1)
    assert bench.ask(":INTEG:STAT?") == "STAR"
    assert bench.values()[1] == pytest.approx(1.0)  # third cycle began at 12 s; last update ended at 13 s


# --- the real driver over real transports --------------------------------------------------------
@dataclass
class Served:
    model: PhysicalModel
    twin: PowerAnalyzerTwin
    port: int


@pytest.fixture
def served() -> Iterator[Served]:
    """The twin on loopback, in its own event loop on a background thread (the driver blocks)."""
    model = PhysicalModel(DeviceClock(time_scale=50))
    twin = PowerAnalyzerTwin(model)
    with twin_on_loopback(twin) as (port, _loop):
        yield Served(model, twin, port)


def wait_for(read: Callable[[], T], until: Callable[[T], bool], what: str, timeout_s: float = 2.0,
             ignoring: tuple[type[Exception], ...] = ()) -> T:
    """Poll ``read`` until ``until`` holds; on timeout say what was awaited and what was last seen.

    Exceptions in ``ignoring`` count as "not yet" (e.g. NAN before the analyzer's first update).
    """
    deadline = time.monotonic() + timeout_s
    last: object = None
    while True:
        try:
            value = read()
            if until(value):
                return value
            last = value
        except ignoring as error:
            last = error
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout_s} s for {what}; last seen {last!r}")
        time.sleep(0.002)


ITEMS = ["U", "I", "P", "S", "LAMBda", "FU", "FI", "WH", "TIME"]


def test_driver_over_visa_socket_follows_the_model(served: Served) -> None:
    with PowerAnalyzer.open(f"TCPIP::127.0.0.1::{served.port}::SOCKET") as analyzer:
        identity = analyzer.identification
        assert (identity.manufacturer, identity.model, identity.serial) == ("YOKOGAWA", "WT310EH", "VIRTUAL01")
        analyzer.configure_items(ITEMS)
        analyzer.integration_reset()
        charge(served.model)
        wait_for(lambda: analyzer.read_item("I"), lambda i: abs(i - 16.0) < 0.01, "I ≈ 16 A",
                 ignoring=(InvalidReading,))

        energy_before = served.model.electrical().energy_wh
        analyzer.integration_start()
        reading = wait_for(analyzer.read, lambda r: (r.integration_time_s or 0) >= 5.0, "5 s of integration")
        assert reading.power_w == pytest.approx(reading.voltage_v * reading.current_a, rel=1e-3)
        assert reading.apparent_power_va == pytest.approx(reading.power_w, rel=1e-3)
        assert (reading.power_factor, reading.frequency_hz) == (pytest.approx(1.0, abs=1e-3), 50.0)
        assert reading.energy_wh == pytest.approx(reading.power_w * reading.integration_time_s / 3600, rel=0.01)

        analyzer.integration_stop()
        energy_after = served.model.electrical().energy_wh
        assert analyzer.integration_state == "stopped"
        held = analyzer.energy_wh()
        # The twin's start/stop lie inside [before, after]: only the round trips' energy separates them.
        assert reading.energy_wh <= held <= (energy_after - energy_before) * (1 + 5e-5)
        assert held == pytest.approx(energy_after - energy_before, rel=0.03)


def test_reachable_as_a_visa_serial_resource_through_a_pyserial_url(served: Served) -> None:
    with PowerAnalyzer.open(f"ASRLsocket://127.0.0.1:{served.port}::INSTR") as analyzer:
        assert analyzer.identification.serial == "VIRTUAL01"
        analyzer.configure_items(["U", "FU"])
        reading = wait_for(analyzer.read, lambda r: True, "a first update", ignoring=(InvalidReading,))
        assert reading.voltage_v == pytest.approx(230.0, abs=0.5) and reading.frequency_hz == 50.0


def test_no_value_and_rejected_settings_fail_loudly_end_to_end(served: Served) -> None:
    with PowerAnalyzer.open(f"TCPIP::127.0.0.1::{served.port}::SOCKET") as analyzer:
        analyzer.configure_items()
        wait_for(lambda: analyzer.read_item("U"), lambda u: True, "a first update", ignoring=(InvalidReading,))
        with pytest.raises(InvalidReading) as no_value:
            analyzer.read()  # idle: no current, so λ has no value
        assert (no_value.value.item, no_value.value.raw) == ("LAMBda", "NAN")
        analyzer.configure_items(["U"])
        analyzer.voltage_range = 150
        with pytest.raises(InvalidReading, match="INF"):
            wait_for(analyzer.read, lambda r: False, "an over-range voltage", timeout_s=1.0)
        analyzer.integration_start()
        with pytest.raises(InstrumentError) as error:
            analyzer.integration_start()
        assert (error.value.code, error.value.command) == (842, ":INTEG:STAR")


def test_silent_instrument_is_a_connection_error(served: Served) -> None:
    with PowerAnalyzer.open(f"TCPIP::127.0.0.1::{served.port}::SOCKET", timeout_s=0.2) as analyzer:
        with pytest.raises(InstrumentConnectionError, match=":RATE 1"):
            analyzer.query(":RATE 1")  # a set command: the instrument never answers


def test_nothing_listening_is_a_connection_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(InstrumentConnectionError):
        PowerAnalyzer.open(f"TCPIP::127.0.0.1::{port}::SOCKET", timeout_s=0.5)


# --- the twin as the instrument its identity names ------------------------------------------------
IDN_E_NEW = "YOKOGAWA,WT310E,VIRTUAL02,F2.00"


def stepped(identity: str = "YOKOGAWA,WT310EH,VIRTUAL01,F1.03", option: str = "EX1") -> Stepped:
    clock = ManualClock()
    model = PhysicalModel(clock)  # type: ignore[arg-type]  # duck-typed DeviceClock
    twin = Stepped(clock, model, PowerAnalyzerTwin(model, identity, external_sensor_option=option))
    twin.ask(":COMM:HEAD OFF")
    return twin


@pytest.mark.parametrize(("identity", "accepted", "refused"), [
    ("YOKOGAWA,WT310E,VIRTUAL02,F1.03", (0.005, 0.5, 20), (40, 0.025)),
    ("YOKOGAWA,WT310EH,VIRTUAL01,F1.03", (1, 20, 40), (0.5, 0.005)),
])
def test_current_ranges_follow_the_model(identity: str, accepted: tuple[float, ...],
                                         refused: tuple[float, ...]) -> None:
    bench = stepped(identity)
    for amps in accepted:
        assert bench.ask(f":INP:CURR:RANG {amps};:INP:CURR:RANG?") == format_nr3(float(amps))
    for amps in refused:
        bench.ask(f":INP:CURR:RANG {amps}")
        assert bench.errors() == ['-224,"Illegal parameter value"']


@pytest.mark.parametrize(("identity", "largest"), [("YOKOGAWA,WT310E,VIRTUAL02,F1.03", "20.000E+00"),
                                                   ("YOKOGAWA,WT310EH,VIRTUAL01,F1.03", "40.000E+00")])
def test_reset_restores_the_models_largest_direct_range(identity: str, largest: str) -> None:
    bench = stepped(identity)
    bench.ask(":INP:CURR:RANG 1;:INP:CURR:SRAT 100;:INP:CURR:RANG EXT,5")
    bench.ask("*RST;:INP:CURR:AUTO OFF")
    assert bench.ask(":INP:CURR:RANG?;:INP:CURR:SRAT?") == f"{largest};10.000E+00"


@pytest.mark.parametrize(("identity", "header", "undefined"), [
    ("YOKOGAWA,WT310EH,VIRTUAL01,F1.03", ":RATE", ":SAMP:RATE"),
    ("YOKOGAWA,WT310EH,VIRTUAL01,F1.99", ":RATE", ":SAMPLE:RATE"),
    (IDN_E_NEW, ":SAMP:RATE", ":RATE"),
    ("YOKOGAWA,WT310E,VIRTUAL02,F2.10", ":SAMPLE:RATE", ":RATE"),
])
def test_only_the_firmwares_rate_command_exists(identity: str, header: str, undefined: str) -> None:
    bench = stepped(identity)
    assert bench.ask(f"{header} 1;{header}?") == "1.0000E+00"
    for line in (f"{undefined} 0.5", f"{undefined}?"):
        assert bench.ask(line) is None
        assert bench.errors() == ['-113,"Undefined header"']
    assert bench.ask(f"{header}?") == "1.0000E+00"


def test_rate_reply_header_names_the_firmwares_command() -> None:
    twin = PowerAnalyzerTwin(PhysicalModel(ManualClock()), IDN_E_NEW)  # type: ignore[arg-type]
    assert twin.handle(":samp:rate?") == ":SAMP:RATE 250.00E-03"


@pytest.mark.parametrize("identity", ["YOKOGAWA,WT333E,VIRTUAL03,F1.03", "YOKOGAWA,WT310E,VIRTUAL02,beta",
                                      "YOKOGAWA,WT310E"])
def test_identity_the_twin_cannot_be_is_refused(identity: str) -> None:
    with pytest.raises(ValueError):
        PowerAnalyzerTwin(PhysicalModel(ManualClock()), identity)  # type: ignore[arg-type]


@pytest.mark.parametrize(("option", "setting", "reply"), [
    ("EX1", "EXT,2.5", "EXT,2.5000E+00"),
    ("EX1", "external,10V", "EXT,10.000E+00"),
    ("EX2", "EXT,200MV", "EXT,200.00E-03"),
    ("EX2", "EXT,0.05", "EXT,50.000E-03"),
])
def test_external_sensor_range_is_set_in_volts(option: str, setting: str, reply: str) -> None:
    bench = stepped(option=option)
    assert bench.ask(f":INP:CURR:RANG {setting};:INP:CURR:RANG?;:INP:CURR:AUTO?") == f"{reply};0"
    assert bench.errors() == []


@pytest.mark.parametrize(("option", "line"), [
    ("EX1", ":INP:CURR:RANG EXT,0.2"),    # an /EX2 range on an /EX1 input
    ("EX2", ":INP:CURR:RANG EXT,5"),
    ("EX1", ":INP:CURR:RANG INT,5"),
    ("EX1", ":INP:CURR:SRAT 0"),
    ("EX1", ":INP:CURR:SRAT 10000"),
])
def test_illegal_sensor_settings_are_queued(option: str, line: str) -> None:
    bench = stepped(option=option)
    bench.ask(line)
    assert bench.errors() == ['-224,"Illegal parameter value"']


def test_verbose_external_range_reply() -> None:
    bench = stepped()
    assert bench.ask(":INP:CURR:RANG EXT,5;:COMM:VERB ON;:INP:CURR:RANG?") == "EXTERNAL,5.0000E+00"


@pytest.mark.parametrize(("ratio", "range_v", "over"), [
    (10.0, "2.5", False),     # 16 A × 10 mV/A = 0.16 V on 2.5 V
    (100.0, "2.5", False),    # 1.6 V on 2.5 V
    (250.0, "2.5", True),     # 4 V > 2.5 V × 1.4
    (250.0, "5", False),
])
def test_external_sensor_readings_stay_in_amps_and_over_range_on_volts(ratio: float, range_v: str,
                                                                        over: bool) -> None:
    bench = stepped()
    bench.ask(f":INP:CURR:SRAT {ratio:g};:INP:CURR:RANG EXT,{range_v};:NUM:NORM:NUM 3;ITEM1 U;ITEM2 I;ITEM3 P")
    charge(bench.model)
    bench.run_to(5.0)
    u, i, p = bench.values()
    if over:
        assert math.isinf(i) and math.isinf(p)
    else:
        assert i == pytest.approx(16.0, rel=1e-4) and p == pytest.approx(u * i, rel=1e-4)


def test_external_sensor_auto_range_picks_among_its_voltage_ranges() -> None:
    bench = stepped(option="EX2")
    bench.ask(":INP:CURR:SRAT 10;:INP:CURR:RANG EXT,2;:INP:CURR:AUTO ON")
    charge(bench.model)
    bench.run_to(5.0)
    assert bench.ask(":INP:CURR:RANG?") == "EXT,200.00E-03"  # 16 A → 160 mV


def test_sensor_ratio_is_not_changed_during_integration() -> None:
    bench = stepped()
    bench.ask(":INTEG:STAR;:INP:CURR:SRAT 5")
    (error,) = bench.errors()
    assert error.startswith("813,")


@pytest.fixture
def served_wt310e() -> Iterator[Served]:
    """A WT310E (20 A direct input) on firmware F2.00, with an /EX1 sensor input, on loopback."""
    model = PhysicalModel(DeviceClock(time_scale=50))
    twin = PowerAnalyzerTwin(model, IDN_E_NEW, external_sensor_option="EX1")
    with twin_on_loopback(twin) as (port, _loop):
        yield Served(model, twin, port)


def test_driver_against_a_wt310e_twin_with_newer_firmware(served_wt310e: Served) -> None:
    with PowerAnalyzer.open(f"TCPIP::127.0.0.1::{served_wt310e.port}::SOCKET") as analyzer:
        assert (analyzer.identity.model, analyzer.rate_command) == ("WT310E", ":SAMP:RATE")
        analyzer.update_rate_s = 0.5
        assert analyzer.update_rate_s == 0.5
        assert analyzer.set_current_range_for(16) == 20.0
        with pytest.raises(ValueError, match="external current sensor is needed"):
            analyzer.set_current_range_for(32)

        assert analyzer.use_external_sensor(100) == pytest.approx(100.0)   # 10 V at 100 mV/A
        assert analyzer.set_current_range_for(16) == pytest.approx(25.0)   # 2.5 V
        assert analyzer.current_range_a() == pytest.approx(25.0)
        analyzer.configure_items(["I"])
        charge(served_wt310e.model)
        wait_for(lambda: analyzer.read_item("I"), lambda i: abs(i - 16.0) < 0.01, "I ≈ 16 A through the sensor",
                 ignoring=(InvalidReading,))
