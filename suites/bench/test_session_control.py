"""Session control on the bench: start, stop, pause, resume, lock, reset and the session counters.

Each RPC's effect is judged where it matters: on the CP line the EV sees (PWM present or removed, by
the rig's CP measurement), at the contactor (mains presence, timed by polling or the bench's
``contactor`` timer) and in the mains current (power analyzer).  Spec sections 6.1, 6.2, 6.7, 6.18,
6.22, 6.24, 6.27, 6.28 and key ``charger_locked`` (chapter 4); timing from field-facts §4 via the
bench profile.  Every timing verdict is a span with its uncertainty (``rig.judge`` /
``rig.check_contactor``): pass, fail, or inconclusive when the bench cannot resolve it.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import NoReturn

import pytest

from fixtures.clock import WaitTimeout
from fixtures.profile import Limit
from instruments.charger_rpc import ChargerUnreachable, DeviceError, MalformedReply
from instruments.ev_simulator.interface import CpMeasurement
from reference.spec import PROHIBITED, method
from reports.allure_support import cover
from rig import Observation, Rig, SessionTrace
from rig.ev import advertised_a, pwm_on
from rig.thresholds import DEFAULT_LOAD_A
from rig.timing import ContactorTiming, Edge, Instant, Span

GENERAL_FAIL = -1  # spec chapter 3

pytestmark = [pytest.mark.bench, pytest.mark.session]
BENCH = pytest.mark.needs("ev_load", "power_analyzer")

CHARGE_FOR_S = 5.0
"""How long the counters' session charges (device s): several whole seconds of charging_time."""
COUNTER_RESOLUTION_S = 1.0
"""charging_time is whole seconds (spec 6.5): a counter that ticks shows within two resolutions."""
SESSION_ENERGY_WH = 1.0
"""Energy charged before a session-energy reset: clearly above the 0.01 Wh the charger reports."""


async def _set(rig: Rig, key: str, value: object) -> None:
    assert await rig.app_config_set(key, value) is True


def _late(rig: Rig, name: str, limit: Limit, since: Instant, not_yet: Instant | None,
          timeout: WaitTimeout) -> NoReturn:
    """A wait, longer than ``limit``, ran out: judge the delay by its lower bound.

    ``not_yet`` is a reading taken after the wait that still did not show the change (None: it did),
    so the change came after that reading began; from ``since`` that is at least ``low``.  A lower
    bound beyond a maximum is a certain failure of the charger, recorded with its limit and origin."""
    __tracebackhide__ = True
    low = None if not_yet is None else not_yet.earliest - since.latest
    if low is None or low <= limit.value:
        raise timeout  # nothing certain to say about the charger beyond the wait itself
    rig.judge(name, Span(low, low, f"lower bound: not seen by a reading begun {low:.3f} s after the cause"), limit)
    raise AssertionError(f"{name}: not within {low:.3f} s (limit {limit.value:g} {limit.unit})") from timeout


async def _shows(rig: Rig, report: Callable[[Observation], bool], what: str) -> Observation:
    """Wait for the charger to report ``what`` (its own RPC view) within ``state_report_s``; a report
    that does not come in time is the charger's failure, stated with what it shows instead."""
    __tracebackhide__ = True
    limit = rig.limit("state_report_s")
    try:
        return await rig.wait(report, within_s=limit.value, what=what)
    except WaitTimeout:
        pass  # stated below, outside the handler: the verdict is the charger's, not the wait's
    seen = await rig.observe()
    raise AssertionError(f"the charger did not report {what} within {limit.value:g} {limit.unit} "
                         f"({limit.name}: {limit.origin}); it reports {seen}")


def _cp_not_yet(rig: Rig, condition: Callable[[CpMeasurement], bool]) -> Instant | None:
    """One CP reading placed by its window, or None when it meets ``condition``."""
    at, sample = rig.stamp(rig.ev.sample_cp)
    return None if condition(sample.cp) else rig.timing.window(sample)


