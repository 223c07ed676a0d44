"""Driver tests by exact command/response pairs: no twin, no socket, no hardware.

Each test lists the (command, reply) sequence the WT300E must see; the scripted transport fails on
any other command, and on commands left unsent.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from pyvisa import constants
from pyvisa.errors import VisaIOError

from instruments.power_analyzer import (
    Identification,
    InstrumentConnectionError,
    InstrumentError,
    InvalidReading,
    PowerAnalyzer,
    ScriptedTransport,
    UnexpectedReply,
)
from instruments.power_analyzer import wt300

NO_ERROR = '0,"No error"'
IDN_EH = "YOKOGAWA,WT310EH,C2PH13047V,F1.03"
Script = list[tuple[str, Any]]
OPENING: Script = [(":COMM:HEAD OFF", None), ("*CLS", None), ("*IDN?", IDN_EH)]


def ok(command: str) -> Script:
    """A set command and the error-queue check that follows it."""
    return [(command, None), (":STAT:ERR?", NO_ERROR)]


@contextmanager
def scripted(script: Script, **kwargs: Any) -> Iterator[PowerAnalyzer]:
    transport = ScriptedTransport(script)
    with PowerAnalyzer(transport, **kwargs) as analyzer:
        yield analyzer
    transport.assert_done()
    assert transport.closed


def configured(*items: str) -> Script:
    script = ok(f":NUM:NORM:NUM {len(items)}")
    for index, item in enumerate(items, start=1):
        script += ok(f":NUM:NORM:ITEM{index} {item},1")
    return script


# --- identification, open, reset ---------------------------------------------------------------
def test_identification_is_parsed() -> None:
    with scripted([("*IDN?", "YOKOGAWA,WT310E,C2PH13047V,F1.03")]) as analyzer:
        assert analyzer.identification == Identification("YOKOGAWA", "WT310E", "C2PH13047V", "F1.03")


@pytest.mark.parametrize("reply", ["YOKOGAWA,WT310E,C2PH13047V", "YOKOGAWA,,C2PH13047V,F1.03", ""])
def test_malformed_identification_is_an_unexpected_reply(reply: str) -> None:
    with scripted([("*IDN?", reply)]) as analyzer, pytest.raises(UnexpectedReply):
        analyzer.identification


class FakeManager:
    """Stands in for pyvisa.ResourceManager: hands out a scripted resource."""

    def __init__(self, resource: ScriptedTransport | BaseException) -> None:
        self.resource = resource
        self.opened: list[str] = []
        self.closed = False

    def __call__(self, library: str) -> FakeManager:
        assert library == "@py"
        return self

    def open_resource(self, name: str, open_timeout: int) -> ScriptedTransport:
        self.opened.append(name)
        self.open_timeout = open_timeout
        if isinstance(self.resource, BaseException):
            raise self.resource
        return self.resource

    def close(self) -> None:
        self.closed = True


NAGLE_OFF = {constants.ResourceAttribute.tcpip_nodelay: constants.VI_TRUE}


@pytest.mark.parametrize(("resource", "kind", "terminated", "nagle_off"), [
    ("TCPIP::192.168.1.20::10001::SOCKET", "socket", True, True),
    ("tcpip0::192.168.1.20::10001::socket", "socket", True, True),
    ("ASRLsocket://127.0.0.1:5025::INSTR", "serial", True, False),
    ("ASRL/dev/ttyUSB0::INSTR", "serial", True, False),
    ("TCPIP::192.168.1.20::INSTR", "vxi11", False, False),       # VXI-11 carries END itself
    ("TCPIP0::192.168.1.20::inst0::INSTR", "vxi11", False, False),
    ("USB0::0x0B21::0x0025::C2PH13047V::INSTR", "usb", False, False),
    ("GPIB0::1::INSTR", "gpib", False, False),
])
def test_open_sets_terminations_timeout_headers_off_and_reads_the_identity(
        monkeypatch: pytest.MonkeyPatch, resource: str, kind: str, terminated: bool, nagle_off: bool) -> None:
    assert wt300.resource_kind(resource) == kind
    visa = ScriptedTransport(OPENING)
    manager = FakeManager(visa)
    monkeypatch.setattr(wt300.pyvisa, "ResourceManager", manager)
    with PowerAnalyzer.open(resource, timeout_s=1.5) as analyzer:
        assert analyzer.identity == Identification("YOKOGAWA", "WT310EH", "C2PH13047V", "F1.03")
        assert analyzer.identify() == IDN_EH  # read once: no second *IDN? in the script
    visa.assert_done()
    assert manager.opened == [resource]
    assert (manager.open_timeout, visa.timeout) == (1500, 1500.0)
    assert (visa.read_termination, visa.write_termination) == (("\n", "\n") if terminated else (None, None))
    assert visa.visa_attributes == (NAGLE_OFF if nagle_off else {})
    assert visa.closed and not manager.closed  # the shared manager serves the bench's other instruments


def test_from_resource_opens_with_the_profile_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """A lab's ``[power_analyzer]`` table: VXI-11 address, rate command, external sensor."""
    visa = ScriptedTransport(OPENING + [
        (":INP:CURR:SRAT 10", None), (":STAT:ERR?", NO_ERROR),
        (":INP:CURR:RANG EXT,2", None), (":STAT:ERR?", NO_ERROR),
        (":SAMP:RATE 0.5", None), (":STAT:ERR?", NO_ERROR)])
    manager = FakeManager(visa)
    monkeypatch.setattr(wt300.pyvisa, "ResourceManager", manager)
    settings = {"resource": "TCPIP::192.0.2.20::INSTR", "timeout_s": 3.0, "rate_command": ":SAMPle:RATE",
                "external_sensor_mv_per_a": 10, "external_sensor_option": "EX2"}
    with PowerAnalyzer.from_resource(settings) as analyzer:
        assert analyzer.external_sensor is not None and analyzer.current_ranges_a[-1] == pytest.approx(200.0)
        analyzer.update_rate_s = 0.5
    visa.assert_done()
    assert (manager.opened, visa.timeout, visa.read_termination) == (["TCPIP::192.0.2.20::INSTR"], 3000.0, None)


