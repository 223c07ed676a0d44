"""Method results against the spec table (chapter 6): every getter's fields, every safe setter's ``true``.

One test per documented result field (``6.5 Charger_info.Get`` / ``pwm_current``): present under its
exact name, of its JSON type, within its range, choices, pattern and array shape.  Where the spec is
ambiguous about a field (a trailing space in a key, how an unset string reads, a deprecated method) every
listed reading is accepted and the one the charger chose is labelled.  Undocumented extra fields are
attached to the report, not failed.  Every setter that is safe on an idle charger must answer exactly
the JSON boolean ``true``.
"""
from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

import allure
import pytest
import pytest_asyncio

from fixtures.snapshot import dynamic_current_of
from instruments.charger_rpc import ChargerClient, DeviceError, Exchange
from reports.allure_support import ambiguity, attach_exchange, cover
from suites.api.support import ConfigValueForm, label
from reference.spec import (
    AMBIGUITIES_BY_ID,
    KEYS_BY_NAME,
    METHODS,
    METHODS_BY_NAME,
    Field,
    JsonType,
    Method,
    ambiguities_for,
)

pytestmark = [pytest.mark.api, pytest.mark.methods]


class _Missing:
    def __repr__(self) -> str:
        return "<absent>"


MISSING: Any = _Missing()  # a field the answer lacks (distinct from JSON null)

# Getters whose answer is a whole chapter of keys: their fields are also chapter 4/5 keys.
KEY_GETTERS = {"App_config.Get", "Charger_config.Get"}
GETTERS = [m for m in METHODS if m.is_getter and not m.destructive and not m.deprecated]
FIELDS = [pytest.param(m, f, id=f"{m.label}-{f.name}") for m in GETTERS for f in m.result]


def readings(ambiguity_id: str) -> tuple[str, ...]:
    return AMBIGUITIES_BY_ID[ambiguity_id].readings


def subjects(method: Method, field: Field) -> tuple[str, ...]:
    """Table entries a field belongs to: ``Method/field``, the key (for key getters), the method."""
    key = (field.name,) if method.name in KEY_GETTERS else ()
    return (f"{method.name}/{field.name}", *key, method.name)


def ambiguity_ids(method: Method, field: Field) -> set[str]:
    return {a.id for s in subjects(method, field) for a in ambiguities_for(s)}


# --- the value checks of a documented field ------------------------------------------------------------
def field_problems(field: Field, value: Any) -> list[str]:
    """Every way ``value`` breaks the field's documented type, range, choices, pattern or shape."""
    if not field.type.accepts(value):
        return [f"{value!r} is not of JSON type {field.type.value}"]
    problems = []
    if field.minimum is not None and value < field.minimum:
        problems.append(f"{value!r} is below the minimum {field.minimum}")
    if field.maximum is not None and value > field.maximum:
        problems.append(f"{value!r} is above the maximum {field.maximum}")
    if field.choices is not None and value not in field.choices:
        problems.append(f"{value!r} is not one of {field.choices}")
    if field.pattern is not None and not re.fullmatch(field.pattern, value):
        problems.append(f"{value!r} does not match {field.pattern!r}")
    if field.length is not None and len(value) != field.length:
        problems.append(f"array of {len(value)} items, documented {field.length}")
    if field.items is not None:
        problems += [f"item {i} {item!r} is not {field.items.value}"
                     for i, item in enumerate(value) if not field.items.accepts(item)]
    return problems


# --- readings of the ambiguities that concern a field's value ------------------------------------------
# Each tolerance takes (field, value) and returns (value left to check, reading) when the ambiguity
# explains the value, or None when it does not apply; a value it explains away (None, '') is not checked.
Tolerance = Callable[[Field, Any], "tuple[Any, str] | None"]


def _reading(ambiguity_id: str, name: str) -> str:
    return label(ambiguity_id, name)[1]


def _null_string(field: Field, value: Any) -> tuple[Any, str] | None:
    if value is None:
        return MISSING, _reading("null_string_defaults", "json_null")
    if value == "":
        return MISSING, _reading("null_string_defaults", "empty_string")
    return None


