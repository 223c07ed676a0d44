"""The firmware's own reaction times, in device seconds.

These are what the virtual charger *does*; the IEC limits it must stay within live in the suites
and bench profiles (field-facts §4).  They are deterministic so that a time-scale-1.0 run can be
compared with the sum of the delays the charger really took.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FirmwareTiming:
    cp_debounce_s: float = 0.02        # CP level must be stable this long before it counts
    contactor_close_s: float = 0.40    # state C seen -> coil energised (IEC limit 3 s)
    contactor_open_s: float = 0.02     # state B/A seen -> coil released (IEC limit 100 ms)
    pwm_update_s: float = 0.20         # new current limit -> new duty (IEC limit 5 s)
    pause_open_s: float = 6.0          # PWM removed, EV still in C -> open under load (IEC >= 6 s)
    reboot_s: float = 2.0              # Device.Reset: unreachable this long
    ota_s: float = 1.0                 # Ota.Verify: OTA state this long