@pytest.mark.parametrize("fault", [VisaIOError(constants.StatusCode.error_resource_not_found),
                                   ConnectionRefusedError(111, "Connection refused"),
                                   Exception("could not connect: StatusCode.error_timeout")])  # pyvisa-py
def test_open_failure_is_a_connection_error(monkeypatch: pytest.MonkeyPatch, fault: BaseException) -> None:
    monkeypatch.setattr(wt300.pyvisa, "ResourceManager", FakeManager(fault))
    with pytest.raises(InstrumentConnectionError):
        PowerAnalyzer.open("TCPIP::192.168.1.20::10001::SOCKET")


def test_silent_instrument_on_open_closes_and_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    visa = ScriptedTransport([(":COMM:HEAD OFF", VisaIOError(constants.StatusCode.error_timeout))])
    monkeypatch.setattr(wt300.pyvisa, "ResourceManager", FakeManager(visa))
    with pytest.raises(InstrumentConnectionError):
        PowerAnalyzer.open("TCPIP::192.168.1.20::10001::SOCKET")
    assert visa.closed


def test_reset_forgets_the_items() -> None:
    with scripted(configured("U") + [("*RST", None), ("*CLS", None)]) as analyzer:
        analyzer.configure_items(["U"])
        analyzer.reset()
        with pytest.raises(RuntimeError, match="configure_items"):
            analyzer.read()


# --- declarative controls ------------------------------------------------------------------------
@pytest.mark.parametrize(("attribute", "value", "command"), [
    ("voltage_range", 300, ":INP:VOLT:RANG 300"),
    ("voltage_auto_range", True, ":INP:VOLT:AUTO ON"),
    ("current_range", 40, ":INP:CURR:RANG 40"),
    ("current_range", 0.5, ":INP:CURR:RANG 0.5"),
    ("current_auto_range", False, ":INP:CURR:AUTO OFF"),
    ("integration_mode", "continuous", ":INTEG:MODE CONT"),
    ("integration_timer_s", 3725, ":INTEG:TIM 1,2,5"),
])
def test_set(attribute: str, value: Any, command: str) -> None:
    with scripted(ok(command)) as analyzer:
        setattr(analyzer, attribute, value)


@pytest.mark.parametrize(("attribute", "query", "reply", "value"), [
    ("voltage_range", ":INP:VOLT:RANG?", "300.0E+00", 300.0),
    ("voltage_auto_range", ":INP:VOLT:AUTO?", "1", True),
    ("current_auto_range", ":INP:CURR:AUTO?", "OFF", False),
    ("current_range", ":INP:CURR:RANG?", "20.0E+00", 20.0),
    ("sensor_ratio_mv_per_a", ":INP:CURR:SRAT?", "10.000E+00", 10.0),
    ("integration_mode", ":INTEG:MODE?", "NORM", "normal"),
    ("integration_timer_s", ":INTEG:TIM?", "1,2,5", 3725),
    ("item_count", ":NUM:NORM:NUM?", "7", 7),
])
def test_get(attribute: str, query: str, reply: str, value: Any) -> None:
    with scripted([(query, reply)]) as analyzer:
        assert getattr(analyzer, attribute) == value


@pytest.mark.parametrize(("attribute", "value"), [("voltage_range", 250), ("update_rate_s", 0.3),
                                                  ("integration_mode", "fast"), ("integration_timer_s", -1),
                                                  ("integration_timer_s", 1.5)])
