"""The EV simulator box's full interface, its errors and the CP measurement record.

Suites do not call this Protocol: they reach the EV side through the roles of
:mod:`instruments.roles` (CP control, EV load, residual current, CP measurement, mains sense), which
an adapter of any instrument model implements only as far as the instrument really can.  This
Protocol stays the command set of our own box (COMMANDS.md), whose adapter plays all five roles.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from instruments.errors import BenchFault

CP_STATES = ("A", "B", "C", "D", "E", "F")
"""IEC 61851-1 Annex A states the simulator can impose (field-facts §2): A–D are EV-side
resistances, E shorts CP to PE, F forces the line to −12 V."""



class EvSimulatorError(Exception):
    """The simulator refused a command (``ERR`` reply): the suite asked for something invalid.

    Raised for the command that failed, so the record shows what was sent and what came back.
    """

    def __init__(self, code: int, message: str, command: str) -> None:
        super().__init__(f"EV simulator error {code} ({message!r}) for {command!r}")
        self.code = code
        self.message = message
        self.command = command


class EvSimulatorConnectionError(BenchFault):
    """No complete reply in time: the bench failed, which says nothing about the charger."""

    def __init__(self, reason: str, command: str) -> None:
        super().__init__(f"EV simulator did not answer {command!r}: {reason}")
        self.reason = reason
        self.command = command


class EvSimulatorReplyError(BenchFault):
    """A reply the driver cannot use: garbled, or ``NAN`` where a value is required.

    A bench fault too: the link or the instrument is not trustworthy, the charger is not at fault.
    """

    def __init__(self, reason: str, command: str, reply: str) -> None:
        super().__init__(f"EV simulator reply {reply!r} to {command!r} unusable: {reason}")
        self.reason = reason
        self.command = command
        self.reply = reply


@dataclass(frozen=True)
class CpMeasurement:
    """The Control Pilot line as the simulator's scope sees it.

    ``duty_percent`` is the share of the period at the high level (100 for steady +V, 0 for steady
    −12 V or a shorted line); ``frequency_hz`` is 0 when the line is not switching.
    """

    frequency_hz: float
    duty_percent: float
    high_v: float
    low_v: float


@runtime_checkable
class EvSimulator(Protocol):
    """The EV side of the bench: CP load, faults, the load current the EV draws, residual current."""

    def identify(self) -> str:
        """The instrument's identity string (``*IDN?``), for the test record."""
        ...

    def reset(self) -> None:
        """Safe state: state A, no faults, no load, no residual current."""
        ...

    def set_cp_state(self, state: str) -> None:
        """Impose CP state A, B, C, D (EV-side resistance), E (CP shorted to PE) or F (−12 V)."""
        ...

    def set_diode_short(self, on: bool) -> None:
        """Short the EV-side diode (the charger must detect it: field-facts §2)."""
        ...

    def set_pe_open(self, on: bool) -> None:
        """Open the protective-earth connection between EV and charger."""
        ...

    def set_load_current(self, amps: float, ramp_a_per_s: float | None = None) -> None:
        """The most current the EV draws (it still follows the PWM); ramp unchanged when None."""
        ...

    def inject_residual_current(self, dc_ma: float = 0.0, ac_ma: float = 0.0) -> None:
        """Leak a smooth DC and/or AC residual current (mA) for the RCD tests (field-facts §5)."""
        ...

    def measure_cp(self) -> CpMeasurement:
        """Frequency, duty and levels of the CP line now."""
        ...

    def mains_present(self) -> bool:
        """Whether the EV side sees mains voltage, i.e. the charger's contactor is closed."""
        ...

    def load_current_a(self) -> float:
        """The current the EV draws now (A)."""
        ...

    def contactor_delay_ms(self) -> float | None:
        """Device-time delay from the last commanded CP state change to the next change of mains
        presence, measured by the simulator itself; None if mains presence has not changed since."""
        ...

    def device_time_s(self) -> float:
        """The simulator's own time base (s), for timing measurements on the bench's clock."""
        ...

    def close(self) -> None:
        """Release the transport (does not change the simulator's state)."""
        ...
