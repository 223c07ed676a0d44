"""The bench as a rig of roles: what a bench test receives (``rig`` fixture) and what it does with it.

``rig.Rig``          the charger, the EV side, the analyzer and the clock; observe / wait / hold /
                     charge / unplug / force_safe, and timing with its uncertainty
``rig.ev.EvSide``    the EV side as roles (CP control, EV load, residual current, CP measurement,
                     mains sense), whatever instruments play them
``rig.timing``       Instant, Span, Edge, ContactorTiming: timing real instruments can measure
``rig.measurement``  Measurement (value, unit, limits, origin, uncertainty) and Inconclusive
``rig.binding``      profile ``[resources]`` / ``[roles]`` -> capabilities -> opened instruments
"""
from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "ANALYZER_ITEMS": "rig.thresholds", "ANALYZER_UPDATE_S": "rig.thresholds",
    "CHARGING_CURRENT_MIN_A": "rig.thresholds", "DEFAULT_LOAD_A": "rig.thresholds", "NO_CURRENT_A": "rig.thresholds",
    "ContactorTiming": "rig.timing", "Edge": "rig.timing", "Instant": "rig.timing", "Span": "rig.timing",
    "EvSide": "rig.ev", "RoleMissing": "rig.ev", "advertised_a": "rig.ev", "pwm_on": "rig.ev",
    "Inconclusive": "rig.measurement", "Measurement": "rig.measurement",
    "Observation": "rig.observe", "read_mains": "rig.observe",
    "Rig": "rig.rig", "RigState": "rig.rig", "SessionTrace": "rig.rig",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    """Imported on first use, so that ``rig.binding`` (read while a profile loads) pulls in nothing else."""
    if name not in _WHERE:
        raise AttributeError(f"module 'rig' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
