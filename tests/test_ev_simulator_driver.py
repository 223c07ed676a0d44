"""The ASCII EV simulator driver, by exact command/reply pairs (no twin, no hardware).

Each test scripts the lines the driver must send and the replies the instrument gives; an
unexpected or missing command fails the test, so the driver's wire format is pinned down.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from instruments.charger_rpc.errors import BenchFault
from instruments.ev_simulator import (
    AsciiEvSimulator,
    CpMeasurement,
    EvSimulator,
    EvSimulatorConnectionError,
    EvSimulatorError,
    EvSimulatorReplyError,
)

TIMEOUT = None  # a scripted reply of None: the instrument stays silent (readline returns b"")


class ScriptedSerial:
    """A pyserial stand-in that checks each written line against a script of (command, reply)."""

    def __init__(self, script: list[tuple[str, str | bytes | None]]) -> None:
        self.script = list(script)
        self.sent: list[str] = []
        self.closed = False
        self.input_resets = 0
        self._pending: bytes | None = None

    def write(self, data: bytes) -> int:
        assert data.endswith(b"\n"), f"command not newline-terminated: {data!r}"
        line = data[:-1].decode("ascii")
        assert "\n" not in line, f"several lines in one write: {data!r}"
        assert self.script, f"unexpected command {line!r}; already sent {self.sent}"
        expected, reply = self.script.pop(0)
        assert line == expected, f"sent {line!r}, script expected {expected!r}; already sent {self.sent}"
        self.sent.append(line)
        if reply is None:
            self._pending = b""
        elif isinstance(reply, bytes):
            self._pending = reply
        else:
            self._pending = reply.encode("ascii") + b"\n"
        return len(data)

    def readline(self) -> bytes:
        assert self._pending is not None, "read without a command"
        data, self._pending = self._pending, None
        return data

    def reset_input_buffer(self) -> None:
        self.input_resets += 1

    def close(self) -> None:
        self.closed = True


@contextmanager
def scripted(script: list[tuple[str, str | bytes | None]]) -> Iterator[AsciiEvSimulator]:
    port = ScriptedSerial(script)
    sim = AsciiEvSimulator(port)
    yield sim
    assert not port.script, f"commands never sent: {[c for c, _ in port.script]}"


def test_adapter_satisfies_the_interface() -> None:
    assert isinstance(AsciiEvSimulator(ScriptedSerial([])), EvSimulator)


def test_identify_and_reset() -> None:
    with scripted([("*IDN?", "ACME,EVSIM-1,42,2.1"), ("*RST", "OK")]) as sim:
        assert sim.identify() == "ACME,EVSIM-1,42,2.1"
        sim.reset()


@pytest.mark.parametrize("state", ["A", "B", "C", "D", "E", "F"])
def test_set_cp_state_sends_the_letter(state: str) -> None:
    with scripted([(f"CP:STAT {state}", "OK")]) as sim:
        sim.set_cp_state(state.lower())


def test_set_cp_state_refuses_unknown_letter_before_sending() -> None:
    with scripted([]) as sim, pytest.raises(ValueError, match="A, B, C, D, E, F"):
        sim.set_cp_state("G")


@pytest.mark.parametrize(("call", "command"), [
    (lambda s: s.set_diode_short(True), "CP:DIOD:SHOR ON"),
    (lambda s: s.set_diode_short(False), "CP:DIOD:SHOR OFF"),
    (lambda s: s.set_pe_open(True), "PE:OPEN ON"),
    (lambda s: s.set_pe_open(False), "PE:OPEN OFF"),
    (lambda s: s.set_load_current(16), "LOAD:CURR 16"),
    (lambda s: s.set_load_current(6.5), "LOAD:CURR 6.5"),
], ids=["diode-on", "diode-off", "pe-open", "pe-closed", "load-16", "load-6.5"])
def test_settings(call, command: str) -> None:
    with scripted([(command, "OK")]) as sim:
        call(sim)


def test_load_current_with_ramp_sets_the_ramp_first() -> None:
    with scripted([("LOAD:RAMP 10", "OK"), ("LOAD:CURR 32", "OK")]) as sim:
        sim.set_load_current(32.0, ramp_a_per_s=10.0)


def test_residual_current_sets_dc_and_ac() -> None:
    with scripted([("RCD:DC 6", "OK"), ("RCD:AC 0", "OK"), ("RCD:DC 0", "OK"), ("RCD:AC 30", "OK")]) as sim:
        sim.inject_residual_current(dc_ma=6.0)
        sim.inject_residual_current(ac_ma=30.0)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_settings_never_reach_the_wire(bad: float) -> None:
    with scripted([]) as sim, pytest.raises(ValueError, match="finite"):
        sim.set_load_current(bad)


def test_measure_cp() -> None:
    with scripted([("MEAS:CP?", "1000.00,26.67,6.00,-12.00")]) as sim:
        assert sim.measure_cp() == CpMeasurement(frequency_hz=1000.0, duty_percent=26.67, high_v=6.0, low_v=-12.0)


@pytest.mark.parametrize("reply", ["1000.00,NAN,6.00,-12.00", "1000.00,26.67,6.00", "garbage"])
def test_measure_cp_rejects_nan_and_malformed(reply: str) -> None:
    with scripted([("MEAS:CP?", reply)]) as sim, pytest.raises(EvSimulatorReplyError) as info:
        sim.measure_cp()
    assert info.value.reply == reply and info.value.command == "MEAS:CP?"


@pytest.mark.parametrize(("reply", "present"), [("1", True), ("0", False)])
def test_mains_present(reply: str, present: bool) -> None:
    with scripted([("MEAS:MAIN?", reply)]) as sim:
        assert sim.mains_present() is present


def test_mains_present_rejects_other_replies() -> None:
    with scripted([("MEAS:MAIN?", "ON")]) as sim, pytest.raises(EvSimulatorReplyError):
        sim.mains_present()


def test_load_current_and_device_time() -> None:
    with scripted([("MEAS:CURR?", "15.998"), ("SYST:TIME?", "123.456789")]) as sim:
        assert sim.load_current_a() == pytest.approx(15.998)
        assert sim.device_time_s() == pytest.approx(123.456789)


@pytest.mark.parametrize(("command", "call"), [
    ("MEAS:CURR?", lambda s: s.load_current_a()),
    ("SYST:TIME?", lambda s: s.device_time_s()),
], ids=["current", "time"])
def test_nan_where_a_value_is_required_raises(command: str, call) -> None:
    with scripted([(command, "NAN")]) as sim, pytest.raises(EvSimulatorReplyError, match="NAN"):
        call(sim)


@pytest.mark.parametrize(("reply", "delay"), [("452.125", 452.125), ("NAN", None), ("nan", None)])
def test_contactor_delay(reply: str, delay: float | None) -> None:
    with scripted([("MEAS:TIME:CONT?", reply)]) as sim:
        assert sim.contactor_delay_ms() == delay


@pytest.mark.parametrize(("reply", "trip"), [("38.500", 38.5), ("NAN", None)])
def test_trip_time(reply: str, trip: float | None) -> None:
    with scripted([("MEAS:TIME:TRIP?", reply)]) as sim:
        assert sim.trip_time_ms() == trip


def test_overdraw_sets_the_current_before_it_stops_following_the_pwm() -> None:
    """The overdraw begins at one instant (LOAD:FOLL OFF), at the current asked, never at the old one."""
    with scripted([("LOAD:CURR 20", "OK"), ("LOAD:FOLL OFF", "OK")]) as sim:
        sim.set_overdraw(20.0)


def test_overdraw_off_follows_again_then_restores_the_current_asked_before() -> None:
    script = [("LOAD:CURR 16", "OK"), ("LOAD:CURR 21", "OK"), ("LOAD:FOLL OFF", "OK"),
              ("LOAD:FOLL ON", "OK"), ("LOAD:CURR 16", "OK")]
    with scripted(script) as sim:
        sim.set_load_current(16.0)
        sim.set_overdraw(21.0)
        sim.set_overdraw(None)


def test_overdraw_off_after_reset_restores_no_load() -> None:
    with scripted([("LOAD:CURR 16", "OK"), ("*RST", "OK"), ("LOAD:FOLL ON", "OK"), ("LOAD:CURR 0", "OK")]) as sim:
        sim.set_load_current(16.0)
        sim.reset()
        sim.set_overdraw(None)


def test_non_finite_overdraw_never_reaches_the_wire() -> None:
    with scripted([]) as sim, pytest.raises(ValueError, match="finite"):
        sim.set_overdraw(float("nan"))


def test_declares_the_overdraw_feature_and_both_timers() -> None:
    from instruments.roles import ROLE_FEATURES, TIMERS, Overdraw, TripTimer

    assert "overdraw" in AsciiEvSimulator.ROLES["ev_load"] <= set(ROLE_FEATURES["ev_load"])
    assert AsciiEvSimulator.TIMERS == {"contactor", "trip"} and AsciiEvSimulator.TIMERS <= set(TIMERS)
    sim = AsciiEvSimulator(ScriptedSerial([]))
    assert isinstance(sim, Overdraw) and isinstance(sim, TripTimer)


def test_error_reply_raises_with_code_message_and_command() -> None:
    with scripted([("LOAD:CURR 100", 'ERR,-222,"Data out of range; ""100"" A"')]) as sim:
        with pytest.raises(EvSimulatorError) as info:
            sim.set_load_current(100)
    assert (info.value.code, info.value.message, info.value.command) == (
        -222, 'Data out of range; "100" A', "LOAD:CURR 100")


def test_malformed_error_reply_is_a_reply_error() -> None:
    with scripted([("*RST", "ERR something")]) as sim, pytest.raises(EvSimulatorReplyError):
        sim.reset()


def test_setting_answered_with_a_value_is_a_reply_error() -> None:
    with scripted([("*RST", "1")]) as sim, pytest.raises(EvSimulatorReplyError, match="expected OK"):
        sim.reset()


def test_timeout_is_a_bench_fault_and_resyncs_before_the_next_command() -> None:
    port = ScriptedSerial([("*IDN?", TIMEOUT), ("MEAS:CURR?", b"1.0"), ("*IDN?", "ACME,EVSIM-1,42,2.1")])
    sim = AsciiEvSimulator(port)
    with pytest.raises(EvSimulatorConnectionError, match="no reply") as info:
        sim.identify()
    assert isinstance(info.value, BenchFault) and info.value.command == "*IDN?"
    with pytest.raises(EvSimulatorConnectionError, match="incomplete"):
        sim.load_current_a()  # a partial line (no terminator) is no reply either
    assert sim.identify() == "ACME,EVSIM-1,42,2.1"
    assert port.input_resets == 2  # late replies dropped before each command after a timeout


def test_close_closes_the_port() -> None:
    port = ScriptedSerial([])
    with AsciiEvSimulator(port):
        pass
    assert port.closed


def test_open_over_loop_url_round_trips_the_wire_format() -> None:
    # loop:// echoes what is written: the reply to "*IDN?" is the command itself, which proves
    # serial_for_url, the terminator and the line reading work without any instrument.
    sim = AsciiEvSimulator.open("loop://", timeout_s=0.2)
    try:
        assert sim.identify() == "*IDN?"
    finally:
        sim.close()


def test_open_unreachable_url_is_a_connection_error() -> None:
    with pytest.raises(EvSimulatorConnectionError, match="cannot open"):
        AsciiEvSimulator.open("socket://127.0.0.1:1", timeout_s=0.2)
