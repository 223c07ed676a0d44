"""The EV as the suites drive it, whatever instruments play its roles.

:class:`EvSide` forwards each action to the role that does it (CP control, EV load, residual-current
source, CP measurement, mains sense), so a suite never knows whether one box or four instruments
are wired to the charger.  A role the bench has not bound raises :class:`RoleMissing`, a skip with
the reason; tests declare their roles (``@pytest.mark.needs``) so that is caught at collection.

A plain electronic load does not read the PWM as a car does: with such a load (``ev_load`` without
``follows_pwm``) :meth:`EvSide.follow` is the EV's decoder in software, run by the rig while a test
runs.  It reads the CP measurement and sets the load to the lower of what the test asked for and what
the duty advertises (IEC 61851-1 Annex A, EV side).  A reading whose window saw the duty change (a
once-a-second board's frame mixes the two) is not trusted: after the PWM starts or falls the load
draws the least any PWM offers (6 A), after a rise it keeps the old value, and the new one is drawn once a
second reading agrees.  So the load never draws more than the PWM advertises, as a charger's
overcurrent protection rightly demands.
"""
from __future__ import annotations

import asyncio

import pytest

from instruments.ev_simulator.interface import CpMeasurement
from instruments.roles import EV_STATES, CpSample
from reference.iec61851 import current_for_duty_percent
from rig.binding import OpenedRoles


class RoleMissing(pytest.skip.Exception):  # type: ignore[misc,name-defined]
    """The bench has no instrument for what the test asked (skip with the reason)."""

    def __init__(self, reason: str) -> None:
        super().__init__(msg=reason, pytrace=False)


RoleMissing.__module__ = "builtins"  # reported as 'RoleMissing: …', like pytest's own Skipped


LEAST_ADVERTISED_A = 6.0
"""The least current any PWM advertises (IEC 61851-1 Annex A, EV side: 8-10 % duty → 6 A)."""
ADVERTISED_SAME_A = 0.05
"""Two readings advertising currents within this of each other agree (the duty's own jitter is ~0.02 A)."""

PLAUSIBLE_PWM_HZ = (900.0, 1100.0)
"""A CP reading whose frequency lies outside this is a mix of PWM and steady line (IEC: 980-1020 Hz)."""


def pwm_on(cp: CpMeasurement) -> bool:
    """The CP line switches (x2 sub-state): a PWM is present."""
    return cp.frequency_hz > 0 and 0.0 < cp.duty_percent < 100.0


def advertised_a(cp: CpMeasurement) -> float | None:
    """The current a measured CP line advertises to the EV (reference.iec61851, EV side); None: none."""
    return current_for_duty_percent(cp.duty_percent) if pwm_on(cp) else None


class BoundRoles:
    """Roles bound to a bench's instruments: ``has`` a capability, and ``_role`` the instrument playing
    one (RoleMissing, a skip naming the instrument, when the bench lacks it).  EvSide and rig.site.Site
    forward their actions through it."""

    def __init__(self, roles: OpenedRoles, capabilities: frozenset[str], describe: dict[str, str]) -> None:
        self._roles = roles
        self.capabilities = capabilities
        self._describe = describe           # role -> "cp_control is ev_board (…: states only)"

    def has(self, capability: str) -> bool:
        return capability in self.capabilities

    def _role(self, role: str, feature: str | None = None):  # type: ignore[no-untyped-def]
        name = f"{role}.{feature}" if feature else role
        if name not in self.capabilities:
            raise RoleMissing(f"bench lacks {name}: {self._describe.get(role, f'no {role} role is bound')}")
        return self._roles.get(role)


