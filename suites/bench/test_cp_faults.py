"""Control Pilot faults while charging: a shorted EV diode, CP shorted to PE (E), CP forced to −12 V (F)
and an open protective earth.

For every fault the charger must stop supplying the EV (contactor open, no current), show a fault
state, set its error flag in ``Active_errors.Get`` (6.16) and ``Logged_errors.Get`` (6.9), clear the
active flag once the fault is gone and the EV unplugged, and keep the logged one until
``Logged_errors.Reset`` (6.10).  Field-facts §2 (states, diode check) and §4 (timing).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from fixtures.bench import Bench
from instruments.charger_rpc import ChargerClient
from instruments.ev_simulator import EvSimulator
from instruments.power_analyzer.wt300 import PowerAnalyzer
from reports.allure_support import cover
from suites.bench.support import (
    Bracket,
    SessionTrace,
    charge,
    check_limit,
    label_ambiguity,
    limit,
    settle_s,
    time_contactor,
    unplug,
    wait_edge,
    wait_observed,
)
from suites.measurements import Measurement
from suites.spec import method

pytestmark = [pytest.mark.bench, pytest.mark.states]
BENCH = pytest.mark.needs("ev_simulator", "power_analyzer")


@dataclass(frozen=True)
class CpFault:
    """A fault the EV simulator puts on the CP/PE lines while charging, and what the charger must show."""

    id: str
    apply: Callable[[EvSimulator], None]
    remove: Callable[[EvSimulator], None]
    rearm: str | None                # the stimulus is no CP state command: re-arm the EV timer with C
    states: tuple[str, ...]          # charger_state accepted for the fault (several: an ambiguity)
    flag: str | None                 # the error flag of 6.9 / 6.16; None: the spec names none
    open_limit: str                  # the contactor must open within this limit
    ambiguity: str | None = None
    held_s: str | None = None        # a limit the fault state must at least be shown for


CP_ERROR_FLAGS = ("state_e_activated", "state_f_activated", "cp_diode_failure")
"""The CP-related flags of 6.9 / 6.16: a fault must raise its own, not another's."""


CP_FAULTS = (
    CpFault("diode_short", lambda ev: ev.set_diode_short(True), lambda ev: ev.set_diode_short(False), "C",
            ("F", "E"), "cp_diode_failure", "fault_response_s", ambiguity="diode_fault_state",
            held_s="state_f_min_s"),
    CpFault("cp_pe_short_E", lambda ev: ev.set_cp_state("E"), lambda ev: ev.set_cp_state("A"), None,
            ("E",), "state_e_activated", "contactor_open_s"),
    CpFault("forced_minus_12V_F", lambda ev: ev.set_cp_state("F"), lambda ev: ev.set_cp_state("A"), None,
            ("F",), "state_f_activated", "fault_response_s"),
    CpFault("pe_open", lambda ev: ev.set_pe_open(True), lambda ev: ev.set_pe_open(False), "C",
            ("A", "E", "F"), None, "fault_response_s", ambiguity="pe_open_state"),
)


async def _errors(charger: ChargerClient) -> tuple[dict[str, bool], dict[str, bool]]:
    return await charger.call("Active_errors.Get"), await charger.call("Logged_errors.Get")


async def _shown_for(bench: Bench, charger: ChargerClient, ev: EvSimulator, state: str, onset: Bracket,
                     held: str) -> Measurement:
    """How long the charger keeps showing ``state`` from its onset: polled until it has certainly lasted
    the limit, or until it ends (then the longest it can have lasted must reach the limit)."""
    minimum = limit(bench, held)
    stamps: list[float] = []

    async def read() -> tuple[float, str]:
        stamps.append(ev.device_time_s())
        return stamps[-1], (await charger.call("Charger_info.Get"))["charger_state"]

    last_t, last_state = await bench.clock.wait_for(
        read, lambda seen: seen[1] != state or seen[0] - onset.latest >= minimum.value,
        within_s=minimum.value + limit(bench, "state_report_s").value, what=f"{state} lasting {held}", poll_s=0.0)
    ended = Bracket(stamps[-2] if len(stamps) > 1 else onset.earliest, ev.device_time_s())
    if last_state == state:
        return check_limit(f"state_{state}_shown", last_t - onset.latest, minimum, "min",
                           "still shown when the check ended")
    shortest, longest = ended.since(onset)
    return check_limit(f"state_{state}_shown", longest, minimum, "min", f"ended after {shortest:.3f}…{longest:.3f} s")


