"""The Control Pilot line (IEC 61851-1 Annex A; shared/notes/field-facts.md §2).

The charger's generator drives +12 V DC, ±12 V PWM or −12 V DC through its ~1 kΩ source resistance;
the EV side pulls the positive level down with a resistor behind a diode.  Every level is that
divider, not an ideal table value: the generator's own voltage (±12 V ±5 %) through 1 kΩ into the EV's
resistance and diode, so a loaded or diode-shorted line never shows an ideal ±12 V.  With a 12.0 V
source and a 0.7 V diode the divider gives the Annex A nominal levels (B 8.98 V, C 6.00 V, D 2.93 V).
The charger's ADC and the EV simulator's measurement see the same line.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from enum import Enum

# Equivalent EV-side resistance (ohm) per state behind the diode (field-facts §2: 2.74 kΩ, 2.74 kΩ ∥
# 1.3 kΩ, 2.74 kΩ ∥ 270 Ω); state A is open.
_EV_RESISTANCE_OHM = {"B": 2740.0, "C": 882.0, "D": 246.0}
_STATES = ("A", "B", "C", "D")
SOURCE_RESISTANCE_OHM = 1000.0
DIODE_DROP_V = 0.7
NOMINAL_SOURCE_V = 12.0


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
        if state not in _STATES:
            raise ValueError(f"EV-side CP state must be one of A, B, C, D, got {state!r}")
        self.state = state


@dataclass
class PilotGenerator:
    """The charger's CP generator: mode, duty cycle (0…1) and frequency (Hz)."""

    mode: PilotMode = PilotMode.DC_HIGH
    duty: float = 1.0
    frequency_hz: float = 1000.0
    source_v: float = NOMINAL_SOURCE_V  # the generator's ±12 V amplitude (±5 % allowed, field-facts §2)
    duty_offset: float = 0.0            # the generator's duty error (fraction), on top of the commanded duty
    noise: bool = False                 # a little jitter on frequency (±0.5 Hz) and duty (±0.03 %)
    _rng: random.Random = field(default_factory=lambda: random.Random(61851), repr=False)

    def output(self) -> tuple[float, float]:
        """(frequency Hz, duty fraction) the generator really puts out while switching."""
        frequency, duty = self.frequency_hz, self.duty + self.duty_offset
        if self.noise:
            frequency += self._rng.uniform(-0.5, 0.5)
            duty += self._rng.uniform(-0.0003, 0.0003)
        return frequency, min(max(duty, 0.0), 1.0)


def divided_v(source_v: float, load_ohm: float | None, diode_drop_v: float) -> float:
    """The CP voltage with the generator at ``source_v`` behind 1 kΩ and the EV's ``load_ohm`` behind its
    diode (``diode_drop_v`` 0: shorted; ``load_ohm`` None: nothing connected).  A working diode blocks
    the negative half, which then shows the generator's full −V."""
    if load_ohm is None:
        return source_v
    if source_v < 0 and diode_drop_v > 0:
        return source_v
    if 0 <= source_v <= diode_drop_v:
        return source_v
    current = (source_v - diode_drop_v) / (SOURCE_RESISTANCE_OHM + load_ohm)
    return source_v - current * SOURCE_RESISTANCE_OHM


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
    source = generator.source_v
    load = None if ev.pe_open else _EV_RESISTANCE_OHM.get(ev.state)  # PE open: no return path
    drop = 0.0 if ev.diode_shorted else DIODE_DROP_V
    if ev.forced_negative:  # the EV simulator imposes −12 V itself
        return PilotLevels(-NOMINAL_SOURCE_V, -NOMINAL_SOURCE_V, 0.0, 0.0)
    low = divided_v(-source, load, drop)  # a working diode blocks: the full −V; shorted: divided
    if generator.mode is PilotMode.DC_NEGATIVE:
        return PilotLevels(low, low, 0.0, 0.0)
    high = divided_v(source, load, drop)
    if generator.mode is PilotMode.DC_HIGH:
        return PilotLevels(high, high, 0.0, 1.0)
    frequency, duty = generator.output()
    return PilotLevels(high, low, frequency, duty)


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
