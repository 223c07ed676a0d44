"""The catalogue's timing and threshold defects, as changes to the firmware's numbers.

A boundary defect (``Defect.limit``) sits just outside one limit of benches/default-limits.toml, measured
as a bench sees it at the EV side; the others are far outside.  Each is applied exactly: a build with
one of them has no jitter, so it is outside its limit every time.
"""
from __future__ import annotations

from dataclasses import replace

from simulator.defects import ActiveDefects
from simulator.firmware.timing import FirmwareTiming


def boundary_timing(timing: FirmwareTiming, defects: ActiveDefects) -> FirmwareTiming:
    """The firmware's timing with the catalogue's timing defects applied (far and just outside)."""
    changes: dict[str, float] = {}
    for defect, name, value in (
        ("slow_contactor_close", "contactor_close_s", 4.0),
        ("slow_contactor_open", "contactor_open_s", 0.3),
        ("slow_contactor_close_3_2s", "contactor_close_s", 3.13),   # + 20 ms debounce + 50 ms mechanics = 3.2 s
        ("contactor_open_120ms", "contactor_open_s", 0.08),          # + 20 ms debounce + 20 ms mechanics = 120 ms
        ("fault_open_120ms", "fault_open_s", 0.08),
        ("pwm_update_5_5s", "pwm_update_s", 5.5),
        ("pause_opens_5_8s", "pause_open_s", 5.8),
        ("pause_opens_9_3s", "pause_open_s", 9.3),
        ("state_f_shown_0_2s", "fault_hold_s", 0.2),
        ("pwm_frequency_1022hz", "pwm_frequency_hz", 1022.0),
        ("pwm_frequency_978hz", "pwm_frequency_hz", 978.0),
        ("duty_offset_0_6pct", "duty_offset_pct", 0.6),
        ("meter_error_1_3pct", "meter_current_error", 0.013),
        # protection (simulator/firmware/protection.py): totals to contacts open, thresholds
        ("rcd_dc_6ma_10_5s", "rcd_dc_6ma_s", 10.5),
        ("rcd_dc_60ma_0_32s", "rcd_dc_60ma_s", 0.32),
        ("rcd_dc_200ma_0_11s", "rcd_dc_200ma_s", 0.11),
        ("rcd_ac_1x_0_32s", "rcd_ac_1x_s", 0.32),
        ("rcd_ac_2x_0_16s", "rcd_ac_2x_s", 0.16),
        ("rcd_ac_5x_0_045s", "rcd_ac_5x_s", 0.045),
        ("rcd_ac_2x_slow_0_5s", "rcd_ac_2x_s", 0.5),
        ("rcd_dc_trips_at_2_9ma", "rcd_dc_threshold_ma", 2.9),
        ("rcd_ac_trips_at_14ma", "rcd_ac_threshold_ma", 14.0),
        ("rcd_dc_threshold_6_5ma", "rcd_dc_threshold_ma", 6.5),
        ("rcd_ac_threshold_32ma", "rcd_ac_threshold_ma", 32.0),
        ("overcurrent_response_5_5s", "overcurrent_s", 5.5),
        ("contactor_failure_detect_1_2s", "contactor_failure_s", 1.2),
        ("overvoltage_trips_at_250v", "mains_high_v", 250.0),
        ("undervoltage_trips_at_210v", "mains_low_v", 210.0),
        ("mains_fault_response_1_2s", "mains_fault_s", 1.2),
        ("derate_after_5_5s", "temperature_poll_s", 5.5 - timing.pwm_update_s),  # + the PWM update: 5.5 s
        # schedule (simulator/firmware/schedule.py): a run within 0.2 s + the lag + the PWM path = 10.7-10.9 s
        ("schedule_edge_10_8s", "schedule_eval_s", 0.2),
        ("schedule_edge_10_8s", "schedule_lag_s", 10.7 - timing.pwm_update_s),
    ):
        if defect in defects:
            changes[name] = value
    if not changes:
        return timing
    # A boundary defect is exact (no jitter): just outside its limit every time.
    return replace(timing, **changes, jitter=0.0)