def _serial_number(field: Field, value: Any) -> tuple[Any, str] | None:
    if field.type is JsonType.INTEGER and isinstance(value, str) and value.isdigit():
        return int(value), _reading("serial_number_type_mismatch", "string_key")
    if field.type is JsonType.STRING and isinstance(value, str) and value.isdigit() and int(value) < 100_000:
        return value.zfill(6), _reading("serial_number_type_mismatch", "unpadded")
    return None


def _connected_phase_zero(field: Field, value: Any) -> tuple[Any, str] | None:
    # 0 is the documented factory value outside 1-3 (whether App_config.Set takes it back is judged in
    # test_app_config_keys); a unit reporting 1 from the factory needs no tolerance.
    return (MISSING, _reading("connected_phase_default_out_of_range", "zero_rejected")) if value == 0 else None


def _bssid(field: Field, value: Any) -> tuple[Any, str] | None:
    if value is MISSING:
        return MISSING, _reading("bssid_unknown", "omitted")
    if value is None:
        return MISSING, _reading("bssid_unknown", "null")
    return (MISSING, _reading("bssid_unknown", "empty")) if value == "" else None


def _device_id(field: Field, value: Any) -> tuple[Any, str] | None:
    if not isinstance(value, str):
        return None
    if re.fullmatch(r"1p7k_[0-9]{6}", value):
        return value, _reading("device_id_format", "padded")
    if re.fullmatch(r"1p7k_[0-9]+", value):
        return value, _reading("device_id_format", "serial_digits")
    return None  # any other string: no defensible reading (the dropped readings of device_id_format)


def _phase_arrays(field: Field, value: Any) -> tuple[Any, str] | None:
    if isinstance(value, list) and 0 < len(value) < 3 and all(field.items.accepts(v) for v in value):
        return MISSING, readings("single_phase_arrays")[2]
    return None


def _energy_type(field: Field, value: Any) -> tuple[Any, str] | None:
    if field.type is JsonType.INTEGER and isinstance(value, float):
        return MISSING, readings("total_charged_energy_type_unit")[2]
    return None


TOLERANCES: dict[str, Tolerance] = {
    "null_string_defaults": _null_string,
    "serial_number_type_mismatch": _serial_number,
    "connected_phase_default_out_of_range": _connected_phase_zero,
    "bssid_unknown": _bssid,
    "device_id_format": _device_id,
    "single_phase_arrays": _phase_arrays,
    "total_charged_energy_type_unit": _energy_type,
}


def check_field(method: Method, field: Field, value: Any, summary: str) -> None:
    """Assert the documented rules, accepting (and labelling) what a concerning ambiguity explains."""
    problems = ["field absent"] if value is MISSING else field_problems(field, value)
    if problems:
        for ambiguity_id in sorted(ambiguity_ids(method, field) & TOLERANCES.keys()):
            explained = TOLERANCES[ambiguity_id](field, value)
            if explained is not None:
                left, reading = explained
                ambiguity(ambiguity_id, reading)
                problems = [] if left is MISSING else field_problems(field, left)
                break
    assert not problems, (f"{method.label} field {field.name!r}: {'; '.join(problems)} "
                          f"(documented {field.type.value}); {summary}")


# --- a string key the getter omits while unset (ambiguity null_string_defaults, reading 3) ------------
def settable_key(method: Method, field: Field) -> str | None:
    """The chapter 4 key behind a field that the getter may omit while the key is unset."""
    if "null_string_defaults" not in ambiguity_ids(method, field):
        return None
    key = KEYS_BY_NAME.get(field.name)  # App_config.Get keys, and Device_info.Get/charger_alias
    return key.name if key is not None and key.group.value == "app" else None


def set_value_for(key: str) -> str:
    examples = [v for v in KEYS_BY_NAME[key].valid_examples if isinstance(v, str) and v]
    return examples[0] if examples else "hil-schema-probe"


def field_value(method: Method, field: Field, result: dict[str, Any]) -> Any:
    """The field's value in a getter's answer (MISSING if absent), under either spelling of 6.19's key."""
    name = field.name
    if "dynamic_current_trailing_space" in ambiguity_ids(method, field):
        spaced, bare = name, name.strip()
        if spaced in result or bare in result:
            ambiguity(*label("dynamic_current_trailing_space", "with_space" if spaced in result else "typo"))
            name = spaced if spaced in result else bare
    return result.get(name, MISSING)


