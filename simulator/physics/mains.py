"""Mains supply and the true electrical quantities of the charging circuit.

The supply is a stiff 230 V / 50 Hz single phase with a slow deterministic ripple, and the EV load
is resistive (power factor 1), so voltage × current is the true power both meters must agree with.
"""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class Mains:
    nominal_v: float = 230.0
    frequency_hz: float = 50.0
    ripple_v: float = 0.4
    ripple_period_s: float = 37.0

    def voltage(self, now: float) -> float:
        return self.nominal_v + self.ripple_v * math.sin(2 * math.pi * now / self.ripple_period_s)


@dataclass
class Thermal:
    """Board temperature: ambient plus a first-order rise proportional to I² (≈ +20 °C at 32 A)."""

    ambient_c: float = 25.0
    rise_per_a2: float = 20.0 / 32.0**2
    time_constant_s: float = 300.0
    temperature_c: float = 25.0

    def step(self, dt: float, current_a: float) -> None:
        target = self.ambient_c + self.rise_per_a2 * current_a**2
        alpha = 1.0 - math.exp(-dt / self.time_constant_s)
        self.temperature_c += (target - self.temperature_c) * alpha
