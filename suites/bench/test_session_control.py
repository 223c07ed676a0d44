"""Session control on the bench: start, stop, pause, resume, lock, reset and the session counters.

Each RPC's effect is judged where it matters: on the CP line the EV sees (PWM present or removed,
measured by the EV simulator), at the contactor (mains presence, timed by the EV simulator's own
clock) and in the mains current (power analyzer).  Spec sections 6.1, 6.2, 6.7, 6.18, 6.22, 6.24,
6.27, 6.28 and key ``charger_locked`` (chapter 4); timing from field-facts §4 via the bench profile.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from fixtures.bench import Bench
from instruments.charger_rpc import ChargerClient, ChargerUnreachable, DeviceError, MalformedReply
from instruments.ev_simulator import EvSimulator
from instruments.ev_simulator.interface import CpMeasurement
from instruments.power_analyzer.wt300 import PowerAnalyzer
from reports.allure_support import cover
from suites.bench.support import (
    DEFAULT_LOAD_A,
    Bracket,
    Edge,
    Observation,
    SessionTrace,
    advertised_a,
    app_config_set,
    astamp,
    call_if_reachable,
    charge,
    charging_deadline_s,
    check_limit,
    hold_observed,
    label_ambiguity,
    limit,
    observe,
    pwm_on,
    settle_s,
    time_contactor,
    unplug,
    wait_edge,
    wait_observed,
)
from reference.spec import PROHIBITED, method

GENERAL_FAIL = -1  # spec chapter 3

pytestmark = [pytest.mark.bench, pytest.mark.session]
BENCH = pytest.mark.needs("ev_simulator", "power_analyzer")

CHARGE_FOR_S = 5.0
"""How long the counters' session charges (device s): several whole seconds of charging_time."""
COUNTER_RESOLUTION_S = 1.0
"""charging_time is whole seconds (spec 6.5): a counter that ticks shows within two resolutions."""
SESSION_ENERGY_WH = 1.0
"""Energy charged before a session-energy reset: clearly above the 0.01 Wh the charger reports."""


async def _set(charger: ChargerClient, key: str, value: object) -> None:
    assert await app_config_set(charger, key, value) is True


async def _cp_edge(bench: Bench, ev: EvSimulator, since: Bracket, condition: Callable[[CpMeasurement], bool],
                   what: str) -> Edge:
    """Wait for the CP line to meet ``condition`` after ``since``; check it did within ``pwm_update_s``
    (field-facts §4: the EVSE updates its PWM within 5 s of a change)."""
    update = limit(bench, "pwm_update_s")
    edge = await wait_edge(bench, ev, ev.measure_cp, condition, since=since, within_s=2 * update.value + 1.0,
                           what=what)
    shortest, longest = edge.at.delay_since(since)
    check_limit(what.replace(" ", "_"), shortest, update, "max",
                f"bracketed {shortest:.3f}…{longest:.3f} s by polling the CP line")
    return edge


def _steady_high(cp: CpMeasurement) -> bool:
    """PWM removed the way field-facts §3 says "charging not allowed": steady +V, duty 100 % (x1)."""
    return cp.frequency_hz == 0 and cp.duty_percent == 100.0 and cp.high_v > 0


async def _pwm_edge(bench: Bench, ev: EvSimulator, since: Bracket, *, on: bool, what: str) -> Edge:
    """PWM present (x2) or removed (x1) on the CP line the EV simulator measures."""
    return await _cp_edge(bench, ev, since, pwm_on if on else _steady_high, what)


# --- 6.1 Charge.Start and the headless key ------------------------------------------------------------
@BENCH
async def test_6_1_headless_true_charges_on_plug_in_without_charge_start(
        bench: Bench, charger: ChargerClient, ev: EvSimulator, analyzer: PowerAnalyzer, trace: SessionTrace) -> None:
    cover("4 headless")
    cover(method("Charge.Start"), title="headless true: plugging in (B → C) charges without Charge.Start")
    await _set(charger, "headless", True)
    seen = await charge(bench, charger, ev, analyzer, trace=trace)
    assert seen.extended == "C", f"extended state while charging headless: {seen}"
    await hold_observed(bench, charger, ev, analyzer, lambda o: o.extended == "C" and o.charging,
                        for_s=2 * COUNTER_RESOLUTION_S, what="charging on, headless", trace=trace)
    trace.attach()


