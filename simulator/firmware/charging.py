"""The charging state machine: IEC 61851 states, the spec's extended states, sessions and CP faults.

The controller runs whenever anyone observes the bench (``PhysicalModel.observe``) and from the
server's background tick.  It timestamps its reactions from the moment the CP line changed, so its
delays are exact in device time however coarse the tick is.  The protective functions (residual
current, overcurrent, contactor feedback, mains, temperature) are ``protection.py``'s; the supply
(power loss, power-fail save) is ``power.py``'s.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone

from simulator.defects import ActiveDefects
from simulator.firmware.config_store import ConfigStore
from simulator.firmware.errors_register import ErrorRegister
from simulator.firmware.ledger import Reaction
from simulator.firmware.limits import (
    HW_MAX_A,
    REASON_HW,
    REASON_USER,
    Arbitration,
    arbitrate,
    duty_for_current,
    user_power_current,
)
from simulator.firmware.power import PowerSupervisor
from simulator.firmware.protection import Protection
from simulator.firmware.schedule import ScheduleTimer, firmware_minute_of_week, local_time, scheduled_current
from simulator.firmware.boundary import boundary_timing
from simulator.firmware.timing import FirmwareTiming
from simulator.physics.control_pilot import PilotMode, adc_state_for, line_levels
from simulator.physics.model import PhysicalModel
from simulator.readings import ActiveReadings

DIODE_OK_BELOW_V = -10.5
# Extended states in which the EV is held off while connected: charger_state is the EV's letter or B
# (reading blocked_state_letter).
HELD_OFF = ("B_AUTH", "LOCKED", "B_SCHEDULER", "B_PAUSE")
# The internal reason for dynamic current 0, shown as the reading dynamic_current_zero_state says.
_DYNAMIC_ZERO = "DYNAMIC_ZERO"
_DYNAMIC_ZERO_EXTENDED = {"b_pause": "B_PAUSE", "b": "B", "b_scheduler": "B_SCHEDULER", "c_pwm_off": "C"}


@dataclass
class Session:
    session_id: int
    started_at: float
    energy_base_wh: float
    charging_time_s: float = 0.0
    reset_offset_wh: float = 0.0
    counted: bool = False          # already counted in total_charged_sessions (reading session_booked_at)
    booked_wh: float = 0.0         # energy already added to total_charged_energy
    booked_s: float = 0.0          # charging time already added to total_charged_time


@dataclass
class ControllerState:
    cp_seen: str = "A"
    cp_seen_at: float = 0.0
    allowed_since: float | None = None
    blocked_since: float | None = None
    duty: float = 1.0
    pwm_current: int = 0
    pending_duty: tuple[float, float, int] | None = None  # (due, duty, current)
    fault_until: float = 0.0
    pe_fault: bool = False                          # PE loss shown as E or F (reading pe_open_state)
    pe_fault_at: float = 0.0
    pending_since: float = 0.0                      # when the pending duty change was decided
    close_delay: tuple[float, float] | None = None  # (cause, this occurrence's contactor close delay)
    current_flowing: bool = False                   # the true current, for the meter's lag in the ledger
    grace: tuple[float, float] | None = None        # (blocked since, this occurrence's pause grace)
    ledger: list[Reaction] = field(default_factory=list)


class ChargingController:
    def __init__(self, model: PhysicalModel, store: ConfigStore, defects: ActiveDefects,
                 timing: FirmwareTiming, meter_energy_wh: Callable[[], float],
                 calendar_start: datetime | None = None, readings: ActiveReadings | None = None) -> None:
        self.model = model
        self.readings = readings or ActiveReadings()
        self.limit_set_at: dict[str, float] = {}  # when each settable limit was last set (limit_reason_tie)
        self.meter_energy_wh = meter_energy_wh
        self.store = store
        self.defects = defects
        self.errors = ErrorRegister()
        self.timing = timing = boundary_timing(timing, defects)
        model.pilot.frequency_hz = 1100.0 if "pwm_frequency_1100hz" in defects else timing.pwm_frequency_hz
        model.pilot.duty_offset = timing.duty_offset_pct / 100.0
        # The charger's UTC calendar at device time 0 (NTP-synced on a real unit; the bench declares it in
        # its ready line).  Setting it is a clock re-sync: the scheduler re-runs at once.
        self.calendar_start = calendar_start or datetime.now(timezone.utc)
        self.schedule_overridden = False
        self.schedule_override_armed = False  # reading schedule_override_without_ev "next_session"
        self.schedule_timer = ScheduleTimer(self._schedule_at, self._schedule_inputs, timing, lambda: self.s.ledger)
        self.protection = Protection(self)
        self.power = PowerSupervisor(self)
        self.reboot()
        model.observe(self.tick)

    @property
    def dynamic_current(self) -> int:
        return self._dynamic_current

    @dynamic_current.setter
    def dynamic_current(self, amps: int) -> None:
        self._dynamic_current = amps
        self.limit_set("dynamic_current")

    def limit_set(self, name: str) -> None:
        """A limit was set (by RPC), whether or not its value changed: a tie names the last one set."""
        self.limit_set_at[name] = self.model.clock.now()

    def reboot(self) -> None:
        """Volatile state back to power-on values (config stays in the store)."""
        self.dynamic_current = HW_MAX_A
        self.limit_set_at.clear()
        self.authorized = False
        self.user_stopped = False
        self.paused = False
        self.schedule_overridden = self.schedule_override_armed = False  # 6.33: not kept across a reboot
        self.ota_until = -1.0
        self.ota_started = -1.0
        self.session: Session | None = None
        self.state = "A"
        self.extended = "A"
        self.s = ControllerState(cp_seen_at=self.model.clock.now())
        self.model.set_pilot(PilotMode.DC_HIGH, 1.0)
        self.model.command_contactor(False)
        self.protection.reset(self.s.cp_seen_at)
        self.power.booted()
        if "schedule_lost_on_reset" in self.defects and self.store.data["schedule"]:
            self.store.data["schedule"] = []  # kept in RAM only: every boot starts without one
            self.store.save()
        self.schedule_timer.boot(self.s.cp_seen_at)

    # --- limits -----------------------------------------------------------------------------
    def calendar_utc(self, now: float) -> datetime:
        """The charger's UTC calendar at device time ``now`` (aware)."""
        start = self.calendar_start if self.calendar_start.tzinfo else self.calendar_start.replace(tzinfo=timezone.utc)
        return start.astimezone(timezone.utc) + timedelta(seconds=now)

    def calendar_now(self, now: float) -> datetime:
        """The charger's wall calendar in local time (naive): by gmt_offset or timezone (schedule.py)."""
        return local_time(self.calendar_utc(now), self.store.app, self.readings, self.defects)

    def schedule_current(self, now: float) -> int:
        """The schedule's limit the charging logic applies now: what the scheduler last decided, once it
        has reached the charging logic (schedule.py's ScheduleTimer: evaluation period and lag)."""
        return self.schedule_timer.limit(now)

    def _schedule_at(self, now: float) -> int:
        """What the schedule says at device time ``now``, with the settings as they are (6.31-6.33)."""
        minute = firmware_minute_of_week(self.calendar_now(now), self.defects)
        return scheduled_current(self.store.app, self.store.data["schedule"], minute,
                                 overridden=self.schedule_overridden, readings=self.readings, defects=self.defects)

    def _schedule_inputs(self) -> Hashable:
        """The settings the schedule depends on: when one changes the settings handler re-runs the
        scheduler, so the change is in force at once (not at the timer's next run)."""
        app = self.store.app
        return (app["charging_schedule_enabled"], app["gmt_offset"], app.get("timezone"), self.schedule_overridden,
                self.calendar_start, tuple(tuple(sorted(i.items())) for i in self.store.data["schedule"]))

    def arbitration(self, now: float) -> Arbitration:
        app = self.store.app
        temp_limit = self.protection.temperature_limit()  # derated or 0 as the temperature monitor says
        dynamic = self.dynamic_current
        if dynamic == 0 and "dynamic_zero_keeps_charging" in self.defects:
            dynamic = 6
        volts = self.model.mains.voltage(now) if self.readings.is_("user_power_to_current", "measured_round") \
            else None
        user_power = HW_MAX_A if "user_power_ignored" in self.defects else user_power_current(
            app["user_power"], volts, rounding="floor" if self.readings.is_("user_power_to_current", "nominal_floor")
            else "nearest")
        schedule = self.schedule_current(now)
        limits = {
            "system_max_current": HW_MAX_A,
            "cable_current": HW_MAX_A,
            "install_current": app["install_current"],
            "dynamic_current": dynamic,
            "user_current": app["user_current"],
            "schedule_current": schedule,
            "ocpp_current": HW_MAX_A,
            "em_current": HW_MAX_A,
            "temperature_current": temp_limit,
            "user_power_current": min(HW_MAX_A, user_power),
        }
        overrides = {"dynamic_current": 2} if "wrong_limit_reason_dynamic" in self.defects else {}
        if "schedule_limit_reason_wrong" in self.defects:
            overrides["schedule_current"] = REASON_USER
        overrides.update(self.protection.reason_overrides())
        if self.readings.is_("user_power_limit_reason", "hw"):
            overrides["user_power_current"] = REASON_HW
        last_set = self.limit_set_at if self.readings.is_("limit_reason_tie", "set_limit") else None
        unenforced = self._unenforced_limits(limits)
        if unenforced:  # reported as set, arbitrated as if absent
            result = arbitrate({**limits, **{name: HW_MAX_A for name in unenforced}}, overrides, last_set)
            return Arbitration({**result.limits, **{name: limits[name] for name in unenforced}},
                               result.charging_current, result.reason)
        return arbitrate(limits, overrides, last_set)

    def _unenforced_limits(self, limits: dict[str, int]) -> tuple[str, ...]:
        """The limits a defect reports but never applies to the charging current."""
        names: tuple[str, ...] = ()
        if "install_current_not_limiting" in self.defects:
            names += ("install_current",)
        if limits["schedule_current"] > 0 and "schedule_current_not_applied" in self.defects:
            names += ("schedule_current",)  # a pause (0 A) still pauses
        return names

    # --- the state machine --------------------------------------------------------------------
    def tick(self, now: float) -> None:
        if not self.power.supplied(now):
            return  # no supply: the firmware is not running
        s, model = self.s, self.model
        self._ledger_meter_lag(now)
        levels = line_levels(model.pilot, model.ev)
        letter = adc_state_for(levels.high_v)
        if model.pilot.mode is PilotMode.DC_NEGATIVE:
            letter = "F"
        elif letter != s.cp_seen and now >= model.cp_changed_at + self.timing.cp_debounce_s:
            s.cp_seen, s.cp_seen_at = letter, model.cp_changed_at + self.timing.cp_debounce_s
            s.ledger.append(Reaction(f"state_{letter}_seen", model.cp_changed_at, s.cp_seen_at))
        self.protection.check(now)
        self._check_faults(now, letter, levels.low_v)
        if self.protection.holds():
            self._held(now)
            return
        if s.fault_until > now:
            return
        if model.pilot.mode is PilotMode.DC_NEGATIVE:  # fault hold over: retry from +12 V
            model.set_pilot(PilotMode.DC_HIGH, 1.0)
            return
        cp, since = s.cp_seen, s.cp_seen_at
        pe_reading = self.readings["pe_open_state"]
        if model.ev.pe_open and pe_reading != "a" and (s.pe_fault or self.session is not None):
            # A charger that monitors its PE path shows the loss as E or F (reading pe_open_state),
            # not as the unplugged EV that the floating CP line looks like.
            if not s.pe_fault:
                s.pe_fault, s.pe_fault_at = True, model.cp_changed_at + self.timing.cp_debounce_s
            cp, since = pe_reading.upper(), s.pe_fault_at
        else:
            s.pe_fault = False
        if cp in ("E", "F"):
            self._enter_error(since, "state_e_activated" if cp == "E" else "state_f_activated",
                              pilot_negative=False)
            return
        self.errors.set("state_e_activated", False)
        self.errors.set("state_f_activated", False)
        if cp == "A":
            self._unplugged(now)
            return
        self._connected(now, cp)

    def _ledger_meter_lag(self, now: float) -> None:
        """Ledger: once the current stops (the EV leaves C, the contactor opens), the meter, which
        reports the mean over its own window (``meter_window_s``), reads no current only one window
        later.  That lag is the charger's own, like a contactor delay: whoever asks the charger whether
        the current stopped (the safe state after every bench test that charged) waits it out.  If the
        current flows again first, the lag ends there (no one waits on that window as a sign of "no
        current")."""
        s, window = self.s, self.timing.meter_window_s
        flowing = self.model.load.current_a > 0
        if flowing == s.current_flowing or window <= 0:
            s.current_flowing = flowing
            return
        s.current_flowing = flowing
        if not flowing:
            s.ledger.append(Reaction("meter_reports_no_current", now, now + window))
            return
        for index in range(len(s.ledger) - 1, -1, -1):
            lag = s.ledger[index]
            if lag.what == "meter_reports_no_current":
                if lag.applied_at > now:
                    s.ledger[index] = replace(lag, applied_at=now)
                return

    def _check_faults(self, now: float, letter: str, low_v: float) -> None:
        s, model = self.s, self.model
        # The diode is judged on a settled line only: the present level and the debounced state both in
        # B/C/D (a CP-PE short also lifts the low level, but it is state E, not a diode fault).
        settled_at = model.cp_changed_at + self.timing.cp_debounce_s
        diode_bad = (model.pilot.mode is PilotMode.PWM and letter in ("B", "C", "D") and s.cp_seen == letter
                     and now >= settled_at and low_v > DIODE_OK_BELOW_V
                     and "diode_check_missing" not in self.defects)
        if diode_bad:
            since = max(settled_at, s.cp_seen_at, s.allowed_since or 0.0)
            reading = self.readings["diode_fault_state"]
            if reading == "cp_letter":  # stays in its CP state, extended E, PWM off (x1)
                self._enter_error(since, "cp_diode_failure", pilot_negative=False, shown=(letter, "E"))
                model.set_pilot(PilotMode.DC_HIGH, 1.0)
            else:
                self._enter_error(since, "cp_diode_failure", pilot_negative=True,
                                  shown=("E", "E") if reading == "e" else None)

    def _held(self, now: float) -> None:
        """A protective stop holds (``protection.py``): PWM off, the contactor open, charging booked as
        ended, the state shown as the protection says; an unplug still ends the session."""
        s, model, protection = self.s, self.model, self.protection
        if model.ev.state == "A":  # the plug's contact: the CP line may be held at -12 V meanwhile
            self._unplugged(now)
            if not protection.holds():
                return
        elif self.session is None:
            self._start_session(now)
        if model.contactor.commanded_closed:
            model.command_contactor(False)
        if protection.pilot_negative():
            model.set_pilot(PilotMode.DC_NEGATIVE, 0.0)
        else:
            model.set_pilot(PilotMode.DC_HIGH, 1.0)
        s.allowed_since = s.pending_duty = None
        self._book_session(now, charging_ended=True)
        self._account_session(now)
        self.state, self.extended = protection.shown(s.cp_seen)

    def _enter_error(self, since: float, flag: str, pilot_negative: bool,
                     shown: tuple[str, str] | None = None) -> None:
        """React to a fault that the line showed at device time ``since``: the contactor opens
        ``contactor_open_s`` after it, however late the tick that noticed it.  ``shown``: the
        (charger_state, extended state) a reading of the spec shows instead of the default."""
        s, model = self.s, self.model
        if not (flag == "state_e_activated" and "cp_pe_short_flag_missing" in self.defects):
            self.errors.set(flag, True)
        if model.contactor.commanded_closed:
            timing = self.timing
            at = since + timing.vary(timing.contactor_open_s if timing.fault_open_s is None else timing.fault_open_s)
            model.command_contactor(False, at=at)
            s.ledger.append(Reaction(f"contactor_open_on_{flag}", since, at + model.contactor.open_delay_s))
        in_f = "E" if self.readings.is_("extended_state_in_f", "e") else "F"
        if pilot_negative:
            if model.pilot.mode is not PilotMode.DC_NEGATIVE:
                s.fault_until = since + self.timing.vary(self.timing.fault_hold_s)
            model.set_pilot(PilotMode.DC_NEGATIVE, 0.0)
            self.state, self.extended = "F", in_f
        else:
            self.state, self.extended = ("E", "E") if flag == "state_e_activated" else ("F", in_f)
        if shown is not None:
            self.state, self.extended = shown
        s.allowed_since = None

    def _unplugged(self, now: float) -> None:
        s, model = self.s, self.model
        if model.contactor.commanded_closed:
            at = s.cp_seen_at + self.timing.vary(self.timing.contactor_open_s)
            model.command_contactor(False, at=at)
            s.ledger.append(Reaction("contactor_open_on_unplug", s.cp_seen_at, at + model.contactor.open_delay_s))
        model.set_pilot(PilotMode.DC_HIGH, 1.0)
        if self.session is not None:
            self._end_session(now)
        self.authorized = self.user_stopped = self.paused = False
        if "schedule_override_not_rearmed" not in self.defects:
            self.schedule_overridden = False  # 6.33 'reactivated when the car is disconnected'
        self.protection.unplugged(now)
        self.power.forget_session()
        self.errors.set("cp_diode_failure", False)
        s.allowed_since = s.blocked_since = None
        s.pending_duty = None
        self.state, self.extended = "A", "A"

    def blocked_reason(self, now: float, arbitration: Arbitration) -> str | None:
        """Why charging is not allowed now (an extended state), or None when it is."""
        app = self.store.app
        if self.ota_until > now:
            return "OTA"
        if self.errors.any_active() and not self._only_warnings():
            return "E"
        if app["charger_locked"] and "locked_still_charges" not in self.defects:
            return "LOCKED"
        if not app["headless"] and not self.authorized and "headless_ignored" not in self.defects:
            return "B_AUTH"
        if self.user_stopped:
            return "B"
        if self.paused and "pwm_kept_on_pause" not in self.defects:
            return "B_PAUSE"
        if arbitration.limits["schedule_current"] == 0:
            return "B_SCHEDULER"
        if arbitration.charging_current < 6:
            return _DYNAMIC_ZERO if arbitration.limits["dynamic_current"] < 6 else "B_PAUSE"
        return None

    def start_ota(self, now: float) -> None:
        """Ota.Verify: the unit is in its OTA state for a while and does not charge meanwhile."""
        self.ota_started, self.ota_until = now, now + self.timing.ota_s

    def _only_warnings(self) -> bool:
        """Overtemperature only derates; every other active error stops charging."""
        warnings = self.protection.warnings()
        return all(not on or flag in warnings for flag, on in self.errors.active.items())

    def _connected(self, now: float, cp: str) -> None:
        s, model, timing = self.s, self.model, self.timing
        if self.session is None:
            self._start_session(now)
        arb = self.arbitration(now)
        blocked = self.blocked_reason(now, arb)
        self.state = cp
        closed = model.contactor.commanded_closed
        if blocked is not None:
            if s.blocked_since is None:
                s.blocked_since = self.ota_started if blocked == "OTA" else now
            s.allowed_since = None
            model.set_pilot(PilotMode.DC_HIGH, 1.0)
            s.pending_duty = None
            self.extended = _DYNAMIC_ZERO_EXTENDED[self.readings["dynamic_current_zero_state"]] \
                if blocked == _DYNAMIC_ZERO else blocked
            if cp in ("C", "D") and self.extended in HELD_OFF and self.readings.is_("blocked_state_letter", "b"):
                self.state = "B"  # the EVSE's own view: connected, not charging
            if closed:
                at = self._blocked_open_time(now, cp, blocked)
                if at is not None:
                    model.command_contactor(False, at=at)
                    s.ledger.append(Reaction("contactor_open_blocked", s.blocked_since, at))
            if not model.contactor.commanded_closed:
                self._book_session(now, charging_ended=True)
            self._account_session(now)
            return
        s.blocked_since = None
        if s.allowed_since is None:
            s.allowed_since = now
        self._drive_pwm(now, arb)
        self.extended = {"B": "B", "C": "C", "D": "D"}[cp]
        if cp in ("C", "D") and not closed and not self.protection.inhibits_close():
            cause = max(s.cp_seen_at, s.allowed_since)
            if s.close_delay is None or s.close_delay[0] != cause:
                s.close_delay = (cause, timing.vary(timing.contactor_close_s))
            at = cause + s.close_delay[1]
            if at <= now:
                model.command_contactor(True, at=at)
                s.ledger.append(Reaction("contactor_close", cause, at + model.contactor.close_delay_s))
        elif cp == "B" and not closed and "contactor_closes_in_b" in self.defects:
            model.command_contactor(True, at=now)
        elif cp == "B" and closed and "contactor_closes_in_b" not in self.defects:
            at = s.cp_seen_at + timing.vary(timing.contactor_open_s)
            model.command_contactor(False, at=at)
            s.ledger.append(Reaction("contactor_open", s.cp_seen_at, at + model.contactor.open_delay_s))
            self._book_session(now, charging_ended=True)
        self._account_session(now)

    def _blocked_open_time(self, now: float, cp: str, blocked: str) -> float | None:
        """When the contactor opens once charging is no longer allowed (None: not yet).

        EV back in B: within the open delay.  Error: at once.  OTA: at once, or as a pause (reading
        charger_stop_sequence).  Paused with the EV still in C: after the IEC grace time of >= 6 s
        (field-facts §4)."""
        s, timing = self.s, self.timing
        assert s.blocked_since is not None
        if cp == "B":
            return max(s.cp_seen_at, s.blocked_since) + timing.vary(timing.contactor_open_s)
        if blocked == "E" or blocked == "OTA" and self.readings.is_("charger_stop_sequence", "together"):
            return s.blocked_since
        if "pause_never_opens" in self.defects:
            return None
        if s.grace is None or s.grace[0] != s.blocked_since:
            s.grace = (s.blocked_since, timing.vary(timing.pause_open_s))
        at = s.blocked_since + s.grace[1]
        return at if at <= now else None

    def _drive_pwm(self, now: float, arb: Arbitration) -> None:
        s, model = self.s, self.model
        current = arb.charging_current
        duty = duty_for_current(current)
        if current > 20 and "duty_formula_wrong_above_20a" in self.defects:
            duty = (current / 2.5 + 64.0) / 100.0
        if model.pilot.mode is not PilotMode.PWM:
            model.set_pilot(PilotMode.PWM, duty)
            s.duty, s.pwm_current, s.pending_duty = duty, current, None
            return
        if current != s.pwm_current and (s.pending_duty is None or s.pending_duty[2] != current):
            s.pending_duty = (now + self.timing.vary(self.timing.pwm_update_s), duty, current)
            s.pending_since = now
        if s.pending_duty is not None and now >= s.pending_duty[0]:
            due, duty, current = s.pending_duty
            model.set_pilot(PilotMode.PWM, duty)
            s.ledger.append(Reaction("pwm_update", s.pending_since, due))
            if "pwm_current_stale" in self.defects:
                current = s.pwm_current
            s.duty, s.pwm_current, s.pending_duty = duty, current, None

    # --- sessions -------------------------------------------------------------------------------
    def _start_session(self, now: float) -> None:
        self.session = self.power.resumed_session(self.meter_energy_wh())  # reading session_after_mains_loss
        if self.session is None:
            self._new_session(now)
        self._last_account = now
        if self.schedule_override_armed:  # an Override sent with no EV, for this plug-in (6.33)
            self.schedule_overridden, self.schedule_override_armed = True, False

    def _new_session(self, now: float) -> None:
        counters = self.store.data["counters"]
        counters["last_session_id"] += 1
        self.store.save()
        self.session = Session(counters["last_session_id"], now, self.meter_energy_wh())

    def _account_session(self, now: float) -> None:
        if self.session is not None and self.model.contactor.is_closed(now):
            self.session.charging_time_s += max(0.0, now - self._last_account)
        self._last_account = now

    def session_energy_wh(self, meter_energy_wh: float) -> float:
        if self.session is None:
            return float(self.store.data["counters"]["last_session_energy_wh"])
        return max(0.0, meter_energy_wh - self.session.energy_base_wh - self.session.reset_offset_wh)

    def _book_session(self, now: float, *, charging_ended: bool) -> None:
        """Add the session's energy and time so far to the lifetime counters (spec 6.22) and count it
        once: at unplug, or already when charging ends (reading session_booked_at)."""
        session = self.session
        if session is None or charging_ended and not self.readings.is_("session_booked_at", "charging_end"):
            return
        if charging_ended and (session.charging_time_s == 0.0 or
                               session.booked_s == session.charging_time_s and session.counted):
            return  # nothing charged yet, or nothing since the last booking
        energy = self.session_energy_wh(self.meter_energy_wh())
        counters = self.store.data["counters"]
        if not session.counted and "sessions_not_counted" not in self.defects:
            counters["total_charged_sessions"] += 1
        session.counted = True
        total = energy + session.reset_offset_wh
        counters["total_charged_energy_wh"] += max(0.0, total - session.booked_wh)
        session.booked_wh = max(session.booked_wh, total)
        counters["total_charged_time_min"] += int(session.charging_time_s // 60) - int(session.booked_s // 60)
        session.booked_s = session.charging_time_s
        booked = math.floor(energy) if self.timing.energy_floor else int(round(energy))  # 1 Wh resolution
        counters["last_session_energy_wh"] = booked - 2 if "last_session_energy_2wh_short" in self.defects else booked
        self.store.save()

    def _end_session(self, now: float) -> None:
        self._book_session(now, charging_ended=False)
        self.session = None
