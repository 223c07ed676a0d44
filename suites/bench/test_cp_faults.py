"""Control Pilot faults while charging: a shorted EV diode, CP shorted to PE (E) and an open protective
earth, and the state F the charger shows for one.

For every fault the charger must stop supplying the EV (contactor open, no mains at the EV, zero
current at the analyzer), show a fault state, set its error flag in ``Active_errors.Get`` (6.16) and
``Logged_errors.Get`` (6.9) and no unrelated flag of those lists (rig/flags.py), show a state F it
chose for at least ``state_f_min_s``, clear the active flag once the fault is gone and the EV
unplugged, keep the logged one until ``Logged_errors.Reset`` (6.10), and charge again at the next
plug-in (its recovery path).  Field-facts §2 (states, diode check) and §4 (timing).

Each fault is put on the line by the bench's CP control role (``rig.ev``) and needs that role's
feature (``cp_control.diode_short`` …), so a CP board without it skips the case with the reason.
State F is never forced from the EV side (no CP load can: it is the charger driving −12 V); what is
checked is the F the charger drives itself after a diode fault, and that it shows it long enough.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest

from instruments.roles import CpSample
from reference.spec import method
from reports.allure_support import cover
from rig import Rig, SessionTrace
from rig.ev import EvSide
from rig.flags import check_latched, check_raised, check_reset_clears, read_flags
from rig.measurement import Measurement
from rig.timing import ContactorTiming, Instant, Span, Timing

pytestmark = [pytest.mark.bench, pytest.mark.states, pytest.mark.faults]
BENCH = pytest.mark.needs("ev_load", "power_analyzer")
T = TypeVar("T")


@dataclass(frozen=True)
class CpFault:
    """A fault the EV side puts on the CP/PE lines while charging, and what the charger must show."""

    id: str
    needs: str                       # the CP control feature that applies it (rig.binding capability)
    apply: Callable[[EvSide], None]
    remove: Callable[[EvSide], None]
    rearm: str | None                # the stimulus is no CP state command: re-arm a contactor timer with C
    states: tuple[str, ...]          # charger_state accepted for the fault (several: an ambiguity)
    flag: str | None                 # the error flag of 6.9 / 6.16; None: the flag of the state shown (E, F)
    open_limit: str                  # the contactor must open within this limit
    ambiguity: str | None = None
    held_s: str | None = None        # a limit the fault state must at least be shown for
    extended_e: bool = False         # also shown as the CP letter with extended state E (an ambiguity's reading)

    def shown(self, report: tuple[str, str]) -> bool:
        """Whether (charger_state, extended_charger_state) shows this fault."""
        state, extended = report
        return state in self.states or self.extended_e and extended == "E"

    def own_flags(self, report: tuple[str, str]) -> tuple[str, ...]:
        """The flag the fault must raise: its own, or (the spec names none) the flag of the state the
        charger shows for it; none for a charger that shows no fault state (an ambiguity's reading)."""
        if self.flag:
            return (self.flag,)
        return (STATE_FLAGS[report[0]],) if report[0] in STATE_FLAGS else ()

    def tolerated(self, report: tuple[str, str]) -> tuple[str, ...]:
        """A flag the fault may raise besides its own: that of the state machine state it shows."""
        return (STATE_FLAGS[report[0]],) if report[0] in STATE_FLAGS else ()


STATE_FLAGS = {"E": "state_e_activated", "F": "state_f_activated"}
"""6.9 / 6.16: the flag of the state machine entering E or F."""


CP_FAULTS = (
    CpFault("diode_short", "cp_control.diode_short", lambda ev: ev.set_diode_short(True),
            lambda ev: ev.set_diode_short(False), "C", ("F", "E"), "cp_diode_failure", "fault_response_s",
            ambiguity="diode_fault_state", held_s="state_f_min_s", extended_e=True),
    # A CP-PE short is a CP state command on a box that has one (its own state E), which arms a
    # contactor timer itself: no re-arm (a re-arm would time from the wrong command).
    CpFault("cp_pe_short_E", "cp_control.cp_pe_short", lambda ev: ev.set_cp_pe_short(True),
            lambda ev: ev.set_cp_pe_short(False), None, ("E",), "state_e_activated", "contactor_open_s"),
    CpFault("pe_open", "cp_control.pe_open", lambda ev: ev.set_pe_open(True), lambda ev: ev.set_pe_open(False),
            "C", ("A", "E", "F"), None, "fault_response_s", ambiguity="pe_open_state"),
)
F_SHOWN_MIN = "state_f_min_s"
"""A state F the charger shows for any of the faults lasts at least this long (field-facts §4)."""


def _cases(faults: tuple[CpFault, ...]) -> list[Any]:
    """Each fault as a parameter that needs its own CP control feature."""
    return [pytest.param(fault, marks=pytest.mark.needs(fault.needs), id=fault.id) for fault in faults]


async def _report(rig: Rig) -> tuple[str, str]:
    info = await rig.charger.call("Charger_info.Get")
    return info["charger_state"], info["extended_charger_state"]


def _cp_lag_s(rig: Rig) -> float:
    """How late a CP reading may describe the line, in device s: two windows of a once-a-second board,
    nothing for an on-demand scope (the rig's own allowance, Rig._cp_resolution_device_s)."""
    resolution = rig.ev.cp_resolution_s
    return 0.0 if resolution < 0.01 else 2 * resolution * rig.clock.time_scale


async def _lasting(rig: Rig, name: str, probe: Callable[[], Awaitable[tuple[Instant, T]] | tuple[Instant, T]],
                   still: Callable[[T], bool], onset: Instant, held: str, *, viewpoint: str,
                   extra_s: float = 0.0) -> Measurement | None:
    """Judge how long a condition lasted from ``onset`` against the minimum ``held``.

    ``probe`` returns a reading with the instant it describes (a stamped RPC, a CP sample's own
    window); it is polled until the condition ends or has certainly lasted the minimum.

    * Ended: it lasted from the onset bracket to the end bracket (:meth:`Instant.delay_since`): the
      verdict is the rig's (pass, fail or inconclusive with the resolution needed).
    * Still holding when polling stopped: the reading that showed it proves it lasted at least until
      that reading's instant, so the span from the onset to that instant is a lower bound of the whole.
      Polling stops only once that span's low end reaches the minimum, so it judges a pass, as it
      must, and can never fail a condition that is still going on.
    """
    minimum = rig.limit(held)

    def done(seen: tuple[Instant, T]) -> bool:
        at, value = seen
        return not still(value) or at.earliest - onset.latest >= minimum.value

    edge = await rig.timing.edge(probe, done, since=onset, within_s=minimum.value + rig.limit("state_report_s").value
                                 + extra_s, what=f"{name} lasting {held}", window=lambda seen: seen[0])
    at, value = edge.value
    if still(value):
        lasted = at.delay_since(onset)
        span = Span(lasted.low, lasted.high, f"still shown by the last of {edge.polls} {viewpoint} reads: "
                                             "how long it had lasted by then, a lower bound")
    else:
        span = Timing.polled(edge, onset, viewpoint)
    return rig.judge(name, span, minimum, "min")


async def _shown_for(rig: Rig, shown: tuple[str, str], onset: Instant, held: str) -> Measurement | None:
    """How long the charger keeps reporting the fault from its onset (``shown``: its first report): the
    state F or E it showed, or extended state E next to its CP letter.  Each report is placed by the
    RPC's own round trip."""
    name = f"state_{shown[0]}_shown" if shown[0] in ("E", "F") else "extended_state_E_shown"

    def still(report: tuple[str, str]) -> bool:
        return report[0] == shown[0] if shown[0] in ("E", "F") else report[1] == "E"

    return await _lasting(rig, name, lambda: rig.astamp(lambda: _report(rig)), still, onset, held,
                          viewpoint="Charger_info.Get")


def _line_f_onset(timing: ContactorTiming) -> Instant | None:
    """When the CP line first went negative (state F driven by the charger, field-facts §2), bracketed
    by the CP readings taken while the contactor was timed; None if it never did meanwhile."""
    previous = timing.stimulus
    for at, cp in timing.line:
        if cp.high_v < 0:
            return Instant(previous.earliest, at.latest)
        previous = at
    return None


async def _f_on_line_for(rig: Rig, onset: Instant, held: str) -> Measurement | None:
    """How long state F stays on the CP line (negative level, as the EV sees it) from ``onset``.  Each CP
    reading is placed by its own window: an on-demand scope's query, tighter than an RPC; a board
    that reports once a second, a whole frame (inconclusive against 0.3 s, as it must be)."""
    def line() -> tuple[Instant, CpSample]:
        sample = rig.ev.sample_cp()
        return rig.timing.window(sample), sample

    return await _lasting(rig, "state_F_on_line", line, lambda sample: sample.cp.high_v < 0, onset, held,
                          viewpoint="CP measurement", extra_s=_cp_lag_s(rig))


@BENCH
@pytest.mark.parametrize("fault", _cases(CP_FAULTS))
async def test_cp_fault_while_charging_stops_charging_and_is_logged(fault: CpFault, rig: Rig,
                                                                    trace: SessionTrace) -> None:
    cover(method("Active_errors.Get"))
    cover(method("Logged_errors.Get"))
    cover("IEC 61851-1 Annex A faults", title=f"CP fault {fault.id} while charging: contactor opens, fault state, "
                                                "error active then logged until Logged_errors.Reset")
    await rig.charge()
    opening = rig.limit(fault.open_limit)
    timing = await rig.time_contactor(lambda: fault.apply(rig.ev), closed_after=False, rearm=fault.rearm,
                                      within_s=2 * opening.value + 1.0, what=f"contactor_open_delay_{fault.id}",
                                      watch_line=fault.held_s is not None)
    rig.check_contactor(timing, opening)

    onset = await rig.edge(lambda: _report(rig), fault.shown, since=timing.stimulus,
                           within_s=rig.limit("state_report_s").value,
                           what=f"charger_state in {fault.states}{' or extended E' if fault.extended_e else ''} "
                                f"after {fault.id}")
    if fault.ambiguity:
        rig.label_ambiguity(fault.ambiguity, f"charger_state {onset.value[0]}, extended {onset.value[1]}")
    held = fault.held_s or (F_SHOWN_MIN if onset.value[0] == "F" else None)
    if held:
        line_f = _line_f_onset(timing)
        if onset.value[0] == "F" and line_f is not None:
            await _f_on_line_for(rig, line_f, held)
        else:
            await _shown_for(rig, onset.value, onset.at, held)

    await rig.wait(lambda o: o.no_current and not o.mains_present, within_s=rig.settle_s,
                   what=f"no mains at the EV and no current at the analyzer with {fault.id}")
    own = fault.own_flags(onset.value)
    check_raised(await read_flags(rig), fault.id, own, tolerated=fault.tolerated(onset.value))

    fault.remove(rig.ev)
    rig.ev.set_state("A")
    await rig.wait(lambda o: o.state == "A" and not o.info["has_active_errors"], within_s=rig.settle_s,
                   what=f"A with no active error once {fault.id} is gone")
    check_latched(await read_flags(rig), fault.id, own, "the EV unplugged")
    await check_reset_clears(rig, fault.id)
    await rig.charge()  # the recovery path: the next plug-in charges again
    await rig.unplug()


DIAGNOSIS_ATTEMPTS = 5
"""The diagnosis must be right every time: a charger racing its own CP debounce shows it in some tries."""


@BENCH
@pytest.mark.needs("cp_control.cp_pe_short")
async def test_cp_pe_short_is_diagnosed_as_state_e_not_as_a_diode_fault(rig: Rig, trace: SessionTrace) -> None:
    cover(method("Logged_errors.Get"))
    cover("IEC 61851-1 Annex A faults", title="CP-PE short with PWM on: the first fault state is E, and only "
                                                "state_e_activated is raised")
    opening = rig.limit("contactor_open_s")

    async def state() -> str:
        return (await rig.charger.call("Charger_info.Get"))["charger_state"]

    for attempt in range(1, DIAGNOSIS_ATTEMPTS + 1):
        await rig.charge()
        timing = await rig.time_contactor(lambda: rig.ev.set_cp_pe_short(True), closed_after=False,
                                          within_s=2 * opening.value + 1.0, what="contactor_open_delay_cp_pe_short")
        first = await rig.edge(state, lambda s: s in ("E", "F"), since=timing.stimulus,
                               within_s=rig.limit("state_report_s").value,
                               what="a fault state after the CP-PE short")
        assert first.value == "E", (f"attempt {attempt}: CP shorted to PE first shown as state {first.value} "
                                    "(expected E)")
        check_raised(await read_flags(rig), f"the CP-PE short (attempt {attempt})", ("state_e_activated",))
        rig.ev.set_cp_pe_short(False)
        await rig.unplug()
        await check_reset_clears(rig, f"the CP-PE short (attempt {attempt})")
