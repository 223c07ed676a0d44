"""Mains supply and the true electrical quantities of the charging circuit.

The supply is a stiff 230 V / 50 Hz single phase with a slow deterministic ripple, and the EV load
is resistive (power factor 1), so voltage × current is the true power both meters must agree with.
"""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class Mains:
    """The supply at the charger's input.  On a bench with a programmable AC source (the
    ``ac_source`` role, simulator/twins/ac_source.py) the source sets ``nominal_v``, ``frequency_hz``
    and ``on``; otherwise it is the stiff grid."""

    nominal_v: float = 230.0
    frequency_hz: float = 50.0
    ripple_v: float = 0.4
    ripple_period_s: float = 37.0
    on: bool = True                  # False: the supply is cut (the charger is unpowered)

    def voltage(self, now: float) -> float:
        if not self.on:
            return 0.0
        return self.nominal_v + self.ripple_v * math.sin(2 * math.pi * now / self.ripple_period_s)


HEATER_TIME_CONSTANT_S = 10.0  # a heater clamped to the board's sensor moves it this fast (device s)


@dataclass
class Thermal:
    """Board temperature: ambient plus a first-order rise proportional to I² (≈ +20 °C at 32 A).

    A bench's thermal role (a heater on the board's sensor, or a climate chamber) sets
    ``setpoint_c``: the board then approaches the setpoint with the heater's time constant instead,
    whatever the current (the heater's own controller closes the loop on that sensor)."""

    ambient_c: float = 25.0
    rise_per_a2: float = 20.0 / 32.0**2
    time_constant_s: float = 300.0
    temperature_c: float = 25.0
    setpoint_c: float | None = None

    def step(self, dt: float, current_a: float) -> None:
        if self.setpoint_c is not None:
            target, tau = self.setpoint_c, HEATER_TIME_CONSTANT_S
        else:
            target, tau = self.ambient_c + self.rise_per_a2 * current_a**2, self.time_constant_s
        alpha = 1.0 - math.exp(-dt / tau)
        self.temperature_c += (target - self.temperature_c) * alpha