@BENCH
async def test_6_1_headless_false_waits_for_charge_start(bench: Bench, charger: ChargerClient, ev: EvSimulator,
                                                         analyzer: PowerAnalyzer, trace: SessionTrace) -> None:
    cover("4 headless")
    cover(method("Charge.Start"), title="headless false: B_AUTH without PWM until Charge.Start, then B2 → C2")
    await _set(charger, "headless", False)
    ev.set_load_current(DEFAULT_LOAD_A)
    ev.set_cp_state("B")
    await wait_observed(bench, charger, ev, analyzer, lambda o: o.extended == "B_AUTH",
                        within_s=limit(bench, "state_report_s").value, what="B_AUTH after plug-in", trace=trace)
    ev.set_cp_state("C")  # an EV that is ready at once must still wait for the authorisation

    def waiting_for_auth(o: Observation) -> bool:
        return o.extended == "B_AUTH" and not o.pwm_on and not o.mains_present and o.no_current

    await hold_observed(bench, charger, ev, analyzer, waiting_for_auth, for_s=bench.limit("contactor_close_s"),
                        settle_within_s=settle_s(bench), trace=trace,
                        what="B_AUTH with the EV in C: no PWM, contactor open, no current")
    ev.set_cp_state("B")
    started, answer = await astamp(ev, lambda: charger.call("Charge.Start"))
    assert answer is True, f"Charge.Start answered {answer!r}"
    await _pwm_edge(bench, ev, started, on=True, what="PWM offered after Charge.Start")
    timing = await time_contactor(bench, ev, lambda: ev.set_cp_state("C"), closed_after=True,
                                  within_s=2 * bench.limit("contactor_close_s") + 1.0,
                                  what="contactor_close_delay_after_authorisation")
    timing.check(limit(bench, "contactor_close_s"))
    await wait_observed(bench, charger, ev, analyzer, lambda o: o.extended == "C" and o.charging,
                        within_s=charging_deadline_s(bench), what="charging after Charge.Start", trace=trace)


# --- 6.2 Charge.Stop ----------------------------------------------------------------------------------
@BENCH
async def test_6_2_charge_stop_removes_pwm_and_opens_contactor(bench: Bench, charger: ChargerClient, ev: EvSimulator,
                                                               analyzer: PowerAnalyzer, trace: SessionTrace) -> None:
    cover(method("Charge.Stop"), title="Charge.Stop: PWM removed (DC), EV to B, contactor opens, no current")
    await charge(bench, charger, ev, analyzer, trace=trace)
    stopped, answer = await astamp(ev, lambda: charger.call("Charge.Stop"))
    assert answer is True, f"Charge.Stop answered {answer!r}"
    await _pwm_edge(bench, ev, stopped, on=False, what="PWM removed after Charge.Stop")
    timing = await time_contactor(bench, ev, lambda: ev.set_cp_state("B"), closed_after=False,
                                  within_s=2 * bench.limit("contactor_open_s") + 1.0,
                                  what="contactor_open_delay_after_stop_C_to_B")
    timing.check(limit(bench, "contactor_open_s"))
    seen = await wait_observed(bench, charger, ev, analyzer, lambda o: o.no_current and not o.mains_present,
                               within_s=settle_s(bench), what="no current after Charge.Stop", trace=trace)
    assert seen.extended not in ("C", "D") and not seen.pwm_on, f"after Charge.Stop: {seen}"


