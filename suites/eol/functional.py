"""EOL steps 3-6: the short functional sequence, one charging session, ordered so that the unit's own
reaction times overlap wherever the physics allows.

    plug in at 10 A:  A → B (PWM on) → C, the contactor's closing timed
    PWM duty:         10 A measured at the CP; the limit raised to 16 A, the duty measured as soon as the
                      CP shows it, *while* the EV follows up to 16 A and the unit's meter settles on it
    metering:         16 A against the analyzer over a short window (lab decision below)
    contactor open:   C → B under the 16 A load, timed

What does not overlap, and why: the meter cannot average at one current while the PWM is moved to
another (the EV follows the PWM, so the meter would average a ramp), and the RCD trips (rcd.py) need
charging to be under way, so they come after the metered window rather than during it.

Limits come from the profile (``benches/default-limits.toml``, each with its origin): IEC 61851-1 Annex A
duty = I / 0.6 within ``duty_tolerance_pct`` and 980-1020 Hz (reference/standards.md T4-T6), ``contactor_close_s``
and ``contactor_open_s`` (T10, T11; the contactor timer where the profile declares one, else polled
mains sense with its uncertainty: inconclusive when it straddles the limit), ``meter_error_pct``
(IEC 62053-21 class 1).  The helpers are the bench suites' own, imported: the PWM session's CP reading
discipline (suites/bench/test_pwm_mapping.py) and the metering window (suites/bench/test_metering.py).
"""
from __future__ import annotations

from fixtures.profile import Limit
from reference import iec61851
from reports.allure_support import cover
from rig import Rig
from rig.measurement import Measurement
from rig.thresholds import ANALYZER_UPDATE_S
from suites.bench.test_metering import SAMPLES_PER_WINDOW, SETTLED_FRACTION, Window, against_reference, meter_settled
from suites.bench.test_pwm_mapping import INSTALL_APP_CONFIG, PwmUpdate, Session, measurement_allowance_a
from suites.eol.sequence import Line

FIRST_A, SECOND_A = 10, 16
"""The two currents of the PWM check (IEC 61851-1 Annex A: 16.67 % and 26.67 %); the meter is checked at
the second, a common installation's 16 A, 50 % of the 32 A rating (class 1's ±1 % holds from 10 %)."""
EV_LOAD_A = 20.0
"""The EV asks for more than either current, so the PWM alone sets what it draws."""
METER_WINDOW = Limit("eol_meter_window_s", 5.0, "s",
                     "lab decision: at EOL the meter is checked at one point over 5 s (250 mains cycles, 50 analyzer "
                     "updates) against the analyzer, to catch a miscalibrated unit within the line's takt time; the "
                     "type test's >= 20 s window (reference/standards.md T31) is the conformance suite's "
                     "(suites/bench/test_metering.py)")


def session(line: Line) -> Session:
    """The PWM suite's session helpers on this line's rig (one per unit, kept between steps)."""
    return line.learned.setdefault("pwm_session", Session(line.rig))


def duty_measurement(rig: Rig, amps: float) -> Measurement:
    tolerance = rig.limit("duty_tolerance_pct")
    return Measurement(f"PWM duty at {amps:g} A", "%", nominal=round(iec61851.duty_percent_for_current(amps), 3),
                       tolerance=tolerance.value,
                       origin=f"IEC 61851-1:2017 Annex A, Table A.8: duty = I / 0.6 (reference/standards.md T4); "
                              f"{tolerance.origin}")


def check_cp(rig: Rig, amps: float, update: PwmUpdate) -> None:
    """The duty and frequency the EV sees at ``amps``; the PWM update time against ``pwm_update_s``."""
    duty_measurement(rig, amps).check(update.cp.duty_percent)
    low, high = rig.limit("frequency_min_hz"), rig.limit("frequency_max_hz")
    Measurement(f"PWM frequency at {amps:g} A", "Hz", low=low.value, high=high.value,
                origin=low.origin).check(update.cp.frequency_hz)


async def plug_in(line: Line) -> None:
    """A → B → C at ``FIRST_A``: B with the PWM on, the contactor closing timed, current flowing in C."""
    rig = line.rig
    cover("IEC 61851-1 Annex A states", title="EOL: A → B → C, contactor closing, PWM duty at two currents, "
                                              "metering, contactor opening, RCD trips, safe state")
    await INSTALL_APP_CONFIG.impose(rig, FIRST_A)   # the safe-state step puts the order's factory value back
    await rig.range_for(SECOND_A)
    rig.ev.set_load_current(EV_LOAD_A)
    await session(line).plug_in_seeing_the_pwm()
    await rig.wait(lambda o: o.state == "B" and o.pwm_on, within_s=rig.limit("state_report_s").value + rig.cp_lag_s,
                   what="charger in B with the PWM on after plug-in")
    closing = rig.limit("contactor_close_s")
    timing = await rig.time_contactor(lambda: rig.ev.set_state("C"), closed_after=True,
                                      within_s=2 * closing.value + 1.0, what="contactor closing B → C")
    rig.check_contactor(timing, closing, name="contactor closing time B → C")
    await rig.wait(lambda o: o.state == "C" and o.charging, within_s=rig.charging_deadline_s,
                   what=f"charger in C with current flowing at {FIRST_A} A")


