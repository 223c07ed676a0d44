"""The EV side of a bench as roles, not one box (labgrid's resource / driver split).

A real lab has a CP board, an electronic load, a residual-current source and a power analyzer,
each on its own port; our own EV simulator box happens to serve several roles at once.  A bench
profile binds each role to a resource and the adapter that drives it (``[resources]`` and
``[roles]``); the rig (``rig/``) receives the bound roles and the suites ask for roles, never for an
instrument model.  What the bench can do follows from the roles bound and the *features* their
adapters declare, so no hand-written capability list can drift from the instruments.

Every role is a small Protocol with only what real instruments of that kind offer.  Forcing state
F from the EV side, for example, is no CP-load function (state F is the charger driving -12 V), so
no role offers it.

Role and feature names (a suite asks ``@pytest.mark.needs("cp_control.diode_short")``):

==================  ==========================================================================
role                features
==================  ==========================================================================
cp_control          states (A-D), diode_short, cp_pe_short (state E), pe_open
ev_load             current, ramp, follows_pwm (the load itself decodes the PWM like an EV)
residual_current    dc, ac (mA)
cp_measurement      frequency, duty, levels  (``resolution_s``: how old a reading may be)
mains_sense         present (mains voltage seen on the EV side: the contactor is closed)
power_analyzer      (the mains-side reference meter, a ``PowerAnalyzer``)
ac_source           voltage, frequency, output (a programmable AC source feeding the charger)
fault_injection     contactor_welded, contactor_stuck_open (a relay box across / in series with
                    the charger's contactor)
thermal             board_temperature (a heater on the board's sensor, or a climate chamber)
==================  ==========================================================================

``ev_load.overdraw``: the load can be told to draw a set current whatever the PWM advertises (an EV
emulator with its PWM follower switched off, or any plain electronic load): the overcurrent stimulus.

Timers are optional instrument features a profile declares per resource (``timers = [...]``):
``contactor`` (delay from the last commanded CP state to the next change of mains presence) and
``trip`` (delay from the last change of the injected residual current to the next loss of mains
presence: an RCD tester's trip timer).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

from instruments.ev_simulator.interface import CpMeasurement

ROLE_FEATURES: dict[str, tuple[str, ...]] = {
    "cp_control": ("states", "diode_short", "cp_pe_short", "pe_open"),
    "ev_load": ("current", "ramp", "follows_pwm", "overdraw"),
    "residual_current": ("dc", "ac"),
    "cp_measurement": ("frequency", "duty", "levels"),
    "mains_sense": ("present",),
    "power_analyzer": ("mains",),
    "ac_source": ("voltage", "frequency", "output"),
    "fault_injection": ("contactor_welded", "contactor_stuck_open"),
    "thermal": ("board_temperature",),
}
"""Every role and the features an adapter may offer for it."""

TIMERS: dict[str, str] = {
    "contactor": "delay from the last commanded CP state to the next change of mains presence (ms)",
    "trip": "delay from the last change of the injected residual current to the next loss of mains presence (ms)",
}
"""Instrument timers a profile may declare on a resource whose adapter has them."""

EV_STATES = ("A", "B", "C", "D")
"""The EV-side states a CP board imposes with its resistors (IEC 61851-1 Annex A, field-facts §2)."""


@dataclass(frozen=True)
class CpSample:
    """One CP measurement and the host-time window it describes.

    ``window`` is (earliest, latest) in host ``time.monotonic()`` seconds: the line was in this
    condition at some instant of it.  An on-demand measurement spans its own query (before the
    command was written, after the reply came); a board that reports once a second spans the second
    its statistics were gathered over, ending when its frame arrived.
    """

    cp: CpMeasurement
    window: tuple[float, float]


class RoleAdapter(Protocol):
    """What every adapter class declares: the roles it can serve and the features of each, the timers
    it has, and how to open it from a profile's resource table."""

    ROLES: ClassVar[dict[str, frozenset[str]]]
    TIMERS: ClassVar[frozenset[str]]

    @classmethod
    def from_resource(cls, settings: dict[str, Any]) -> RoleAdapter: ...

    def identify(self) -> str: ...

    def close(self) -> None: ...