# --- 6.27 Charge.Pause and 6.28 Charge.Resume ---------------------------------------------------------------
@BENCH
async def test_6_27_pause_removes_pwm_and_opens_when_ev_returns_to_b(
        bench: Bench, charger: ChargerClient, ev: EvSimulator, analyzer: PowerAnalyzer, trace: SessionTrace) -> None:
    cover(method("Charge.Pause"),
          title="Charge.Pause in C: PWM removed ≤ pwm_update_s; EV to B → opens ≤ contactor_open_s")
    await charge(bench, charger, ev, analyzer, trace=trace)
    paused, answer = await astamp(ev, lambda: charger.call("Charge.Pause"))
    assert answer is True, f"Charge.Pause answered {answer!r}"
    await _pwm_edge(bench, ev, paused, on=False, what="PWM removed after Charge.Pause")
    await wait_observed(bench, charger, ev, analyzer,
                        lambda o: o.extended == "B_PAUSE" and o.info["charger_is_paused"] is True,
                        within_s=limit(bench, "state_report_s").value, what="B_PAUSE, charger_is_paused true",
                        trace=trace)
    timing = await time_contactor(bench, ev, lambda: ev.set_cp_state("B"), closed_after=False,
                                  within_s=2 * bench.limit("contactor_open_s") + 1.0,
                                  what="contactor_open_delay_paused_C_to_B")
    timing.check(limit(bench, "contactor_open_s"))
    await wait_observed(bench, charger, ev, analyzer, lambda o: o.no_current and o.extended == "B_PAUSE",
                        within_s=settle_s(bench), what="paused in B with no current", trace=trace)


@BENCH
async def test_6_27_pause_with_ev_staying_in_c_opens_under_load_after_grace(
        bench: Bench, charger: ChargerClient, ev: EvSimulator, analyzer: PowerAnalyzer, trace: SessionTrace) -> None:
    cover(method("Charge.Pause"),
          title="Charge.Pause, EV stays in C: contactor opens not before pause_open_min_s, within pause_open_max_s")
    await charge(bench, charger, ev, analyzer, trace=trace)
    pwm_off: list[Edge] = []

    async def pause() -> None:
        paused, answer = await astamp(ev, lambda: charger.call("Charge.Pause"))
        assert answer is True, f"Charge.Pause answered {answer!r}"
        pwm_off.append(await _pwm_edge(bench, ev, paused, on=False, what="PWM removed after Charge.Pause"))

    grace, within = limit(bench, "pause_open_min_s"), limit(bench, "pause_open_max_s")
    timing = await time_contactor(bench, ev, pause, closed_after=False, rearm="C", within_s=within.value + 1.0,
                                  what="contactor_open_delay_paused_EV_in_C")
    removed = pwm_off[0].at
    timing.check(grace, "min", since=removed, name="pause_open_delay_not_before")
    timing.check(within, "max", since=removed, name="pause_open_delay_within")
    await wait_observed(bench, charger, ev, analyzer, lambda o: o.no_current and not o.mains_present,
                        within_s=settle_s(bench), what="no current once the contactor opened", trace=trace)


@BENCH
async def test_6_28_resume_brings_pwm_back_and_charging_resumes(
        bench: Bench, charger: ChargerClient, ev: EvSimulator, analyzer: PowerAnalyzer, trace: SessionTrace) -> None:
    cover(method("Charge.Resume"), title="Charge.Resume after a pause: PWM back ≤ pwm_update_s, EV to C, current")
    label_ambiguity("charge_resume_description_copied", "resumes a paused charge in state B (EV connected)")
    await charge(bench, charger, ev, analyzer, trace=trace)
    paused, _ = await astamp(ev, lambda: charger.call("Charge.Pause"))
    await _pwm_edge(bench, ev, paused, on=False, what="PWM removed after Charge.Pause")
    ev.set_cp_state("B")
    await wait_observed(bench, charger, ev, analyzer, lambda o: o.extended == "B_PAUSE" and o.no_current,
                        within_s=settle_s(bench), what="paused in B with no current", trace=trace)
    resumed, answer = await astamp(ev, lambda: charger.call("Charge.Resume"))
    assert answer is True, f"Charge.Resume answered {answer!r}"
    await _pwm_edge(bench, ev, resumed, on=True, what="PWM back after Charge.Resume")
    ev.set_cp_state("C")
    seen = await wait_observed(bench, charger, ev, analyzer, lambda o: o.extended == "C" and o.charging,
                               within_s=charging_deadline_s(bench), what="charging after Charge.Resume", trace=trace)
    assert seen.info["charger_is_paused"] is False, f"charger_is_paused after Charge.Resume: {seen}"


