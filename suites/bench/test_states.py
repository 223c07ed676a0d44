"""IEC 61851-1 states, the spec's extended states and the contactor timing, seen three ways.

Every state is reached by a real stimulus from the EV simulator and checked from each viewpoint:
the charger's report (``Charger_info.Get`` charger_state / extended_charger_state, ``Adc_state.Get``),
the CP line as the EV simulator measures it (levels, PWM), and the mains as the power analyzer
measures it (current only in C and D).  Levels and formulas come from :mod:`reference.iec61851`
(field-facts §2-§4), limits from the bench profile.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest

from fixtures.bench import Bench
from fixtures.clock import WaitTimeout
from instruments.charger_rpc import ChargerClient
from instruments.ev_simulator import EvSimulator
from instruments.power_analyzer.wt300 import PowerAnalyzer
from reports.allure_support import cover
from suites.bench.support import (
    CHARGING_CURRENT_MIN_A,
    app_config_set,
    DEFAULT_LOAD_A,
    NO_CURRENT_A,
    Observation,
    SessionTrace,
    call_if_reachable,
    charge,
    charging_deadline_s,
    hold_observed,
    label_ambiguity,
    limit,
    observe,
    settle_s,
    time_contactor,
    wait_observed,
)
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

pytestmark = [pytest.mark.bench, pytest.mark.states]
BENCH = pytest.mark.needs("ev_simulator", "power_analyzer")


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


def deviations(bench: Bench, o: Observation, expect: Expect) -> list[str]:
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
        low, high = bench.limit("frequency_min_hz"), bench.limit("frequency_max_hz")
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


async def expect_state(bench: Bench, charger: ChargerClient, ev: EvSimulator, analyzer: PowerAnalyzer,
                       expect: Expect, *, within_s: float, what: str, trace: SessionTrace | None = None) -> Observation:
    """Wait until all three viewpoints show ``expect``; a timeout names every deviation last seen."""
    try:
        return await wait_observed(bench, charger, ev, analyzer, lambda o: not deviations(bench, o, expect),
                                   within_s=within_s, what=what, trace=trace)
    except WaitTimeout as timeout:
        last = await observe(charger, ev, analyzer)
        raise WaitTimeout(f"{timeout}\ndeviations: {'; '.join(deviations(bench, last, expect))}") from None


async def hold_state(bench: Bench, charger: ChargerClient, ev: EvSimulator, analyzer: PowerAnalyzer,
                     expect: Expect, *, for_s: float, what: str) -> Observation:
    """``expect`` keeps holding for ``for_s`` device s (e.g. no contactor closing in B)."""
    return await hold_observed(bench, charger, ev, analyzer, lambda o: not deviations(bench, o, expect),
                               for_s=for_s, what=what)


# --- 1. every IEC state, three ways ------------------------------------------------------------------------
async def _plug(bench: Bench, charger: ChargerClient, ev: EvSimulator, analyzer: PowerAnalyzer) -> None:
    ev.set_load_current(DEFAULT_LOAD_A)
    ev.set_cp_state("B")
    await expect_state(bench, charger, ev, analyzer, expect_iec("B"), within_s=settle_s(bench),
                       what="charger in B2 (PWM on) after plug-in")


async def _charging(bench: Bench, charger: ChargerClient, ev: EvSimulator, analyzer: PowerAnalyzer) -> None:
    await charge(bench, charger, ev, analyzer)


@dataclass(frozen=True)
class StateCase:
    """How the EV simulator drives the charger into a state, and what the three viewpoints must show."""

    id: str
    arrange: Callable[[Bench, ChargerClient, EvSimulator, PowerAnalyzer], Awaitable[None]] | None
    stimulus: Callable[[EvSimulator], None]
    expect: Expect
    hold_s: str | None = None        # a limit name: the state must keep holding this long
    ambiguity: str | None = None     # the state reported is labelled with this ambiguity


STATE_CASES = (
    StateCase("A-no_vehicle", None, lambda ev: ev.set_cp_state("A"), expect_iec("A")),
    StateCase("B-connected", None, lambda ev: (ev.set_load_current(DEFAULT_LOAD_A), ev.set_cp_state("B")),
              expect_iec("B"), hold_s="contactor_close_s"),
    StateCase("C-charging", _plug, lambda ev: ev.set_cp_state("C"), expect_iec("C")),
    StateCase("D-ventilation", _plug, lambda ev: ev.set_cp_state("D"), expect_iec("D")),
    StateCase("E-cp_pe_short", _charging, lambda ev: ev.set_cp_state("E"), Expect(("E",), False, False)),
    StateCase("F-forced_minus_12V", _charging, lambda ev: ev.set_cp_state("F"),
              Expect(("F",), False, False, extended=("F", "E")), ambiguity="extended_state_in_f"),
    # The charger's own reaction to a shorted diode (ambiguity diode_fault_state): F (it drives −12 V,
    # which the EV's resistance, no longer blocked by the diode, divides: reference.iec61851), E, or its
    # CP letter with extended state E and the PWM off (+V into the EV's load, again undiodated).
    StateCase("F-charger_own_on_diode_fault", _charging, lambda ev: ev.set_diode_short(True),
              Expect(("F", "E", "C"), False, False, extended=("F", "E"), adc=("F", "C"),
                     levels=(shorted_diode_level_v("C"), shorted_diode_level_v("C", -CP_LOW_LEVEL_V))),
              ambiguity="diode_fault_state"),
)


@BENCH
@pytest.mark.parametrize("case", STATE_CASES, ids=lambda c: c.id)
async def test_iec_state_seen_three_ways(case: StateCase, bench: Bench, charger: ChargerClient, ev: EvSimulator,
                                         analyzer: PowerAnalyzer) -> None:
    cover(method("Charger_info.Get"))
    cover("IEC 61851-1 Annex A states", title=f"IEC state {case.id}: charger report, CP line and mains agree")
    if case.arrange is not None:
        await case.arrange(bench, charger, ev, analyzer)
    case.stimulus(ev)
    seen = await expect_state(bench, charger, ev, analyzer, case.expect,
                              within_s=charging_deadline_s(bench) if case.expect.current else settle_s(bench),
                              what=f"all three viewpoints showing {case.id}")
    if case.ambiguity:  # the state the charger chose is accepted (Expect lists every reading) and labelled
        label_ambiguity(case.ambiguity, f"charger_state {seen.state}, extended {seen.extended}")
    else:
        assert seen.extended in EXTENDED_STATES, f"extended state {seen.extended!r} is not in spec 6.5's list"
    if case.hold_s:
        await hold_state(bench, charger, ev, analyzer, case.expect, for_s=limit(bench, case.hold_s).value,
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
async def test_iec_transitions(path: str, bench: Bench, charger: ChargerClient, ev: EvSimulator,
                               analyzer: PowerAnalyzer, trace: SessionTrace) -> None:
    cover("IEC 61851-1 Annex A transitions", title=f"IEC transitions {'→'.join(path)}")
    ev.set_load_current(DEFAULT_LOAD_A)
    for step, letter in enumerate(path):
        ev.set_cp_state(letter)
        deadline = charging_deadline_s(bench) if EXPECTED[letter].current_flows else settle_s(bench)
        await expect_state(bench, charger, ev, analyzer, expect_iec(letter), within_s=deadline,
                           what=f"step {step} of {'→'.join(path)}: {letter} on all three viewpoints", trace=trace)


# --- 3. contactor timing (field-facts §4) ----------------------------------------------------------------
@BENCH
async def test_contactor_closes_within_limit_after_c(bench: Bench, charger: ChargerClient, ev: EvSimulator,
                                                      analyzer: PowerAnalyzer) -> None:
    cover("IEC 61851-1 contactor timing", title="B2 → C2: contactor closes ≤ contactor_close_s")
    await _plug(bench, charger, ev, analyzer)
    close = limit(bench, "contactor_close_s")
    timing = await time_contactor(bench, ev, lambda: ev.set_cp_state("C"), closed_after=True,
                                  within_s=2 * close.value + 1.0, what="contactor_close_delay_B2_to_C2")
    timing.check(close)


OPENING = (("C", "B"), ("C", "A"), ("D", "B"))


@BENCH
@pytest.mark.parametrize(("start", "target"), OPENING, ids=[f"{a}-{b}" for a, b in OPENING])
async def test_contactor_opens_within_limit_when_leaving_c(start: str, target: str, bench: Bench,
                                                            charger: ChargerClient, ev: EvSimulator,
                                                            analyzer: PowerAnalyzer) -> None:
    cover("IEC 61851-1 contactor timing", title=f"{start}2 → {target}: contactor opens ≤ contactor_open_s")
    await charge(bench, charger, ev, analyzer, state=start)
    opening = limit(bench, "contactor_open_s")
    timing = await time_contactor(bench, ev, lambda: ev.set_cp_state(target), closed_after=False,
                                  within_s=2 * opening.value + 1.0, what=f"contactor_open_delay_{start}_to_{target}")
    timing.check(opening)
    await expect_state(bench, charger, ev, analyzer, expect_iec(target), within_s=settle_s(bench),
                       what=f"{target} on all three viewpoints after leaving {start}")


# --- 4. extended states (spec 6.5) ------------------------------------------------------------------------
async def _set(charger: ChargerClient, key: str, value: object) -> None:
    assert await app_config_set(charger, key, value) is True


WHOLE_WEEK_PAUSED = [{"start_d": 1, "start_h": 0, "start_m": 0, "end_d": 7, "end_h": 23, "end_m": 59,
                      "current": 0, "lb_mode": 1}]


async def _schedule_whole_week_paused(charger: ChargerClient) -> None:
    """The charger's clock is unknown to the bench: an interval of 0 A over the whole week covers it
    (all but Sunday 23:59, the last minute a week-long interval cannot include)."""
    assert await charger.call("Charging_schedule.Set", {"charging_schedule": WHOLE_WEEK_PAUSED}) is True
    read_back = (await charger.call("Charging_schedule.Get"))["charging_schedule"]
    assert read_back == WHOLE_WEEK_PAUSED, f"Charging_schedule.Get gave {read_back}, set {WHOLE_WEEK_PAUSED}"
    await _set(charger, "charging_schedule_enabled", True)


@dataclass(frozen=True)
class BlockedCase:
    """An extended state in which the EV is connected but the charger must not charge, and the action
    that lets charging (extended state C) begin again."""

    extended: str
    label: str
    ev_state: str
    arrange: Callable[[Bench, ChargerClient, EvSimulator, PowerAnalyzer], Awaitable[None]]
    release_method: str
    release: Callable[[ChargerClient], Awaitable[object]]
    paused_flag: bool | None = None


async def _auth_arrange(bench: Bench, charger: ChargerClient, ev: EvSimulator, analyzer: PowerAnalyzer) -> None:
    await _set(charger, "headless", False)
    ev.set_load_current(DEFAULT_LOAD_A)
    ev.set_cp_state("B")
    await wait_observed(bench, charger, ev, analyzer, lambda o: o.state == "B",
                        within_s=limit(bench, "state_report_s").value, what="charger in B after plug-in")
    ev.set_cp_state("C")


async def _locked_arrange(bench: Bench, charger: ChargerClient, ev: EvSimulator, analyzer: PowerAnalyzer) -> None:
    await _set(charger, "charger_locked", True)
    ev.set_load_current(DEFAULT_LOAD_A)
    ev.set_cp_state("C")


async def _pause_arrange(bench: Bench, charger: ChargerClient, ev: EvSimulator, analyzer: PowerAnalyzer) -> None:
    await charge(bench, charger, ev, analyzer)
    assert await charger.call("Charge.Pause") is True
    await wait_observed(bench, charger, ev, analyzer, lambda o: not o.pwm_on, within_s=bench.limit("pwm_update_s"),
                        what="PWM removed after Charge.Pause")
    ev.set_cp_state("B")  # as an EV does when the PWM goes (field-facts §4)


async def _scheduler_arrange(bench: Bench, charger: ChargerClient, ev: EvSimulator, analyzer: PowerAnalyzer) -> None:
    await _schedule_whole_week_paused(charger)
    ev.set_load_current(DEFAULT_LOAD_A)
    ev.set_cp_state("C")


async def _call(name: str, charger: ChargerClient) -> object:
    return await charger.call(name)


BLOCKED_CASES = (
    BlockedCase("B_AUTH", "6.1 Charge.Start", "C", _auth_arrange, "Charge.Start",
                lambda c: _call("Charge.Start", c)),
    BlockedCase("LOCKED", "4 charger_locked", "C", _locked_arrange, "App_config.Set charger_locked false",
                lambda c: _set(c, "charger_locked", False)),
    BlockedCase("B_PAUSE", "6.27 Charge.Pause", "B", _pause_arrange, "Charge.Resume",
                lambda c: _call("Charge.Resume", c), paused_flag=True),
    BlockedCase("B_SCHEDULER", "6.33 Charging_schedule.Override", "C", _scheduler_arrange,
                "Charging_schedule.Override", lambda c: _call("Charging_schedule.Override", c)),
)


@BENCH
@pytest.mark.parametrize("case", BLOCKED_CASES, ids=lambda c: c.extended)
async def test_extended_state_blocks_charging_until_released(case: BlockedCase, bench: Bench, charger: ChargerClient,
                                                             ev: EvSimulator, analyzer: PowerAnalyzer,
                                                             trace: SessionTrace) -> None:
    cover(method("Charger_info.Get"))
    cover(case.label, title=f"extended state {case.extended}: no PWM, no current; {case.release_method} → C")
    await case.arrange(bench, charger, ev, analyzer)
    # charger_state while held off: the EV's letter or B, the EVSE's own "not charging" (ambiguity
    # blocked_state_letter); the CP line (Adc_state) is the EV's letter either way.
    blocked = Expect(tuple(dict.fromkeys((case.ev_state, "B"))), pwm=False, current=False,
                     extended=(case.extended,), adc=(case.ev_state,))
    seen = await expect_state(bench, charger, ev, analyzer, blocked, within_s=settle_s(bench),
                              what=f"extended state {case.extended}, no PWM, no current", trace=trace)
    if case.ev_state != "B":
        label_ambiguity("blocked_state_letter", f"charger_state {seen.state} in {case.extended} with the EV in "
                                                f"{case.ev_state}")
    if case.paused_flag is not None:
        assert seen.info["charger_is_paused"] is case.paused_flag, f"charger_is_paused in {case.extended}: {seen}"
    # Long enough that a charger which would charge anyway has closed its contactor (§4).
    await hold_observed(bench, charger, ev, analyzer,
                        lambda o: o.extended == case.extended and not o.mains_present and o.no_current
                        and not o.pwm_on, for_s=bench.limit("contactor_close_s"),
                        what=f"{case.extended}: no PWM, contactor open, no current", trace=trace)
    result = await case.release(charger)
    assert result in (True, None), f"{case.release_method} answered {result!r}"
    if case.ev_state != "C":  # the EV goes back to C once the PWM offers current again
        await wait_observed(bench, charger, ev, analyzer, lambda o: o.pwm_on, within_s=bench.limit("pwm_update_s"),
                            what=f"PWM back after {case.release_method}", trace=trace)
        ev.set_cp_state("C")
    await expect_state(bench, charger, ev, analyzer, Expect(("C",), pwm=True, current=True),
                       within_s=charging_deadline_s(bench),
                       what=f"charging (C, PWM, current) after {case.release_method}", trace=trace)


@dataclass(frozen=True)
class EvSide:
    """The EV side at one instant (EV simulator device time)."""

    time_s: float
    cp_switching: bool
    mains_present: bool
    current_a: float

    @property
    def supplied(self) -> bool:
        return self.cp_switching or self.mains_present or self.current_a >= NO_CURRENT_A


@BENCH
@pytest.mark.destructive
@pytest.mark.needs("ev_simulator", "power_analyzer", "destructive")
async def test_6_23_ota_verify_reports_ota_and_stops_charging(bench: Bench, charger: ChargerClient, ev: EvSimulator,
                                                              analyzer: PowerAnalyzer, trace: SessionTrace) -> None:
    cover(method("Ota.Verify"))
    cover(method("Charger_info.Get"), title="Ota.Verify while charging: extended state OTA, no charging during it")
    await charge(bench, charger, ev, analyzer, trace=trace)
    assert await charger.call("Ota.Verify") is True
    verified = ev.device_time_s()  # the OTA began before this: a delay counted from it is the shortest
    # Charger reads and EV-side reads alternate; an EV-side read lies inside OTA when the charger
    # reported OTA both before and after it.
    reports: list[tuple[float, bool]] = []   # (stamp just before the read, reported OTA)
    sides: list[EvSide] = []

    async def sample() -> dict | None:
        stamped = ev.device_time_s()
        info = await call_if_reachable(charger, "Charger_info.Get")
        reports.append((stamped, info is not None and info["extended_charger_state"] == "OTA"))
        cp = ev.measure_cp()
        sides.append(EvSide(ev.device_time_s(), cp.frequency_hz > 0, ev.mains_present(), ev.load_current_a()))
        return info

    def over(info: dict | None) -> bool:
        return any(ota for _, ota in reports) and info is not None and info["extended_charger_state"] != "OTA"

    await bench.clock.wait_for(sample, over, within_s=limit(bench, "ota_max_s").value,
                               what="extended state OTA, then its end")
    during = [side for side, (_, ota), (_, next_ota) in zip(sides, reports, reports[1:]) if ota and next_ota]
    ota_by = [stamped for stamped, ota in reports if ota]
    # The analyzer lags by an update; the EV side shows at once whether it is still supplied.
    grace = limit(bench, "fault_response_s")
    judged = [side for side in during if side.time_s >= ota_by[0] + grace.value]
    assert judged, f"no EV-side reading fell inside OTA later than {grace.name} after it began: {during}"
    offered = [side for side in judged if side.cp_switching]
    assert not offered, f"PWM offered during OTA: {offered}"
    # The contactor: open with the PWM, or (ambiguity charger_stop_sequence) as for a pause, while the
    # EV stays in C no later than pause_open_max_s; the EV's current stops within its ev_follow_s of the
    # PWM going (field-facts §4), and never flows without mains.
    closed = [side for side in judged if side.mains_present]
    label_ambiguity("charger_stop_sequence", "PWM off first, contactor closed while the EV stays in C"
                    if closed else "PWM off and contactor open together")
    pause_max, follow = limit(bench, "pause_open_max_s"), limit(bench, "ev_follow_s")
    late = [side for side in closed if side.time_s - verified > pause_max.value]
    assert not late, f"contactor still closed during OTA beyond {pause_max.name} ({pause_max.value} s): {late}"
    drawing = [side for side in judged if side.current_a >= NO_CURRENT_A
               and (not side.mains_present or side.time_s - verified > follow.value + grace.value)]
    assert not drawing, f"current drawn during OTA beyond {follow.name} after the PWM went: {drawing}"
