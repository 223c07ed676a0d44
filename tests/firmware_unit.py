"""A virtual charger's firmware on a manual clock, in-process: what the firmware unit tests step through."""
from __future__ import annotations

from pathlib import Path

from simulator.defects import ActiveDefects
from simulator.firmware.charger import VirtualCharger
from simulator.firmware.timing import FirmwareTiming
from simulator.physics.model import PhysicalModel
from simulator.readings import ActiveReadings
from tests.scpi_twins import ManualClock


def firmware_on_manual_clock(flash: Path, defects: tuple[str, ...], *, near: bool,
                             readings: dict[str, str]) -> tuple[ManualClock, PhysicalModel, VirtualCharger]:
    """A fresh unit (its flash in ``flash``) whose time moves only when a test moves it."""
    clock = ManualClock()
    model = PhysicalModel(clock)  # type: ignore[arg-type]  # only now() and to_wall() are used
    fw = VirtualCharger(model, flash, defects=ActiveDefects(defects),
                        timing=FirmwareTiming.near_limit() if near else None, readings=ActiveReadings(readings))
    return clock, model, fw
