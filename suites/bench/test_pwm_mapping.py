"""PWM-to-current mapping through every limiting path (IEC 61851-1 Annex A; spec 4, 6.5, 6.12, 6.15, 6.18, 6.20).

One charging session per limiting path: the EV stays in C with a load above the charger's rating, and
the path's limit is swept down from 32 A to 6 A, one integer ampere per step, as fast as the charger
updates its PWM (the suite waits on the charger, not on itself).  At each step:

* the CP duty the EV side measures equals ``iec61851.duty_percent_for_current`` within
  ``duty_tolerance_pct``, and it got there within ``pwm_update_s`` of the change (field-facts §3, §4),
  a span bracketed by the CP readings (each placed by the meter's own window) judged with its
  uncertainty: pass, fail, or inconclusive when the CP meter is too coarse to tell;
* the CP frequency stays within ``frequency_min_hz`` … ``frequency_max_hz`` (field-facts §3);
* ``Charger_info.Get`` reports ``pwm_current`` = the limit and the path's ``current_limit_reason`` (6.5);
* ``System_currents.Get`` shows the limit in the path's own field, and ``charging_current`` = the lowest
  limit (6.20);
* ``Pwm_value.Get`` (0.0–1.0) agrees with the measured duty (6.12);
* the reference analyzer's current never exceeds the session's highest limit plus the EV's reading
  error of a duty at the edge of the tolerance band (field-facts §3).

The limit changes as soon as the PWM has followed the last one, far more often than an EV must follow
(``ev_follow_s``, 5 s, field-facts §4), so that the EV comes down to an advertised current is checked
where the PWM then stands still: at the end of the "minimum of several" sweep (the whole chain, once) and after
``Dynamic_current.Set 0`` (current to zero).  Sweeping downwards makes every step a *lower* limit: a
charger that keeps advertising the old current is caught by the duty and the RPCs alike.  Every check
is a :class:`~rig.measurement.Measurement` with its origin, recorded pass or fail; a sweep measures
every current even after a failure, and its duty plot and table are attached.  The session runs on
the ``rig`` (any bench with an EV load and a power analyzer; a plain load follows the PWM through it).
"""
from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import allure
import pytest

from fixtures.clock import WaitTimeout
from fixtures.profile import Limit
from instruments.ev_simulator.interface import CpMeasurement
from instruments.roles import CpSample
from instruments.power_analyzer.wt300 import PowerAnalyzer
from reference import iec61851
from reference.spec import KEYS_BY_NAME
from reports.allure_support import ambiguity, cover
from reports.pwm_plot import PwmPoint, attach_pwm_mapping_plot
from rig import Rig
from rig.rig import INSTRUMENT_READY_WALL_S, BenchNotReady
from rig.ev import pwm_on
from rig.measurement import Measurement
from rig.observe import read_mains
from rig.timing import Instant, Span

pytestmark = [pytest.mark.bench, pytest.mark.pwm, pytest.mark.needs("ev_load", "power_analyzer")]

# --- from the spec table --------------------------------------------------------------------------
MIN_A = int(KEYS_BY_NAME["install_current"].minimum)   # 6 A: the lowest current PWM can advertise
MAX_A = int(KEYS_BY_NAME["install_current"].maximum)   # 32 A: the charger's rating
SWEEP_A = tuple(range(MAX_A, MIN_A - 1, -1))           # 32, 31, … 6: every step lowers the limit
# user_power's range 1380…7360 W is user_current's 6…32 A at 230 V: the spec's own conversion voltage.
_UP, _UC = KEYS_BY_NAME["user_power"], KEYS_BY_NAME["user_current"]
USER_POWER_VOLTAGE_V = _UP.minimum / _UC.minimum
assert USER_POWER_VOLTAGE_V == _UP.maximum / _UC.maximum, "user_power and user_current ranges disagree"

# 6.5 current_limit_reason codes.
REASON_HW, REASON_INSTALL, REASON_USER, REASON_DYNAMIC = 0, 1, 2, 3
REASON_ORIGIN = "spec 6.5 current_limit_reason: 1 install, 2 user, 3 dynamic current"