def test_invalid_setting_is_refused_before_sending(attribute: str, value: Any) -> None:
    with scripted([], identity=IDN_EH) as analyzer, pytest.raises(ValueError):
        setattr(analyzer, attribute, value)


def test_measurement_is_read_only() -> None:
    with scripted([]) as analyzer, pytest.raises(AttributeError, match="read-only"):
        analyzer.integration_state = "running"


def test_rejected_setting_raises_at_the_command_that_caused_it() -> None:
    script = [(":INP:CURR:RANG 0.005", None), (":STAT:ERR?", '-224,"Illegal parameter value"'),
              (":STAT:ERR?", NO_ERROR)]
    with scripted(script) as analyzer, pytest.raises(InstrumentError) as error:
        analyzer.current_range = 0.005  # a WT310EH has no 5 mA range
    assert (error.value.code, error.value.message, error.value.command) == (
        -224, "Illegal parameter value", ":INP:CURR:RANG 0.005")


def test_set_without_error_check() -> None:
    with scripted([(":RATE 1", None)], check_set_errors=False, identity=IDN_EH) as analyzer:
        analyzer.update_rate_s = 1


# --- numeric data ----------------------------------------------------------------------------------
def test_configure_items_sends_count_then_items() -> None:
    script = configured("U", "I", "P", "S", "LAMB", "FU", "FI")
    with scripted(script) as analyzer:
        assert analyzer.configure_items() == ("U", "I", "P", "S", "LAMBda", "FU", "FI")


def test_configure_items_accepts_any_form_and_refuses_unknown_functions() -> None:
    with scripted(configured("LAMB", "WH", "TIME")) as analyzer:
        assert analyzer.configure_items(["lambda", "wh", "Time"]) == ("LAMBda", "WH", "TIME")
        with pytest.raises(ValueError, match="unknown"):
            analyzer.configure_items(["U", "VOLTS"])


def test_read_maps_items_to_fields() -> None:
    script = configured("U", "I", "P", "S", "LAMB", "FU", "FI") + [
        (":NUM:NORM:VAL?", "230.12E+00,16.020E+00,3.6865E+03,3.6865E+03,1.0000E+00,50.000E+00,50.000E+00")]
    with scripted(script) as analyzer:
        analyzer.configure_items()
        reading = analyzer.read()
    assert (reading.voltage_v, reading.current_a, reading.power_w, reading.apparent_power_va,
            reading.power_factor, reading.frequency_hz, reading.current_frequency_hz) == pytest.approx(
        (230.12, 16.02, 3686.5, 3686.5, 1.0, 50.0, 50.0))
    assert reading.energy_wh is None and reading.items == ("U", "I", "P", "S", "LAMBda", "FU", "FI")


@pytest.mark.parametrize("raw", ["NAN", "INF", "-INF", "nan", "9.91E+37", "9.9E+37", "-9.9E+37"])
def test_nan_or_inf_raises_instead_of_returning_a_float(raw: str) -> None:
    script = configured("U", "I", "P") + [(":NUM:NORM:VAL?", f"230.1E+00,{raw},3.6E+03")]
    with scripted(script) as analyzer:
        analyzer.configure_items(["U", "I", "P"])
        with pytest.raises(InvalidReading) as error:
            analyzer.read()
    assert (error.value.item, error.value.raw) == ("I", raw)


@pytest.mark.parametrize("reply", ["230.1E+00,16.0E+00", "230.1E+00,16.0E+00,3.6E+03,1", "230.1E+00,volts,3.6E+03"])
def test_reply_that_does_not_fit_the_items_is_unexpected(reply: str) -> None:
    script = configured("U", "I", "P") + [(":NUM:NORM:VAL?", reply)]
    with scripted(script) as analyzer:
        analyzer.configure_items(["U", "I", "P"])
        with pytest.raises(UnexpectedReply):
            analyzer.read()


def test_read_item_queries_one_item_by_its_index() -> None:
    script = configured("U", "I", "WH") + [(":NUM:NORM:VAL? 2", "16.000E+00")]
    with scripted(script) as analyzer:
        analyzer.configure_items(["U", "I", "WH"])
        assert analyzer.read_item("i") == 16.0
        with pytest.raises(ValueError, match="not among"):
            analyzer.read_item("P")


# --- error queue -----------------------------------------------------------------------------------
def test_error_queue_drains_until_no_error() -> None:
    script = [(":STAT:ERR?", '-113,"Undefined header"'), (":STAT:ERR?", '842,"Integration already started"'),
              (":STAT:ERR?", NO_ERROR)]
    with scripted(script) as analyzer:
        assert analyzer.error_queue() == [(-113, "Undefined header"), (842, "Integration already started")]