# --- charger_locked (chapter 4) -----------------------------------------------------------------------------
@BENCH
async def test_4_charger_locked_refuses_remote_start_until_unlocked(
        bench: Bench, charger: ChargerClient, ev: EvSimulator, analyzer: PowerAnalyzer, trace: SessionTrace) -> None:
    cover("4 charger_locked", title="charger_locked: LOCKED, no current even after Charge.Start; unlock → charges")
    await _set(charger, "charger_locked", True)
    ev.set_load_current(DEFAULT_LOAD_A)
    ev.set_cp_state("C")
    await wait_observed(bench, charger, ev, analyzer, lambda o: o.extended == "LOCKED",
                        within_s=limit(bench, "state_report_s").value, what="LOCKED with the EV in C", trace=trace)
    try:
        answer = await charger.call("Charge.Start")
        reading = f"Charge.Start while locked answered {answer!r}"
    except DeviceError as error:
        reading = f"Charge.Start while locked answered error {error.code}"
    label_ambiguity("state_restricted_code", reading)

    def locked_and_idle(o: Observation) -> bool:
        return o.extended == "LOCKED" and not o.pwm_on and not o.mains_present and o.no_current

    await hold_observed(bench, charger, ev, analyzer, locked_and_idle, for_s=bench.limit("contactor_close_s"),
                        settle_within_s=settle_s(bench), trace=trace,
                        what="locked, EV in C, after Charge.Start: no PWM, contactor open, no current")
    await _set(charger, "charger_locked", False)
    await wait_observed(bench, charger, ev, analyzer, lambda o: o.state == "C" and o.charging,
                        within_s=charging_deadline_s(bench), what="charging once unlocked", trace=trace)


# --- 6.24 Session_energy.Reset ------------------------------------------------------------------------------
async def _charge_some_energy(bench: Bench, charger: ChargerClient, ev: EvSimulator, analyzer: PowerAnalyzer,
                              trace: SessionTrace) -> Observation:
    charging = await charge(bench, charger, ev, analyzer, trace=trace)
    power_w = charging.power_w
    assert power_w, f"no active power measured while charging: {charging}"
    return await wait_observed(bench, charger, ev, analyzer, lambda o: o.info["session_energy"] >= SESSION_ENERGY_WH,
                               within_s=3 * SESSION_ENERGY_WH * 3600.0 / power_w + settle_s(bench),
                               what=f"session_energy ≥ {SESSION_ENERGY_WH} Wh at {power_w:.0f} W", trace=trace)


@BENCH
async def test_6_24_session_energy_reset_refused_while_charging(
        bench: Bench, charger: ChargerClient, ev: EvSimulator, analyzer: PowerAnalyzer, trace: SessionTrace) -> None:
    cover(method("Session_energy.Reset"), title="Session_energy.Reset in C: refused or ignored, energy kept")
    before = await _charge_some_energy(bench, charger, ev, analyzer, trace)
    # spec 6.24: "accessible only in states A,B,E,F"; the answer in C is ambiguity state_restricted_code's:
    # -7 prohibited, -1 general fail, or true with nothing done.  What must hold: the energy is kept.
    try:
        answer = await charger.call("Session_energy.Reset")
        label_ambiguity("state_restricted_code", f"answered {answer!r} in state C (accepted and ignored)")
        assert answer is True, f"Session_energy.Reset in state C answered {answer!r}: neither true nor an error"
    except DeviceError as refused:
        label_ambiguity("state_restricted_code", f"error {refused.code} in state C")
        assert refused.code in (PROHIBITED, GENERAL_FAIL), (
            f"Session_energy.Reset in C: code {refused.code}, expected -7 or -1 (ambiguity state_restricted_code)")
    after = await observe(charger, ev, analyzer)
    assert after.state == "C" and after.info["session_energy"] >= before.info["session_energy"], (
        f"session energy went from {before.info['session_energy']} to {after.info['session_energy']} Wh")


