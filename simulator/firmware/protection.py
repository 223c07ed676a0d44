"""The charger's protective functions: residual current, overcurrent, contactor feedback, mains, temperature.

Each monitor timestamps its reaction from its *cause* in device time (the residual current changing, the
overdraw starting, the supply leaving its band, the contactor not following its coil), never from the
tick that noticed it, so a trip time is exact however coarse the main loop runs.  A protective time is
total as a bench sees it at the EV side: the firmware releases the coil ``contactor.open_delay_s``
before it, so the contacts open exactly then (field-facts §5; benches/default-limits.toml).

The monitors set the error flags of spec 6.16 (and so 6.9's logged copies), latch what must stay
latched, open the contactor, and tell the charging state machine (``simulator.firmware.charging``)
whether they hold charging off and what the charger shows meanwhile.  What the spec leaves open is a
reading: ``rcd_fault_state``, ``rcd_recovery``, ``mains_voltage_flag``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from simulator.firmware.ledger import Reaction
from simulator.firmware.limits import HW_MAX_A, REASON_HW
from simulator.firmware.timing import FirmwareTiming
from simulator.physics.control_pilot import PilotMode

if TYPE_CHECKING:
    from simulator.firmware.charging import ChargingController

# Detector bands: the trip time depends on the residual current's size (IEC 62955 for DC, IEC 61008-1
# type A for AC: 1 x, 2 x and 5 x IΔn 30 mA).
DC_BANDS_MA, AC_BANDS_MA = (60.0, 200.0), (60.0, 150.0)
EV_FOLLOW_S = 5.0              # an EV may take this long to follow a lower PWM current (field-facts §4)
MAINS_OK_V = (207.0, 253.0)    # 230 V ±10 %: a flagged supply clears once back inside (EN 50160)
DERATED_A = 16                 # overtemperature derates to this current (spec 6.5 reason 8)
TEMPERATURE_HYSTERESIS_C = 5.0  # a temperature flag clears this far below its threshold
SELF_TEST_FLAGS = ("rcd_test_error", "rcd_init_start_error", "rcd_init_end_error")


def rcd_trip_time_s(dc_ma: float, ac_ma: float, t: FirmwareTiming) -> float | None:
    """Total trip time of the built-in RDC-DD / type A detector (residual change to contacts open), or
    None below both thresholds; with both channels over, the quicker one trips."""
    times = []
    if dc_ma >= t.rcd_dc_threshold_ma:
        times.append(t.rcd_dc_6ma_s if dc_ma < DC_BANDS_MA[0] else t.rcd_dc_60ma_s if dc_ma < DC_BANDS_MA[1]
                     else t.rcd_dc_200ma_s)
    if ac_ma >= t.rcd_ac_threshold_ma:
        times.append(t.rcd_ac_1x_s if ac_ma < AC_BANDS_MA[0] else t.rcd_ac_2x_s if ac_ma < AC_BANDS_MA[1]
                     else t.rcd_ac_5x_s)
    return min(times) if times else None


@dataclass
class ProtectionState:
    """Volatile protection state: a reboot (Device.Reset, power cycle) starts a fresh one."""

    armed_at: float                                  # boot: nothing before it is held against the charger
    rcd_latched: bool = False
    rcd_rearmed_at: float = 0.0                      # the detector re-armed (its latch cleared)
    rcd_baseline: tuple[float, float] = (0.0, 0.0)   # defect rcd_resumes_with_fault: re-zeroed offset
    overcurrent: bool = False
    over_since: float | None = None                  # the overdraw began (meter current above the allowance)
    over_checked_at: float = 0.0
    pwm_seen: int = 0                                # pwm_current as last seen, and the one before a decrease
    pwm_before: int = 0
    pwm_lowered_at: float = -EV_FOLLOW_S
    contactor_failed: bool = False
    mains_fault: str | None = None                   # "over" / "under" while flagged
    mains_bad_since: float | None = None
    mains_ok_since: float | None = None
    temp_hot: dict[str, bool] = field(default_factory=lambda: {"overtemp": False, "critical_temp": False})
    temp_changed_at: dict[str, float] = field(default_factory=lambda: {"overtemp": 0.0, "critical_temp": 0.0})
    temp_acted: dict[str, bool] = field(default_factory=lambda: {"overtemp": False, "critical_temp": False})


class Protection:
    """The protective monitors of one controller; :meth:`check` runs them every tick."""

    def __init__(self, controller: ChargingController) -> None:
        self.ctl = controller
        self.st = ProtectionState(armed_at=controller.model.clock.now())
        self.boots = 0

    def reset(self, now: float) -> None:
        """Power-on: every latch open, every monitor armed from ``now``, the RCD self-test passed (its
        flags false)."""
        self.st = ProtectionState(armed_at=now, rcd_rearmed_at=now, over_checked_at=now)
        self.boots += 1
        for flag in SELF_TEST_FLAGS:
            self.ctl.errors.set(flag, False)
        if self.boots > 1 and "rcd_init_flag_after_reset" in self.ctl.defects:
            self.ctl.errors.set("rcd_init_end_error", True)  # a warm boot leaves the init-end flag set

    def check(self, now: float) -> None:
        self._rcd(now)
        self._overcurrent(now)
        self._contactor(now)
        self._mains(now)
        self._temperature(now)

    # --- what the state machine asks ----------------------------------------------------------
    def holds(self) -> bool:
        """A latched stop: charging is held off, PWM off, the contactor open."""
        st = self.st
        return st.rcd_latched or st.overcurrent or st.contactor_failed or st.mains_fault is not None

    def inhibits_close(self) -> bool:
        """The contactor must not close: a stop holds, or a residual current at or above the detector's
        threshold is present (before any trip too: IEC 62955 keeps the contacts open)."""
        if self.holds():
            return True
        if "rcd_closes_with_residual" in self.ctl.defects or not self.ctl.store.charger["rcd_enabled"]:
            return False
        return self._rcd_trip_total_s(*self._residual_seen()) is not None

    def shown(self, letter: str) -> tuple[str, str]:
        """(charger_state, extended_charger_state) while a stop holds; ``letter`` is the EV's CP letter."""
        if self.st.rcd_latched:
            if "rcd_trip_not_shown" in self.ctl.defects:
                return letter, letter
            reading = self.ctl.readings["rcd_fault_state"]
            if reading == "e":
                return "E", "E"
            if reading == "f":
                return "F", "E" if self.ctl.readings.is_("extended_state_in_f", "e") else "F"
        return letter, "E"

    def pilot_negative(self) -> bool:
        """Whether the charger drives state F (-12 V) while the stop holds (reading rcd_fault_state f)."""
        return self.st.rcd_latched and self.ctl.readings.is_("rcd_fault_state", "f") \
            and "rcd_trip_not_shown" not in self.ctl.defects

    def unplugged(self, now: float) -> None:
        """The EV is unplugged: the stops that clear on unplug do."""
        st, defects = self.st, self.ctl.defects
        st.overcurrent, st.over_since = False, None
        if st.contactor_failed and "charges_after_contactor_failure" in defects:
            st.contactor_failed = False
        self._rcd_recovery(now)

    # --- residual current (field-facts §5) ------------------------------------------------------
    def _residual_seen(self) -> tuple[float, float]:
        """(DC, AC) mA as the detector reads them: the test loop through its sensor, less a re-zeroed
        offset, through each channel that works."""
        model, defects = self.ctl.model, self.ctl.defects
        dc = max(0.0, model.residual_dc_ma - self.st.rcd_baseline[0])
        ac = max(0.0, model.residual_ac_ma - self.st.rcd_baseline[1])
        if "rcd_dc_channel_dead" in defects:
            dc = 0.0
        if "rcd_ac_channel_dead" in defects:
            ac = 0.0
        return dc, ac

    def _rcd_trip_total_s(self, dc_ma: float, ac_ma: float) -> float | None:
        return rcd_trip_time_s(dc_ma, ac_ma, self.ctl.timing)

    def _rcd(self, now: float) -> None:
        ctl, st, model = self.ctl, self.st, self.ctl.model
        defects = ctl.defects
        if st.rcd_latched:
            self._rcd_recovery(now)
        else:
            total = self._rcd_trip_total_s(*self._residual_seen())
            if ctl.store.charger["rcd_enabled"] and total is not None:
                cause = max(model.residual_changed_at, st.armed_at, st.rcd_rearmed_at)
                contactor = model.contactor
                if "rcd_closes_with_residual" in defects:  # samples the residual only on a closed circuit
                    moved = contactor.last_change_at(now)
                    cause = max(cause, moved or 0.0) if contactor.is_closed(now) else float("inf")
                opens_at = cause + total
                coil_at = max(cause, opens_at - contactor.open_delay_s)
                if now >= coil_at:
                    st.rcd_latched = True
                    model.command_contactor(False, at=coil_at)
                    ctl.s.ledger.append(Reaction("rcd_trip", cause, opens_at))
                    ctl.errors.logged["rcd_error"] = True  # the event log, even where the live flag is lost
        shows_flag = "rcd_error_not_active" not in defects and "rcd_trip_not_shown" not in defects
        ctl.errors.set("rcd_error", st.rcd_latched and shows_flag)

    def _rcd_recovery(self, now: float) -> None:
        """Clear the latch as reading rcd_recovery says (unplugged and gone, 5 s after gone, or never)."""
        ctl, st, model = self.ctl, self.st, self.ctl.model
        if not st.rcd_latched:
            return
        unplugged = model.ev.state == "A"  # the plug's own contact: the CP line may be held at -12 V
        gone = self._rcd_trip_total_s(*self._residual_seen()) is None
        if "rcd_resumes_with_fault" in ctl.defects and unplugged:
            st.rcd_baseline = (model.residual_dc_ma, model.residual_ac_ma)  # re-zeroes on the fault itself
            clear = True
        else:
            reading = ctl.readings["rcd_recovery"]
            gone_at = max(model.residual_changed_at, st.armed_at)
            clear = gone and (unplugged if reading == "unplug" else
                              now >= gone_at + ctl.timing.rcd_auto_reclose_s if reading == "automatic" else False)
        if clear:
            st.rcd_latched, st.rcd_rearmed_at = False, now
            ctl.errors.set("rcd_error", False)
            if "rcd_no_latch" in ctl.defects:
                ctl.errors.logged["rcd_error"] = False

    # --- overcurrent ----------------------------------------------------------------------------
    def _overcurrent(self, now: float) -> None:
        self._overdraw(now)
        st, ctl = self.st, self.ctl
        ctl.errors.set("overcurrent", st.overcurrent and "overcurrent_flag_missing" not in ctl.defects)

    def _overdraw(self, now: float) -> None:
        """Meter current above pwm_current + the margin for ``overcurrent_s`` -> latched stop (until
        unplug).  After a PWM decrease the old current stays allowed for EV_FOLLOW_S."""
        ctl, st, model, t = self.ctl, self.st, self.ctl.model, self.ctl.timing
        if model.pilot.mode is not PilotMode.PWM:
            # No PWM: nothing is advertised, so the next PWM (a new session, or after a pause) starts
            # afresh; it is no decrease from a current an earlier session advertised.
            st.pwm_seen, st.pwm_lowered_at = 0, -EV_FOLLOW_S
        elif ctl.s.pwm_current != st.pwm_seen:  # an EV has EV_FOLLOW_S to follow a lower current
            if ctl.s.pwm_current < st.pwm_seen:
                st.pwm_before, st.pwm_lowered_at = st.pwm_seen, now
            st.pwm_seen = ctl.s.pwm_current
        checked, st.over_checked_at = st.over_checked_at, model.integrated_at
        if st.overcurrent or "overcurrent_ignored" in ctl.defects:
            return
        charging = model.pilot.mode is PilotMode.PWM and model.contactor.is_closed(now)
        allowed = st.pwm_seen if now >= st.pwm_lowered_at + EV_FOLLOW_S else max(st.pwm_seen, st.pwm_before)
        # The firmware samples its own meter's current (calibrated: its error included) at its ADC rate.
        threshold = (allowed + t.overcurrent_margin_a) / (1.0 + t.meter_current_error)
        if not charging or model.load.current_a <= threshold:
            st.over_since = None
            return
        if st.over_since is None:
            st.over_since = model.first_current_above(threshold, checked) or model.integrated_at
        opens_at = st.over_since + t.overcurrent_s
        coil_at = opens_at - model.contactor.open_delay_s
        if now >= coil_at:
            st.overcurrent = True
            model.command_contactor(False, at=coil_at)
            ctl.s.ledger.append(Reaction("overcurrent_trip", st.over_since, opens_at))

    # --- contactor feedback ---------------------------------------------------------------------
    def _contactor(self, now: float) -> None:
        """The charger senses its output: a circuit closed with the coil released (welded), or open with
        the coil energised past its closing mechanics (stuck open), for ``contactor_failure_s``."""
        ctl, st, model = self.ctl, self.st, self.ctl.model
        ctl.errors.set("contactor_failure", st.contactor_failed)
        if st.contactor_failed:
            return
        c, defects = model.contactor, ctl.defects
        circuit = c.is_closed(now) and model.mains.on
        since = max(st.armed_at, model.mains_changed_at, model.contactor_fault_changed_at)
        if not c.commanded_closed and circuit and "contactor_weld_not_flagged" not in defects:
            onset = max(since, c.commanded_at)
        elif c.commanded_closed and not circuit and "contactor_stuck_open_not_flagged" not in defects:
            onset = max(since, c.commanded_at + c.close_delay_s)
        else:
            return
        at = onset + ctl.timing.contactor_failure_s
        if now >= at:
            st.contactor_failed = True
            model.command_contactor(False, at=at)
            ctl.s.ledger.append(Reaction("contactor_failure", onset, at))
            ctl.errors.set("contactor_failure", True)

    # --- mains voltage ----------------------------------------------------------------------------
    def _mains(self, now: float) -> None:
        ctl, st, model, t = self.ctl, self.st, self.ctl.model, self.ctl.timing
        scale = 1.0 + t.meter_voltage_error  # the charger's own voltage measurement
        volts, nominal = model.mains.voltage(now) * scale, model.mains.nominal_v * scale
        if st.mains_fault is None:
            over = volts > t.mains_high_v and "overvoltage_ignored" not in ctl.defects
            under = volts < t.mains_low_v and "undervoltage_ignored" not in ctl.defects
            if not (over or under):
                st.mains_bad_since = None
            else:
                if st.mains_bad_since is None:  # the source's step, unless only the ripple crossed
                    stepped = nominal > t.mains_high_v or nominal < t.mains_low_v
                    st.mains_bad_since = max(model.mains_changed_at, st.armed_at) if stepped else now
                opens_at = st.mains_bad_since + t.mains_fault_s
                coil_at = opens_at - model.contactor.open_delay_s
                if now >= coil_at:
                    st.mains_fault, st.mains_ok_since = ("over" if over else "under"), None
                    model.command_contactor(False, at=coil_at)
                    ctl.s.ledger.append(Reaction(f"{st.mains_fault}voltage_stop", st.mains_bad_since, opens_at))
        elif MAINS_OK_V[0] <= volts <= MAINS_OK_V[1]:
            if st.mains_ok_since is None:
                in_band = MAINS_OK_V[0] <= nominal <= MAINS_OK_V[1]
                st.mains_ok_since = model.mains_changed_at if in_band else now
            if now >= st.mains_ok_since + t.mains_recover_s:
                st.mains_fault = st.mains_bad_since = st.mains_ok_since = None
        else:
            st.mains_ok_since = None
        self._mains_flags()

    def _mains_flags(self) -> None:
        """The flag(s) of reading mains_voltage_flag: specific, generic voltage_error, or both."""
        ctl, fault = self.ctl, self.st.mains_fault
        if "voltage_flag_missing" in ctl.defects:
            fault = None
        reading = ctl.readings["mains_voltage_flag"]
        specific, generic = reading in ("specific", "both"), reading in ("generic", "both")
        ctl.errors.set("overvoltage_error", specific and fault == "over")
        ctl.errors.set("undervoltage_error", specific and fault == "under")
        ctl.errors.set("voltage_error", generic and fault is not None)

    # --- temperature (chapter 5 overtemp_threshold, critical_temp_threshold, temp_offset) ----------
    def _temperature(self, now: float) -> None:
        """Charger temperature = board + temp_offset, at the 0.1 °C resolution Charger_info reports it;
        each flag sets at its threshold and clears 5 °C below, acted on ``temperature_poll_s`` after the
        crossing."""
        ctl, st = self.ctl, self.st
        charger = ctl.store.charger
        temperature = round(ctl.model.thermal.temperature_c + charger["temp_offset"], 1)
        for flag, key in (("overtemp", "overtemp_threshold"), ("critical_temp", "critical_temp_threshold")):
            threshold = charger[key]
            hot = temperature >= threshold or st.temp_hot[flag] and temperature > threshold - TEMPERATURE_HYSTERESIS_C
            if hot != st.temp_hot[flag]:
                st.temp_hot[flag], st.temp_changed_at[flag] = hot, now
            if st.temp_acted[flag] != hot and now >= st.temp_changed_at[flag] + ctl.timing.temperature_poll_s:
                st.temp_acted[flag] = hot
        ctl.errors.set("overtemp", st.temp_acted["overtemp"] and "overtemp_flag_missing" not in ctl.defects)
        ctl.errors.set("critical_temp", st.temp_acted["critical_temp"])

    def temperature_limit(self) -> int:
        """System_currents' temperature_current: 0 at critical temperature, 16 A when overheated."""
        acted, defects = self.st.temp_acted, self.ctl.defects
        if acted["critical_temp"] and "critical_temp_keeps_charging" not in defects:
            return 0
        if (acted["overtemp"] or acted["critical_temp"]) and "derate_missing" not in defects:
            return DERATED_A
        return HW_MAX_A

    def reason_overrides(self) -> dict[str, int]:
        return {"temperature_current": REASON_HW} if "derate_wrong_reason" in self.ctl.defects else {}

    def warnings(self) -> tuple[str, ...]:
        """Active flags that do not stop charging: overtemperature only derates (and, with the defects,
        what the firmware wrongly lets through or only reports stale)."""
        defects = self.ctl.defects
        return ("overtemp",) + (("critical_temp",) if "critical_temp_keeps_charging" in defects else ()) \
            + (("rcd_init_end_error",) if "rcd_init_flag_after_reset" in defects else ())
