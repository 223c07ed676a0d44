"""One moment of the charger seen three ways: its own report (RPC), the EV side, the mains side.

The viewpoints are read one after the other, a few ms apart, so a test can state what each must
show.  An observation is stamped on the bench clock (host time), never on an instrument's clock.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from instruments.ev_simulator.interface import CpMeasurement
from instruments.power_analyzer.scpi import InvalidReading
from instruments.power_analyzer.wt300 import ITEM_FIELDS, PowerAnalyzer, Reading
from reports.plots import TraceSample
from rig.ev import advertised_a, pwm_on
from rig.thresholds import CHARGING_CURRENT_MIN_A, NO_CURRENT_A


def read_mains(analyzer: PowerAnalyzer) -> Reading:
    """One analyzer update.  Without current the instrument has no power factor (NAN): such items are
    None; voltage, current and power must be valid (InvalidReading otherwise)."""
    try:
        return analyzer.read()
    except InvalidReading:
        values: dict[str, float | None] = {}
        for item in analyzer.items:
            try:
                values[ITEM_FIELDS[item]] = analyzer.read_item(item)
            except InvalidReading:
                if item in ("U", "I", "P"):
                    raise
                values[ITEM_FIELDS[item]] = None
        return Reading(items=analyzer.items, **values)


@dataclass(frozen=True)
class Observation:
    """The charger, the EV side and the mains, read one after the other.  ``time_s``: bench clock."""

    time_s: float
    info: dict[str, Any]
    adc: dict[str, Any]
    cp: CpMeasurement
    mains_present: bool
    ev_current_a: float | None
    mains: Reading | None = None

    @property
    def state(self) -> str:
        return self.info["charger_state"]

    @property
    def extended(self) -> str:
        return self.info["extended_charger_state"]

    @property
    def adc_state(self) -> str:
        return self.adc["adc_state"]

    @property
    def pwm_on(self) -> bool:
        return pwm_on(self.cp)

    @property
    def advertised_a(self) -> float | None:
        """The current the measured duty advertises (IEC 61851-1, EV side); None: no charging allowed."""
        return advertised_a(self.cp)

    @property
    def current_a(self) -> float:
        """Mains current: the analyzer's when one is in use, else the EV load's reading."""
        if self.mains is not None and self.mains.current_a is not None:
            return self.mains.current_a
        return self.ev_current_a or 0.0

    @property
    def power_w(self) -> float | None:
        return None if self.mains is None else self.mains.power_w

    @property
    def _ev_a(self) -> float:
        return self.current_a if self.ev_current_a is None else self.ev_current_a

    @property
    def no_current(self) -> bool:
        """Neither the EV load nor the analyzer sees current."""
        return self._ev_a < NO_CURRENT_A and self.current_a < NO_CURRENT_A

    @property
    def charging(self) -> bool:
        """Contactor closed and current flowing, seen by the EV and (when used) the analyzer."""
        return self.mains_present and self._ev_a > CHARGING_CURRENT_MIN_A and self.current_a > CHARGING_CURRENT_MIN_A

    def trace_sample(self) -> TraceSample:
        return TraceSample(self.time_s, self.state, self.cp.duty_percent, self.current_a, self.power_w)

    def __repr__(self) -> str:
        mains = "" if self.mains is None else f", analyzer I={self.mains.current_a} A P={self.mains.power_w} W"
        return (f"Observation(t={self.time_s:.3f} s, charger {self.state}/{self.extended}, adc {self.adc_state}, "
                f"paused={self.info.get('charger_is_paused')}, errors={self.info.get('has_active_errors')}, "
                f"CP {self.cp.frequency_hz:g} Hz {self.cp.duty_percent:g} % +{self.cp.high_v:g}/{self.cp.low_v:g} V, "
                f"mains {'present' if self.mains_present else 'absent'}, EV I={self.ev_current_a} A, "
                f"charger I={self.info.get('current')} A, session_energy={self.info.get('session_energy')} Wh{mains})")