# The EV's load: above the charger's rating, so the PWM alone sets the current the EV draws.
EV_LOAD_A = MAX_A + 8.0

# --- the limiting paths -----------------------------------------------------------------------------
@dataclass(frozen=True)
class LimitPath:
    """One way to impose a current limit: the RPC, the System_currents field, the 6.5 reason."""

    id: str
    rpc: str
    params: Callable[[int], dict[str, Any]]
    system_field: str
    reason: int | None  # None: the spec names no code (an ambiguity)

    async def impose(self, rig: Rig, amps: int) -> None:
        params = self.params(amps)
        if self.rpc == "App_config.Set":  # in the form this charger takes (ambiguity config_value_type)
            await rig.app_config_set(params["config_key"], params["config_value"])
        else:
            await rig.charger.call(self.rpc, params)


def _app_key(key: str, scale: float = 1.0) -> Callable[[int], dict[str, Any]]:
    return lambda amps: {"config_key": key, "config_value": int(round(amps * scale))}


INSTALL_APP_CONFIG = LimitPath("install_current(App_config.Set)", "App_config.Set", _app_key("install_current"),
                               "install_current", REASON_INSTALL)
INSTALL_SET = LimitPath("install_current(Install_current.Set)", "Install_current.Set",
                        lambda amps: {"install_current": amps}, "install_current", REASON_INSTALL)
USER_CURRENT = LimitPath("user_current", "App_config.Set", _app_key("user_current"), "user_current", REASON_USER)
DYNAMIC = LimitPath("dynamic_current", "Dynamic_current.Set", lambda amps: {"dynamic_current": amps},
                    "dynamic_current", REASON_DYNAMIC)
USER_POWER = LimitPath("user_power", "App_config.Set", _app_key("user_power", USER_POWER_VOLTAGE_V),
                       "user_power_current", None)
ALL_PATHS = (INSTALL_APP_CONFIG, USER_CURRENT, DYNAMIC, USER_POWER)  # every field at its maximum first


@dataclass(frozen=True)
class Step:
    """What one sweep step sets, in order, and which limit must win."""

    amps: int
    settings: tuple[tuple[LimitPath, int], ...]
    binding: LimitPath


def single_path(path: LimitPath) -> Callable[[int, int], Step]:
    return lambda index, amps: Step(amps, ((path, amps),), path)


# "The minimum of several": the binding limit rotates over four paths; each step first lowers one
# path to the new current, then *raises* the path that was binding just before to 2 A above it, so
# a charger that obeys the last limit set instead of the lowest is caught at once.
_ROTATION = (INSTALL_SET, USER_CURRENT, DYNAMIC, USER_POWER)


def minimum_of_several(index: int, amps: int) -> Step:
    lower = _ROTATION[index % len(_ROTATION)]
    higher = _ROTATION[(index - 1) % len(_ROTATION)] if index else _ROTATION[-1]
    return Step(amps, ((lower, amps), (higher, min(MAX_A, amps + 2))), lower)


@dataclass(frozen=True, repr=False)
class Sweep:
    id: str
    plan: Callable[[int, int], Step]
    labels: tuple[str, ...]
    ev_follows: bool = False  # end with the EV coming down to the last limit (the whole chain, once)

    def __repr__(self) -> str:  # the report's parameter value
        return self.id


SWEEPS = (
    Sweep("install_current-App_config.Set", single_path(INSTALL_APP_CONFIG),
          ("6.4 App_config.Set", "4 install_current")),
    Sweep("install_current-Install_current.Set", single_path(INSTALL_SET), ("6.15 Install_current.Set",)),
    Sweep("user_current", single_path(USER_CURRENT), ("6.4 App_config.Set", "4 user_current")),
    Sweep("dynamic_current", single_path(DYNAMIC), ("6.18 Dynamic_current.Set",)),
    Sweep("user_power", single_path(USER_POWER), ("6.4 App_config.Set", "4 user_power")),
    Sweep("minimum_of_several", minimum_of_several, ("6.20 System_currents.Get",), ev_follows=True),
)