async def pwm_duty(line: Line) -> None:
    """The duty at ``FIRST_A``, then at ``SECOND_A`` as soon as the CP shows it (the EV follows meanwhile)."""
    rig, s = line.rig, session(line)
    first = await s.cp_reading_begun_after(rig.clock.now(), f"a whole CP reading in C at {FIRST_A} A")
    check_cp(rig, FIRST_A, PwmUpdate(first.cp, None, None))
    changed = await s.change(((INSTALL_APP_CONFIG, SECOND_A),))
    update = await s.cp_settles_on(SECOND_A, changed)
    check_cp(rig, SECOND_A, update)
    s.check_update(f"PWM update time {FIRST_A} → {SECOND_A} A", update)
    s.verdict()


async def metering(line: Line) -> None:
    """The unit's voltage, current and power against the analyzer's over ``METER_WINDOW`` at ``SECOND_A``."""
    rig = line.rig
    analyzer = rig.analyzer
    assert analyzer is not None, "the EOL needs a power analyzer (power_analyzer role)"
    # The EV keeps asking for more than the PWM offers, so the duty sets what it draws: 16 A within what an EV
    # reads from a duty inside its tolerance (reference/standards.md T8).  It must also be steady (two analyzer
    # updates within SETTLED_FRACTION of the meter's error band, the metering suite's criterion for the unit's
    # meter), and it may take the EV's reaction time to get there (ev_follow_s, T14) and the analyzer's lag.
    offered = measurement_allowance_a(SECOND_A, rig.limit("duty_tolerance_pct").value)
    band = SECOND_A * rig.limit("meter_error_pct").value / 100.0 * SETTLED_FRACTION
    readings: list[float] = []

    def analyzer_a() -> float:
        readings.append(analyzer.read().current_a)
        return readings[-1]

    await rig.clock.wait_for_sync(analyzer_a, lambda amps: len(readings) > 1 and abs(amps - SECOND_A) <= offered + band
                                  and abs(amps - readings[-2]) <= band,
                                  within_s=rig.limit("ev_follow_s").value + 2 * ANALYZER_UPDATE_S, poll_s=ANALYZER_UPDATE_S,
                                  what=f"analyzer current steady within {band:.3f} A at {SECOND_A} ± {offered:.2f} A")
    await meter_settled(rig, SECOND_A)
    window = Window(await rig.charger.call("Charger_info.Get"))

    async def sample() -> dict:
        info = await rig.charger.call("Charger_info.Get")
        window.charger.append(info)
        window.reference.append(analyzer.read())   # NAN/INF raise InvalidReading: never a number
        return info

    await rig.clock.hold(sample, lambda info: info["charger_state"] == "C", for_s=METER_WINDOW.value,
                         poll_s=METER_WINDOW.value / SAMPLES_PER_WINDOW, what=f"EV charging in C at {SECOND_A} A")
    for quantity, key, attribute, unit in (("voltage", "voltage", "voltage_v", "V"),
                                           ("current", "current", "current_a", "A"),
                                           ("power", "instant_power", "power_w", "W")):
        unit_mean, reference_mean = window.mean(key, attribute)
        against_reference(f"meter {quantity} at {SECOND_A} A over {METER_WINDOW.value:g} s (Charger_info.{key} vs "
                          f"analyzer)", unit, reference_mean, rig, at_a=SECOND_A).check(unit_mean)


async def contactor_open(line: Line) -> None:
    """C → B under load: the contactor opening timed; then B with no current."""
    rig = line.rig
    opening = rig.limit("contactor_open_s")
    timing = await rig.time_contactor(lambda: rig.ev.set_state("B"), closed_after=False,
                                      within_s=2 * opening.value + 1.0, what="contactor opening C → B under load")
    rig.check_contactor(timing, opening, name="contactor opening time C → B")
    await rig.wait(lambda o: o.state == "B" and o.no_current and not o.mains_present, within_s=rig.settle_s,
                   what="charger in B with no current and no mains at the EV")