async def _cp_edge(rig: Rig, since: Instant, condition: Callable[[CpMeasurement], bool], what: str) -> Edge:
    """Wait for the CP line to meet ``condition`` after ``since``; judge that it did within
    ``pwm_update_s`` (field-facts §4: the EVSE updates its PWM within 5 s of a change), by the span
    the CP readings bracket (each placed by the meter's own window)."""
    update = rig.limit("pwm_update_s")
    name = what.replace(" ", "_")
    try:
        edge = await rig.cp_edge(condition, since=since, within_s=2 * update.value + 1.0, what=what)
    except WaitTimeout as timeout:
        late = timeout  # judged below, outside the handler: the verdict is the charger's, not the wait's
    else:
        rig.judge(name, rig.timing.polled(edge, since, "the CP line"), update, "max")
        return edge
    _late(rig, name, update, since, _cp_not_yet(rig, condition), late)


def _steady_high(cp: CpMeasurement) -> bool:
    """PWM removed the way field-facts §3 says "charging not allowed": steady +V, duty 100 % (x1)."""
    return cp.frequency_hz == 0 and cp.duty_percent == 100.0 and cp.high_v > 0


async def _pwm_edge(rig: Rig, since: Instant, *, on: bool, what: str) -> Edge:
    """PWM present (x2) or removed (x1) on the CP line the EV side measures."""
    return await _cp_edge(rig, since, pwm_on if on else _steady_high, what)


async def _time_contactor(rig: Rig, stimulus: Callable[[], object], *, closed_after: bool, limit: Limit,
                          what: str, rearm: str | None = None, within_s: float | None = None,
                          late_since: Callable[[], Instant | None] | None = None) -> ContactorTiming:
    """:meth:`Rig.time_contactor`, waiting twice ``limit`` and a second (a late move is measured with
    its margin); a contactor that never moves is judged by the lower bound of its delay against
    ``limit``, from the stimulus or from ``late_since()`` (e.g. a PWM edge inside the stimulus)."""
    applied: list[Instant] = []

    async def stamped() -> None:
        at, _ = await rig.astamp(stimulus)  # type: ignore[arg-type]
        applied.append(at)

    try:
        return await rig.time_contactor(stamped, closed_after=closed_after, rearm=rearm, what=what,
                                        within_s=2 * limit.value + 1.0 if within_s is None else within_s)
    except WaitTimeout as timeout:
        late = timeout  # judged below, outside the handler
    since = (late_since() if late_since is not None else None) or (applied[0] if applied else None)
    if since is None:
        raise late
    at, present = rig.stamp(rig.ev.mains_present)
    _late(rig, what, limit, since, None if present == closed_after else at, late)


# --- 6.1 Charge.Start and the headless key ------------------------------------------------------------
@BENCH
async def test_6_1_headless_true_charges_on_plug_in_without_charge_start(rig: Rig, trace: SessionTrace) -> None:
    cover("4 headless")
    cover(method("Charge.Start"), title="headless true: plugging in (B → C) charges without Charge.Start")
    await _set(rig, "headless", True)
    seen = await rig.charge()
    assert seen.extended == "C", f"extended state while charging headless: {seen}"
    await rig.hold(lambda o: o.extended == "C" and o.charging, for_s=2 * COUNTER_RESOLUTION_S,
                   what="charging on, headless")
    trace.attach()


@BENCH
async def test_6_1_headless_false_waits_for_charge_start(rig: Rig, trace: SessionTrace) -> None:
    cover("4 headless")
    cover(method("Charge.Start"), title="headless false: B_AUTH without PWM until Charge.Start, then B2 → C2")
    await _set(rig, "headless", False)
    await rig.range_for(DEFAULT_LOAD_A)
    rig.ev.set_load_current(DEFAULT_LOAD_A)
    rig.ev.set_state("B")
    await _shows(rig, lambda o: o.extended == "B_AUTH", "B_AUTH after plug-in (headless false)")
    rig.ev.set_state("C")  # an EV that is ready at once must still wait for the authorisation

    def waiting_for_auth(o: Observation) -> bool:
        return o.extended == "B_AUTH" and not o.pwm_on and not o.mains_present and o.no_current

    await rig.hold(waiting_for_auth, for_s=rig.limit("contactor_close_s").value, settle_within_s=rig.settle_s,
                   what="B_AUTH with the EV in C: no PWM, contactor open, no current")
    rig.ev.set_state("B")
    started, answer = await rig.astamp(lambda: rig.charger.call("Charge.Start"))
    assert answer is True, f"Charge.Start answered {answer!r}"
    await _pwm_edge(rig, started, on=True, what="PWM offered after Charge.Start")
    closing = rig.limit("contactor_close_s")
    timing = await _time_contactor(rig, lambda: rig.ev.set_state("C"), closed_after=True, limit=closing,
                                   what="contactor_close_delay_after_authorisation")
    rig.check_contactor(timing, closing)
    await rig.wait(lambda o: o.extended == "C" and o.charging, within_s=rig.charging_deadline_s,
                   what="charging after Charge.Start")


