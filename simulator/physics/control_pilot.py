"""The Control Pilot line (IEC 61851-1 Annex A; shared/notes/field-facts.md §2).

The charger's generator drives +12 V DC, ±12 V PWM or −12 V DC through ~1 kΩ; the EV side pulls the
positive level down with a resistor behind a diode.  The levels here are the nominal ones of the
standard's table, so the charger's ADC and the EV simulator's measurement see the same line.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

# Positive CP level for each EV-side load (field-facts §2 table).
_HIGH_LEVEL_V = {"A": 12.0, "B": 9.0, "C": 6.0, "D": 3.0}
# Equivalent EV-side resistance (ohm) per state, used when the diode is shorted and the negative
# half is pulled up through the same load: V = -12 * R / (R + 1000).
_EV_RESISTANCE_OHM = {"B": 2740.0, "C": 882.0, "D": 246.0}
SOURCE_RESISTANCE_OHM = 1000.0


class PilotMode(str, Enum):
    """What the charger's CP generator outputs."""

    DC_HIGH = "dc_high"     # +12 V steady: x1 sub-states (no PWM)
    PWM = "pwm"             # ±12 V square wave: x2 sub-states
    DC_NEGATIVE = "dc_neg"  # −12 V steady: state F, EVSE not available


@dataclass
class EvSideLoad:
    """What the EV (simulator) connects between CP and PE."""

    state: str = "A"              # A (open), B, C, D
    diode_shorted: bool = False
    cp_pe_short: bool = False     # state E stimulus
    pe_open: bool = False
    forced_negative: bool = False  # EV simulator imposes −12 V (state F stimulus)

    def set_state(self, state: str) -> None:
        if state not in _HIGH_LEVEL_V:
            raise ValueError(f"EV-side CP state must be one of A, B, C, D, got {state!r}")
        self.state = state


@dataclass
class PilotGenerator:
    """The charger's CP generator: mode, duty cycle (0…1) and frequency (Hz)."""

    mode: PilotMode = PilotMode.DC_HIGH
    duty: float = 1.0
    frequency_hz: float = 1000.0


@dataclass(frozen=True)
class PilotLevels:
    """The CP line as an oscilloscope would see it."""

    high_v: float
    low_v: float
    frequency_hz: float
    duty: float  # fraction of the period at the high level (1.0 for DC high, 0.0 for DC negative)


def line_levels(generator: PilotGenerator, ev: EvSideLoad) -> PilotLevels:
    """Resolve the CP voltages from the generator output and the EV-side load."""
    if ev.cp_pe_short:
        return PilotLevels(0.0, 0.0, 0.0, 0.0)
    if ev.forced_negative or generator.mode is PilotMode.DC_NEGATIVE:
        return PilotLevels(-12.0, -12.0, 0.0, 0.0)
    load_state = "A" if ev.pe_open else ev.state
    high = _HIGH_LEVEL_V[load_state]
    low = -12.0
    if ev.diode_shorted and load_state in _EV_RESISTANCE_OHM:
        r = _EV_RESISTANCE_OHM[load_state]
        low = -12.0 * r / (r + SOURCE_RESISTANCE_OHM)
    if generator.mode is PilotMode.DC_HIGH:
        return PilotLevels(high, high, 0.0, 1.0)
    return PilotLevels(high, low, generator.frequency_hz, generator.duty)


def adc_state_for(high_v: float) -> str:
    """The state letter a charger's CP ADC derives from the positive level (±1.5 V windows)."""
    if high_v > 10.5:
        return "A"
    if high_v > 7.5:
        return "B"
    if high_v > 4.5:
        return "C"
    if high_v > 1.5:
        return "D"
    if high_v > -1.5:
        return "E"
    return "F"


def adc_raw_for(high_v: float) -> int:
    """A 12-bit reading of the positive CP level over the −12…+12 V span."""
    return max(0, min(4095, round((high_v + 12.0) / 24.0 * 4095)))