def test_check_errors_reports_the_first_and_drains_the_rest() -> None:
    script = [(":STAT:ERR?", '-113,"Undefined header"'), (":STAT:ERR?", '-224,"Illegal parameter value"'),
              (":STAT:ERR?", NO_ERROR)]
    with scripted(script) as analyzer, pytest.raises(InstrumentError) as error:
        analyzer.check_errors()
    assert error.value.code == -113 and "1 more" in error.value.message


def test_empty_error_queue_passes() -> None:
    with scripted([(":STAT:ERR?", NO_ERROR)]) as analyzer:
        analyzer.check_errors()


def test_unparsable_error_entry_is_unexpected() -> None:
    with scripted([(":STAT:ERR?", "garbage")]) as analyzer, pytest.raises(UnexpectedReply):
        analyzer.check_errors()


# --- integration -----------------------------------------------------------------------------------
def test_integration_flow() -> None:
    script = (configured("U", "I", "P", "WH", "TIME")
              + ok(":INTEG:MODE NORM") + ok(":INTEG:TIM 0,0,0") + ok(":INTEG:RES")
              + [(":INTEG:STAT?", "RES"), (":NUM:NORM:VAL? 4", "NAN")]
              + ok(":INTEG:STAR")
              + [(":INTEG:STAT?", "STAR"), (":NUM:NORM:VAL? 4", "1.2345E+00")]
              + ok(":INTEG:STOP")
              + [(":INTEG:STAT?", "STOP"), (":NUM:NORM:VAL? 4", "2.5000E+00")])
    with scripted(script) as analyzer:
        analyzer.configure_items(["U", "I", "P", "WH", "TIME"])
        analyzer.integration_mode = "normal"
        analyzer.integration_timer_s = 0
        analyzer.integration_reset()
        assert analyzer.integration_state == "reset"
        with pytest.raises(InvalidReading, match="WH"):
            analyzer.energy_wh()  # no integration yet: no number
        analyzer.integration_start()
        assert analyzer.integration_state == "running"
        assert analyzer.energy_wh() == pytest.approx(1.2345)
        analyzer.integration_stop()
        assert analyzer.integration_state == "stopped"
        assert analyzer.energy_wh() == 2.5


@pytest.mark.parametrize(("method", "command", "code", "message"), [
    ("integration_start", ":INTEG:STAR", 842, "Integration already started"),
    ("integration_stop", ":INTEG:STOP", 844, "Integration not started"),
    ("integration_reset", ":INTEG:RES", 845, "Cannot reset while integration is running"),
])
def test_integration_misuse_raises_instrument_error(method: str, command: str, code: int, message: str) -> None:
    script = [(command, None), (":STAT:ERR?", f'{code},"{message}"'), (":STAT:ERR?", NO_ERROR)]
    with scripted(script) as analyzer, pytest.raises(InstrumentError) as error:
        getattr(analyzer, method)()
    assert (error.value.code, error.value.command) == (code, command)


@pytest.mark.parametrize(("reply", "state"), [("RES", "reset"), ("STAR", "running"), ("STOP", "stopped"),
                                              ("TIME", "timeup"), ("ERR", "error"), ("START", "running"),
                                              ("timeup", "timeup")])
def test_integration_state_names(reply: str, state: str) -> None:
    with scripted([(":INTEG:STAT?", reply)]) as analyzer:
        assert analyzer.integration_state == state


def test_unknown_integration_state_is_unexpected() -> None:
    with scripted([(":INTEG:STAT?", "PAUSED")]) as analyzer, pytest.raises(UnexpectedReply):
        analyzer.integration_state


# --- bench faults ----------------------------------------------------------------------------------
@pytest.mark.parametrize("fault", [VisaIOError(constants.StatusCode.error_timeout),
                                   ConnectionResetError(104, "Connection reset by peer"), EOFError()])
def test_transport_failure_is_a_bench_fault_not_a_reading(fault: BaseException) -> None:
    script = configured("U") + [(":NUM:NORM:VAL?", fault)]
    with scripted(script) as analyzer:
        analyzer.configure_items(["U"])
        with pytest.raises(InstrumentConnectionError) as error:
            analyzer.read()
    assert error.value.command == ":NUM:NORM:VAL?"


def test_write_failure_is_a_bench_fault() -> None:
    with scripted([(":INTEG:STAR", VisaIOError(constants.StatusCode.error_connection_lost))]) as analyzer:
        with pytest.raises(InstrumentConnectionError):
            analyzer.integration_start()


def test_unexpected_command_fails_the_script() -> None:
    transport = ScriptedTransport([(":RATE?", "1.0E+00")])
    with pytest.raises(AssertionError, match="expected query ':RATE\\?'"):
        PowerAnalyzer(transport).voltage_range
