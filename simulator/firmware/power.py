"""The charger's supply: it runs only while mains is on.

A mains loss leaves the firmware unpowered: the contactor coil drops at once, the RPC server goes
silent (the transport is told through ``on_power_loss``), and the hold-up capacitor's power-fail save
books the session's energy so far into the lifetime counters (spec 6.22) before the board dies.  On
mains back the transport is told (``on_power_back``) and boots the charger ``reboot_s`` later
(``VirtualCharger.power_on``).  Whether the EV still plugged in then continues its session or starts a
new one is reading ``session_after_mains_loss``: the save keeps what a resumed session needs.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from simulator.physics.control_pilot import PilotMode

if TYPE_CHECKING:
    from simulator.firmware.charging import ChargingController, Session

_SAVED = "power_fail_session"  # the counters' record of the session cut by a mains loss


class PowerSupervisor:
    def __init__(self, controller: ChargingController) -> None:
        self.ctl = controller
        self.powered = True
        self.on_power_loss: Callable[[], None] = lambda: None
        self.on_power_back: Callable[[], None] = lambda: None
        self._back_told = False
        self._resumable: dict[str, Any] | None = None

    def supplied(self, now: float) -> bool:
        """Whether the firmware runs at ``now``; notices a mains loss (and tells of mains back)."""
        mains_on = self.ctl.model.mains.on
        if self.powered:
            if mains_on:
                return True
            self._power_fail()
            return False
        if mains_on and not self._back_told:
            self._back_told = True
            self.on_power_back()
        elif not mains_on:
            self._back_told = False
        return False

    def booted(self) -> None:
        """Power-on (``ChargingController.reboot``): running if supplied; a session cut by a mains loss is
        resumable once (reading session_after_mains_loss "resumed")."""
        ctl = self.ctl
        self.powered = ctl.model.mains.on
        self._back_told = False
        saved = ctl.store.data["counters"].pop(_SAVED, None)
        if saved is not None:
            ctl.store.save()
        self._resumable = saved if ctl.readings.is_("session_after_mains_loss", "resumed") else None

    def _power_fail(self) -> None:
        ctl, model = self.ctl, self.ctl.model
        cut = model.mains_changed_at
        self.powered = False
        model.command_contactor(False, at=cut)  # no supply, no coil
        model.set_pilot(PilotMode.DC_HIGH, 1.0)  # nor PWM
        if ctl.session is not None and "energy_lost_on_power_cut" not in ctl.defects:
            self._save(cut)
        self.on_power_loss()

    def _save(self, cut: float) -> None:
        """The power-fail save: book the session so far (counted once, energy and time) and keep what a
        resumed session continues from."""
        ctl = self.ctl
        session = ctl.session
        assert session is not None
        ctl._account_session(cut)
        ctl._book_session(cut, charging_ended=False)
        ctl.store.data["counters"][_SAVED] = {
            "session_id": session.session_id, "energy_wh": ctl.session_energy_wh(ctl.meter_energy_wh()),
            "charging_time_s": session.charging_time_s, "reset_offset_wh": session.reset_offset_wh,
            "counted": session.counted, "booked_wh": session.booked_wh, "booked_s": session.booked_s}
        ctl.store.save()

    def resumed_session(self, meter_energy_wh: float) -> Session | None:
        """The session cut by the mains loss, continued (reading "resumed"), or None: a new one."""
        from simulator.firmware.charging import Session

        saved, self._resumable = self._resumable, None
        if saved is None:
            return None
        base = meter_energy_wh - saved["energy_wh"] - saved["reset_offset_wh"]
        return Session(saved["session_id"], self.ctl.model.clock.now(), base, saved["charging_time_s"],
                       saved["reset_offset_wh"], saved["counted"], saved["booked_wh"], saved["booked_s"])

    def forget_session(self) -> None:
        """The EV was unplugged: a cut session is not resumed (it was booked at the cut)."""
        self._resumable = None