@runtime_checkable
class CpControl(Protocol):
    """The EV-side resistances and faults on CP and PE."""

    def set_state(self, state: str) -> None:
        """A, B, C or D (open, 2.7 kΩ, 882 Ω, 240 Ω with the diode)."""
        ...

    def set_diode_short(self, on: bool) -> None: ...

    def set_cp_pe_short(self, on: bool) -> None:
        """Short CP to PE (the charger must show state E)."""
        ...

    def set_pe_open(self, on: bool) -> None: ...

    def cp_safe(self) -> None:
        """State A, no fault on CP or PE."""
        ...


@runtime_checkable
class EvLoad(Protocol):
    """The current the EV draws.  With ``follows_pwm`` the instrument itself draws no more than the PWM
    advertises (an EV emulator); without it (a plain electronic load) the rig makes it follow."""

    def set_load_current(self, amps: float, ramp_a_per_s: float | None = None) -> None: ...

    def load_current_a(self) -> float:
        """The current the load draws now (A rms)."""
        ...

    def load_safe(self) -> None:
        """No current drawn."""
        ...


@runtime_checkable
class ResidualCurrentSource(Protocol):
    def set_residual(self, dc_ma: float = 0.0, ac_ma: float = 0.0) -> None: ...

    def residual_safe(self) -> None: ...


@runtime_checkable
class CpMeter(Protocol):
    """Frequency, duty and levels of the CP line.  ``resolution_s`` (wall seconds) is how long a
    reading's window may be: ~0 for an on-demand scope, 1 s for a board that reports each second."""

    resolution_s: float

    def sample_cp(self) -> CpSample: ...


@runtime_checkable
class MainsSense(Protocol):
    def mains_present(self) -> bool: ...


@runtime_checkable
class ContactorTimer(Protocol):
    """A declared ``contactor`` timer (profile ``timers = ["contactor"]``)."""

    def contactor_delay_ms(self) -> float | None:
        """Delay from the last commanded CP state change to the next change of mains presence; None:
        mains presence has not changed since."""
        ...


@runtime_checkable
class TripTimer(Protocol):
    """A declared ``trip`` timer (profile ``timers = ["trip"]`` on the residual-current resource)."""

    def trip_time_ms(self) -> float | None:
        """Delay from the last change of the injected residual current to the next loss of mains
        presence; None: mains has not been lost since."""
        ...


@runtime_checkable
class Overdraw(Protocol):
    """``ev_load.overdraw``: draw ``amps`` whatever the PWM advertises (None: follow it again)."""

    def set_overdraw(self, amps: float | None) -> None: ...


@runtime_checkable
class AcSource(Protocol):
    """A programmable AC source between the grid and the charger (``ac_source``)."""

    def set_voltage(self, volts: float) -> None: ...

    def set_frequency(self, hertz: float) -> None: ...

    def set_output(self, on: bool) -> None:
        """Output on (the charger is supplied) or off (a mains loss)."""
        ...

    def measured_voltage(self) -> float:
        """The output voltage the source measures (V rms)."""
        ...

    def source_safe(self) -> None:
        """Nominal supply: 230 V, 50 Hz, output on (a bench's safe state keeps the charger powered)."""
        ...


@runtime_checkable
class FaultInjection(Protocol):
    """Relays that fake a contactor fault (``fault_injection``)."""

    def set_contactor_welded(self, on: bool) -> None:
        """Close the relay across the contactor's contacts: the EV side stays supplied whatever the
        charger commands."""
        ...

    def set_contactor_stuck_open(self, on: bool) -> None:
        """Open the relay in series with the contactor: the EV side is never supplied."""
        ...

    def faults_safe(self) -> None:
        """Both relays in their no-fault position."""
        ...


@runtime_checkable
class Thermal(Protocol):
    """A heater or chamber that drives the charger's board temperature (``thermal``)."""

    def set_temperature(self, celsius: float) -> None: ...

    def measured_temperature(self) -> float:
        """What the chamber's (or heater's) own sensor reads (°C)."""
        ...

    def thermal_safe(self) -> None:
        """Heater off / chamber back to room temperature."""
        ...
