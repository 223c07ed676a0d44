"""The firmware's own reaction times, protective thresholds and PWM generator accuracy.

These are what the virtual charger *does*; the IEC limits it must stay within live in the suites
and bench profiles (field-facts §3, §4, §5, benches/default-limits.toml).  The default build is quick
and exact; ``near_limit()`` is a correct build whose every reaction time, threshold, PWM figure and
meter error sits just inside the limits of ``benches/default-limits.toml`` (with a little jitter on
the state machine's delays, never on the protective ones), so the suites are shown to pass a charger
that is only just good (and the catalogue's boundary defects, just outside, to fail).

Every protective time is *total*, as a bench sees it at the EV side: from its cause (the residual
current changing, the overdraw starting, the supply leaving its band) to the contacts open, the
contactor's 20 ms opening mechanics included (the firmware releases the coil that much earlier).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FirmwareTiming:
    cp_debounce_s: float = 0.02        # CP level must be stable this long before it counts
    contactor_close_s: float = 0.40    # state C seen -> coil energised (IEC limit 3 s, less the 50 ms mechanics)
    contactor_open_s: float = 0.02     # state B/A seen -> coil released (IEC limit 100 ms, less 20 ms debounce, 20 ms mechanics)
    fault_open_s: float | None = None  # CP fault seen -> coil released (None: as contactor_open_s)
    pwm_update_s: float = 0.20         # new current limit -> new duty (IEC limit 5 s)
    pause_open_s: float = 6.5          # PWM removed, EV still in C -> open under load (IEC >= 6 s; 6.15 s near-limit)
    fault_hold_s: float = 1.0          # state F held (>= 300 ms, field-facts §4) before the charger retries
    reboot_s: float = 2.0              # Device.Reset: unreachable this long
    ota_s: float = 1.0                 # Ota.Verify: OTA state this long
    pwm_frequency_hz: float = 1000.0   # CP generator (980-1020 Hz, field-facts §3)
    duty_offset_pct: float = 0.0       # generator's duty error, percentage points (±0.5 %, field-facts §3)
    meter_current_error: float = 0.0   # relative calibration error of the meter's current (class 1: 1 %)
    meter_voltage_error: float = 0.0   # relative calibration error of the meter's voltage
    meter_window_s: float = 1.0        # the meter reports the mean over its last window (a real meter's update)
    energy_floor: bool = False         # last_session_energy truncated to whole Wh (< 1 Wh short), not rounded
    # --- protective functions (simulator/firmware/protection.py); times total to contacts open -----
    rcd_dc_threshold_ma: float = 4.5   # RDC-DD trips at smooth DC >= this (IEC 62955: 6 mA, none below 3)
    rcd_ac_threshold_ma: float = 22.0  # type A trips at AC >= this (30 mA IΔn, none at 15 mA)
    rcd_dc_6ma_s: float = 0.4          # DC below 60 mA (IEC 62955 ceiling 10 s at 6 mA)
    rcd_dc_60ma_s: float = 0.15        # DC 60 to below 200 mA (ceiling 0.3 s)
    rcd_dc_200ma_s: float = 0.06       # DC >= 200 mA (ceiling 0.1 s)
    rcd_ac_1x_s: float = 0.15          # AC below 60 mA (1 x IΔn: 0.3 s)
    rcd_ac_2x_s: float = 0.08          # AC 60 to below 150 mA (2 x IΔn: 0.15 s)
    rcd_ac_5x_s: float = 0.025         # AC >= 150 mA (5 x IΔn: 0.04 s)
    rcd_auto_reclose_s: float = 5.0    # reading rcd_recovery "automatic": the latch clears this long after
    overcurrent_margin_a: float = 1.0  # meter current above pwm_current + this is an overdraw (limit 2 A)
    overcurrent_s: float = 1.0         # overdraw this long -> contacts open (limit 5 s)
    contactor_failure_s: float = 0.2   # contactor not following its coil this long -> flagged (limit 1 s)
    mains_high_v: float = 260.0        # above this the supply is over-voltage (253 V must charge, 265 V stop)
    mains_low_v: float = 195.0         # below this it is under-voltage (207 V must charge, 184 V stop)
    mains_fault_s: float = 0.2         # out of band this long -> contacts open (limit 1 s)
    mains_recover_s: float = 2.0       # back within 207-253 V this long -> the flag clears
    temperature_poll_s: float = 0.0    # a threshold crossing is acted on this long after it (limit: with
    #                                    pwm_update_s, temperature_response_s 5 s)
    # --- charging schedule (simulator/firmware/schedule.py; spec 6.31) -------------------------------
    schedule_eval_s: float = 1.0       # the scheduler's timer: a minute boundary is seen at its next run
    schedule_lag_s: float = 0.0        # a run's decision -> the limit in force, fixed (then the PWM path,
    #                                    pwm_update_s; limit schedule_edge_s 10 s from boundary to CP line)
    jitter: float = 0.0                # reaction times vary by up to this fraction *below* their value
    seed: int = 0
    _rng: random.Random = field(default_factory=lambda: random.Random(0), compare=False, repr=False)

    def __post_init__(self) -> None:
        self._rng.seed(self.seed)

    def vary(self, seconds: float) -> float:
        """One occurrence of a reaction time: ``seconds`` less up to ``jitter`` of it (never more, so a
        near-limit build stays inside its limit however the draw falls)."""
        return seconds * (1.0 - self.jitter * self._rng.random()) if self.jitter else seconds

    @classmethod
    def near_limit(cls) -> FirmwareTiming:
        """Just inside every limit the bench suites check (benches/default-limits.toml): contactor close
        2.8 s of 3 s and open 90 ms of 100 ms (with the 20 ms CP debounce and the contactor's 50 / 20 ms mechanics), PWM update
        4.7 s of 5 s, pause grace 6.15 s of >= 6 s (and <= 9 s), state F 0.35 s of >= 0.3 s, 1018 Hz of
        1020 Hz, duty +0.4 % of ±0.5 %, meter +0.8 % current (+0.9 % power) of 1 %, a 2 s meter window,
        last_session_energy truncated (up to 0.99 Wh short of 1 Wh resolution).

        Protection: RCD trips at 3.3 mA DC (no trip below 3 mA) and 16 mA AC (none at 15 mA), in 9.5 s of
        10 s (DC 6 mA), 0.28 of 0.3 s (60 mA), 0.092 of 0.1 s (200 mA), 0.28 of 0.3 s (AC 1 x), 0.14 of
        0.15 s (2 x), 0.037 of 0.04 s (5 x); an overdraw beyond pwm_current + 1.9 A (of the 2 A margin) stopped in 4.7 s of 5 s;
        a contactor fault flagged 0.9 s after the coil (limit 1 s, with the CP debounce and release);
        mains trips above 254 V (253 V must charge) and below 206 V (207 V must), after 0.9 s of 1 s.

        Schedule: every edge (PWM on, PWM off, a new duty) at the CP line 9.1-9.4 s after its minute
        boundary, of 10 s: the timer's run within 0.2 s, a 4.5 s decision lag, the 4.6-4.7 s PWM path."""
        return cls(contactor_close_s=2.73, contactor_open_s=0.05, fault_open_s=0.05, pwm_update_s=4.7, pause_open_s=6.15,
                   fault_hold_s=0.35, pwm_frequency_hz=1018.0, duty_offset_pct=0.4, meter_current_error=0.008,
                   meter_voltage_error=0.001, meter_window_s=2.0, energy_floor=True,
                   rcd_dc_threshold_ma=3.3, rcd_ac_threshold_ma=16.0, rcd_dc_6ma_s=9.5, rcd_dc_60ma_s=0.28,
                   rcd_dc_200ma_s=0.092, rcd_ac_1x_s=0.28, rcd_ac_2x_s=0.14, rcd_ac_5x_s=0.037,
                   overcurrent_margin_a=1.9, overcurrent_s=4.7, contactor_failure_s=0.9, mains_high_v=254.0,
                   mains_low_v=206.0, mains_fault_s=0.9, schedule_eval_s=0.2, schedule_lag_s=4.5,
                   jitter=0.02, seed=61851)
