"""Reference power analyzer (Yokogawa WT300E series) driver, on a small generic SCPI layer."""
from instruments.power_analyzer.scpi import (
    InstrumentConnectionError,
    InstrumentError,
    InvalidReading,
    ScpiInstrument,
    ScriptedTransport,
    UnexpectedReply,
    control,
    measurement,
)
from instruments.power_analyzer.wt300 import DEFAULT_ITEMS, Identification, PowerAnalyzer, Reading

__all__ = [
    "DEFAULT_ITEMS",
    "Identification",
    "InstrumentConnectionError",
    "InstrumentError",
    "InvalidReading",
    "PowerAnalyzer",
    "Reading",
    "ScpiInstrument",
    "ScriptedTransport",
    "UnexpectedReply",
    "control",
    "measurement",
]
