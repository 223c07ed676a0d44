"""Device time for the virtual bench.

The virtual bench can run faster than real time (``time_scale`` > 1) so that CI finishes quickly,
while every delay, limit and deadline stays expressed in *device seconds*: the charger's 3 s
contactor limit is 3 device seconds whatever the scale.
"""
from __future__ import annotations

import time


class DeviceClock:
    """Monotonic device time: ``now() = (wall - start) * time_scale``."""

    def __init__(self, time_scale: float = 1.0) -> None:
        if time_scale <= 0:
            raise ValueError(f"time_scale must be positive, got {time_scale}")
        self.time_scale = time_scale
        self._wall_start = time.monotonic()

    def now(self) -> float:
        """Device seconds since the bench started."""
        return (time.monotonic() - self._wall_start) * self.time_scale

    def to_wall(self, device_seconds: float) -> float:
        """Wall-clock seconds that ``device_seconds`` of device time take."""
        return device_seconds / self.time_scale