Answer = tuple[Any, Exchange]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def answers(charger_session: ChargerClient) -> dict[str, Answer]:
    """Each getter's answer, read once for all of its field tests (getters change nothing)."""
    out = {}
    for method in GETTERS:
        result = await charger_session.call(method.name)
        out[method.name] = (result, charger_session.exchanges[-1])
    return out


def answer_of(answers: dict[str, Answer], method: Method) -> dict[str, Any]:
    result, exchange = answers[method.name]
    attach_exchange(exchange)
    assert isinstance(result, dict), f"{method.label} must answer a JSON object, got {result!r}; {exchange.summary()}"
    return result


@pytest.mark.parametrize(("method", "field"), FIELDS)
async def test_6_getter_field_matches_spec(answers: dict[str, Answer], method: Method, field: Field,
                                           charger_session: ChargerClient) -> None:
    cover(method)
    value = field_value(method, field, answer_of(answers, method))
    summary = answers[method.name][1].summary()
    key = settable_key(method, field)
    if value is MISSING and key is not None:
        # Omitting an *unset* string is a listed reading; a key that holds a value must be reported.
        charger = charger_session  # the read-only tests share it; this branch puts NULL back itself
        wanted = set_value_for(key)
        await charger.call("App_config.Set", {"config_key": key, "config_value": wanted})
        try:
            value = field_value(method, field, await charger.call(method.name))
            summary = charger.exchanges[-1].summary()
            assert value == wanted, (f"{method.label} omits {field.name!r} even after it was set to "
                                     f"{wanted!r} (read {value!r}); {summary}")
            ambiguity(*label("null_string_defaults", "omitted"))
        finally:
            await put_back_null(charger, key)
    check_field(method, field, value, summary)


async def put_back_null(charger: ChargerClient, key: str) -> None:
    """Put an omitted (NULL) string key back to NULL: by "" or by null (ambiguity null_string_set_back).
    A charger with no way back keeps the value; that is labelled and attached, never silent."""
    for name, value in (("empty_clears", ""), ("null_clears", None)):
        try:
            await charger.call("App_config.Set", {"config_key": key, "config_value": value})
        except DeviceError:
            continue
        if key not in await charger.call("App_config.Get"):
            ambiguity(*label("null_string_set_back", name))
            return
    ambiguity(*label("null_string_set_back", "refused"))
    allure.attach(json.dumps({"key": key, "left_at": (await charger.call("App_config.Get")).get(key)}),
                  name=f"{key} could not be put back to NULL (charger offers no way back)",
                  attachment_type=allure.attachment_type.JSON)


@pytest.mark.parametrize("method", GETTERS, ids=lambda m: m.label)
async def test_6_getter_answers_an_object_and_reports_extra_fields(answers: dict[str, Answer],
                                                                   method: Method) -> None:
    cover(method)
    result = answer_of(answers, method)
    documented = {f.name for f in method.result} | {f.name.strip() for f in method.result}
    extra = sorted(set(result) - documented)
    if extra:  # reported, not failed: the spec does not forbid additional fields
        allure.attach(json.dumps({k: result[k] for k in extra}, indent=2, default=str),
                      name=f"{method.label}: undocumented fields {extra}",
                      attachment_type=allure.attachment_type.JSON)


# --- the deprecated getter ------------------------------------------------------------------------------
SERIAL = METHODS_BY_NAME["Serial_number.Get"]
UNKNOWN_METHOD_CODES = (-32601, 404, -1, -6)  # the framing_error_codes readings for an unknown method


@pytest.mark.parametrize("field", SERIAL.result, ids=lambda f: f.name)
async def test_6_11_deprecated_serial_number_is_served_as_documented_or_removed(
        charger: ChargerClient, field: Field) -> None:
    cover(SERIAL)
    served, removed = (label("deprecated_method_served", name)[1] for name in ("served", "removed"))
    try:
        result = await charger.call(SERIAL.name)
    except DeviceError as error:
        assert error.code in UNKNOWN_METHOD_CODES, (
            f"a removed method must answer as unknown ({UNKNOWN_METHOD_CODES}), got {error.code}; {error}")
        ambiguity("deprecated_method_served", removed)
        return
    ambiguity("deprecated_method_served", served)
    assert isinstance(result, dict), f"{SERIAL.label} answered {result!r}; {charger.exchanges[-1].summary()}"
    check_field(SERIAL, field, result.get(field.name, MISSING), charger.exchanges[-1].summary())


