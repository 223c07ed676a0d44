"""The charger's side of the bench that is not the EV: its supply, injected faults, its temperature.

Like :class:`rig.ev.EvSide` for the EV, :class:`Site` forwards each action to the role that does it:
``ac_source`` (a programmable AC source feeding the charger: over- and under-voltage, mains loss),
``fault_injection`` (a relay box across or in series with the contactor: welded, stuck open) and
``thermal`` (a heater on the board's temperature sensor, or a climate chamber).  A role the bench has
not bound raises :class:`rig.ev.RoleMissing`, a skip with the reason (tests declare them with
``@pytest.mark.needs`` so that is known at collection).

The site's safe state is a nominal supply, no injected fault and the heater off; the rig puts it
there before and after every bench test, so a test that fails mid-way never leaves the charger
unpowered or its contactor bypassed.
"""
from __future__ import annotations

from rig.ev import BoundRoles

NOMINAL_V = 230.0
NOMINAL_HZ = 50.0


class Site(BoundRoles):
    """The supply, the contactor fault relays and the heater, whatever instruments play them."""

    # --- the supply (ac_source) ----------------------------------------------------------------
    def set_mains_voltage(self, volts: float) -> None:
        self._role("ac_source", "voltage").set_voltage(volts)

    def set_mains_frequency(self, hertz: float) -> None:
        self._role("ac_source", "frequency").set_frequency(hertz)

    def set_mains_on(self, on: bool) -> None:
        """Supply on, or cut (a mains loss: the charger is unpowered)."""
        self._role("ac_source", "output").set_output(on)

    def mains_voltage(self) -> float:
        """The supply voltage the AC source measures at its output (V rms)."""
        return float(self._role("ac_source").measured_voltage())

    # --- injected contactor faults (fault_injection) -------------------------------------------
    def set_contactor_welded(self, on: bool) -> None:
        self._role("fault_injection", "contactor_welded").set_contactor_welded(on)

    def set_contactor_stuck_open(self, on: bool) -> None:
        self._role("fault_injection", "contactor_stuck_open").set_contactor_stuck_open(on)

    # --- the board's temperature (thermal) -----------------------------------------------------
    def set_board_temperature(self, celsius: float) -> None:
        self._role("thermal", "board_temperature").set_temperature(celsius)

    def chamber_temperature(self) -> float:
        """What the heater's (chamber's) own sensor reads (°C)."""
        return float(self._role("thermal").measured_temperature())

    # --- safe state ------------------------------------------------------------------------------
    def safe(self) -> None:
        """Nominal supply, no injected fault, heater off: every bound site role to its safe setting."""
        for role, method in (("fault_injection", "faults_safe"), ("thermal", "thermal_safe"),
                             ("ac_source", "source_safe")):
            instrument = self._roles.get(role)
            if instrument is not None:
                getattr(instrument, method)()
