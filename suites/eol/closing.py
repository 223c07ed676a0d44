"""EOL steps 9-10: the unit leaves the line safe and as it must ship, within the line's time budget.

* **Safe state.**  The EV side unplugged with no residual current: the charger in A with the PWM off,
  no current at the analyzer, no mains at the EV; no error active; of the logged errors only what the
  sequence itself latched (``rcd_error``, from its two trips), which ``Logged_errors.Reset`` (6.10) then
  clears, so the unit ships with an empty log; the current limit the sequence raised is back at the
  order's factory value.
* **Time budget.**  The sequence's device time, from the first step's start to the safe state, against
  the line's takt time (60 s at time scale 1).  It is judged in device seconds, so at time scale S the
  wall budget is 60 / S s: a virtual bench running 20 times faster than real time has 3 s of wall time.
"""
from __future__ import annotations

from fixtures.profile import Limit
from reports.allure_support import cover
from rig.flags import check_reset_clears, read_flags
from suites.bench.test_pwm_mapping import INSTALL_APP_CONFIG
from suites.eol.sequence import Line, StepFailure

LATCHED_BY_SEQUENCE = ("rcd_error",)
"""Logged flags the sequence itself causes (its RCD trips): expected in the log, then cleared."""
BUDGET = Limit("eol_budget_s", 60.0, "s",
               "lab decision: the production line's takt time, 60 s per unit at time scale 1.0; judged in device "
               "seconds (at time scale S the wall budget is 60 / S s); the bench's start-up is not counted")


async def safe_state(line: Line) -> None:
    rig = line.rig
    cover("6.16 Active_errors.Get", title="EOL: the unit leaves safe, with an empty error log and its factory limit")
    rig.ev.set_residual()
    rig.ev.set_state("A")
    factory = next((d for d in line.order.factory_defaults if d.key == "install_current"), None)
    if factory is not None:
        await INSTALL_APP_CONFIG.impose(rig, factory.value)
    await rig.wait(lambda o: o.state == "A" and not o.pwm_on and o.no_current and not o.mains_present,
                   within_s=rig.settle_s, what="charger in A, PWM off, no current, no mains at the EV")
    flags = await read_flags(rig)
    if flags.raised_active:
        raise StepFailure("Active_errors.Get", list(flags.raised_active), "no flag active",
                          f"errors active at the end of the sequence: {list(flags.raised_active)}")
    unexpected = [name for name in flags.raised_logged if name not in LATCHED_BY_SEQUENCE]
    if unexpected:
        raise StepFailure("Logged_errors.Get", list(flags.raised_logged), f"only {list(LATCHED_BY_SEQUENCE)}",
                          f"errors logged during the sequence that it did not cause: {unexpected}")
    await check_reset_clears(rig, "the EOL sequence's RCD trips")
    if factory is not None:
        shipped = (await rig.charger.call("App_config.Get")).get("install_current")
        if shipped != factory.value:
            raise StepFailure("install_current (App_config.Get)", shipped, f"== {factory.value!r} ({factory.origin})",
                              f"install_current is {shipped!r} after it was set back to the factory {factory.value!r}")


async def time_budget(line: Line) -> None:
    rig = line.rig
    elapsed = rig.clock.now() - line.started_device_s
    rig.check_limit("EOL sequence time", round(elapsed, 3), BUDGET,
                    note=f"time scale {rig.clock.time_scale:g}: {elapsed / rig.clock.time_scale:.2f} s wall")