@BENCH
async def test_6_24_session_energy_reset_in_b_zeroes_it(bench: Bench, charger: ChargerClient, ev: EvSimulator,
                                                        analyzer: PowerAnalyzer, trace: SessionTrace) -> None:
    cover(method("Session_energy.Reset"), title="Session_energy.Reset in B after charging: true, energy 0")
    await _charge_some_energy(bench, charger, ev, analyzer, trace)
    ev.set_cp_state("B")
    before = await wait_observed(bench, charger, ev, analyzer, lambda o: o.state == "B" and o.no_current,
                                 within_s=settle_s(bench), what="B with no current", trace=trace)
    assert before.info["session_energy"] >= SESSION_ENERGY_WH, f"energy lost on C → B: {before}"
    assert await charger.call("Session_energy.Reset") is True
    after = await observe(charger, ev, analyzer)
    assert after.state == "B" and after.info["session_energy"] == pytest.approx(0.0, abs=0.01), (
        f"session_energy after Session_energy.Reset in B: {after.info['session_energy']} Wh "
        f"(was {before.info['session_energy']} Wh)")


# --- 6.18 dynamic current 0 ---------------------------------------------------------------------------------
@BENCH
async def test_6_18_dynamic_current_zero_stops_offering_current(
        bench: Bench, charger: ChargerClient, ev: EvSimulator, analyzer: PowerAnalyzer, trace: SessionTrace) -> None:
    cover(method("Dynamic_current.Set"), title="Dynamic_current 0 while charging: no current advertised, none drawn")
    await charge(bench, charger, ev, analyzer, trace=trace)
    changed, answer = await astamp(ev, lambda: charger.call("Dynamic_current.Set", {"dynamic_current": 0}))
    assert answer is True, f"Dynamic_current.Set 0 answered {answer!r}"
    await _cp_edge(bench, ev, changed, lambda cp: advertised_a(cp) is None,
                   "no current advertised after Dynamic_current.Set 0")
    seen = await observe(charger, ev, analyzer)
    label_ambiguity("dynamic_current_zero_state", f"extended {seen.extended}, CP {seen.cp.duty_percent} % "
                                                  f"at {seen.cp.frequency_hz} Hz")
    await wait_observed(bench, charger, ev, analyzer, lambda o: o.no_current,
                        within_s=limit(bench, "ev_follow_s").value + settle_s(bench),
                        what="no current drawn with dynamic current 0", trace=trace)
    await hold_observed(bench, charger, ev, analyzer, lambda o: o.advertised_a is None and o.no_current,
                        for_s=bench.limit("pwm_update_s"), what="still nothing offered nor drawn at dynamic current 0",
                        trace=trace)


