"""The charger's own energy meter: the true circuit values seen through its calibration gains.

``voltage_gain`` and ``current_gain`` (spec chapter 5) scale what the ADC front end measures; a tiny
deterministic ripple stands in for measurement noise, well inside IEC 62053-21 class 1.
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


def read_meter(true: Electrical, voltage_gain: float, current_gain: float, now: float,
               gain_applied_twice: bool = False) -> MeterReading:
    noise = 1.0 + 0.0005 * math.sin(now * 7.3)
    cg = current_gain * current_gain if gain_applied_twice else current_gain
    voltage = true.voltage_v * voltage_gain * noise
    current = true.current_a * cg * noise
    return MeterReading(voltage, current, voltage * current, true.energy_wh * voltage_gain * cg)