# --- 6.2 Charge.Stop ----------------------------------------------------------------------------------
@BENCH
async def test_6_2_charge_stop_removes_pwm_and_opens_contactor(rig: Rig, trace: SessionTrace) -> None:
    cover(method("Charge.Stop"), title="Charge.Stop: PWM removed (DC), EV to B, contactor opens, no current")
    await rig.charge()
    stopped, answer = await rig.astamp(lambda: rig.charger.call("Charge.Stop"))
    assert answer is True, f"Charge.Stop answered {answer!r}"
    await _pwm_edge(rig, stopped, on=False, what="PWM removed after Charge.Stop")
    opening = rig.limit("contactor_open_s")
    timing = await _time_contactor(rig, lambda: rig.ev.set_state("B"), closed_after=False, limit=opening,
                                   what="contactor_open_delay_after_stop_C_to_B")
    rig.check_contactor(timing, opening)
    seen = await rig.wait(lambda o: o.no_current and not o.mains_present, within_s=rig.settle_s,
                          what="no current after Charge.Stop")
    assert seen.extended not in ("C", "D") and not seen.pwm_on, f"after Charge.Stop: {seen}"


# --- 6.27 Charge.Pause and 6.28 Charge.Resume ---------------------------------------------------------------
@BENCH
async def test_6_27_pause_removes_pwm_and_opens_when_ev_returns_to_b(rig: Rig, trace: SessionTrace) -> None:
    cover(method("Charge.Pause"),
          title="Charge.Pause in C: PWM removed ≤ pwm_update_s; EV to B → opens ≤ contactor_open_s")
    await rig.charge()
    paused, answer = await rig.astamp(lambda: rig.charger.call("Charge.Pause"))
    assert answer is True, f"Charge.Pause answered {answer!r}"
    await _pwm_edge(rig, paused, on=False, what="PWM removed after Charge.Pause")
    await _shows(rig, lambda o: o.extended == "B_PAUSE" and o.info["charger_is_paused"] is True,
                 "B_PAUSE, charger_is_paused true after Charge.Pause")
    opening = rig.limit("contactor_open_s")
    timing = await _time_contactor(rig, lambda: rig.ev.set_state("B"), closed_after=False, limit=opening,
                                   what="contactor_open_delay_paused_C_to_B")
    rig.check_contactor(timing, opening)
    await rig.wait(lambda o: o.no_current and o.extended == "B_PAUSE", within_s=rig.settle_s,
                   what="paused in B with no current")


@BENCH
async def test_6_27_pause_with_ev_staying_in_c_opens_under_load_after_grace(rig: Rig, trace: SessionTrace) -> None:
    cover(method("Charge.Pause"),
          title="Charge.Pause, EV stays in C: contactor opens not before pause_open_min_s, within pause_open_max_s")
    await rig.charge()
    pwm_off: list[Edge] = []

    async def pause() -> None:
        paused, answer = await rig.astamp(lambda: rig.charger.call("Charge.Pause"))
        assert answer is True, f"Charge.Pause answered {answer!r}"
        pwm_off.append(await _pwm_edge(rig, paused, on=False, what="PWM removed after Charge.Pause"))

    grace, within = rig.limit("pause_open_min_s"), rig.limit("pause_open_max_s")
    timing = await _time_contactor(rig, pause, closed_after=False, rearm="C", limit=within,
                                   within_s=within.value + 1.0, what="contactor_open_delay_paused_EV_in_C",
                                   late_since=lambda: pwm_off[0].at if pwm_off else None)
    removed = pwm_off[0].at
    rig.check_contactor(timing, grace, "min", since=removed, name="pause_open_delay_not_before")
    rig.check_contactor(timing, within, "max", since=removed, name="pause_open_delay_within")
    await rig.wait(lambda o: o.no_current and not o.mains_present, within_s=rig.settle_s,
                   what="no current once the contactor opened")