class EvSide(BoundRoles):
    """The EV side of the bench, one method per thing an EV (or its simulator) does."""

    def __init__(self, roles: OpenedRoles, capabilities: frozenset[str], describe: dict[str, str]) -> None:
        super().__init__(roles, capabilities, describe)
        self.requested_a = 0.0              # what the test asked the EV to draw at most
        self._set_a: float | None = None    # what the follower last set on a plain load
        self._last_window: tuple[float, float] | None = None
        self._last_advertised: float | None = None  # what the previous CP reading advertised (the follower)
        self.overdraw_a: float | None = None  # set_overdraw: the load ignores the PWM meanwhile

    @property
    def follows_pwm(self) -> bool:
        """The load itself draws no more than the PWM advertises (an EV emulator)."""
        return self.has("ev_load.follows_pwm")

    # --- CP control ----------------------------------------------------------------------------
    def set_state(self, state: str) -> None:
        """EV-side state A-D (a CP board's resistors)."""
        letter = state.strip().upper()
        if letter not in EV_STATES:
            raise ValueError(f"an EV sets state A-D, not {state!r} (E is set_cp_pe_short; F is the charger's)")
        self._role("cp_control", "states").set_state(letter)

    def set_diode_short(self, on: bool) -> None:
        self._role("cp_control", "diode_short").set_diode_short(on)

    def set_cp_pe_short(self, on: bool) -> None:
        self._role("cp_control", "cp_pe_short").set_cp_pe_short(on)

    def set_pe_open(self, on: bool) -> None:
        self._role("cp_control", "pe_open").set_pe_open(on)

    # --- EV load -------------------------------------------------------------------------------
    def set_load_current(self, amps: float, ramp_a_per_s: float | None = None) -> None:
        """The most the EV draws; it still follows the PWM (by itself, or through :meth:`follow`)."""
        load = self._role("ev_load", "current")
        if ramp_a_per_s is not None:
            self._role("ev_load", "ramp")
        self.requested_a = float(amps)
        if self.follows_pwm:
            load.set_load_current(amps, ramp_a_per_s)
        else:
            self._apply_follow(force=True)

    def set_overdraw(self, amps: float | None) -> None:
        """Draw ``amps`` whatever the PWM advertises (the overcurrent stimulus); None: back to drawing no
        more than advertised (at most the current the test asked for).  An EV emulator switches its own
        PWM follower off; a plain load is simply set, with the rig's follower held meanwhile."""
        load = self._role("ev_load", "overdraw")
        self.overdraw_a = amps
        if self.follows_pwm:
            load.set_overdraw(amps)
        elif amps is not None:
            load.set_load_current(amps)
            self._set_a = amps
        else:
            self._apply_follow(force=True)

    def load_current_a(self) -> float | None:
        """What the EV draws now (A); None when no instrument plays the load."""
        return self._roles.get("ev_load").load_current_a() if self.has("ev_load") else None

    # --- residual current ----------------------------------------------------------------------
    def set_residual(self, dc_ma: float = 0.0, ac_ma: float = 0.0) -> None:
        if dc_ma:
            self._role("residual_current", "dc")
        if ac_ma:
            self._role("residual_current", "ac")
        self._role("residual_current").set_residual(dc_ma=dc_ma, ac_ma=ac_ma)

    # --- what the EV sees ----------------------------------------------------------------------
    def sample_cp(self) -> CpSample:
        return self._role("cp_measurement").sample_cp()

    def measure_cp(self) -> CpMeasurement:
        return self.sample_cp().cp

    @property
    def command_latency_s(self) -> float:
        """How long after a CP command returns the line may still be changing (wall s): 0 for an
        instrument that answers once it has switched, a one-way board's wire and USB latency otherwise."""
        return float(getattr(self._roles.get("cp_control"), "command_latency_s", 0.0) or 0.0)

    @property
    def cp_resolution_s(self) -> float:
        """How long one CP reading's window may be (wall s): ~0 for a scope, 1 s for a once-a-second board."""
        return float(self._role("cp_measurement").resolution_s)

    def mains_present(self) -> bool:
        return self._role("mains_sense").mains_present()

    def trip_time_ms(self) -> float | None:
        """The declared ``trip`` timer's reading (residual current change -> mains lost); None without
        one, or with no loss of mains since the residual current last changed."""
        timer = self._roles.timers.get("trip")
        return None if timer is None else timer.trip_time_ms()

    def contactor_delay_ms(self) -> float | None:
        """The declared ``contactor`` timer's reading; None without one, or with no move since arming."""
        timer = self._roles.timers.get("contactor")
        return None if timer is None else timer.contactor_delay_ms()

    # --- safe state ----------------------------------------------------------------------------
    def safe(self) -> None:
        """Every bound EV-side role to its safe setting: state A, no fault, no load, no residual current."""
        self.requested_a = 0.0
        self._set_a = None
        self._last_advertised = None
        if self.overdraw_a is not None and self.follows_pwm:
            self._roles.get("ev_load").set_overdraw(None)
        self.overdraw_a = None
        for role, method in (("residual_current", "residual_safe"), ("ev_load", "load_safe"),
                             ("cp_control", "cp_safe")):
            instrument = self._roles.get(role)
            if instrument is not None:
                getattr(instrument, method)()

    # --- the EV's PWM decoder, for a plain load --------------------------------------------------
    def _apply_follow(self, force: bool = False) -> None:
        if self.follows_pwm or not self.has("ev_load") or self.overdraw_a is not None:
            return
        target = 0.0
        if self.has("cp_measurement"):
            sample = self.sample_cp()
            if not force and sample.window == self._last_window:
                return
            self._last_window = sample.window
            advertised = advertised_a(sample.cp)
            target = min(self.requested_a, advertised) if advertised is not None else 0.0
            previous, self._last_advertised = self._last_advertised, advertised
            if advertised is not None and (previous is None or abs(advertised - previous) > ADVERTISED_SAME_A):
                # The PWM started or changed within this reading's window: a once-a-second frame then mixes
                # the two (a frame that is 95 % PWM at 10 % and 5 % steady +12 V reads 14.5 % at 950 Hz).
                # After a start or a fall the true value may be below the mix, so draw the least any PWM
                # offers until a second reading agrees; after a rise keep the old, confirmed value.  A plain
                # load thus never overdraws (a charger may rightly stop an overdrawing EV).
                rose = previous is not None and advertised > previous
                target = min(target, previous if rose else LEAST_ADVERTISED_A)  # type: ignore[type-var]
            if advertised is not None and not PLAUSIBLE_PWM_HZ[0] <= sample.cp.frequency_hz <= PLAUSIBLE_PWM_HZ[1]:
                # A reading that mixes two conditions (a once-a-second board's frame straddling the PWM's
                # start or end): its duty means nothing, so never draw more than before on its word.
                target = min(target, self._set_a or 0.0)
        if target != self._set_a:
            self._roles.get("ev_load").set_load_current(target)
            self._set_a = target

    async def follow(self, poll_wall_s: float = 0.005) -> None:
        """Run until cancelled: the plain load follows the PWM as an EV would (see the module doc)."""
        while True:
            self._apply_follow()
            await asyncio.sleep(poll_wall_s)
