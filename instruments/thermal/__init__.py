"""Thermal: a climate chamber (or a heater on the board's sensor) that drives the charger's temperature."""
from instruments.thermal.espec_sh import (
    ChamberConnectionError,
    ChamberError,
    ChamberReplyError,
    EspecShChamber,
    TemperatureStatus,
)

__all__ = ["ChamberConnectionError", "ChamberError", "ChamberReplyError", "EspecShChamber", "TemperatureStatus"]