@BENCH
async def test_6_28_resume_brings_pwm_back_and_charging_resumes(rig: Rig, trace: SessionTrace) -> None:
    cover(method("Charge.Resume"), title="Charge.Resume after a pause: PWM back ≤ pwm_update_s, EV to C, current")
    rig.label_ambiguity("charge_resume_description_copied", "resumes a paused charge in state B (EV connected)")
    await rig.charge()
    paused, _ = await rig.astamp(lambda: rig.charger.call("Charge.Pause"))
    await _pwm_edge(rig, paused, on=False, what="PWM removed after Charge.Pause")
    rig.ev.set_state("B")
    await rig.wait(lambda o: o.extended == "B_PAUSE" and o.no_current, within_s=rig.settle_s,
                   what="paused in B with no current")
    resumed, answer = await rig.astamp(lambda: rig.charger.call("Charge.Resume"))
    assert answer is True, f"Charge.Resume answered {answer!r}"
    await _pwm_edge(rig, resumed, on=True, what="PWM back after Charge.Resume")
    rig.ev.set_state("C")
    seen = await rig.wait(lambda o: o.extended == "C" and o.charging, within_s=rig.charging_deadline_s,
                          what="charging after Charge.Resume")
    assert seen.info["charger_is_paused"] is False, f"charger_is_paused after Charge.Resume: {seen}"


# --- charger_locked (chapter 4) -----------------------------------------------------------------------------
@BENCH
async def test_4_charger_locked_refuses_remote_start_until_unlocked(rig: Rig, trace: SessionTrace) -> None:
    cover("4 charger_locked", title="charger_locked: LOCKED, no current even after Charge.Start; unlock → charges")
    await _set(rig, "charger_locked", True)
    await rig.range_for(DEFAULT_LOAD_A)
    rig.ev.set_load_current(DEFAULT_LOAD_A)
    rig.ev.set_state("C")
    await _shows(rig, lambda o: o.extended == "LOCKED", "LOCKED with the EV in C (charger_locked true)")
    try:
        answer = await rig.charger.call("Charge.Start")
        reading = f"Charge.Start while locked answered {answer!r}"
    except DeviceError as error:
        reading = f"Charge.Start while locked answered error {error.code}"
    rig.label_ambiguity("state_restricted_code", reading)

    def locked_and_idle(o: Observation) -> bool:
        return o.extended == "LOCKED" and not o.pwm_on and not o.mains_present and o.no_current

    await rig.hold(locked_and_idle, for_s=rig.limit("contactor_close_s").value, settle_within_s=rig.settle_s,
                   what="locked, EV in C, after Charge.Start: no PWM, contactor open, no current")
    await _set(rig, "charger_locked", False)
    await rig.wait(lambda o: o.state == "C" and o.charging, within_s=rig.charging_deadline_s,
                   what="charging once unlocked")


# --- 6.24 Session_energy.Reset ------------------------------------------------------------------------------
async def _charge_some_energy(rig: Rig) -> Observation:
    charging = await rig.charge()
    power_w = charging.power_w
    assert power_w, f"no active power measured while charging: {charging}"
    return await rig.wait(lambda o: o.info["session_energy"] >= SESSION_ENERGY_WH,
                          within_s=3 * SESSION_ENERGY_WH * 3600.0 / power_w + rig.settle_s,
                          what=f"session_energy ≥ {SESSION_ENERGY_WH} Wh at {power_w:.0f} W")


