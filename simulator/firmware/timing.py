"""The firmware's own reaction times and PWM generator accuracy, in device seconds.

These are what the virtual charger *does*; the IEC limits it must stay within live in the suites
and bench profiles (field-facts §3, §4).  The default build is quick and exact; ``near_limit()`` is
a correct build whose every reaction time, PWM figure and meter error sits just inside the limits
of ``benches/default-limits.toml``, with a little jitter, so the suites are shown to pass a charger
that is only just good (and the catalogue's boundary defects, just outside, to fail).
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
        last_session_energy truncated (up to 0.99 Wh short of 1 Wh resolution)."""
        return cls(contactor_close_s=2.73, contactor_open_s=0.05, fault_open_s=0.05, pwm_update_s=4.7, pause_open_s=6.15,
                   fault_hold_s=0.35, pwm_frequency_hz=1018.0, duty_offset_pct=0.4, meter_current_error=0.008,
                   meter_voltage_error=0.001, meter_window_s=2.0, energy_floor=True, jitter=0.02, seed=61851)