@BENCH
@pytest.mark.parametrize("fault", CP_FAULTS, ids=lambda f: f.id)
async def test_cp_fault_while_charging_stops_charging_and_is_logged(
        fault: CpFault, bench: Bench, charger: ChargerClient, ev: EvSimulator, analyzer: PowerAnalyzer,
        trace: SessionTrace) -> None:
    cover(method("Active_errors.Get"))
    cover(method("Logged_errors.Get"))
    cover("IEC 61851-1 Annex A faults", title=f"CP fault {fault.id} while charging: contactor opens, fault state, "
                                                "error active then logged until Logged_errors.Reset")
    await charge(bench, charger, ev, analyzer, trace=trace)
    opening = limit(bench, fault.open_limit)
    timing = await time_contactor(bench, ev, lambda: fault.apply(ev), closed_after=False, rearm=fault.rearm,
                                  within_s=2 * opening.value + 1.0, what=f"contactor_open_delay_{fault.id}")
    timing.check(opening)

    async def state() -> str:
        return (await charger.call("Charger_info.Get"))["charger_state"]

    onset = await wait_edge(bench, ev, state, lambda s: s in fault.states, since=timing.stimulus,
                            within_s=limit(bench, "state_report_s").value,
                            what=f"charger_state in {fault.states} after {fault.id}")
    if fault.ambiguity:
        label_ambiguity(fault.ambiguity, f"charger_state {onset.value}")
    if fault.held_s:
        await _shown_for(bench, charger, ev, onset.value, onset.at, fault.held_s)

    await wait_observed(bench, charger, ev, analyzer, lambda o: o.no_current and not o.mains_present,
                        within_s=settle_s(bench), what=f"no current with {fault.id}", trace=trace)
    active, logged = await _errors(charger)
    if fault.flag:
        assert active[fault.flag] and logged[fault.flag], (
            f"{fault.flag} after {fault.id}: active {active[fault.flag]}, logged {logged[fault.flag]}")

    fault.remove(ev)
    ev.set_cp_state("A")
    await wait_observed(bench, charger, ev, analyzer,
                        lambda o: o.state == "A" and not o.info["has_active_errors"],
                        within_s=settle_s(bench), what=f"A with no active error once {fault.id} is gone",
                        trace=trace)
    active, logged = await _errors(charger)
    if fault.flag:
        assert not active[fault.flag], f"{fault.flag} still active after removing {fault.id} and unplugging"
        assert logged[fault.flag], f"{fault.flag} no longer logged before Logged_errors.Reset"
    assert await charger.call("Logged_errors.Reset") is True
    _, logged = await _errors(charger)
    assert not any(logged.values()), f"logged errors after Logged_errors.Reset: {[k for k, v in logged.items() if v]}"


DIAGNOSIS_ATTEMPTS = 5
"""The diagnosis must be right every time: a charger racing its own CP debounce shows it in some tries."""


@BENCH
async def test_cp_pe_short_is_diagnosed_as_state_e_not_as_a_diode_fault(
        bench: Bench, charger: ChargerClient, ev: EvSimulator, analyzer: PowerAnalyzer, trace: SessionTrace) -> None:
    cover(method("Logged_errors.Get"))
    cover("IEC 61851-1 Annex A faults", title="CP-PE short with PWM on: the first fault state is E, and only "
                                                "state_e_activated is raised")
    opening = limit(bench, "contactor_open_s")

    async def state() -> str:
        return (await charger.call("Charger_info.Get"))["charger_state"]

    for attempt in range(1, DIAGNOSIS_ATTEMPTS + 1):
        await charge(bench, charger, ev, analyzer, trace=trace)
        timing = await time_contactor(bench, ev, lambda: ev.set_cp_state("E"), closed_after=False,
                                      within_s=2 * opening.value + 1.0, what="contactor_open_delay_cp_pe_short")
        first = await wait_edge(bench, ev, state, lambda s: s in ("E", "F"), since=timing.stimulus,
                                within_s=limit(bench, "state_report_s").value,
                                what="a fault state after the CP-PE short")
        _, logged = await _errors(charger)
        wrong = [flag for flag in CP_ERROR_FLAGS if flag != "state_e_activated" and logged[flag]]
        assert first.value == "E" and not wrong, (
            f"attempt {attempt}: CP shorted to PE first shown as state {first.value} (expected E), "
            f"other CP flags logged: {wrong}")
        await unplug(bench, charger, ev, analyzer, trace=trace)
        assert await charger.call("Logged_errors.Reset") is True