@BENCH
async def test_6_24_session_energy_reset_refused_while_charging(rig: Rig, trace: SessionTrace) -> None:
    cover(method("Session_energy.Reset"), title="Session_energy.Reset in C: refused or ignored, energy kept")
    before = await _charge_some_energy(rig)
    # spec 6.24: "accessible only in states A,B,E,F"; the answer in C is ambiguity state_restricted_code's:
    # -7 prohibited, -1 general fail, or true with nothing done.  What must hold: the energy is kept.
    try:
        answer = await rig.charger.call("Session_energy.Reset")
        rig.label_ambiguity("state_restricted_code", f"answered {answer!r} in state C (accepted and ignored)")
        assert answer is True, f"Session_energy.Reset in state C answered {answer!r}: neither true nor an error"
    except DeviceError as refused:
        rig.label_ambiguity("state_restricted_code", f"error {refused.code} in state C")
        assert refused.code in (PROHIBITED, GENERAL_FAIL), (
            f"Session_energy.Reset in C: code {refused.code}, expected -7 or -1 (ambiguity state_restricted_code)")
    after = await rig.observe()
    assert after.state == "C" and after.info["session_energy"] >= before.info["session_energy"], (
        f"session energy went from {before.info['session_energy']} to {after.info['session_energy']} Wh")


@BENCH
async def test_6_24_session_energy_reset_in_b_zeroes_it(rig: Rig, trace: SessionTrace) -> None:
    cover(method("Session_energy.Reset"), title="Session_energy.Reset in B after charging: true, energy 0")
    await _charge_some_energy(rig)
    rig.ev.set_state("B")
    before = await rig.wait(lambda o: o.state == "B" and o.no_current, within_s=rig.settle_s,
                            what="B with no current")
    assert before.info["session_energy"] >= SESSION_ENERGY_WH, f"energy lost on C → B: {before}"
    assert await rig.charger.call("Session_energy.Reset") is True
    after = await rig.observe()
    assert after.state == "B" and after.info["session_energy"] == pytest.approx(0.0, abs=0.01), (
        f"session_energy after Session_energy.Reset in B: {after.info['session_energy']} Wh "
        f"(was {before.info['session_energy']} Wh)")


# --- 6.18 dynamic current 0 ---------------------------------------------------------------------------------
@BENCH
async def test_6_18_dynamic_current_zero_stops_offering_current(rig: Rig, trace: SessionTrace) -> None:
    cover(method("Dynamic_current.Set"), title="Dynamic_current 0 while charging: no current advertised, none drawn")
    await rig.charge()
    changed, answer = await rig.astamp(lambda: rig.charger.call("Dynamic_current.Set", {"dynamic_current": 0}))
    assert answer is True, f"Dynamic_current.Set 0 answered {answer!r}"
    await _cp_edge(rig, changed, lambda cp: advertised_a(cp) is None,
                   "no current advertised after Dynamic_current.Set 0")
    seen = await rig.observe()
    rig.label_ambiguity("dynamic_current_zero_state", f"extended {seen.extended}, CP {seen.cp.duty_percent} % "
                                                      f"at {seen.cp.frequency_hz} Hz")
    await rig.wait(lambda o: o.no_current, within_s=rig.limit("ev_follow_s").value + rig.settle_s,
                   what="no current drawn with dynamic current 0")
    await rig.hold(lambda o: o.advertised_a is None and o.no_current, for_s=rig.limit("pwm_update_s").value,
                   what="still nothing offered nor drawn at dynamic current 0")


