"""EOL steps 7-8: the residual-current detector trips at its rated currents, and the unit recovers.

Each trip is made while charging, as the RCD suite makes it (suites/bench/test_rcd.py, whose cases and
helpers these are): 6 mA DC within ``rcd_dc_6ma_trip_s`` (IEC 62955 RDC-DD) and 30 mA AC within
``rcd_ac_1x_trip_s`` (IEC 61008-1 type A, 1 × IΔn ≤ 0.3 s), timed from the residual-current change to the
loss of mains at the EV (the residual source's trip timer where the profile declares one, else polled
with its uncertainty); then ``rcd_error`` must be active (6.16).

**Recovery between the trips** is an ambiguity of the RPC list (``rcd_recovery``): a unit may re-arm by
itself, when the EV is unplugged, or only after ``Device.Reset``.  The EOL does not judge which (the
conformance suite labels it); it needs the unit re-armed for the next trip, so it removes the residual
current and unplugs the EV at once (which covers "unplug" and "automatic"), waits at most
``rcd_auto_recovery_s`` for ``rcd_error`` to clear, and otherwise resets the unit (destructive: only where
the bench allows it; else the run stops as a bench fault, nothing judged).  What the first trip taught is
used for the second: a unit that needed the reset is reset at once.  A unit that is not re-armed even by
``Device.Reset`` fails (it would leave the line unable to charge).
"""
from __future__ import annotations

from instruments.errors import BenchFault
from reports.allure_support import cover
from rig.flags import check_latched, read_flags
from rig.trip import NoTrip
from suites.bench.test_rcd import (TRIP_CASES, TripCase, eventually, rcd_error_active, recovery_window_s, trip,
                                   trip_wait_s)
from suites.eol.functional import EV_LOAD_A
from suites.eol.sequence import Line, StepFailure

RECOVERY = "rcd_recovery"   # the ambiguity, and the key under which the line remembers the unit's reading


async def trip_and_recover(line: Line, case: TripCase) -> None:
    rig = line.rig
    limit = rig.limit(case.limit)
    cover(f"{case.standard} trip time", title=f"EOL: RCD trip at {case.residual.label(rig)} within {limit.value:g} "
                                              f"{limit.unit}, then re-armed")
    await rig.charge(load_a=EV_LOAD_A)
    try:
        timing = await trip(rig, case)
    except NoTrip as none:
        raise StepFailure(f"RCD trip time at {case.residual.label(rig)}", f"no trip within {trip_wait_s(rig, case):g} s",
                          f"[-inf, {limit.value:g}] {limit.unit} ({limit.origin})", str(none)) from None
    timing.judge(rig, limit, name=f"RCD trip time at {case.residual.label(rig)}")
    await rcd_error_active(rig, case)
    await recover(line, case)


async def recover(line: Line, case: TripCase) -> None:
    """Residual current off, EV unplugged, ``rcd_error`` cleared: by itself / at the unplug, or by a reset."""
    rig = line.rig
    removed = rig.clock.now()
    rig.ev.set_residual()
    rig.ev.set_state("A")
    if line.learned.get(RECOVERY) != "reset":
        flags = await eventually(rig, lambda: read_flags(rig), lambda f: f.active.get("rcd_error") is not True,
                                 within_s=recovery_window_s(rig), what="rcd_error cleared, residual current gone, EV unplugged")
        if flags.active.get("rcd_error") is not True:
            check_latched(flags, f"the trip at {case.residual.label(rig)}", ("rcd_error",),
                          "the residual current was removed and the EV unplugged")
            took = rig.clock.now() - removed
            line.learned[RECOVERY] = "unplug_or_automatic"
            rig.label_ambiguity(RECOVERY, f"unplug or automatic: rcd_error cleared {took:.2f} s after the residual "
                                          "current was removed and the EV unplugged")
            return
    if not rig.bench.has("destructive"):
        raise BenchFault("rcd_error stays active with no residual current and the EV unplugged (the unit re-arms only "
                         "on Device.Reset) and this bench may not reset it: the next trip cannot be made")
    await rig.device_reset()
    flags = await read_flags(rig)
    assert flags.active.get("rcd_error") is not True, (
        f"rcd_error still active after Device.Reset with no residual current and the EV unplugged "
        f"(after the trip at {case.residual.label(rig)}): the unit cannot charge again")
    line.learned[RECOVERY] = "reset"
    rig.label_ambiguity(RECOVERY, "reset: rcd_error cleared only by Device.Reset")


async def rcd_dc(line: Line) -> None:
    await trip_and_recover(line, TRIP_CASES["dc_6ma"])


async def rcd_ac(line: Line) -> None:
    await trip_and_recover(line, TRIP_CASES["ac_1x"])
