"""The charging schedule over RPC (6.31 Charging_schedule.Set, 6.32 .Get, 6.33 .Override).

A valid schedule is stored and read back field for field (lb_mode included); every interval field
outside its documented range, a current of 1-5 A, a missing field, a field of the wrong JSON type and an
interval that is not an object are refused, and the stored schedule is then exactly as before (a
schedule is accepted whole or not at all).  The codes for a bad interval are open in the spec
(ambiguity schedule_validation_codes): every listed reading is accepted and labelled.  The schedule as a
whole being absent or not an array is covered with every other method's params in test_method_params.py.
The refusal tests all start from BASELINE stored: it is held across them (suites.api.held) instead of
stored and put back around each, so a refusal costs the call and the read after it.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from fixtures.snapshot import ConfigGuard, Domain, same_value
from instruments.charger_rpc import ChargerClient, DeviceError
from reports.allure_support import ambiguity, cover
from suites.api.held import Precondition, holding, schedule_part
from suites.api.support import label
from reference.spec import (
    JSON_FORMAT,
    KEY_FORMAT,
    METHODS_BY_NAME,
    RANGE,
    SCHEDULE_INTERVAL_FIELDS,
    Param,
)

pytestmark = [pytest.mark.api, pytest.mark.schedule]

SET = METHODS_BY_NAME["Charging_schedule.Set"]
GET = METHODS_BY_NAME["Charging_schedule.Get"]
OVERRIDE = METHODS_BY_NAME["Charging_schedule.Override"]
FIELDS = {p.name: p for p in SCHEDULE_INTERVAL_FIELDS}

# Several intervals with current 0 (pause), 6, 16 and 32 and each lb_mode 1, 2, 3; in week order, none
# overlapping and none wrapping over the week end (both open in ambiguity schedule_interval_rules).
VALID_SCHEDULE: list[dict[str, int]] = [
    {"start_d": 1, "start_h": 0, "start_m": 0, "end_d": 1, "end_h": 6, "end_m": 30, "current": 6, "lb_mode": 1},
    {"start_d": 3, "start_h": 12, "start_m": 15, "end_d": 4, "end_h": 8, "end_m": 45, "current": 0, "lb_mode": 2},
    {"start_d": 5, "start_h": 22, "start_m": 0, "end_d": 6, "end_h": 5, "end_m": 59, "current": 32, "lb_mode": 3},
    {"start_d": 7, "start_h": 9, "start_m": 5, "end_d": 7, "end_h": 23, "end_m": 59, "current": 16, "lb_mode": 2},
]
# The schedule stored before each rejection (different from the interval that is then varied).
BASELINE = [{"start_d": 2, "start_h": 1, "start_m": 2, "end_d": 2, "end_h": 3, "end_m": 4, "current": 12,
             "lb_mode": 3}]
TEMPLATE = {"start_d": 4, "start_h": 18, "start_m": 30, "end_d": 4, "end_h": 21, "end_m": 0, "current": 20,
            "lb_mode": 1}

CODES = "schedule_validation_codes"
OUT_OF_RANGE = {RANGE: label(CODES, "range_4_missing_2"), KEY_FORMAT: label(CODES, "format_5"),
                -1: label(CODES, "general_fail")}
MISSING_FIELD = {JSON_FORMAT: label(CODES, "range_4_missing_2"), KEY_FORMAT: label(CODES, "format_5"),
                 -1: label(CODES, "general_fail")}
WRONG_TYPE = {KEY_FORMAT: label(CODES, "format_5"), -1: label(CODES, "general_fail")}


async def stored(charger: ChargerClient) -> Any:
    reply = await charger.call(GET.name)
    assert isinstance(reply, dict) and isinstance(reply.get("charging_schedule"), list), (
        f"{GET.label} must answer {{'charging_schedule': [...]}}, got {reply!r}; {charger.exchanges[-1].summary()}")
    return reply["charging_schedule"]


async def store(charger: ChargerClient, schedule: list[Any]) -> None:
    result = await charger.call(SET.name, {"charging_schedule": schedule})
    assert result is True, f"{SET.label} answered {result!r}; {charger.exchanges[-1].summary()}"


def with_field(name: str, value: Any) -> dict[str, Any]:
    return {**TEMPLATE, name: value}


def edge_interval(name: str, value: int) -> dict[str, Any]:
    """TEMPLATE with one field at ``value``, the day moved if needed so it still starts before it ends
    (an interval wrapping over the week end is open in ambiguity schedule_interval_rules)."""
    interval = with_field(name, value)

    def start(i: dict[str, Any]) -> tuple[int, ...]:
        return i["start_d"], i["start_h"], i["start_m"]

    def end(i: dict[str, Any]) -> tuple[int, ...]:
        return i["end_d"], i["end_h"], i["end_m"]

    if start(interval) >= end(interval):
        if name.startswith("start_"):
            interval["end_d"] = min(7, interval["start_d"] + 1)
        else:
            interval["start_d"] = max(1, interval["end_d"] - 1)
    assert start(interval) < end(interval), interval
    return interval


def without_field(name: str) -> dict[str, Any]:
    return {k: v for k, v in TEMPLATE.items() if k != name}


# --- accepted and read back -------------------------------------------------------------------------------
async def test_6_31_valid_schedule_is_stored_and_read_back_identically(charger: ChargerClient) -> None:
    cover(SET)
    await store(charger, VALID_SCHEDULE)
    cover(GET)
    seen = await stored(charger)
    assert len(seen) == len(VALID_SCHEDULE), f"stored {len(VALID_SCHEDULE)} intervals, read back {seen!r}"
    for index, (sent, got) in enumerate(zip(VALID_SCHEDULE, seen, strict=True)):
        differences = {name: (sent[name], got.get(name, "<absent>")) for name in FIELDS
                       if got.get(name, "<absent>") != sent[name] or type(got.get(name)) is not int}
        assert not differences, f"interval {index} read back differently (sent, got): {differences}; {got!r}"


@pytest.mark.parametrize("field", SCHEDULE_INTERVAL_FIELDS, ids=lambda p: p.name)
@pytest.mark.parametrize("edge", ["min", "max"])
async def test_6_31_interval_field_range_edge_is_accepted(charger: ChargerClient, field: Param, edge: str) -> None:
    cover(SET)
    interval = edge_interval(field.name, field.minimum if edge == "min" else field.maximum)
    await store(charger, [interval])
    seen = await stored(charger)
    assert seen == [interval], f"{interval!r} read back as {seen!r}"


async def test_6_31_empty_schedule_is_accepted_and_clears(charger: ChargerClient) -> None:
    cover(SET)
    await store(charger, BASELINE)
    await store(charger, [])
    seen = await stored(charger)
    assert seen == [], f"an empty schedule read back as {seen!r}"
    # Both readings of schedule_interval_rules clear the schedule with an empty array.


RULES = "schedule_interval_rules"
STRICT_REFUSAL = {code: label(RULES, "strict") for code in (RANGE, KEY_FORMAT, -1)}
ODD_SCHEDULES = {
    # Sunday 22:00 to Monday 06:00: a night over the week end, ending "before" it starts.
    "wrapping": [{"start_d": 7, "start_h": 22, "start_m": 0, "end_d": 1, "end_h": 6, "end_m": 0, "current": 16,
                  "lb_mode": 1}],
    "overlapping": [TEMPLATE, {**TEMPLATE, "start_h": 19, "end_h": 22, "current": 8}],
}


@pytest.mark.parametrize("case", list(ODD_SCHEDULES))
async def test_6_31_wrapping_or_overlapping_intervals_are_stored_as_sent_or_refused_whole(
        charger: ChargerClient, case: str, expect_rpc_error: Any) -> None:
    """Open in the spec (ambiguity schedule_interval_rules): stored exactly as sent, or refused with nothing
    stored; never stored altered."""
    cover(SET)
    await store(charger, BASELINE)
    schedule = ODD_SCHEDULES[case]
    try:
        result = await charger.call(SET.name, {"charging_schedule": schedule})
    except DeviceError as error:
        assert error.code in STRICT_REFUSAL, (f"a {case} schedule refused with {error.code}, none of "
                                              f"{sorted(STRICT_REFUSAL)}; {error.exchange.summary()}")
        ambiguity(*STRICT_REFUSAL[error.code])
        seen = await stored(charger)
        assert seen == BASELINE, f"after a refused {case} schedule the stored schedule changed to {seen!r}"
        return
    assert result is True, f"{SET.label} answered {result!r}; {charger.exchanges[-1].summary()}"
    seen = await stored(charger)
    assert seen == schedule, f"a {case} schedule was stored as {seen!r}, not as sent"
    ambiguity(*label(RULES, "lenient"))


# --- refused, and nothing stored ----------------------------------------------------------------------------
def _baseline_precondition(item: pytest.Item) -> Precondition | None:
    """BASELINE stored, for every refusal test: held across all of them (suites.api.held)."""
    if "refused_keeps_schedule" not in getattr(item, "fixturenames", ()):
        return None
    return Precondition(
        name="charging_schedule=BASELINE",
        holds=lambda known: Domain.SCHEDULE in known.domains and same_value(known.schedule, BASELINE),
        put=lambda client: client.call(SET.name, {"charging_schedule": BASELINE}),
        part=schedule_part)


@pytest.fixture(autouse=True)
async def baseline_stored(request: pytest.FixtureRequest, charger_guard: ConfigGuard,
                          charger_session: ChargerClient) -> AsyncIterator[bool]:
    """Whether BASELINE is the stored schedule as a refusal test starts."""
    async with holding(request, charger_guard, charger_session, _baseline_precondition) as in_place:
        yield in_place


@pytest.fixture
def refused_keeps_schedule(charger: ChargerClient, expect_rpc_error: Any, baseline_stored: bool,
                           refused_but_changed: Callable[[], None]) -> Any:
    """``await refused_keeps_schedule(bad, accepted)``: with BASELINE stored, ``[valid, bad]`` is refused
    with an accepted code and BASELINE is still stored (a schedule is taken whole or not at all)."""
    async def check(bad: Any, accepted: dict[int, tuple[str, str]]) -> None:
        if not baseline_stored:
            await store(charger, BASELINE)
        await expect_rpc_error(SET.name, {"charging_schedule": [TEMPLATE, bad]}, accepted)
        seen = await stored(charger)
        if seen != BASELINE:
            refused_but_changed()
        assert seen == BASELINE, f"after a refused {SET.label} the stored schedule changed to {seen!r}"
    return check


def _outside(field: Param) -> list[Any]:
    return [pytest.param(field.name, field.minimum - 1, id=f"{field.name}={field.minimum - 1}"),
            pytest.param(field.name, field.maximum + 1, id=f"{field.name}={field.maximum + 1}")]


@pytest.mark.parametrize(("name", "value"), [c for f in SCHEDULE_INTERVAL_FIELDS for c in _outside(f)])
async def test_6_31_interval_field_outside_range_is_refused(name: str, value: int,
                                                            refused_keeps_schedule: Any) -> None:
    cover(SET)
    await refused_keeps_schedule(with_field(name, value), OUT_OF_RANGE)


@pytest.mark.parametrize("current", [1, 2, 3, 4, 5])
async def test_6_31_interval_current_between_pause_and_6a_is_refused(current: int,
                                                                     refused_keeps_schedule: Any) -> None:
    cover(SET)  # "A 0 value means charging is paused, otherwise the 6-32 range is applied."
    await refused_keeps_schedule(with_field("current", current), OUT_OF_RANGE)


@pytest.mark.parametrize("name", list(FIELDS))
async def test_6_31_interval_missing_field_is_refused(refused_keeps_schedule: Any, name: str) -> None:
    cover(SET)
    await refused_keeps_schedule(without_field(name), MISSING_FIELD)


WRONG_VALUES = {"string": "7", "double": 7.5, "bool": True, "null": None, "array": [7], "object": {"v": 7}}
# The values a lenient parser takes for an integer ("7", 7.5, true) on every field; the structured ones
# on the field with the most semantics (current), to keep the run short.
WRONG_TYPE_CASES = [pytest.param(name, kind, id=f"{name}-{kind}") for name in FIELDS
                    for kind in WRONG_VALUES if kind in ("string", "double", "bool") or name == "current"]


@pytest.mark.parametrize(("name", "kind"), WRONG_TYPE_CASES)
async def test_6_31_interval_field_of_wrong_type_is_refused(name: str, kind: str,
                                                            refused_keeps_schedule: Any) -> None:
    cover(SET)
    accepted = dict(WRONG_TYPE)
    if kind == "null":  # a null field may also read as a missing one
        accepted.update(MISSING_FIELD)
    await refused_keeps_schedule(with_field(name, WRONG_VALUES[kind]), accepted)


@pytest.mark.parametrize("bad", [7, "interval", [1, 0, 0, 1, 6, 0, 16, 1], None], ids=repr)
async def test_6_31_interval_that_is_not_an_object_is_refused(refused_keeps_schedule: Any, bad: Any) -> None:
    cover(SET)
    await refused_keeps_schedule(bad, WRONG_TYPE)


# --- override -----------------------------------------------------------------------------------------------
OVERRIDE_REFUSALS = (-1, -7)  # ambiguity schedule_override_without_ev "refused": general fail or prohibited


async def test_6_33_override_answers_true_and_keeps_the_schedule(charger: ChargerClient) -> None:
    """With no EV (an API bench has none) Override may be refused (ambiguity schedule_override_without_ev);
    either way the stored schedule is not what it changes (what it does is judged on the bench)."""
    cover(OVERRIDE)
    await store(charger, BASELINE)
    try:
        result = await charger.call(OVERRIDE.name)
    except DeviceError as error:
        assert error.code in OVERRIDE_REFUSALS, f"{OVERRIDE.label} with no EV refused with {error.code}, not -1/-7"
        ambiguity("schedule_override_without_ev", f"refused with {error.code}")
    else:
        assert result is True, f"{OVERRIDE.label} answered {result!r}; {charger.exchanges[-1].summary()}"
    seen = await stored(charger)
    assert seen == BASELINE, f"{OVERRIDE.label} is for the current session only, yet the schedule became {seen!r}"
