"""Current-limit arbitration and the PWM duty the firmware derives from it.

Every limit of ``System_currents.Get`` is a candidate; the lowest one wins and names the
``current_limit_reason`` (spec 6.5).  The duty follows IEC 61851-1 Annex A for the EVSE side.
"""
from __future__ import annotations

from dataclasses import dataclass

HW_MAX_A = 32
NOMINAL_VOLTAGE_V = 230.0

# current_limit_reason codes of spec 6.5, in the firmware's order of precedence for ties.
REASON_HW, REASON_INSTALL, REASON_USER, REASON_DYNAMIC, REASON_SCHEDULE = 0, 1, 2, 3, 4
REASON_EM_OFFLINE, REASON_EM, REASON_OCPP, REASON_TEMPERATURE = 5, 6, 7, 8

_REASON_OF = {
    "install_current": REASON_INSTALL,
    "user_current": REASON_USER,
    "user_power_current": REASON_USER,
    "dynamic_current": REASON_DYNAMIC,
    "schedule_current": REASON_SCHEDULE,
    "em_current": REASON_EM,
    "ocpp_current": REASON_OCPP,
    "temperature_current": REASON_TEMPERATURE,
    "cable_current": REASON_HW,
    "system_max_current": REASON_HW,
}


@dataclass(frozen=True)
class Arbitration:
    limits: dict[str, int]
    charging_current: int
    reason: int


def arbitrate(limits: dict[str, int], reason_override: dict[str, int] | None = None,
              last_set: dict[str, float] | None = None) -> Arbitration:
    """The lowest limit and the reason that names it.  Ties: hardware wins, then the table order; or,
    with ``last_set`` (reading limit_reason_tie "set_limit"), the tied limit set most recently."""
    reasons = {**_REASON_OF, **(reason_override or {})}
    order = ["system_max_current", "cable_current", *[k for k in _REASON_OF if k not in
                                                     ("system_max_current", "cable_current")]]
    lowest = min(limits[name] for name in order)
    tied = [name for name in order if limits[name] == lowest]
    winner = tied[0]
    if last_set:
        set_ones = [name for name in tied if name in last_set or
                    name == "user_power_current" and "user_power" in last_set]
        if set_ones:
            winner = max(set_ones, key=lambda name: last_set.get(name, last_set.get("user_power", 0.0)))
    return Arbitration(dict(limits), limits[winner], reasons[winner])


def user_power_current(user_power_w: int, volts: float | None = None, rounding: str = "floor") -> int:
    """The current a user power cap allows on one phase: at nominal voltage, or at the measured one
    (``volts``), rounded down or to the nearest ampere (reading user_power_to_current)."""
    amps = user_power_w / (volts or NOMINAL_VOLTAGE_V)
    return int(amps // 1) if rounding == "floor" else int(round(amps))


def duty_for_current(amps: float) -> float:
    """IEC 61851-1 Annex A, EVSE side: duty fraction advertising ``amps``."""
    if amps <= 51:
        return amps / 0.6 / 100.0
    return (amps / 2.5 + 64.0) / 100.0
