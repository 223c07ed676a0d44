"""Temperature protection: derating above ``overtemp_threshold``, stopping above
``critical_temp_threshold`` (spec chapter 5, 6.5 ``temperature`` / ``current_limit_reason`` 8, 6.9 / 6.16
``overtemp`` / ``critical_temp``).

The thresholds are the charger's own (``Charger_config.Get``, 6.21); the temperature it compares is
its board sensor plus ``temp_offset`` (chapter 5), so the bench's heater (``thermal``: a heater on
the board's sensor, or a climate chamber) drives the board to ``threshold - temp_offset +
OVERSHOOT_C``.  The crossing is when ``Charger_info.Get`` first reports ``temperature >= threshold``
(bracketed by the polls: a chamber's air leads the board, so its sensor only tells a slow bench, a
bench fault, from a charger misreading its board); it must come within ``chamber_settle_s``.  Then,
within ``temperature_response_s`` of the crossing (each timed with its uncertainty and judged by the
rig), one test per threshold, from the table ``STAGES``:

* past overtemp: ``overtemp`` active, ``current_limit_reason`` 8 ("limited by temperature control
  system", 6.5), and a lower PWM duty *measured on the CP line* than before the heat; charging goes
  on (a derating, not a stop).  The session charges at the rating (every settable limit at its
  maximum, as the PWM suite does) so that a derating is visible;
* past critical: ``critical_temp`` active and charging stops: no mains at the EV, zero current at the
  analyzer;
* back at room temperature: the flags clear, the threshold's own stays logged until ``Logged_errors.Reset``, and the
  charger charges at its full current again by itself, the EV still plugged in (ambiguity
  ``temperature_recovery``, labelled).

The thresholds are read, never changed (chapter 5 keys are not settable through App_config.Set); the
current limits the test raises are put back by the suites' configuration snapshot.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio

from fixtures.clock import WaitTimeout
from instruments.errors import BenchFault
from instruments.ev_simulator.interface import CpMeasurement
from reference.spec import KEYS_BY_NAME, method
from reports.allure_support import cover
from rig import Rig, SessionTrace
from rig.ev import advertised_a, pwm_on
from rig.flags import check_latched, check_raised, check_reset_clears, read_flags
from rig.observe import Observation
from rig.timing import Edge, Instant, Timing

pytestmark = [pytest.mark.bench, pytest.mark.faults]
BENCH = pytest.mark.needs("ev_load", "power_analyzer", "thermal.board_temperature")

MAX_A = int(KEYS_BY_NAME["install_current"].maximum)         # 32 A: the rating, spec 4
MIN_A = int(KEYS_BY_NAME["install_current"].minimum)         # 6 A: the least a PWM offers
MAX_USER_POWER_W = int(KEYS_BY_NAME["user_power"].maximum)   # 7360 W: user_power's own maximum, spec 4
REASON_TEMPERATURE = 8
REASON_ORIGIN = "spec 6.5 current_limit_reason 8: current limited by temperature control system"
DERATE_VISIBLE_ABOVE_A = 16.0
"""A derating must show on the CP: the session charges above this (a charger derating to 16 A, as
field units do, would otherwise look unchanged)."""
OVERSHOOT_C = 2.0
"""How far past a threshold the board is driven: clearly beyond it, and below the next one (the
spec's ranges keep critical ≥ overtemp + 10 at their minima)."""
ROOM_C = 25.0
"""Lab decision: the room temperature the heater brings the board back to."""
ACTIVE, INFO, CP, MAINS = "Active_errors.Get", "Charger_info.Get", "CP measurement", "mains sense"


@dataclass(frozen=True)
class Thresholds:
    """Chapter 5 as this charger holds it (Charger_config.Get)."""

    overtemp_c: float
    critical_c: float
    offset_c: float

    def board_for(self, threshold_c: float) -> float:
        """The board temperature at which the charger's own reading (board + temp_offset) is past it."""
        return threshold_c - self.offset_c + OVERSHOOT_C


THRESHOLD_FIELDS = {"overtemp_threshold": "overtemp_c", "critical_temp_threshold": "critical_c"}


async def _thresholds(rig: Rig) -> Thresholds:
    config = await rig.charger.call("Charger_config.Get")
    thresholds = Thresholds(float(config["overtemp_threshold"]), float(config["critical_temp_threshold"]),
                            float(config["temp_offset"]))
    assert thresholds.critical_c > thresholds.overtemp_c + OVERSHOOT_C, (
        f"critical_temp_threshold {thresholds.critical_c} is not above overtemp_threshold {thresholds.overtemp_c}: "
        "no derating band between them (spec 5)")
    return thresholds


async def _charging_at_the_rating(rig: Rig) -> Observation:
    """Every settable limit at its maximum (as the PWM suite starts), the EV asking for the rating."""
    for key, value in (("install_current", MAX_A), ("user_current", MAX_A), ("user_power", MAX_USER_POWER_W)):
        assert await rig.app_config_set(key, value) is True, f"App_config.Set {key} {value}"
    assert await rig.charger.call("Dynamic_current.Set", {"dynamic_current": MAX_A}) is True
    await rig.charge(load_a=MAX_A)
    return await rig.wait(lambda o: (o.advertised_a or 0.0) > DERATE_VISIBLE_ABOVE_A and o.charging,
                          within_s=rig.limit("pwm_update_s").value + rig.cp_lag_s,
                          what=f"the CP advertising more than {DERATE_VISIBLE_ABOVE_A:g} A with every limit at "
                               f"{MAX_A} A at room temperature")


async def _heat_past(rig: Rig, thresholds: Thresholds, threshold_c: float, name: str) -> Instant:
    """Drive the board past ``threshold_c`` (the charger's scale) and bracket when the charger's own
    reading crossed it (a chamber's air leads the board: its sensor only tells a slow bench apart)."""
    board_c = thresholds.board_for(threshold_c)
    started, _ = rig.stamp(lambda: rig.sites.set_board_temperature(board_c))
    settle = rig.limit("chamber_settle_s")
    try:
        edge = await rig.edge(lambda: _info(rig), lambda info: info["temperature"] >= threshold_c, since=started,
                              within_s=settle.value,
                              what=f"Charger_info.Get temperature ≥ {name} {threshold_c:g} °C (heater at "
                                   f"{board_c:g} °C, temp_offset {thresholds.offset_c:g})")
    except WaitTimeout as timeout:
        chamber = rig.sites.chamber_temperature()
        board_threshold_c = threshold_c - thresholds.offset_c
        if chamber < board_threshold_c:
            raise BenchFault(f"thermal: the board reads {chamber:g} °C, not past {board_threshold_c:g} °C, "
                             f"{settle.name} {settle.value:g} s after the setpoint {board_c:g} °C: "
                             f"{timeout}") from None
        raise AssertionError(f"the charger reports {timeout} with its board at {chamber:g} °C + temp_offset "
                             f"{thresholds.offset_c:g} (spec 5: temp_offset corrects the board's reading)") from None
    return edge.at


@dataclass(frozen=True)
class Before:
    """The session before the heat: what the CP advertised, and the duty tolerance a change must exceed."""

    seen: Observation
    duty_tolerance_pct: float

    def derated(self, cp: CpMeasurement) -> bool:
        """A PWM still on, with a duty lower than before by more than the tolerance (a derating)."""
        return pwm_on(cp) and cp.duty_percent < self.seen.cp.duty_percent - self.duty_tolerance_pct


@dataclass(frozen=True)
class Response:
    """One thing the charger must do within temperature_response_s of a crossing, and the viewpoint
    that sees it: ``Active_errors.Get``, ``Charger_info.Get``, the CP line or mains sense at the EV."""

    name: str
    viewpoint: str
    holds: Callable[[Any, Before], bool]   # (the viewpoint's reading, the session before the heat)
    what: str


@dataclass(frozen=True)
class Stage:
    """A threshold of chapter 5 and what the charger does past it."""

    threshold: str                   # the Charger_config.Get key
    responses: tuple[Response, ...]
    flag: str
    tolerated: tuple[str, ...]       # flags the board past this threshold legitimately raises too
    charging: bool                   # charging goes on (a derating) or stops


STAGES = (
    Stage("overtemp_threshold", (
        Response("overtemp_flag_delay", ACTIVE, lambda errors, _: errors["overtemp"], "overtemp active"),
        Response("temperature_limit_reason_delay", INFO,
                 lambda info, _: info["current_limit_reason"] == REASON_TEMPERATURE,
                 f"current_limit_reason {REASON_TEMPERATURE} ({REASON_ORIGIN})"),
        Response("derated_pwm_delay", CP, lambda cp, before: before.derated(cp),
                 "a lower PWM duty on the CP line than before the heat"),
    ), "overtemp", (), charging=True),
    Stage("critical_temp_threshold", (
        Response("critical_temp_flag_delay", ACTIVE, lambda errors, _: errors["critical_temp"], "critical_temp active"),
        Response("critical_temp_stop_delay", MAINS, lambda present, _: not present, "no mains at the EV"),
    ), "critical_temp", ("overtemp",), charging=False),
)


async def _within_response(rig: Rig, response: Response, crossed: Instant, before: Before, past: str) -> Edge:
    """Poll the response's viewpoint until it shows the response; judge the delay from the crossing
    against temperature_response_s."""
    limit = rig.limit("temperature_response_s")
    within = 2 * limit.value + rig.settle_s
    what = f"{response.what} past {past}"
    try:
        if response.viewpoint == CP:
            edge = await rig.cp_edge(lambda cp: response.holds(cp, before), since=crossed, within_s=within, what=what)
        else:
            edge = await rig.edge(READS[response.viewpoint](rig), lambda seen: response.holds(seen, before),
                                  since=crossed, within_s=within, what=what)
    except WaitTimeout as timeout:
        raise AssertionError(f"{what}: not seen within {within:g} s of the charger's temperature passing it "
                             f"({limit.name} {limit.value:g} s: {limit.origin}); {timeout}") from None
    rig.judge(response.name, Timing.polled(edge, crossed, response.viewpoint), limit)
    return edge


async def _info(rig: Rig) -> dict[str, Any]:
    return await rig.charger.call("Charger_info.Get")


READS: dict[str, Callable[[Rig], Callable[[], Any]]] = {
    ACTIVE: lambda rig: lambda: rig.charger.call("Active_errors.Get"),
    INFO: lambda rig: lambda: _info(rig),
    MAINS: lambda rig: rig.ev.mains_present,
}
"""How each viewpoint but the CP line (``rig.cp_edge``, placed by the meter's own window) is read."""


@pytest_asyncio.fixture
async def back_to_room(rig: Rig) -> AsyncIterator[None]:
    """Whatever happened, the board back at room temperature with no temperature flag active before
    the rig's own safe state (a heater switched off leaves a hot board cooling for minutes)."""
    yield
    if rig.site is None or not rig.site.has("thermal.board_temperature"):
        return
    rig.site.set_board_temperature(ROOM_C)
    try:
        await rig.clock.wait_for(lambda: rig.call_if_reachable("Active_errors.Get"),
                                 lambda errors: errors is not None
                                 and not (errors["overtemp"] or errors["critical_temp"]),
                                 within_s=rig.limit("chamber_settle_s").value,
                                 what="no temperature flag at room temperature")
    except WaitTimeout as timeout:
        raise BenchFault(f"thermal: board not back to room temperature after the test: {timeout}") from None


@BENCH
@pytest.mark.parametrize("stage", STAGES, ids=lambda stage: stage.threshold)
async def test_temperature_threshold_derates_or_stops_and_recovers(stage: Stage, rig: Rig, back_to_room: None,
                                                                   trace: SessionTrace) -> None:
    cover(method("Charger_config.Get"))
    cover(method("Active_errors.Get"), title=f"board past {stage.threshold}: "
                                             f"{', '.join(r.what for r in stage.responses)} within "
                                             "temperature_response_s; flags clear and charging resumes at room")
    thresholds = await _thresholds(rig)
    before = Before(await _charging_at_the_rating(rig), rig.limit("duty_tolerance_pct").value)
    full_a = before.seen.advertised_a or 0.0
    threshold_c = getattr(thresholds, THRESHOLD_FIELDS[stage.threshold])
    crossed = await _heat_past(rig, thresholds, threshold_c, stage.threshold)
    past = f"{stage.threshold} {threshold_c:g} °C"
    for response in stage.responses:
        edge = await _within_response(rig, response, crossed, before, past)
        if response.viewpoint == CP:
            assert (advertised_a(edge.value) or 0.0) >= MIN_A, f"derated below the {MIN_A} A a PWM offers: {edge.value}"
    if stage.charging:
        await rig.wait(lambda o: o.mains_present and o.pwm_on, within_s=rig.settle_s,
                       what=f"charging still allowed (contactor closed, PWM on) past {past}: a derating, not a stop")
    else:
        await rig.wait(lambda o: not o.mains_present and o.no_current, within_s=rig.settle_s,
                       what=f"no mains at the EV and no current at the analyzer past {past}")
    what = f"the board past {past}"
    check_raised(await read_flags(rig), what, (stage.flag,), tolerated=stage.tolerated)

    # back at room: the flags clear (ambiguity temperature_recovery) and charging resumes at the full current
    rig.sites.set_board_temperature(ROOM_C)
    settle = rig.limit("chamber_settle_s").value + rig.limit("temperature_response_s").value
    await rig.clock.wait_for(lambda: rig.charger.call("Active_errors.Get"),
                             lambda errors: not errors["overtemp"] and not errors["critical_temp"], within_s=settle,
                             what=f"overtemp and critical_temp clear with the board back at {ROOM_C:g} °C")
    window = rig.limit("pwm_update_s").value + rig.charging_deadline_s
    try:
        await rig.wait(lambda o: o.charging and not before.derated(o.cp), within_s=window,
                       what=f"charging again at the full {full_a:g} A at room temperature")
    except WaitTimeout as timeout:
        raise AssertionError(f"not charging at the full {full_a:g} A within {window:g} s of the "
                             f"temperature flags clearing at room temperature, the EV still plugged in and asking: "
                             f"{timeout}") from None
    rig.label_ambiguity("temperature_recovery", "clears below its threshold; charging resumes at the full current")
    recovered = "the board was back at room temperature"
    check_latched(await read_flags(rig), what, (stage.flag,), recovered)
    await rig.unplug()
    await check_reset_clears(rig, what)
