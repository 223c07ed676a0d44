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
from instruments.ev_simulator.interface import CpMeasurement
from instruments.power_analyzer.wt300 import PowerAnalyzer
from reports.allure_support import cover
from suites.bench.support import (
    Bracket,
    ContactorTiming,
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
from rig.measurement import Measurement
from reference.spec import method

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
    extended_e: bool = False         # also shown as the CP letter with extended state E (an ambiguity's reading)

    def shown(self, report: tuple[str, str]) -> bool:
        """Whether (charger_state, extended_charger_state) shows this fault."""
        state, extended = report
        return state in self.states or self.extended_e and extended == "E"


CP_ERROR_FLAGS = ("state_e_activated", "state_f_activated", "cp_diode_failure")
"""The CP-related flags of 6.9 / 6.16: a fault must raise its own, not another's."""


CP_FAULTS = (
    CpFault("diode_short", lambda ev: ev.set_diode_short(True), lambda ev: ev.set_diode_short(False), "C",
            ("F", "E"), "cp_diode_failure", "fault_response_s", ambiguity="diode_fault_state",
            held_s="state_f_min_s", extended_e=True),
    CpFault("cp_pe_short_E", lambda ev: ev.set_cp_state("E"), lambda ev: ev.set_cp_state("A"), None,
            ("E",), "state_e_activated", "contactor_open_s"),
    CpFault("forced_minus_12V_F", lambda ev: ev.set_cp_state("F"), lambda ev: ev.set_cp_state("A"), None,
            ("F",), "state_f_activated", "fault_response_s"),
    CpFault("pe_open", lambda ev: ev.set_pe_open(True), lambda ev: ev.set_pe_open(False), "C",
            ("A", "E", "F"), None, "fault_response_s", ambiguity="pe_open_state"),
)


async def _errors(charger: ChargerClient) -> tuple[dict[str, bool], dict[str, bool]]:
    return await charger.call("Active_errors.Get"), await charger.call("Logged_errors.Get")


async def _report(charger: ChargerClient) -> tuple[str, str]:
    info = await charger.call("Charger_info.Get")
    return info["charger_state"], info["extended_charger_state"]


async def _shown_for(bench: Bench, charger: ChargerClient, ev: EvSimulator, shown: tuple[str, str], onset: Bracket,
                     held: str) -> Measurement:
    """How long the charger keeps showing the fault from its onset (``shown``: its first report): the
    state F or E it showed, or extended state E next to its CP letter.  Polled until it has certainly
    lasted the limit, or until it ends (then the longest it can have lasted must reach the limit)."""
    minimum = limit(bench, held)
    stamps: list[float] = []
    name = f"state_{shown[0]}_shown" if shown[0] in ("E", "F") else "extended_state_E_shown"

    def still(report: tuple[str, str]) -> bool:
        return report[0] == shown[0] if shown[0] in ("E", "F") else report[1] == "E"

    async def read() -> tuple[float, tuple[str, str]]:
        stamps.append(ev.device_time_s())
        return stamps[-1], await _report(charger)

    last_t, last = await bench.clock.wait_for(
        read, lambda seen: not still(seen[1]) or seen[0] - onset.latest >= minimum.value,
        within_s=minimum.value + limit(bench, "state_report_s").value, what=f"{name} lasting {held}", poll_s=0.0)
    ended = Bracket(stamps[-2] if len(stamps) > 1 else onset.earliest, ev.device_time_s())
    if still(last):
        return check_limit(name, last_t - onset.latest, minimum, "min", "still shown when the check ended")
    shortest, longest = ended.since(onset)
    return check_limit(name, longest, minimum, "min", f"ended after {shortest:.3f}…{longest:.3f} s")


def _line_f_onset(timing: ContactorTiming) -> Bracket | None:
    """When the CP line first went negative (state F driven by the charger, field-facts §2), bracketed
    by the EV simulator's polls while the contactor was timed; None if it never did meanwhile."""
    previous = timing.stimulus
    for at, cp in timing.line:
        if cp.high_v < 0:
            return Bracket(previous.earliest, at.latest)
        previous = at
    return None


async def _f_on_line_for(bench: Bench, ev: EvSimulator, onset: Bracket, held: str) -> Measurement:
    """How long state F stays on the CP line (negative level, as the EV sees it) from ``onset``: the EV
    simulator is polled as fast as its link allows, far finer than an RPC, so the bracket is tight."""
    minimum = limit(bench, held)

    def line() -> tuple[float, CpMeasurement]:
        return ev.device_time_s(), ev.measure_cp()  # stamped just before the read

    edge = await wait_edge(bench, ev, line,
                           lambda seen: seen[1].high_v >= 0 or seen[0] - onset.latest >= minimum.value,
                           since=onset, within_s=minimum.value + limit(bench, "state_report_s").value,
                           what=f"state F on the CP line lasting {held}")
    read_at, cp = edge.value
    if cp.high_v < 0:
        return check_limit("state_F_on_line", read_at - onset.latest, minimum, "min",
                           "still on the line when the check ended")
    shortest, longest = edge.at.since(onset)
    return check_limit("state_F_on_line", longest, minimum, "min",
                       f"F on the CP line ended after {shortest:.3f}…{longest:.3f} s (EV simulator polls)")


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
                                  within_s=2 * opening.value + 1.0, what=f"contactor_open_delay_{fault.id}",
                                  watch_line=fault.held_s is not None)
    timing.check(opening)

    onset = await wait_edge(bench, ev, lambda: _report(charger), fault.shown, since=timing.stimulus,
                            within_s=limit(bench, "state_report_s").value,
                            what=f"charger_state in {fault.states}{' or extended E' if fault.extended_e else ''} "
                                 f"after {fault.id}")
    if fault.ambiguity:
        label_ambiguity(fault.ambiguity, f"charger_state {onset.value[0]}, extended {onset.value[1]}")
    if fault.held_s:
        line_f = _line_f_onset(timing)
        if onset.value[0] == "F" and line_f is not None:
            await _f_on_line_for(bench, ev, line_f, fault.held_s)
        else:
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