# --- 6.22 counters and session bookkeeping -----------------------------------------------------------------
@BENCH
async def test_6_22_full_session_counts_once_and_books_its_energy(rig: Rig, trace: SessionTrace) -> None:
    cover(method("Counters_config.Get"))
    cover(method("Charger_info.Get"), title="A full session: counted once, new session_id, charging_time only "
                                            "while charging, last_session_energy booked")
    counters_before = await rig.charger.call("Counters_config.Get")
    idle = await rig.observe()

    await rig.range_for(DEFAULT_LOAD_A)
    rig.ev.set_load_current(DEFAULT_LOAD_A)
    rig.ev.set_state("B")
    plugged = await _shows(rig, lambda o: o.state == "B", "B after plug-in")
    assert plugged.info["session_id"] > idle.info["session_id"], (
        f"session_id {plugged.info['session_id']} on plug-in, {idle.info['session_id']} before")
    await rig.hold(lambda o: o.info["charging_time"] == 0, for_s=2 * COUNTER_RESOLUTION_S,
                   what="charging_time 0 while connected, not charging")

    rig.ev.set_state("C")
    await rig.wait(lambda o: o.charging, within_s=rig.charging_deadline_s, what="charging")
    charged = await rig.wait(lambda o: o.info["charging_time"] >= CHARGE_FOR_S,
                             within_s=CHARGE_FOR_S + 2 * COUNTER_RESOLUTION_S,
                             what=f"charging_time ≥ {CHARGE_FOR_S} s")
    assert charged.info["session_id"] == plugged.info["session_id"], f"session_id changed while charging: {charged}"

    rig.ev.set_state("B")
    stopped = await rig.wait(lambda o: o.state == "B" and o.no_current and not o.mains_present,
                             within_s=rig.settle_s, what="B, contactor open, no current")
    await rig.hold(lambda o: o.info["charging_time"] == stopped.info["charging_time"],
                   for_s=2 * COUNTER_RESOLUTION_S, what="charging_time frozen while not charging")
    energy_wh = (await rig.observe()).info["session_energy"]
    assert energy_wh > 0, f"no session energy after {CHARGE_FOR_S} s of charging: {stopped}"

    await rig.unplug()
    counters = await rig.charger.call("Counters_config.Get")
    assert counters["total_charged_sessions"] == counters_before["total_charged_sessions"] + 1, (
        f"total_charged_sessions {counters_before['total_charged_sessions']} → {counters['total_charged_sessions']} "
        "after one session")
    resolution = rig.limit("counter_resolution_wh")
    assert abs(counters["last_session_energy"] - energy_wh) <= resolution.value, (
        f"last_session_energy {counters['last_session_energy']} Wh, session_energy at the end {energy_wh} Wh "
        f"(±{resolution.value:g} {resolution.unit}: {resolution.origin})")
    assert counters["total_charged_energy"] >= counters_before["total_charged_energy"], counters

    rig.ev.set_state("B")  # the next session gets a new id
    again = await _shows(rig, lambda o: o.state == "B", "B, second session")
    assert again.info["session_id"] > plugged.info["session_id"], (
        f"second session's id {again.info['session_id']}, first {plugged.info['session_id']}")
    await rig.unplug()
    trace.attach()


# --- 6.7 Device.Reset during a session (destructive) -----------------------------------------------------------
@BENCH
@pytest.mark.destructive
@pytest.mark.needs("ev_load", "power_analyzer", "destructive")
async def test_6_7_device_reset_waits_for_the_session_to_end(rig: Rig, trace: SessionTrace) -> None:
    cover(method("Device.Reset"), title="Device.Reset while charging: true, charging goes on, reboot after unplug")
    await rig.charge()
    try:
        answer = await rig.charger.call("Device.Reset")
    except DeviceError as error:
        answer = f"error {error.code}"
    rig.label_ambiguity("device_reset_during_session", f"answered {answer!r} at once while charging")
    # spec 6.7: the reset "waits for the end" of the session.  Refusing it with -7 while charging is a
    # reading of ambiguity device_reset_during_session: then charging must simply go on, no reboot.
    rejected = answer == f"error {PROHIBITED}"
    assert answer is True or rejected, f"Device.Reset during a session answered {answer!r}"

    async def still_charging() -> Observation | None:
        try:
            return await rig.observe()
        except (ChargerUnreachable, MalformedReply):
            return None

    await rig.clock.hold(still_charging, lambda o: o is not None and o.state == "C" and o.charging,
                         for_s=rig.limit("reset_defer_check_s").value,
                         what="charging on, charger reachable, after Device.Reset during the session")
    if rejected:
        await rig.unplug()
        return
    rig.ev.set_state("A")
    reboot = rig.limit("reboot_max_s").value

    def info() -> Awaitable[dict | None]:
        return rig.call_if_reachable("Charger_info.Get")

    await rig.clock.wait_for(info, lambda reply: reply is None, within_s=reboot,
                             what="the charger going down for its reset once the EV left")
    back = await rig.clock.wait_for(info, lambda reply: reply is not None, within_s=reboot,
                                    what="the charger answering again after its reset")
    assert back["charger_state"] == "A", f"after the reset with no EV: {back}"
