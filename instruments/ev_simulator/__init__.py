"""EV simulator / CP load: one small interface for the suites, one adapter per instrument model."""
from instruments.ev_simulator.ascii_adapter import AsciiEvSimulator
from instruments.ev_simulator.interface import (
    CP_STATES,
    CpMeasurement,
    EvSimulator,
    EvSimulatorConnectionError,
    EvSimulatorError,
    EvSimulatorReplyError,
)

__all__ = [
    "CP_STATES",
    "AsciiEvSimulator",
    "CpMeasurement",
    "EvSimulator",
    "EvSimulatorConnectionError",
    "EvSimulatorError",
    "EvSimulatorReplyError",
]
