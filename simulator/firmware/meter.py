"""The charger's own energy meter: the true circuit values seen through its calibration gains.

``voltage_gain`` and ``current_gain`` (spec chapter 5) scale what the ADC front end measures; a tiny
deterministic ripple stands in for measurement noise, well inside IEC 62053-21 class 1.  Like a real
meter it reports the mean over its own averaging window (``FirmwareTiming.meter_window_s``), so its
reading lags a change of current: a suite compares it once both it and the reference have settled.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from simulator.physics.model import Electrical


@dataclass(frozen=True)
class MeterReading:
    voltage_v: float
    current_a: float
    power_w: float
    energy_wh: float


@dataclass(frozen=True)
class FrontEnd:
    """The board's analog front end: raw = true x sensitivity.  Factory calibration sets the gains
    to 1 / sensitivity, so a calibrated unit reads true values."""

    voltage_sensitivity: float = 1.0
    current_sensitivity: float = 1.0


def read_meter(true: Electrical, voltage_gain: float, current_gain: float, now: float,
               front_end: FrontEnd = FrontEnd(), gain_applied_twice: bool = False,
               voltage_error: float = 0.0, current_error: float = 0.0) -> MeterReading:
    """The meter's reading of ``true`` (the circuit, averaged over the meter's own window by the
    caller: ``PhysicalModel.electrical_mean``).  ``voltage_error``/``current_error`` are the
    relative calibration errors a correct-but-near-limit unit has (class 1 allows 1 %)."""
    noise = 1.0 + 0.0005 * math.sin(now * 7.3)
    cg = current_gain * current_gain if gain_applied_twice else current_gain
    v_scale = front_end.voltage_sensitivity * voltage_gain * (1.0 + voltage_error)
    i_scale = front_end.current_sensitivity * cg * (1.0 + current_error)
    voltage = true.voltage_v * v_scale * noise
    current = true.current_a * i_scale * noise
    return MeterReading(voltage, current, voltage * current, true.energy_wh * v_scale * i_scale)
