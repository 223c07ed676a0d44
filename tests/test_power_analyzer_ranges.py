"""The WT300E as a lab has it: current ranges from the model, an external current sensor, and the
update-rate command from the firmware. Exact command/response pairs, no twin, no hardware.

The ``*IDN?`` answer decides: its model field which current ranges exist (WT310E direct input
5 mA…20 A, WT310EH 1…40 A), its firmware field whether the update period is ``:RATE`` or
``:SAMPle:RATE``. The driver reads it once, at the first need here (``open`` reads it on initialise).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from instruments.power_analyzer import InstrumentError, PowerAnalyzer, ScriptedTransport, UnexpectedReply
from instruments.power_analyzer import wt300
from instruments.power_analyzer.wt300 import CurrentBeyondRanges, pick_range

NO_ERROR = '0,"No error"'
IDN_E = "YOKOGAWA,WT310E,C2PH13047V,F1.03"
IDN_EH = "YOKOGAWA,WT310EH,C2PH13048V,F1.03"
Script = list[tuple[str, Any]]


def ok(command: str) -> Script:
    """A set command and the error-queue check that follows it."""
    return [(command, None), (":STAT:ERR?", NO_ERROR)]


def idn(reply: str) -> Script:
    return [("*IDN?", reply)]


@contextmanager
def scripted(script: Script, **kwargs: Any) -> Iterator[PowerAnalyzer]:
    transport = ScriptedTransport(script)
    with PowerAnalyzer(transport, **kwargs) as analyzer:
        yield analyzer
    transport.assert_done()


# --- range choice: the pure rule -----------------------------------------------------------------
@pytest.mark.parametrize(("expected", "ranges", "chosen"), [
    (16.0, wt300.DIRECT_CURRENT_RANGES_A["WT310E"], 20.0),
    (32.0, wt300.DIRECT_CURRENT_RANGES_A["WT310EH"], 40.0),
    (6.0, wt300.DIRECT_CURRENT_RANGES_A["WT310EH"], 10.0),
    (9.0, wt300.DIRECT_CURRENT_RANGES_A["WT310EH"], 10.0),      # 9.9 A fits 10 A
    (9.2, wt300.DIRECT_CURRENT_RANGES_A["WT310EH"], 20.0),      # 10.12 A does not
    (0.004, wt300.DIRECT_CURRENT_RANGES_A["WT310E"], 0.005),
    (0.01, wt300.DIRECT_CURRENT_RANGES_A["WT310E"], 0.02),      # no headroom left on 10 mA
    (0.0, wt300.DIRECT_CURRENT_RANGES_A["WT310EH"], 1.0),
    (19.0, wt300.DIRECT_CURRENT_RANGES_A["WT310E"], 20.0),      # only expected itself fits: largest
    (20.0, wt300.DIRECT_CURRENT_RANGES_A["WT310E"], 20.0),
])
def test_pick_range_is_the_smallest_holding_expected_with_headroom(expected: float, ranges: tuple[float, ...],
                                                                   chosen: float) -> None:
    assert pick_range(expected, ranges) == chosen


@pytest.mark.parametrize("expected", [20.01, 32.0])
def test_pick_range_refuses_above_the_largest(expected: float) -> None:
    with pytest.raises(CurrentBeyondRanges):
        pick_range(expected, wt300.DIRECT_CURRENT_RANGES_A["WT310E"])


@pytest.mark.parametrize("expected", [-1.0, float("nan"), float("inf")])
def test_pick_range_refuses_nonsense(expected: float) -> None:
    with pytest.raises(ValueError):
        pick_range(expected, wt300.DIRECT_CURRENT_RANGES_A["WT310E"])


# --- range choice on the instrument: per model -----------------------------------------------------
@pytest.mark.parametrize(("identity", "expected", "command", "range_a"), [
    (IDN_E, 16.0, ":INP:CURR:RANG 20", 20.0),
    (IDN_E, 6.0, ":INP:CURR:RANG 10", 10.0),
    (IDN_E, 0.3, ":INP:CURR:RANG 0.5", 0.5),
    (IDN_E, 0.004, ":INP:CURR:RANG 0.005", 0.005),
    (IDN_EH, 32.0, ":INP:CURR:RANG 40", 40.0),
    (IDN_EH, 16.0, ":INP:CURR:RANG 20", 20.0),
    (IDN_EH, 0.3, ":INP:CURR:RANG 1", 1.0),                      # an EH starts at 1 A
    ("YOKOGAWA,WT310,C2PH13047V,F1.03", 16.0, ":INP:CURR:RANG 20", 20.0),
    ("YOKOGAWA,WT310HC,C2PH13047V,F1.03", 32.0, ":INP:CURR:RANG 40", 40.0),
])
def test_current_range_follows_the_model(identity: str, expected: float, command: str, range_a: float) -> None:
    with scripted(idn(identity) + ok(command)) as analyzer:
        assert analyzer.set_current_range_for(expected) == range_a


def test_identity_is_read_once() -> None:
    script = idn(IDN_E) + ok(":INP:CURR:RANG 20") + ok(":INP:CURR:RANG 2") + ok(":RATE 1")
    with scripted(script) as analyzer:
        analyzer.set_current_range_for(16)
        analyzer.set_current_range_for(1.5)
        analyzer.update_rate_s = 1


@pytest.mark.parametrize(("identity", "expected", "largest"), [(IDN_E, 20.5, "20"), (IDN_E, 32.0, "20"),
                                                               (IDN_EH, 40.5, "40")])
def test_current_above_the_direct_input_needs_an_external_sensor(identity: str, expected: float,
                                                                 largest: str) -> None:
    with scripted(idn(identity)) as analyzer, pytest.raises(ValueError) as error:
        analyzer.set_current_range_for(expected)  # nothing is sent
    message = str(error.value)
    assert "external current sensor is needed" in message and f"({largest} A)" in message
    assert "external_sensor_mv_per_a" in message


def test_unknown_model_has_no_ranges() -> None:
    with scripted(idn("YOKOGAWA,WT333E,C2PH13047V,F1.03")) as analyzer:
        with pytest.raises(ValueError, match="unknown model"):
            analyzer.set_current_range_for(1.0)


def test_identity_given_spares_the_query() -> None:
    with scripted(ok(":INP:CURR:RANG 40"), identity=IDN_EH) as analyzer:
        assert analyzer.set_current_range_for(32) == 40


# --- external current sensor ---------------------------------------------------------------------
@pytest.mark.parametrize(("mv_per_a", "option", "largest_v", "expected", "range_v", "range_a"), [
    (10.0, "EX2", "2", 32.0, "0.5", 50.0),     # 35.2 A → 352 mV → 500 mV
    (10.0, "EX2", "2", 16.0, "0.2", 20.0),     # 17.6 A → 176 mV → 200 mV
    (10.0, "EX1", "10", 32.0, "2.5", 250.0),   # the smallest EX1 range already holds 250 A
    (100.0, "EX1", "10", 32.0, "5", 50.0),     # 3.52 V → 5 V
    (100.0, "/ex1", "10", 0.0, "2.5", 25.0),
])
def test_external_sensor_ranges_are_its_voltage_ranges_in_amps(mv_per_a: float, option: str, largest_v: str,
                                                                expected: float, range_v: str,
                                                                range_a: float) -> None:
    script = (ok(f":INP:CURR:SRAT {mv_per_a:g}") + ok(f":INP:CURR:RANG EXT,{largest_v}")
              + ok(f":INP:CURR:RANG EXT,{range_v}"))
    with scripted(script, identity=IDN_E) as analyzer:
        largest_a = analyzer.use_external_sensor(mv_per_a, option)
        assert largest_a == pytest.approx(float(largest_v) * 1000 / mv_per_a)
        assert analyzer.set_current_range_for(expected) == pytest.approx(range_a)


def test_external_sensor_mode_is_remembered_and_readings_stay_in_amps() -> None:
    script = (ok(":INP:CURR:SRAT 10") + ok(":INP:CURR:RANG EXT,2")
              + ok(":NUM:NORM:NUM 1") + ok(":NUM:NORM:ITEM1 I,1")
              + [(":NUM:NORM:VAL? 1", "32.000E+00"),            # the instrument divides by the ratio
                 (":INP:CURR:RANG?", "EXT,2.0000E+00"), (":INP:CURR:RANG?", "EXTERNAL,500.0E-03"),
                 (":INP:CURR:RANG?", "20.0E+00")]                 # someone switched it back at the panel
              + ok(":INP:CURR:RANG 20") + [(":INP:CURR:RANG?", "20.0E+00")])
    with scripted(script, identity=IDN_E) as analyzer:
        assert analyzer.external_sensor is None
        analyzer.use_external_sensor(10, "EX2")
        assert analyzer.external_sensor == wt300.ExternalSensor(10.0, (0.05, 0.1, 0.2, 0.5, 1.0, 2.0))
        assert analyzer.current_ranges_a == pytest.approx((5, 10, 20, 50, 100, 200))
        analyzer.configure_items(["I"])
        assert analyzer.read_item("I") == 32.0
        assert analyzer.current_range_a() == pytest.approx(200.0)
        assert analyzer.current_range_a() == pytest.approx(50.0)
        with pytest.raises(UnexpectedReply, match="external input"):
            analyzer.current_range_a()
        assert analyzer.use_direct_input() == 20.0
        assert analyzer.external_sensor is None and analyzer.current_range_a() == 20.0


def test_above_the_sensor_ranges_asks_for_another_sensor() -> None:
    script = ok(":INP:CURR:SRAT 10") + ok(":INP:CURR:RANG EXT,2")
    with scripted(script, identity=IDN_E) as analyzer:
        analyzer.use_external_sensor(10, "EX2")
        with pytest.raises(ValueError, match="external sensor input .*200 A at 10 mV/A"):
            analyzer.set_current_range_for(250)


def test_a_refused_sensor_input_leaves_the_driver_on_the_direct_input() -> None:
    """A unit without the /EX option refuses the EXTernal range: the driver must not believe otherwise."""
    script = (ok(":INP:CURR:SRAT 10")
              + [(":INP:CURR:RANG EXT,10", None), (":STAT:ERR?", '-224,"Illegal parameter value"'),
                 (":STAT:ERR?", NO_ERROR)]
              + ok(":INP:CURR:RANG 20"))
    with scripted(script, identity=IDN_E) as analyzer:
        with pytest.raises(InstrumentError) as error:
            analyzer.use_external_sensor(10)
        assert error.value.command == ":INP:CURR:RANG EXT,10"
        assert analyzer.external_sensor is None
        assert analyzer.set_current_range_for(16) == 20


@pytest.mark.parametrize(("mv_per_a", "option"), [(0.0, "EX1"), (10000.0, "EX1"), (float("nan"), "EX1"),
                                                  (10.0, "EX3")])
def test_bad_sensor_settings_are_refused_before_sending(mv_per_a: float, option: str) -> None:
    with scripted([], identity=IDN_E) as analyzer, pytest.raises(ValueError):
        analyzer.use_external_sensor(mv_per_a, option)


def test_reset_returns_to_the_direct_input() -> None:
    script = ok(":INP:CURR:SRAT 10") + ok(":INP:CURR:RANG EXT,10") + [("*RST", None), ("*CLS", None)]
    with scripted(script, identity=IDN_EH) as analyzer:
        analyzer.use_external_sensor(10)
        analyzer.reset()
        assert analyzer.external_sensor is None and analyzer.current_ranges_a[-1] == 40.0


# --- update-rate command from the firmware ---------------------------------------------------------
@pytest.mark.parametrize(("firmware", "header"), [
    ("F1.03", ":RATE"), ("F1.99", ":RATE"), ("1.10", ":RATE"), ("V1", ":RATE"),   # unparsable: the older
    ("F2.00", ":SAMP:RATE"), ("F2.10", ":SAMP:RATE"), ("f3.01", ":SAMP:RATE"),
])
def test_update_rate_command_follows_the_firmware(firmware: str, header: str) -> None:
    script = idn(f"YOKOGAWA,WT310E,C2PH13047V,{firmware}") + ok(f"{header} 0.5") + [(f"{header}?", "500.00E-03")]
    with scripted(script) as analyzer:
        analyzer.update_rate_s = 0.5
        assert analyzer.update_rate_s == 0.5
        assert analyzer.rate_command == header


@pytest.mark.parametrize(("override", "firmware", "header"), [
    (":SAMPle:RATE", "F1.03", ":SAMP:RATE"), ("samp:rate", "F1.03", ":SAMP:RATE"),
    (":RATE", "F2.00", ":RATE"), ("RATE", "F2.00", ":RATE"),
])
def test_a_lab_can_override_the_rate_command(override: str, firmware: str, header: str) -> None:
    identity = f"YOKOGAWA,WT310EH,C2PH13047V,{firmware}"
    with scripted(ok(f"{header} 1"), identity=identity, rate_command=override) as analyzer:
        analyzer.update_rate_s = 1


@pytest.mark.parametrize("override", [":SAMPLING:RATE", ":UPDate", ""])
def test_unknown_rate_command_is_refused(override: str) -> None:
    with pytest.raises(ValueError, match="rate_command"):
        PowerAnalyzer(ScriptedTransport([]), rate_command=override)


def test_rate_outside_the_instruments_list_is_refused_before_sending() -> None:
    with scripted([], identity=IDN_E) as analyzer, pytest.raises(ValueError):
        analyzer.update_rate_s = 0.3
