"""IEC 61851-1 Annex A as the suites read it (shared/notes/field-facts.md §2-§4).

The suites' own reference, written from the field facts and never imported from the simulator:
a charger is judged against these formulas, not against our virtual charger's.
"""
from __future__ import annotations

from dataclasses import dataclass

# §2: positive CP level per state, and the ±1 V windows a measurement is judged with.
CP_HIGH_LEVEL_V = {"A": 12.0, "B": 9.0, "C": 6.0, "D": 3.0, "E": 0.0, "F": -12.0}
CP_LEVEL_TOLERANCE_V = 1.0
CP_LOW_LEVEL_V = -12.0
CP_SOURCE_TOLERANCE = 0.05  # ±5 % on the ±12 V source

# §2 / IEC 61851-1 Annex A (the CP circuit): the EVSE drives ±12 V through its ~1 kΩ source
# resistance; the EV presents a resistor behind a diode.  The Annex A levels above are that divider
# with a working diode.  A working diode blocks the negative half (the full −12 V); a shorted one lets
# the EV's resistance pull it towards 0 V: −12 V × R / (R + 1 kΩ).  The same divider holds whenever
# the EVSE drives −12 V (state F) into an EV whose diode is shorted.
CP_SOURCE_RESISTANCE_OHM = 1000.0
EV_CP_RESISTANCE_OHM = {"B": 2740.0, "C": 882.0, "D": 246.0}  # 2.74 kΩ; ∥ 1.3 kΩ; ∥ 270 Ω


def shorted_diode_level_v(ev_state: str, source_v: float = CP_LOW_LEVEL_V) -> float:
    """The level of a ``source_v`` half (default −12 V) with the EV's diode shorted in ``ev_state``."""
    r = EV_CP_RESISTANCE_OHM[ev_state]
    return source_v * r / (r + CP_SOURCE_RESISTANCE_OHM)


def duty_percent_for_current(amps: float) -> float:
    """§3, EVSE side: 6-51 A -> I / 0.6; 51-80 A -> I / 2.5 + 64."""
    if not 6 <= amps <= 80:
        raise ValueError(f"{amps} A is outside the 6-80 A that PWM can advertise")
    return amps / 0.6 if amps <= 51 else amps / 2.5 + 64.0


def current_for_duty_percent(duty: float) -> float | None:
    """§3, EV side: the current an EV reads from a duty cycle; None where no charging is allowed."""
    if duty < 8.0:
        return None
    if duty < 10.0:
        return 6.0
    if duty <= 85.0:
        return duty * 0.6
    if duty <= 96.0:
        return (duty - 64.0) * 2.5
    return None


@dataclass(frozen=True)
class StateExpectation:
    """What each viewpoint must show in a state: the charger's RPC, the CP line, the mains."""

    charger_state: str
    cp_high_v: float
    current_flows: bool


EXPECTED = {
    "A": StateExpectation("A", 12.0, False),
    "B": StateExpectation("B", 9.0, False),
    "C": StateExpectation("C", 6.0, True),
    "D": StateExpectation("D", 3.0, True),
}