# --- setters answer exactly true -------------------------------------------------------------------------
ParamsFor = Callable[[ChargerClient, pytest.FixtureRequest], Awaitable[dict[str, Any] | None]]


async def _no_params(charger: ChargerClient, request: pytest.FixtureRequest) -> None:
    return None


async def _same_install_current(charger: ChargerClient, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"install_current": (await charger.call("App_config.Get"))["install_current"]}


async def _same_dynamic_current(charger: ChargerClient, request: pytest.FixtureRequest) -> dict[str, Any]:
    reply = await charger.call("Dynamic_current.Get")
    return {"dynamic_current": dynamic_current_of(reply)}


async def _same_app_key(charger: ChargerClient, request: pytest.FixtureRequest) -> dict[str, Any]:
    # An integer key at the value it holds, in the config_value form this charger takes (config_value_type);
    # a NULL string key could not be re-sent as itself on every reading of null_string_set_back.
    form: ConfigValueForm = request.getfixturevalue("config_value_form")
    value = (await charger.call("App_config.Get"))["led_max_brightness"]
    return {"config_key": "led_max_brightness", "config_value": form(value)}


async def _same_schedule(charger: ChargerClient, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"charging_schedule": (await charger.call("Charging_schedule.Get"))["charging_schedule"]}


async def _current_pin(charger: ChargerClient, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"pin": request.getfixturevalue("pin")}


async def _current_ap_password(charger: ChargerClient, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"password": request.getfixturevalue("ap_password")}


# Valid params that leave the charger as it was (the value it already has), per setter with params.
NO_OP_PARAMS: dict[str, ParamsFor] = {
    "App_config.Set": _same_app_key,
    "Install_current.Set": _same_install_current,
    "Dynamic_current.Set": _same_dynamic_current,
    "Charging_schedule.Set": _same_schedule,
    "Pin.Set": _current_pin,
    "Pin.Check": _current_pin,
    "Ap_password.Set": _current_ap_password,
}
# Session control changes state with nothing to restore it from: safe only on an idle charger (state A).
IDLE_ONLY = {"Charge.Start", "Charge.Stop", "Charge.Pause", "Charge.Resume"}
UNDO = {"Charge.Pause": "Charge.Resume"}
SETTERS = [m for m in METHODS if not m.is_getter and not m.destructive]


@pytest.mark.parametrize("method", SETTERS, ids=lambda m: m.label)
async def test_6_setter_answers_exactly_true(charger: ChargerClient, method: Method, request: pytest.FixtureRequest,
                                             config_value_form: ConfigValueForm) -> None:
    # config_value_form is set up here, before the body: the helpers' getfixturevalue() inside the running
    # event loop can only fetch it, not set an async fixture up (that would start a second loop).
    cover(method)
    required = [p for p in method.params if p.required]
    params_for = NO_OP_PARAMS.get(method.name, _no_params)
    assert not required or method.name in NO_OP_PARAMS, f"no no-op params known for {method.label}"
    state = (await charger.call("Charger_info.Get"))["charger_state"]
    if method.allowed_states is not None and state not in method.allowed_states:
        pytest.skip(f"{method.label} is documented only in states {method.allowed_states}; charger is in {state}")
    if method.name in IDLE_ONLY and state != "A":
        pytest.skip(f"{method.label} would disturb a session: the charger is in state {state}, not idle in A")
    params = await params_for(charger, request)
    try:
        try:
            result = await charger.call(method.name, params)
        except DeviceError as error:
            # Override with no EV (an API bench has none) may be refused: ambiguity schedule_override_without_ev.
            if method.name != "Charging_schedule.Override" or error.code not in (-1, -7):
                raise
            ambiguity("schedule_override_without_ev", f"refused with {error.code}")
            return
        assert result is True, (f"{method.label} must answer the JSON boolean true, got {result!r}; "
                                f"{charger.exchanges[-1].summary()}")
    finally:
        if method.name in UNDO:
            await charger.call(UNDO[method.name])