# --- the session under test -------------------------------------------------------------------------
@dataclass(frozen=True)
class PwmUpdate:
    """What the CP showed once it met a condition after a change, and how long that took.

    ``took`` is the delay bracketed by the CP readings (each placed by the meter's own window: on a
    once-a-second board a frame covers a second); ``seen`` when the reading that met it was taken.
    Both None when the wait (longer than ``pwm_update_s``) ran out; then ``cp`` is a last reading and
    ``at_least_s`` the delay's lower bound it gives (None: it cannot tell)."""

    cp: CpMeasurement
    took: Span | None
    seen: Instant | None
    at_least_s: float | None = None


@dataclass(frozen=True)
class Advertised:
    """A limit the CP was seen advertising from ``at`` (bench clock, device s) on."""

    at: float
    amps: float


@dataclass
class Session:
    """A charging session under test on the rig, the limits commanded (System_currents field -> A),
    what the CP advertised when, and every measurement's failure (a sweep measures on after a failure)."""

    rig: Rig
    commanded: dict[str, int] = field(default_factory=dict)
    advertised: list[Advertised] = field(default_factory=list)
    points: list[PwmPoint] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    readings: dict[str, set[str]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    analyzer_lag_s: float = 0.0

    @property
    def analyzer(self) -> PowerAnalyzer:
        assert self.rig.analyzer is not None, "the module needs power_analyzer"
        return self.rig.analyzer

    @property
    def follow(self) -> Limit:
        return self.rig.limit("ev_follow_s")

    def read(self, what: str, reading: str) -> None:
        self.readings.setdefault(what, set()).add(reading)

    def check(self, measurement: Measurement, value: Any) -> None:
        """Record and judge one measurement; a sweep goes on measuring after a failure (the plot and
        the report then show every current) and :meth:`verdict` fails the test at its end."""
        try:
            measurement.check(value)
        except AssertionError as failure:
            self.failures.append(str(failure))

    def judge(self, name: str, span: Span, limit: Limit, bound: str = "max") -> None:
        """A timing span against a limit (``rig.judge``: pass, fail, or inconclusive when the bench
        cannot resolve it), a failure collected as :meth:`check` does."""
        try:
            self.rig.judge(name, span, limit, bound)  # type: ignore[arg-type]
        except AssertionError as failure:
            self.failures.append(str(failure))

    def check_choice(self, name: str, value: Any, accepted: tuple[Any, ...], origin: str) -> None:
        """As :meth:`check` for a value that must be one of ``accepted`` (a code, not a magnitude)."""
        passed = value in accepted
        allure.dynamic.parameter(name, f"{'PASS' if passed else 'FAIL'} {value!r} in {accepted!r} ({origin})",
                                 excluded=True)
        if not passed:
            self.failures.append(f"{name} = {value!r}, not one of {accepted!r}; from: {origin}")

    def check_update(self, name: str, update: PwmUpdate) -> None:
        """The PWM update time against ``pwm_update_s``, with its uncertainty; a PWM that never got there
        within the wait is judged by the lower bound of its delay."""
        limit = self.rig.limit("pwm_update_s")
        if update.took is not None:
            self.judge(name, update.took, limit)
        elif update.at_least_s is not None and update.at_least_s > limit.value:
            self.judge(name, Span(update.at_least_s, update.at_least_s,
                                  "lower bound: not there by a CP reading begun this long after the change"), limit)
        else:
            allure.dynamic.parameter(name, f"FAIL not within the wait ({limit.name}: {limit.origin})", excluded=True)
            self.failures.append(f"{name}: the CP did not get there within the wait, longer than "
                                 f"{limit.value:g} {limit.unit}; limits from: {limit.name}: {limit.origin}")

    def label_ambiguities(self) -> None:
        for key, ambiguity_id in (("user_power", "user_power_to_current"),
                                  ("user_power_reason", "user_power_limit_reason"), ("tie", "limit_reason_tie")):
            if self.readings.get(key):
                ambiguity(ambiguity_id, "; ".join(sorted(self.readings[key])))

    def verdict(self) -> None:
        __tracebackhide__ = True
        if self.failures:
            shown = "\n".join(self.failures[:15])
            more = f"\n… and {len(self.failures) - 15} more" if len(self.failures) > 15 else ""
            raise AssertionError(f"{len(self.failures)} measurement(s) out of limits:\n{shown}{more}")

    async def start(self) -> None:
        """Every settable limit at its maximum, EV in C drawing above it, contactor closed."""
        for path in ALL_PATHS:
            await path.impose(self.rig, MAX_A)
            self.commanded[path.system_field] = MAX_A
        # A reading averages the last completed update period: it may be two periods old.
        self.analyzer_lag_s = 2 * self.analyzer.update_rate_s
        await self.rig.range_for(MAX_A)  # the most the PWM lets the EV draw (the load asks for more)
        self.rig.ev.set_load_current(EV_LOAD_A)
        await self.plug_in_seeing_the_pwm()
        self.rig.ev.set_state("C")
        await self.rig.clock.wait_for_sync(self.rig.ev.mains_present, bool, within_s=self.rig.charging_deadline_s,
                                           what="contactor closed with the EV in C")
        self.advertised.append(Advertised(self.rig.clock.now(), MAX_A))

    async def plug_in_seeing_the_pwm(self) -> None:
        """EV to B until a CP reading wholly after the PWM appeared shows it: the EV reads the PWM
        before it closes S2.  A once-a-second CP board's frame that straddles the PWM's start mixes
        the steady line with it (its duty reads high, and so would the current it seems to offer); a
        load that follows the PWM through the rig must not start from it once the contactor closes.
        What the PWM advertises is the sweep's to judge: a charger that shows none here goes on to C."""
        plugged, _ = self.rig.stamp(lambda: self.rig.ev.set_state("B"))
        within = self.rig.limit("state_report_s").value
        try:
            on_by = await self.cp_reading_begun_after(plugged.earliest, "a PWM with the EV in B", pwm_on, within)
            await self.cp_reading_begun_after(self.rig.timing.window(on_by).latest,  # on by then, and stays on
                                              "a whole CP reading of the PWM with the EV in B", pwm_on, within)
        except WaitTimeout:
            pass  # judged by the sweep: every step measures the duty the EV sees

    async def cp_reading_begun_after(self, instant: float, what: str,
                                     predicate: Callable[[CpMeasurement], bool] = lambda cp: True,
                                     within_s: float = 1.0) -> CpSample:
        """The first CP reading whose whole window began at or after ``instant`` (bench clock) and
        meets ``predicate``: on a once-a-second board, not a frame that mixes the line before with
        the line after (on an on-demand meter, simply the next reading)."""
        frames = 2 * self.rig.ev.cp_resolution_s * self.rig.clock.time_scale
        return await self.rig.clock.wait_for_sync(
            self.rig.ev.sample_cp, lambda s: self.rig.timing.window(s).earliest >= instant and predicate(s.cp),
            within_s=within_s + frames, what=what)

    async def next_whole_reading(self, instant: float, what: str) -> CpSample:
        """The next CP reading wholly after ``instant``, whatever it shows: waiting for the instrument judges
        nothing about the charger, so it gets at least the wall time any bench precondition gets (a loaded
        host delays a fast virtual bench's frames), and a reading that never comes is the bench's fault."""
        try:
            return await self.cp_reading_begun_after(
                instant, what, within_s=max(1.0, INSTRUMENT_READY_WALL_S * self.rig.clock.time_scale))
        except WaitTimeout as late:
            raise BenchNotReady(f"the CP measurement gave no reading wholly after the instant: {late}") from None

    async def change(self, settings: tuple[tuple[LimitPath, int], ...]) -> Instant:
        """Impose the limits, in order; when that happened on the bench clock."""
        async def impose() -> None:
            for path, value in settings:
                await path.impose(self.rig, value)
                self.commanded[path.system_field] = value
        applied, _ = await self.rig.astamp(impose)
        return applied

    async def cp_settles_on(self, amps: int, changed: Instant) -> PwmUpdate:
        """Poll the CP until its duty advertises ``amps`` (see :meth:`cp_reaches`)."""
        expected = iec61851.duty_percent_for_current(amps)
        tolerance = self.rig.limit("duty_tolerance_pct").value
        return await self.cp_reaches(lambda m: abs(m.duty_percent - expected) <= tolerance,
                                     f"CP duty advertising {amps} A", changed)

    async def cp_reaches(self, predicate: Callable[[CpMeasurement], bool], what: str, changed: Instant) -> PwmUpdate:
        """Poll the CP as fast as the meter allows until ``predicate``, for twice ``pwm_update_s`` and a
        second (a late PWM is measured with its margin, not timed out): that reading and when it changed
        after ``changed``.  If it never does: a last reading and the lower bound of the delay it gives."""
        wait_s = 2 * self.rig.limit("pwm_update_s").value + 1.0
        try:
            edge = await self.rig.cp_edge(predicate, since=changed, within_s=wait_s, what=what)
        except WaitTimeout:
            at, sample = self.rig.stamp(self.rig.ev.sample_cp)
            if predicate(sample.cp):  # just after the wait: no earlier reading to bound it by
                return PwmUpdate(sample.cp, None, None)
            return PwmUpdate(sample.cp, None, None, self.rig.timing.window(sample).earliest - changed.latest)
        # The duty and frequency the EV then sees: a reading wholly after the edge (the reading that
        # met the condition may, on a once-a-second board, mix the line before with the line after).
        settled = await self.next_whole_reading(edge.at.latest, f"a whole CP reading after: {what}")
        return PwmUpdate(settled.cp, self.rig.timing.polled(edge, changed, "the CP line"), edge.at)

    def advertising(self, amps: float, seen: Instant | None = None) -> None:
        """Note that the CP was seen advertising the limit ``amps`` (0: no current) from ``seen`` on
        (its latest: the EV's reaction time runs from no earlier than that), else from now."""
        self.advertised.append(Advertised(self.rig.clock.now() if seen is None else seen.latest, amps))

    def mains_current_a(self) -> float:
        """The analyzer's current: NAN/INF raise in the driver, a reading is never made up."""
        return read_mains(self.analyzer).current_a

    async def follows_down_to(self, amps: float, allowance_a: float, advertised_at: float) -> float:
        """The analyzer's current once it is within ``amps`` + allowance, or the last reading after the
        EV's reaction time (from ``advertised_at``) and the analyzer's lag have passed."""
        remaining = max(0.0, advertised_at + self.follow.value + self.analyzer_lag_s - self.rig.clock.now())
        try:
            return await self.rig.clock.wait_for_sync(self.mains_current_a, lambda drawn: drawn <= amps + allowance_a,
                                                      within_s=remaining, what=f"analyzer current down to {amps} A")
        except WaitTimeout:
            return self.mains_current_a()


def measurement_allowance_a(amps: int, tolerance_pct: float) -> float:
    """The EV's reading error for a duty at the edge of the band (field-facts §3: EV reads duty × 0.6)."""
    edge = iec61851.current_for_duty_percent(iec61851.duty_percent_for_current(amps) + tolerance_pct)
    assert edge is not None
    return edge - amps


def allowance_origin(s: Session, allowance: float) -> str:
    """Why the analyzer may read a little above a limit: the EV's reading of a duty within tolerance."""
    return (f"IEC 61851-1 Annex A, EV side: an EV reads duty x 0.6 (reference/standards.md T8); a duty within "
            f"±{s.rig.limit('duty_tolerance_pct').value:g} % "
            f"reads up to +{allowance:.2f} A")


def follow_origin(s: Session) -> str:
    return (f"EV reaction {s.follow.value:g} s ({s.follow.origin}) + analyzer lag {s.analyzer_lag_s:g} s "
            f"(a reading averages the last completed update period)")


async def run_step(s: Session, step: Step, tag: str) -> None:
    amps, tolerance = step.amps, s.rig.limit("duty_tolerance_pct").value
    expected_duty = iec61851.duty_percent_for_current(amps)
    name = f"{tag} {amps:02d}A"
    row: dict[str, Any] = {"current_a": amps, "expected_duty_pct": round(expected_duty, 3)}
    s.rows.append(row)

    # The change, then the PWM: it must advertise the lowest limit within pwm_update_s.
    changed = await s.change(step.settings)
    assert min(s.commanded.values()) == amps, f"test plan error: {s.commanded} does not bind at {amps} A"
    update = await s.cp_settles_on(amps, changed)
    cp, took = update.cp, update.took
    s.advertising(amps, update.seen)
    row.update(measured_duty_pct=cp.duty_percent, frequency_hz=cp.frequency_hz,
               pwm_update_min_s=None if took is None else round(took.low, 4),
               pwm_update_max_s=None if took is None else round(took.high, 4),
               pwm_update_at_least_s=update.at_least_s)
    s.points.append(PwmPoint(amps, expected_duty, cp.duty_percent, tolerance))
    duty_origin = f"IEC 61851-1:2017 Annex A, Table A.8 (reference/standards.md T4); {s.rig.limit('duty_tolerance_pct').origin}"
    s.check(Measurement(f"{name} CP duty", "%", nominal=round(expected_duty, 3), tolerance=tolerance,
                        origin=duty_origin), cp.duty_percent)
    low_hz, high_hz = s.rig.limit("frequency_min_hz"), s.rig.limit("frequency_max_hz")
    s.check(Measurement(f"{name} CP frequency", "Hz", low=low_hz.value, high=high_hz.value, origin=low_hz.origin),
            cp.frequency_hz)
    s.check_update(f"{name} PWM update time", update)

    # The charger's own account, read at once once the PWM has settled (three requests in flight).
    info, currents, pwm_reply = await asyncio.gather(s.rig.charger.call("Charger_info.Get"),
                                                     s.rig.charger.call("System_currents.Get"),
                                                     s.rig.charger.call("Pwm_value.Get"))

    # 6.5: the current the PWM was calculated at, and why.
    reason = info.get("current_limit_reason")
    row.update(pwm_current=info.get("pwm_current"), current_limit_reason=reason)
    s.check(Measurement(f"{name} Charger_info pwm_current", "A", nominal=amps, tolerance=0,
                        origin="spec 6.5 pwm_current: the current the PWM was calculated at"), info.get("pwm_current"))
    if amps == MAX_A:  # every limit equals the hardware maximum: a tie (labelled, both readings accepted)
        # limit_reason_tie: 0 HW, or the code of a limit that was set (any of this step's); user_power has
        # no code of its own (user_power_limit_reason), so with it set any documented code is a reading.
        s.read("tie", f"code {reason}")
        set_codes = tuple(path.reason for path, _ in step.settings)
        if None in set_codes:
            s.check(Measurement(f"{name} current_limit_reason (tie with user_power set, labelled)", "code", low=0,
                                high=8, origin="spec 6.5: codes 0-8; ambiguities limit_reason_tie, "
                                               "user_power_limit_reason"), reason)
        else:
            s.check_choice(f"{name} current_limit_reason (tie, labelled)", reason,
                           tuple(dict.fromkeys((REASON_HW, *set_codes))),
                           f"{REASON_ORIGIN}, 0 HW; ambiguity limit_reason_tie")
    elif step.binding.reason is None:  # user_power: no code names it (labelled, any documented code)
        s.read("user_power_reason", f"code {reason}")
        s.check(Measurement(f"{name} current_limit_reason (user_power, labelled)", "code", low=0, high=8,
                            origin="spec 6.5: codes 0-8; none names user_power"), reason)
    else:
        s.check(Measurement(f"{name} current_limit_reason", "code", nominal=step.binding.reason, tolerance=0,
                            origin=REASON_ORIGIN), reason)

    # 6.20: each limit in its own field, and the lowest one charging.
    charging = currents.get("charging_current")
    row.update(charging_current=charging)
    for path, value in step.settings:
        reported = currents.get(path.system_field)
        if path is USER_POWER:
            s.read("user_power", "W / 230 V nominal" if reported == value else
                   f"{value * USER_POWER_VOLTAGE_V:.0f} W -> {reported!r} A")
        s.check(Measurement(f"{name} System_currents {path.system_field}", "A", nominal=value, tolerance=0,
                            origin=f"spec 6.20: the limit set through {path.rpc}"), reported)
    s.check(Measurement(f"{name} System_currents charging_current", "A", nominal=amps, tolerance=0,
                        origin="spec 6.20/6.5: the lowest limit set wins"), charging)
    lowest = min(v for k, v in currents.items() if k != "charging_current" and isinstance(v, int))
    s.check(Measurement(f"{name} charging_current vs lowest reported limit", "A", nominal=lowest, tolerance=0,
                        origin="spec 6.20: charging_current is the lowest of the reported limits"), charging)

    # 6.12: the PWM value the charger reports is the duty on the line.
    pwm_value = pwm_reply.get("pwm_value")
    row.update(pwm_value=pwm_value)
    s.check(Measurement(f"{name} Pwm_value range", "1", low=0.0, high=1.0, origin="spec 6.12: range 0.0-1.0"),
            pwm_value)
    s.check(Measurement(f"{name} Pwm_value vs measured duty", "1", nominal=round(cp.duty_percent / 100.0, 5),
                        tolerance=tolerance / 100.0, origin=f"spec 6.12 vs the CP measured; {duty_origin}"),
            pwm_value)

    # The mains, while the limit keeps changing faster than an EV must follow (field-facts §4 gives
    # it 5 s): never more than the highest limit of the session.  That the EV comes down to the
    # limit is checked once the PWM stands still, at the end of the sweep.
    allowance = measurement_allowance_a(MAX_A, tolerance)
    drawn = s.mains_current_a()
    row.update(analyzer_current_a=drawn)
    s.check(Measurement(f"{name} analyzer current", "A", high=MAX_A + allowance,
                        origin=f"the session's highest limit; {allowance_origin(s, allowance)}"), drawn)


async def ev_followed_the_last_limit(s: Session, tag: str) -> None:
    """End of a sweep: the current comes down to the last limit within the EV's reaction time."""
    last = s.advertised[-1]
    allowance = measurement_allowance_a(MIN_A, s.rig.limit("duty_tolerance_pct").value)
    drawn = await s.follows_down_to(last.amps, allowance, last.at)
    s.rows.append({"current_a": last.amps, "analyzer_current_a": drawn, "note": "after the EV reaction time"})
    s.check(Measurement(f"{tag} analyzer current after the EV reaction time at {last.amps:g} A", "A",
                        high=last.amps + allowance,
                        origin=f"{allowance_origin(s, allowance)}; {follow_origin(s)}"), drawn)


def attach_sweep(s: Session, title: str) -> None:
    if s.points:
        attach_pwm_mapping_plot(s.points, title)
    if s.rows:
        out = io.StringIO()
        columns = sorted({k for row in s.rows for k in row}, key=lambda k: (k != "current_a", k))
        writer = csv.DictWriter(out, columns)
        writer.writeheader()
        writer.writerows(s.rows)
        allure.attach(out.getvalue(), name=f"{title} (table)", attachment_type=allure.attachment_type.CSV)


@pytest.fixture
def session(rig: Rig) -> Session:
    """A charging session on the rig (a bench in the safe state, the analyzer set up)."""
    return Session(rig)


# --- the tests ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("sweep", SWEEPS, ids=lambda sweep: sweep.id)
async def test_pwm_advertises_the_lowest_limit(session: Session, sweep: Sweep) -> None:
    for label in (*sweep.labels, "IEC 61851-1 A PWM", "6.5 Charger_info.Get", "6.12 Pwm_value.Get",
                  "6.20 System_currents.Get"):
        cover(label)
    allure.dynamic.title(f"PWM advertises {MAX_A}…{MIN_A} A set through {sweep.id}")
    await session.start()
    try:
        for index, amps in enumerate(SWEEP_A):
            with allure.step(f"{sweep.id}: {amps} A"):
                await run_step(session, sweep.plan(index, amps), sweep.id)
        if sweep.ev_follows:
            await ev_followed_the_last_limit(session, sweep.id)
    finally:
        attach_sweep(session, f"PWM mapping through {sweep.id}")
        session.label_ambiguities()
    session.verdict()


async def test_6_18_dynamic_current_zero_stops_charging(session: Session) -> None:
    """Dynamic_current.Set 0 (range 0-32, 6.18) is below the 6 A PWM can advertise: from 6 A, the
    charger must stop advertising a current (100 % / DC = charging not allowed, field-facts §3) within
    pwm_update_s, not stay at 6 A, and the EV's current must then fall to zero within its reaction time."""
    cover("6.18 Dynamic_current.Set")
    cover("IEC 61851-1 A PWM")
    s = session
    await s.start()
    tolerance = s.rig.limit("duty_tolerance_pct").value
    duty_origin = f"IEC 61851-1:2017 Annex A, Table A.8 (reference/standards.md T4); {s.rig.limit('duty_tolerance_pct').origin}"
    first = await s.cp_settles_on(MIN_A, await s.change(((DYNAMIC, MIN_A),)))
    cp = first.cp
    s.advertising(MIN_A, first.seen)
    s.check(Measurement("dynamic 6 A first: CP duty", "%", nominal=round(iec61851.duty_percent_for_current(MIN_A), 3),
                        tolerance=tolerance, origin=duty_origin), cp.duty_percent)

    changed = await s.change(((DYNAMIC, 0),))
    update = await s.cp_reaches(lambda m: iec61851.current_for_duty_percent(m.duty_percent) is None,
                                "CP advertising no current", changed)
    cp = update.cp
    s.advertising(0.0, update.seen)
    advertised = iec61851.current_for_duty_percent(cp.duty_percent)
    s.check(Measurement("dynamic 0 A: current the CP duty advertises", "A", high=0.0,
                        origin="IEC 61851-1 Annex A: an EV reads no current from < 8 % or 100 % (DC) duty (reference/standards.md T7, T8)"),
            0.0 if advertised is None else advertised)
    s.check_update("dynamic 0 A: PWM update time", update)
    info, pwm_reply = await asyncio.gather(s.rig.charger.call("Charger_info.Get"), s.rig.charger.call("Pwm_value.Get"))
    ambiguity("dynamic_current_zero_state", f"{info.get('charger_state')}/{info.get('extended_charger_state')}, "
                                            f"paused={info.get('charger_is_paused')}")
    pwm_value = pwm_reply.get("pwm_value")
    if pwm_on(cp):  # still switching (at a duty that advertises nothing): the value is that duty
        s.check(Measurement("dynamic 0 A: Pwm_value vs measured duty", "1", nominal=round(cp.duty_percent / 100.0, 5),
                            tolerance=tolerance / 100.0, origin=f"spec 6.12 vs the CP measured; {duty_origin}"),
                pwm_value)
    else:  # steady +V, no PWM: 6.12 does not say what Pwm_value reads then; a stale 6 A duty still fails
        ambiguity("pwm_value_without_pwm", f"Pwm_value {pwm_value!r} with the CP steady (no PWM)")
        s.check_choice("dynamic 0 A: Pwm_value with no PWM on the line (labelled)", pwm_value, (1.0, 0.0),
                       "spec 6.12 range 0.0-1.0; ambiguity pwm_value_without_pwm: 1.0 (DC is 100 %) or 0.0 (off)")
    allowance = measurement_allowance_a(MIN_A, tolerance)
    drawn = await s.follows_down_to(0.0, allowance, s.advertised[-1].at)
    s.check(Measurement("dynamic 0 A: analyzer current after the EV reaction time", "A", high=allowance,
                        origin=f"{allowance_origin(s, allowance)}; {follow_origin(s)}"), drawn)
    s.verdict()