# --- 6.22 counters and session bookkeeping -----------------------------------------------------------------
@BENCH
async def test_6_22_full_session_counts_once_and_books_its_energy(
        bench: Bench, charger: ChargerClient, ev: EvSimulator, analyzer: PowerAnalyzer, trace: SessionTrace) -> None:
    cover(method("Counters_config.Get"))
    cover(method("Charger_info.Get"), title="A full session: counted once, new session_id, charging_time only "
                                            "while charging, last_session_energy booked")
    counters_before = await charger.call("Counters_config.Get")
    idle = await observe(charger, ev, analyzer)

    ev.set_load_current(DEFAULT_LOAD_A)
    ev.set_cp_state("B")
    plugged = await wait_observed(bench, charger, ev, analyzer, lambda o: o.state == "B",
                                  within_s=limit(bench, "state_report_s").value, what="B after plug-in", trace=trace)
    assert plugged.info["session_id"] > idle.info["session_id"], (
        f"session_id {plugged.info['session_id']} on plug-in, {idle.info['session_id']} before")
    await hold_observed(bench, charger, ev, analyzer, lambda o: o.info["charging_time"] == 0,
                        for_s=2 * COUNTER_RESOLUTION_S, what="charging_time 0 while connected, not charging",
                        trace=trace)

    ev.set_cp_state("C")
    await wait_observed(bench, charger, ev, analyzer, lambda o: o.charging, within_s=charging_deadline_s(bench),
                        what="charging", trace=trace)
    charged = await wait_observed(bench, charger, ev, analyzer, lambda o: o.info["charging_time"] >= CHARGE_FOR_S,
                                  within_s=CHARGE_FOR_S + 2 * COUNTER_RESOLUTION_S,
                                  what=f"charging_time ≥ {CHARGE_FOR_S} s", trace=trace)
    assert charged.info["session_id"] == plugged.info["session_id"], f"session_id changed while charging: {charged}"

    ev.set_cp_state("B")
    stopped = await wait_observed(bench, charger, ev, analyzer,
                                  lambda o: o.state == "B" and o.no_current and not o.mains_present,
                                  within_s=settle_s(bench), what="B, contactor open, no current", trace=trace)
    await hold_observed(bench, charger, ev, analyzer,
                        lambda o: o.info["charging_time"] == stopped.info["charging_time"],
                        for_s=2 * COUNTER_RESOLUTION_S, what="charging_time frozen while not charging", trace=trace)
    energy_wh = (await observe(charger, ev, analyzer)).info["session_energy"]
    assert energy_wh > 0, f"no session energy after {CHARGE_FOR_S} s of charging: {stopped}"

    await unplug(bench, charger, ev, analyzer, trace=trace)
    counters = await charger.call("Counters_config.Get")
    assert counters["total_charged_sessions"] == counters_before["total_charged_sessions"] + 1, (
        f"total_charged_sessions {counters_before['total_charged_sessions']} → {counters['total_charged_sessions']} "
        "after one session")
    assert abs(counters["last_session_energy"] - energy_wh) <= bench.limit("counter_resolution_wh"), (
        f"last_session_energy {counters['last_session_energy']} Wh, session_energy at the end {energy_wh} Wh")
    assert counters["total_charged_energy"] >= counters_before["total_charged_energy"], counters

    ev.set_cp_state("B")  # the next session gets a new id
    again = await wait_observed(bench, charger, ev, analyzer, lambda o: o.state == "B",
                                within_s=limit(bench, "state_report_s").value, what="B, second session", trace=trace)
    assert again.info["session_id"] > plugged.info["session_id"], (
        f"second session's id {again.info['session_id']}, first {plugged.info['session_id']}")
    await unplug(bench, charger, ev, analyzer, trace=trace)
    trace.attach()


# --- 6.7 Device.Reset during a session (destructive) -----------------------------------------------------------
@BENCH
@pytest.mark.destructive
@pytest.mark.needs("ev_simulator", "power_analyzer", "destructive")
async def test_6_7_device_reset_waits_for_the_session_to_end(
        bench: Bench, charger: ChargerClient, ev: EvSimulator, analyzer: PowerAnalyzer, trace: SessionTrace) -> None:
    cover(method("Device.Reset"), title="Device.Reset while charging: true, charging goes on, reboot after unplug")
    await charge(bench, charger, ev, analyzer, trace=trace)
    try:
        answer = await charger.call("Device.Reset")
    except DeviceError as error:
        answer = f"error {error.code}"
    label_ambiguity("device_reset_during_session", f"answered {answer!r} at once while charging")
    # spec 6.7: the reset "waits for the end" of the session.  Refusing it with -7 while charging is a
    # reading of ambiguity device_reset_during_session: then charging must simply go on, no reboot.
    rejected = answer == f"error {PROHIBITED}"
    assert answer is True or rejected, f"Device.Reset during a session answered {answer!r}"

    async def still_charging() -> Observation | None:
        try:
            return trace.add(await observe(charger, ev, analyzer))
        except (ChargerUnreachable, MalformedReply):
            return None

    await bench.clock.hold(still_charging, lambda o: o is not None and o.state == "C" and o.charging,
                           for_s=limit(bench, "reset_defer_check_s").value,
                           what="charging on, charger reachable, after Device.Reset during the session")
    if rejected:
        await unplug(bench, charger, ev, analyzer, trace=trace)
        return
    ev.set_cp_state("A")
    reboot = limit(bench, "reboot_max_s").value

    def info() -> Awaitable[dict | None]:
        return call_if_reachable(charger, "Charger_info.Get")

    await bench.clock.wait_for(info, lambda reply: reply is None, within_s=reboot,
                               what="the charger going down for its reset once the EV left")
    back = await bench.clock.wait_for(info, lambda reply: reply is not None, within_s=reboot,
                                      what="the charger answering again after its reset")
    assert back["charger_state"] == "A", f"after the reset with no EV: {back}"
