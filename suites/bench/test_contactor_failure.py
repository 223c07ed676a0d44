"""Contactor failure: a contactor that does not follow its coil is detected and never used again
(spec 6.9 / 6.16 ``contactor_failure``).

A charger senses its own output.  A welded contactor keeps the EV supplied after the charger has
released it; one stuck open never supplies the EV however long the coil is energised.  Either way the
charger must flag ``contactor_failure`` (active and logged, no unrelated flag: rig/flags.py) and
must not try to charge again: no PWM, no mains at the EV, even once the contactor works again and
the EV is plugged in anew, because a contactor that failed once cannot be trusted to open.  The RPC
list gives no times; they are the lab's (benches/default-limits.toml): the failure is flagged within
``contactor_failure_detect_s`` of the moment the contactor should have moved, that is
``contactor_open_s`` after the EV left C (welded) or ``contactor_close_s`` after it asked to charge
(stuck open), each timed from the EV's command with its uncertainty and judged by the rig.

The faults come from the bench's fault-injection relays (``fault_injection``: a relay across the
contacts, one in series with them).  Recovery needs the unit reset (6.7 Device.Reset: destructive);
what clears the failure is labelled (ambiguity ``contactor_failure_recovery``).  A test that ends with
the failure still latched resets the charger at teardown, so the next test finds it charging.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest
import pytest_asyncio

from fixtures.clock import WaitTimeout
from fixtures.profile import Limit
from instruments.errors import BenchFault
from reference.spec import method
from reports.allure_support import cover
from rig import Rig, SessionTrace
from rig.flags import check_raised, read_flags
from rig.site import Site
from rig.thresholds import DEFAULT_LOAD_A
from rig.timing import Instant, Timing

pytestmark = [pytest.mark.bench, pytest.mark.faults, pytest.mark.destructive]
OWN = ("contactor_failure",)


def _sum(rig: Rig, *names: str) -> Limit:
    """Limits that follow one another (the contactor's own move, then the detection) as one limit."""
    parts = [rig.limit(name) for name in names]
    return Limit(" + ".join(p.name for p in parts), sum(p.value for p in parts), parts[0].unit,
                 "; ".join(f"{p.name}: {p.origin}" for p in parts))


@dataclass(frozen=True)
class ContactorFault:
    """One injected contactor fault: how it is put on, what the EV does to expose it, and the limit the
    contactor itself had to move within before the detection time starts."""

    id: str
    needs: str
    inject: Callable[[Site, bool], None]
    ev_state_before: str             # the EV while the fault is injected
    expose: str                      # the EV command the contactor fails to follow
    moves_within: str                # contactor_open_s or contactor_close_s
    mains_while_failing: bool        # what the EV side sees from the command until the detection
    charge_first: bool


FAULTS = (
    ContactorFault("welded", "fault_injection.contactor_welded", lambda site, on: site.set_contactor_welded(on),
                   "C", "B", "contactor_open_s", True, charge_first=True),
    ContactorFault("stuck_open", "fault_injection.contactor_stuck_open",
                   lambda site, on: site.set_contactor_stuck_open(on), "B", "C", "contactor_close_s", False,
                   charge_first=False),
)


def _cases() -> list[object]:
    return [pytest.param(fault, marks=pytest.mark.needs("ev_load", "power_analyzer", "destructive", fault.needs),
                         id=fault.id) for fault in FAULTS]


async def _contactor_failure_active(rig: Rig) -> bool | None:
    errors = await rig.call_if_reachable("Active_errors.Get")
    return None if errors is None else bool(errors.get("contactor_failure"))


async def _reset_and_reboot(rig: Rig, why: str) -> None:
    """Device.Reset (6.7) with the EV unplugged, then the charger down and answering again within
    reboot_max_s."""
    answer = await rig.charger.call("Device.Reset")
    assert answer is True, f"Device.Reset ({why}) answered {answer!r}"
    reboot = rig.limit("reboot_max_s").value

    def info() -> Awaitable[dict | None]:
        return rig.call_if_reachable("Charger_info.Get")

    await rig.clock.wait_for(info, lambda reply: reply is None, within_s=reboot,
                             what=f"the charger going down for Device.Reset ({why})")
    await rig.clock.wait_for(info, lambda reply: reply is not None, within_s=reboot,
                             what=f"the charger answering again after Device.Reset ({why})")


@pytest_asyncio.fixture(autouse=True)
async def _never_left_latched(rig: Rig) -> AsyncIterator[None]:
    """A test that ends (pass or fail) with contactor_failure still active resets the charger, so the
    next test does not inherit a unit that refuses to charge."""
    yield
    if await _contactor_failure_active(rig):
        if rig.site is not None:
            rig.site.safe()
        rig.ev.safe()
        await rig.clock.wait_for(lambda: rig.charger.call("Charger_info.Get"), lambda i: i["charger_state"] == "A",
                                 within_s=rig.settle_s, what="charger in A before the teardown's Device.Reset")
        await _reset_and_reboot(rig, "teardown: contactor_failure still latched")


async def _flagged_within(rig: Rig, fault: ContactorFault, commanded: Instant) -> None:
    """Poll Active_errors.Get from the EV's command until contactor_failure is active; judge the delay
    against the contactor's limit plus contactor_failure_detect_s.  Then the EV side must still show the
    injected fault (mains present while welded, absent while stuck open): otherwise the bench is at fault."""
    limit = _sum(rig, fault.moves_within, "contactor_failure_detect_s")

    async def probe() -> bool:  # the flag alone: every poll as fast as the RPC allows
        return bool((await rig.charger.call("Active_errors.Get"))["contactor_failure"])

    within = 2 * limit.value + rig.settle_s
    try:
        edge = await rig.edge(probe, bool, since=commanded, within_s=within,
                              what=f"contactor_failure active with the contactor {fault.id}")
    except WaitTimeout:
        raise AssertionError(f"contactor_failure not active {within:g} s after the EV went to {fault.expose} with the "
                             f"contactor {fault.id} (limit {limit.name} = {limit.value:g} s: {limit.origin})") from None
    if rig.ev.mains_present() != fault.mains_while_failing:  # the relay held the fault throughout
        expected = "present" if fault.mains_while_failing else "absent"
        raise BenchFault(f"fault injection: mains at the EV is not {expected} with the contactor {fault.id}: the "
                         "relay did not hold")
    rig.judge(f"contactor_failure_detect_{fault.id}", Timing.polled(edge, commanded, "Active_errors.Get"), limit)


async def _no_charging_attempt(rig: Rig, what: str) -> None:
    """The EV plugged in (B) and asking to charge (C): no PWM, no mains at the EV, no current, for as
    long as a charger has to close its contactor, and then some."""
    await rig.wait(lambda o: not o.pwm_on, within_s=rig.settle_s + rig.limit("pwm_update_s").value,
                   what=f"no PWM {what}")
    for letter, for_s in (("B", rig.limit("state_report_s").value),
                          ("C", rig.limit("contactor_close_s").value + rig.settle_s)):
        rig.ev.set_state(letter)
        await rig.hold(lambda o: not o.pwm_on and not o.mains_present and o.no_current, for_s=for_s,
                       what=f"no charging attempt (no PWM, no mains at the EV, no current) {what}, EV in {letter}")


@pytest.mark.parametrize("fault", _cases())
async def test_contactor_failure_is_flagged_and_no_charging_follows(fault: ContactorFault, rig: Rig,
                                                                    trace: SessionTrace) -> None:
    cover(method("Active_errors.Get"))
    cover(method("Device.Reset"), title=f"contactor {fault.id}: contactor_failure within the limit, no PWM nor "
                                        "mains afterwards, even at the next plug-in; cleared by Device.Reset")
    site = rig.sites
    if fault.charge_first:
        await rig.charge()
    else:
        await rig.range_for(DEFAULT_LOAD_A)
        rig.ev.set_load_current(DEFAULT_LOAD_A)
        rig.ev.set_state(fault.ev_state_before)
        await rig.wait(lambda o: o.state == fault.ev_state_before, within_s=rig.settle_s,
                       what=f"charger in {fault.ev_state_before} before the contactor is made {fault.id}")
    fault.inject(site, True)
    commanded, _ = rig.stamp(lambda: rig.ev.set_state(fault.expose))
    await _flagged_within(rig, fault, commanded)
    check_raised(await read_flags(rig), f"a contactor {fault.id}", OWN)

    # Having flagged the failure, the charger releases its coil; the contacts take their opening time. Only
    # then is the relay put back: released sooner, it would close the circuit through contacts still
    # opening (a blip of current the bench made, not the charger).
    opening = rig.limit("contactor_open_s")
    await rig.hold(lambda o: o.mains_present is fault.mains_while_failing, for_s=opening.value,
                   what=f"the contactor {fault.id} for {opening.name} after contactor_failure, while the "
                        "charger releases its coil")
    fault.inject(site, False)  # the contactor works again: the charger must still not use it
    await rig.wait(lambda o: not o.mains_present and o.no_current, within_s=rig.settle_s,
                   what=f"no mains at the EV and no current at the analyzer once the {fault.id} relay is released")
    await _no_charging_attempt(rig, f"after contactor_failure, the {fault.id} relay released, EV still plugged in")
    await rig.unplug()
    await _no_charging_attempt(rig, f"after contactor_failure ({fault.id}), the EV plugged in again")
    assert await _contactor_failure_active(rig), f"contactor_failure no longer active before any reset ({fault.id})"

    await rig.unplug()
    await _reset_and_reboot(rig, f"recovery from a contactor {fault.id}")
    await rig.clock.wait_for(lambda: _contactor_failure_active(rig), lambda active: active is False,
                             within_s=rig.settle_s, what=f"contactor_failure clear after Device.Reset ({fault.id})")
    await rig.charge()
    rig.label_ambiguity("contactor_failure_recovery", "Device.Reset: latched through unplug and re-plug, cleared by "
                                                      "the reset, charging again afterwards")
