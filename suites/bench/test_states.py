"""IEC 61851-1 states, the spec's extended states and the contactor timing, seen three ways.

Every state is reached by a real stimulus from the EV side (``rig.ev``: the bench's CP control and
EV load roles) and checked from each viewpoint: the charger's report (``Charger_info.Get``
charger_state / extended_charger_state, ``Adc_state.Get``), the CP line as the bench's CP
measurement sees it (levels, PWM), and the mains as the power analyzer measures it (current only in
C and D).  Levels and formulas come from :mod:`reference.iec61851` (field-facts §2-§4), limits from
the bench profile.  State F is never forced from the EV side (no CP load can: it is the charger
driving −12 V); the F the charger drives itself after a diode fault is checked.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from fixtures.clock import WaitTimeout
from fixtures.profile import Limit
from reference.iec61851 import (
    CP_HIGH_LEVEL_V,
    CP_LEVEL_TOLERANCE_V,
    CP_LOW_LEVEL_V,
    CP_SOURCE_TOLERANCE,
    EXPECTED,
    shorted_diode_level_v,
)
from reference.spec import method
from reference.spec.methods import EXTENDED_STATES
from reports.allure_support import cover
from rig import Observation, Rig, SessionTrace
from rig.ev import EvSide, pwm_on
from rig.schedule import ScheduleDriver
from rig.thresholds import CHARGING_CURRENT_MIN_A, DEFAULT_LOAD_A, NO_CURRENT_A
from rig.timing import Instant

pytestmark = [pytest.mark.bench, pytest.mark.states]
BENCH = pytest.mark.needs("ev_load", "power_analyzer")


def _cp_lag_s(rig: Rig) -> float:
    """How late a CP reading may describe the line, in device s: two windows of a once-a-second board,
    nothing for an on-demand scope (the rig's own allowance, Rig._cp_resolution_device_s).  Added to a
    wait for a change of the PWM, which only the CP measurement sees."""
    resolution = rig.ev.cp_resolution_s
    return 0.0 if resolution < 0.01 else 2 * resolution * rig.clock.time_scale


# --- what each viewpoint must show ---------------------------------------------------------------------
@dataclass(frozen=True)
class Expect:
    """One state as the three viewpoints must show it."""

    states: tuple[str, ...]          # charger_state accepted; more than one = ambiguity
    pwm: bool                        # CP line switching at 1 kHz (x2 sub-state)
    current: bool                    # mains current flows (C, D with a load)
    extended: tuple[str, ...] | None = None  # accepted extended states; None = same as charger_state
    adc: tuple[str, ...] | None = None       # Adc_state letters accepted (the line); None = as states
    levels: tuple[float, ...] | None = None  # CP high levels accepted (V); None = Annex A's for ``adc``


def expect_iec(letter: str, *, pwm: bool | None = None) -> Expect:
    """A-D per reference.iec61851.EXPECTED; with the charger allowing charging, B-D carry the PWM."""
    row = EXPECTED[letter]
    return Expect((row.charger_state,), letter != "A" if pwm is None else pwm, row.current_flows)


def deviations(rig: Rig, o: Observation, expect: Expect) -> list[str]:
    """What in ``o`` differs from ``expect`` (empty: all three viewpoints agree with it)."""
    wrong = []
    if o.state not in expect.states:
        wrong.append(f"Charger_info charger_state {o.state!r} not in {expect.states}")
    adc = expect.adc or expect.states
    if o.adc_state not in adc:
        wrong.append(f"Adc_state adc_state {o.adc_state!r} not in {adc}")
    extended = expect.extended or expect.states
    if o.extended not in extended:
        wrong.append(f"extended_charger_state {o.extended!r} not in {extended}")
    levels = expect.levels or tuple(CP_HIGH_LEVEL_V[letter] for letter in adc)
    if not any(abs(o.cp.high_v - level) <= CP_LEVEL_TOLERANCE_V for level in levels):
        wrong.append(f"CP high level {o.cp.high_v} V not {' or '.join(f'{v:.2f}' for v in levels)} "
                     f"± {CP_LEVEL_TOLERANCE_V} V")
    if expect.pwm:
        low, high = rig.limit("frequency_min_hz").value, rig.limit("frequency_max_hz").value
        if not low <= o.cp.frequency_hz <= high:
            wrong.append(f"PWM frequency {o.cp.frequency_hz} Hz outside {low}-{high} Hz")
        if abs(o.cp.low_v - CP_LOW_LEVEL_V) > abs(CP_LOW_LEVEL_V) * CP_SOURCE_TOLERANCE:
            wrong.append(f"CP low level {o.cp.low_v} V not {CP_LOW_LEVEL_V} V ± {CP_SOURCE_TOLERANCE:.0%}")
    elif o.pwm_on:
        wrong.append(f"PWM on ({o.cp.frequency_hz} Hz, {o.cp.duty_percent} %) where none is allowed")
    if expect.current and not o.charging:
        wrong.append(f"no charging current (mains {'present' if o.mains_present else 'absent'}, "
                     f"EV {o.ev_current_a} A, analyzer {o.current_a} A, need > {CHARGING_CURRENT_MIN_A} A)")
    if not expect.current and not o.no_current:
        wrong.append(f"current flows (EV {o.ev_current_a} A, analyzer {o.current_a} A, need < {NO_CURRENT_A} A)")
    if not expect.current and o.state in ("A", "B") and o.mains_present:
        wrong.append("contactor closed (EV sees mains) outside C/D")
    return wrong


async def expect_state(rig: Rig, expect: Expect, *, within_s: float, what: str) -> Observation:
    """Wait until all three viewpoints show ``expect``; a timeout names every deviation last seen."""
    try:
        return await rig.wait(lambda o: not deviations(rig, o, expect), within_s=within_s, what=what)
    except WaitTimeout as timeout:
        last = await rig.observe()
        raise WaitTimeout(f"{timeout}\ndeviations: {'; '.join(deviations(rig, last, expect))}") from None


async def hold_state(rig: Rig, expect: Expect, *, for_s: float, what: str) -> Observation:
    """``expect`` keeps holding for ``for_s`` device s (e.g. no contactor closing in B)."""
    return await rig.hold(lambda o: not deviations(rig, o, expect), for_s=for_s, what=what)


# --- 1. every IEC state, three ways ------------------------------------------------------------------------
async def _plug(rig: Rig) -> None:
    rig.ev.set_load_current(DEFAULT_LOAD_A)
    rig.ev.set_state("B")
    await expect_state(rig, expect_iec("B"), within_s=rig.settle_s, what="charger in B2 (PWM on) after plug-in")


async def _charging(rig: Rig) -> None:
    await rig.charge()


@dataclass(frozen=True)
class StateCase:
    """How the EV side drives the charger into a state, and what the three viewpoints must show."""

    id: str
    arrange: Callable[[Rig], Awaitable[None]] | None
    stimulus: Callable[[EvSide], None]
    expect: Expect
    hold_s: str | None = None        # a limit name: the state must keep holding this long
    ambiguity: str | None = None     # the state reported is labelled with this ambiguity
    needs: str | None = None         # a CP control feature beyond the states A-D


STATE_CASES = (
    StateCase("A-no_vehicle", None, lambda ev: ev.set_state("A"), expect_iec("A")),
    StateCase("B-connected", None, lambda ev: (ev.set_load_current(DEFAULT_LOAD_A), ev.set_state("B")),
              expect_iec("B"), hold_s="contactor_close_s"),
    StateCase("C-charging", _plug, lambda ev: ev.set_state("C"), expect_iec("C")),
    StateCase("D-ventilation", _plug, lambda ev: ev.set_state("D"), expect_iec("D")),
    StateCase("E-cp_pe_short", _charging, lambda ev: ev.set_cp_pe_short(True), Expect(("E",), False, False),
              needs="cp_control.cp_pe_short"),
    # The charger's own reaction to a shorted diode (ambiguity diode_fault_state): F (it drives −12 V,
    # which the EV's resistance, no longer blocked by the diode, divides: reference.iec61851), E, or its
    # CP letter with extended state E and the PWM off (+V into the EV's load, again undiodated).  In F its
    # extended state is F or E (ambiguity extended_state_in_f).
    StateCase("F-charger_own_on_diode_fault", _charging, lambda ev: ev.set_diode_short(True),
              Expect(("F", "E", "C"), False, False, extended=("F", "E"), adc=("F", "C"),
                     levels=(shorted_diode_level_v("C"), shorted_diode_level_v("C", -CP_LOW_LEVEL_V))),
              ambiguity="diode_fault_state", needs="cp_control.diode_short"),
)


def _state_params(cases: tuple[StateCase, ...]) -> list[Any]:
    """Each case as a parameter, needing its CP control feature when it has one."""
    return [pytest.param(case, marks=() if case.needs is None else pytest.mark.needs(case.needs), id=case.id)
            for case in cases]


@BENCH
@pytest.mark.parametrize("case", _state_params(STATE_CASES))
async def test_iec_state_seen_three_ways(case: StateCase, rig: Rig) -> None:
    cover(method("Charger_info.Get"))
    cover("IEC 61851-1 Annex A states", title=f"IEC state {case.id}: charger report, CP line and mains agree")
    if case.arrange is not None:
        await case.arrange(rig)
    case.stimulus(rig.ev)
    seen = await expect_state(rig, case.expect,
                              within_s=rig.charging_deadline_s if case.expect.current else rig.settle_s,
                              what=f"all three viewpoints showing {case.id}")
    if case.ambiguity:  # the state the charger chose is accepted (Expect lists every reading) and labelled
        rig.label_ambiguity(case.ambiguity, f"charger_state {seen.state}, extended {seen.extended}")
        if seen.state == "F":
            rig.label_ambiguity("extended_state_in_f", f"extended {seen.extended} with charger_state F")
    else:
        assert seen.extended in EXTENDED_STATES, f"extended state {seen.extended!r} is not in spec 6.5's list"
    if case.hold_s:
        await hold_state(rig, case.expect, for_s=rig.limit(case.hold_s).value,
                         what=f"{case.id} holding for {case.hold_s}")


# --- 2. transitions ---------------------------------------------------------------------------------------
TRANSITIONS = {
    "A-B-C-B-A": "ABCBA",
    "C-A_direct": "ABCA",
    "B-C-D-C": "ABCDCBA",
    "D_ventilation_reported_as_D": "ABDBA",
}


@BENCH
@pytest.mark.parametrize("path", TRANSITIONS.values(), ids=TRANSITIONS.keys())
async def test_iec_transitions(path: str, rig: Rig, trace: SessionTrace) -> None:
    cover("IEC 61851-1 Annex A transitions", title=f"IEC transitions {'→'.join(path)}")
    rig.ev.set_load_current(DEFAULT_LOAD_A)
    for step, letter in enumerate(path):
        rig.ev.set_state(letter)
        deadline = rig.charging_deadline_s if EXPECTED[letter].current_flows else rig.settle_s
        await expect_state(rig, expect_iec(letter), within_s=deadline,
                           what=f"step {step} of {'→'.join(path)}: {letter} on all three viewpoints")


# --- 3. contactor timing (field-facts §4) ----------------------------------------------------------------
@BENCH
async def test_contactor_closes_within_limit_after_c(rig: Rig) -> None:
    cover("IEC 61851-1 contactor timing", title="B2 → C2: contactor closes ≤ contactor_close_s")
    await _plug(rig)
    close = rig.limit("contactor_close_s")
    timing = await rig.time_contactor(lambda: rig.ev.set_state("C"), closed_after=True,
                                      within_s=2 * close.value + 1.0, what="contactor_close_delay_B2_to_C2")
    rig.check_contactor(timing, close)


OPENING = (("C", "B"), ("C", "A"), ("D", "B"))


@BENCH
@pytest.mark.parametrize(("start", "target"), OPENING, ids=[f"{a}-{b}" for a, b in OPENING])
async def test_contactor_opens_within_limit_when_leaving_c(start: str, target: str, rig: Rig) -> None:
    cover("IEC 61851-1 contactor timing", title=f"{start}2 → {target}: contactor opens ≤ contactor_open_s")
    await rig.charge(state=start)
    opening = rig.limit("contactor_open_s")
    timing = await rig.time_contactor(lambda: rig.ev.set_state(target), closed_after=False,
                                      within_s=2 * opening.value + 1.0,
                                      what=f"contactor_open_delay_{start}_to_{target}")
    rig.check_contactor(timing, opening)
    await expect_state(rig, expect_iec(target), within_s=rig.settle_s,
                       what=f"{target} on all three viewpoints after leaving {start}")


# --- 4. extended states (spec 6.5) ------------------------------------------------------------------------
async def _set(rig: Rig, key: str, value: object) -> None:
    assert await rig.app_config_set(key, value) is True


BLOCKED_SPAN_S = 120.0
"""Device s the B_SCHEDULER case needs its 0 A window for: plug-in, the hold, the release (all < 1 min)."""


async def _schedule_paused_now(rig: Rig) -> None:
    """A 0 A interval around the reference "now" (rig.calendar), in the charger's local time.

    Placed relative to now, not over the whole week: a week-long interval cannot hold Sunday 23:59 when
    its end minute is exclusive (ambiguity schedule_end_minute), and a window across the week's end
    would need a wrapping interval a strict charger refuses (schedule_interval_rules).  So the window
    ends minutes after the test does, and a test started in the week's last minutes waits for the new
    week (rig.schedule.ScheduleDriver.window_start); it holds on any day of the week."""
    driver = ScheduleDriver(rig, rig.reference)
    await driver.use_offset(0)
    await driver.set_schedule([await driver.covering(0, BLOCKED_SPAN_S)])


@dataclass(frozen=True)
class BlockedCase:
    """An extended state in which the EV is connected but the charger must not charge, and the action
    that lets charging (extended state C) begin again."""

    extended: str
    label: str
    ev_state: str
    arrange: Callable[[Rig], Awaitable[None]]
    release_method: str
    release: Callable[[Rig], Awaitable[object]]
    paused_flag: bool | None = None


async def _auth_arrange(rig: Rig) -> None:
    await _set(rig, "headless", False)
    rig.ev.set_load_current(DEFAULT_LOAD_A)
    rig.ev.set_state("B")
    await rig.wait(lambda o: o.state == "B", within_s=rig.limit("state_report_s").value + _cp_lag_s(rig),
                   what="charger in B after plug-in")
    rig.ev.set_state("C")


async def _locked_arrange(rig: Rig) -> None:
    await _set(rig, "charger_locked", True)
    rig.ev.set_load_current(DEFAULT_LOAD_A)
    rig.ev.set_state("C")


async def _pause_arrange(rig: Rig) -> None:
    await rig.charge()
    assert await rig.charger.call("Charge.Pause") is True
    await rig.wait(lambda o: not o.pwm_on, within_s=rig.limit("pwm_update_s").value + _cp_lag_s(rig),
                   what="PWM removed after Charge.Pause")
    rig.ev.set_state("B")  # as an EV does when the PWM goes (field-facts §4)


async def _scheduler_arrange(rig: Rig) -> None:
    await _schedule_paused_now(rig)
    rig.ev.set_load_current(DEFAULT_LOAD_A)
    rig.ev.set_state("C")


async def _call(name: str, rig: Rig) -> object:
    return await rig.charger.call(name)


BLOCKED_CASES = (
    BlockedCase("B_AUTH", "6.1 Charge.Start", "C", _auth_arrange, "Charge.Start",
                lambda r: _call("Charge.Start", r)),
    BlockedCase("LOCKED", "4 charger_locked", "C", _locked_arrange, "App_config.Set charger_locked false",
                lambda r: _set(r, "charger_locked", False)),
    BlockedCase("B_PAUSE", "6.27 Charge.Pause", "B", _pause_arrange, "Charge.Resume",
                lambda r: _call("Charge.Resume", r), paused_flag=True),
    BlockedCase("B_SCHEDULER", "6.33 Charging_schedule.Override", "C", _scheduler_arrange,
                "Charging_schedule.Override", lambda r: _call("Charging_schedule.Override", r)),
)


@BENCH
@pytest.mark.parametrize("case", BLOCKED_CASES, ids=lambda c: c.extended)
async def test_extended_state_blocks_charging_until_released(case: BlockedCase, rig: Rig,
                                                             trace: SessionTrace) -> None:
    cover(method("Charger_info.Get"))
    cover(case.label, title=f"extended state {case.extended}: no PWM, no current; {case.release_method} → C")
    await case.arrange(rig)
    # charger_state while held off: the EV's letter or B, the EVSE's own "not charging" (ambiguity
    # blocked_state_letter); the CP line (Adc_state) is the EV's letter either way.
    blocked = Expect(tuple(dict.fromkeys((case.ev_state, "B"))), pwm=False, current=False,
                     extended=(case.extended,), adc=(case.ev_state,))
    seen = await expect_state(rig, blocked, within_s=rig.settle_s,
                              what=f"extended state {case.extended}, no PWM, no current")
    if case.paused_flag is not None:
        assert seen.info["charger_is_paused"] is case.paused_flag, f"charger_is_paused in {case.extended}: {seen}"
    # Long enough that a charger which would charge anyway has closed its contactor (§4).
    held = await rig.hold(lambda o: o.extended == case.extended and o.state in blocked.states and not o.mains_present
                          and o.no_current and not o.pwm_on, for_s=rig.limit("contactor_close_s").value,
                          what=f"{case.extended}: charger_state in {blocked.states}, no PWM, contactor open, "
                               "no current")
    if case.ev_state != "B":  # labelled once the charger has settled (its first report may predate the EV's move)
        rig.label_ambiguity("blocked_state_letter", f"charger_state {held.state} in {case.extended} with the EV in "
                                                    f"{case.ev_state}")
    result = await case.release(rig)
    assert result in (True, None), f"{case.release_method} answered {result!r}"
    if case.ev_state != "C":  # the EV goes back to C once the PWM offers current again
        await rig.wait(lambda o: o.pwm_on, within_s=rig.limit("pwm_update_s").value + _cp_lag_s(rig),
                       what=f"PWM back after {case.release_method}")
        rig.ev.set_state("C")
    await expect_state(rig, Expect(("C",), pwm=True, current=True), within_s=rig.charging_deadline_s,
                       what=f"charging (C, PWM, current) after {case.release_method}")


# --- 5. OTA (spec 6.23) -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EvReading:
    """The EV side at one moment, each viewpoint placed on the bench clock: the CP line by its
    measurement's own window (a once-a-second board's frame is a whole second), mains presence and
    load current by the bracket of their queries."""

    cp_at: Instant
    cp_switching: bool
    at: Instant
    mains_present: bool
    current_a: float | None

    @property
    def drawing(self) -> bool:
        return (self.current_a or 0.0) >= NO_CURRENT_A


def _inside(at: Instant, start_s: float, end_s: float) -> bool:
    """``at`` lies certainly within [start_s, end_s] (bench-clock s)."""
    return at.earliest >= start_s and at.latest <= end_s


@BENCH
@pytest.mark.destructive
@pytest.mark.needs("ev_load", "power_analyzer", "destructive")
async def test_6_23_ota_verify_reports_ota_and_stops_charging(rig: Rig, trace: SessionTrace) -> None:
    cover(method("Ota.Verify"))
    cover(method("Charger_info.Get"), title="Ota.Verify while charging: extended state OTA, no charging during it")
    await rig.charge()
    verify, accepted = await rig.astamp(lambda: rig.charger.call("Ota.Verify"))
    assert accepted is True
    # The OTA begins while Ota.Verify is handled: within ``verify``; once the charger has answered it is on.
    # Charger reads and EV-side reads alternate, all stamped on the bench clock.
    reports: list[tuple[Instant, bool]] = []   # (when read, reported OTA)
    sides: list[EvReading] = []

    async def sample() -> dict | None:
        at, info = await rig.astamp(lambda: rig.call_if_reachable("Charger_info.Get"))
        reports.append((at, info is not None and info["extended_charger_state"] == "OTA"))
        cp = rig.ev.sample_cp()
        read_at, (mains, current) = rig.stamp(lambda: (rig.ev.mains_present(), rig.ev.load_current_a()))
        sides.append(EvReading(rig.timing.window(cp), pwm_on(cp.cp), read_at, mains, current))
        return info

    def over(info: dict | None) -> bool:
        return any(ota for _, ota in reports) and info is not None and info["extended_charger_state"] != "OTA"

    await rig.clock.wait_for(sample, over, within_s=rig.limit("ota_max_s").value,
                             what="extended state OTA, then its end")
    # Certainly inside the OTA and past the grace the charger has to react (the analyzer lags by an
    # update; the EV side shows at once whether it is still supplied): from the grace after Ota.Verify
    # was answered to the last read that still reported OTA (one OTA: it is still on before that read).
    grace = rig.limit("fault_response_s")
    last_ota = [at for at, ota in reports if ota][-1]
    start_s, end_s = verify.latest + grace.value, last_ota.earliest
    judged = [side for side in sides if _inside(side.at, start_s, end_s)]
    if not judged:  # the bench's reads were too far apart (a loaded host) to see inside so short an OTA
        rig.inconclusive.append(
            f"EV side during OTA: no reading fell inside the OTA later than {grace.name} after Ota.Verify (OTA "
            f"reported from {verify.latest:.3f} s to {last_ota.earliest:.3f} s at most, {len(reports)} reads in "
            f"{reports[-1][0].latest - reports[0][0].earliest:.3f} s): needs reads closer than "
            f"{max(end_s - start_s, 0.0):.3g} s")
        return
    cp_judged = [side for side in sides if _inside(side.cp_at, start_s, end_s)]
    if cp_judged:
        offered = [side for side in cp_judged if side.cp_switching]
        assert not offered, f"PWM offered during OTA: {offered}"
    else:  # a CP board whose frame is longer than the OTA: it cannot show the line within it
        window_s = rig.ev.cp_resolution_s * rig.clock.time_scale
        rig.inconclusive.append(f"PWM during OTA: no CP reading's window (up to {window_s:.3g} s) fell inside the "
                                f"OTA as observed ({end_s - start_s:.3f} s after {grace.name})")
    # The contactor: open with the PWM, or (ambiguity charger_stop_sequence) as for a pause, while the
    # EV stays in C no later than pause_open_max_s; the EV's current stops within its ev_follow_s of the
    # PWM going (field-facts §4), and never flows without mains.
    closed = [side for side in judged if side.mains_present]
    rig.label_ambiguity("charger_stop_sequence", "PWM off first, contactor closed while the EV stays in C"
                        if closed else "PWM off and contactor open together")
    unsupplied = [side for side in judged if side.drawing and not side.mains_present]
    assert not unsupplied, f"current drawn during OTA without mains on the EV side: {unsupplied}"
    if closed:  # still closed at the last of them: that long after the OTA began, at least
        rig.judge("contactor_closed_during_ota", closed[-1].at.delay_since(verify), rig.limit("pause_open_max_s"))
    drawing = [side for side in judged if side.drawing]
    if drawing:
        rig.judge("current_drawn_during_ota", drawing[-1].at.delay_since(verify), _follow_limit(rig, grace))


def _follow_limit(rig: Rig, grace: Limit) -> Limit:
    """How long after the OTA began the EV may still draw: the charger's grace to remove the PWM, then
    the EV's ev_follow_s; a plain load that the rig makes follow the PWM adds one CP reading."""
    follow = rig.limit("ev_follow_s")
    lag = 0.0 if rig.ev.follows_pwm else _cp_lag_s(rig)
    return Limit(f"{grace.name} + {follow.name}" + (" + CP reading" if lag else ""), grace.value + follow.value + lag,
                 "s", f"{grace.name}: {grace.origin}; {follow.name}: {follow.origin}"
                      + (f"; a plain load follows the PWM within {lag:g} s (rig/ev.py)" if lag else ""))
