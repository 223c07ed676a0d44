"""Method parameters against the spec table (chapters 3 and 6): what each setter must refuse, and that a
refused call changes nothing.

For every method with params: each required param missing -> -2; each param given a value of every
other JSON type -> -5; integer params: their minimum and maximum accepted (and read back), one below
and one above -> -4.  After every rejection the state the method would have changed is read back and
must be as before.  Where chapter 3 leaves the code open (ambiguities.py), every listed reading is
accepted and labelled.

Owned elsewhere: App_config.Set's key-by-key values (test_app_config_keys.py), the charging schedule's
interval contents (test_schedule_api.py), the string-length and digit rules of PIN and AP password with
their restore (test_credentials.py).  Here App_config.Set is covered at the frame level only.
"""
from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from fixtures.snapshot import dynamic_current_of
from instruments.charger_rpc import ChargerClient, DeviceError
from reports.allure_support import ambiguity, cover
from suites.api.latest import LatestReadings
from suites.api.support import ConfigValueForm, label
from reference.spec import (
    JSON_FORMAT,
    KEY_FORMAT,
    KEYS_BY_NAME,
    METHODS,
    METHODS_BY_NAME,
    RANGE,
    UNKNOWN_KEY,
    JsonType,
    Method,
    Param,
    ambiguities_for,
)

pytestmark = [pytest.mark.api, pytest.mark.methods]

Request = pytest.FixtureRequest
Get = Callable[[str], Awaitable[Any]]


@dataclass(frozen=True)
class Probe:
    """What the helpers below work with: the charger, how to read it, and the sync fixtures they need.

    ``latest`` answers a configuration getter from the charger's latest answer when nothing was exchanged
    since (suites.api.latest), for the state before a rejected call and for choosing valid params;
    ``fresh`` always reads: the state after a rejected call is the evidence.  The async fixtures these
    helpers need are requested by the ``probe`` fixture (``config_value_form``): a helper running inside
    the test's event loop cannot set one up (``getfixturevalue`` would start a second loop).
    """

    charger: ChargerClient
    request: Request
    form: ConfigValueForm
    readings: LatestReadings

    async def latest(self, method: str) -> Any:
        return await self.readings.get(self.charger, method)

    async def fresh(self, method: str) -> Any:
        return await self.charger.call(method)

    def fixture(self, name: str) -> Any:
        """A synchronous fixture (``pin``, ``ap_password``: a skip when the profile lacks it)."""
        return self.request.getfixturevalue(name)


@pytest.fixture
def probe(charger: ChargerClient, request: Request, config_value_form: ConfigValueForm,
          latest_readings: LatestReadings) -> Probe:
    return Probe(charger, request, config_value_form, latest_readings)


Reader = Callable[[Probe, Get], Awaitable[dict[str, Any] | None]]
ParamsFor = Callable[[Probe], Awaitable[dict[str, Any]]]


# --- what each method would change, and how to read it back (``get``: latest or fresh) -------------------
async def read_install_current(probe: Probe, get: Get) -> dict[str, Any]:
    return {"App_config.Get install_current": (await get("App_config.Get"))["install_current"],
            "System_currents.Get install_current": (await get("System_currents.Get"))["install_current"]}


async def read_dynamic_current(probe: Probe, get: Get) -> dict[str, Any]:
    return {"Dynamic_current.Get": dynamic_current_of(await get("Dynamic_current.Get")),
            "System_currents.Get dynamic_current": (await get("System_currents.Get"))["dynamic_current"]}


async def read_app_config(probe: Probe, get: Get) -> dict[str, Any]:
    return await get("App_config.Get")


async def read_session_flags(probe: Probe, get: Get) -> dict[str, Any]:
    info = await get("Charger_info.Get")
    return {k: info.get(k) for k in ("charger_state", "extended_charger_state", "charger_is_paused")}


async def read_schedule(probe: Probe, get: Get) -> dict[str, Any]:
    return await get("Charging_schedule.Get")


async def read_pin_still_valid(probe: Probe, get: Get) -> dict[str, Any]:
    return {"Pin.Check(current PIN)": await probe.charger.call("Pin.Check", {"pin": probe.fixture("pin")})}


async def read_nothing(probe: Probe, get: Get) -> None:
    return None  # the spec has no getter for the AP password: nothing can be read back


# --- valid params that would change that state (so a wrongly accepted call shows) -----------------------
def _other(current: Any, preferred: int) -> int:
    return preferred if current != preferred else preferred + 1


async def tag_params(probe: Probe) -> dict[str, Any]:
    return {"tag": "hil-tag-01"}


async def app_set_params(probe: Probe) -> dict[str, Any]:
    current = (await probe.latest("App_config.Get"))["led_max_brightness"]
    # in the form this charger takes (ambiguity config_value_type)
    return {"config_key": "led_max_brightness", "config_value": probe.form(_other(current, 55))}


async def install_params(probe: Probe) -> dict[str, Any]:
    return {"install_current": _other((await probe.latest("App_config.Get"))["install_current"], 16)}


async def dynamic_params(probe: Probe) -> dict[str, Any]:
    return {"dynamic_current": _other(dynamic_current_of(await probe.latest("Dynamic_current.Get")), 16)}


async def schedule_params(probe: Probe) -> dict[str, Any]:
    interval = {"start_d": 2, "start_h": 7, "start_m": 15, "end_d": 2, "end_h": 9, "end_m": 45,
                "current": 10, "lb_mode": 2}
    return {"charging_schedule": [interval]}


async def new_pin_params(probe: Probe) -> dict[str, Any]:
    pin = probe.fixture("pin")
    return {"pin": "4826" if pin != "4826" else "6284"}


async def current_pin_params(probe: Probe) -> dict[str, Any]:
    return {"pin": probe.fixture("pin")}


async def ap_password_params(probe: Probe) -> dict[str, Any]:
    return {"password": "hil-pass-0001"}


async def restore_pin(probe: Probe) -> None:
    await probe.charger.call("Pin.Set", {"pin": probe.fixture("pin")})


async def restore_ap_password(probe: Probe) -> None:
    await probe.charger.call("Ap_password.Set", {"password": probe.fixture("ap_password")})


@dataclass(frozen=True)
class Target:
    """How to exercise one method: valid params, the state it changes, and how to put back credentials."""

    valid: ParamsFor
    read: Reader
    restore: Callable[[Probe], Awaitable[None]] | None = None


TARGETS: dict[str, Target] = {
    "Charge.Start": Target(tag_params, read_session_flags),
    "App_config.Set": Target(app_set_params, read_app_config),
    "Install_current.Set": Target(install_params, read_install_current),
    "Dynamic_current.Set": Target(dynamic_params, read_dynamic_current),
    "Charging_schedule.Set": Target(schedule_params, read_schedule),
    "Pin.Set": Target(new_pin_params, read_pin_still_valid, restore_pin),
    "Pin.Check": Target(current_pin_params, read_pin_still_valid),
    "Ap_password.Set": Target(ap_password_params, read_nothing, restore_ap_password),
}
PARAM_METHODS = [m for m in METHODS if m.params]
assert {m.name for m in PARAM_METHODS} == set(TARGETS), "every method with params needs a Target"

# --- which codes chapter 3 names, and which an ambiguity's readings also allow ----------------------------
Accepted = dict[int, "tuple[str, str] | None"]
# (ambiguity, situation) -> {code: name of the reading that code stands for}
READING_CODES: dict[tuple[str, str], dict[int, str]] = {
    ("missing_param_code", "missing"): {JSON_FORMAT: "json_format", -1: "general_fail"},
    ("schedule_validation_codes", "missing"): {JSON_FORMAT: "range_4_missing_2", KEY_FORMAT: "format_5",
                                               -1: "general_fail"},
    ("schedule_validation_codes", "type"): {KEY_FORMAT: "format_5", -1: "general_fail"},
}
# A JSON null is a wrong type (-5) or, read as an absent param, -2 (ambiguity null_param_code).
NULL_AS_MISSING = label("null_param_code", "json_format")


def accepted_codes(method: Method, param: Param, situation: str, code: int) -> Accepted:
    accepted: Accepted = {code: None}
    for subject in (method.name, f"{method.name}/{param.name}"):
        for amb in ambiguities_for(subject):
            for other, name in READING_CODES.get((amb.id, situation), {}).items():
                accepted[other] = label(amb.id, name)
    return accepted


# --- values of the wrong JSON type ------------------------------------------------------------------------
NULL = "null"


def value_of_type(json_type: str, like: Any) -> Any:
    """A value of ``json_type`` built from a valid value, so a lenient charger could take it."""
    number = int(like) if isinstance(like, str) and like.isdigit() else like if isinstance(like, int) else 16
    return {
        JsonType.BOOL.value: True,
        JsonType.INTEGER.value: number,
        JsonType.DOUBLE.value: number + 0.5,
        JsonType.STRING.value: json.dumps(like) if not isinstance(like, str) else like,
        JsonType.ARRAY.value: [like],
        JsonType.OBJECT.value: {"value": like},
        NULL: None,
    }[json_type]


ALL_TYPES = (JsonType.BOOL.value, JsonType.INTEGER.value, JsonType.DOUBLE.value, JsonType.STRING.value,
             JsonType.ARRAY.value, JsonType.OBJECT.value, NULL)
# config_value is typed string, yet native scalars are readings of ambiguity config_value_type (tested
# below); only an array or object is wrong in every reading.
WRONG_TYPES_OVERRIDE = {("App_config.Set", "config_value"): (JsonType.ARRAY.value, JsonType.OBJECT.value)}


def wrong_types(method: Method, param: Param) -> tuple[str, ...]:
    override = WRONG_TYPES_OVERRIDE.get((method.name, param.name))
    if override is not None:
        return override
    # an integer is also a valid double, so only a double param would accept an integer
    return tuple(t for t in ALL_TYPES if t != param.type.value)


def cases(kind: str) -> list[Any]:
    out = []
    for m in PARAM_METHODS:
        for p in m.params:
            if kind == "missing" and p.required:
                out.append(pytest.param(m, p, id=f"{m.label}-{p.name}"))
            elif kind == "type":
                out += [pytest.param(m, p, t, id=f"{m.label}-{p.name}-{t}") for t in wrong_types(m, p)]
            elif kind == "range" and p.type is JsonType.INTEGER and p.minimum is not None:
                out += [pytest.param(m, p, edge, id=f"{m.label}-{p.name}-{edge}") for edge in ("min", "max")]
    return out


# --- the one body every rejection runs through ------------------------------------------------------------
@pytest.fixture
def rejected_unchanged(probe: Probe, expect_rpc_error: Any, refused_but_changed: Callable[[], None]) -> Any:
    """``await rejected_unchanged(method, params, accepted)``: refused with an accepted code, and the state
    the method would change reads back as before; credentials a defective charger took are put back."""
    async def check(method: Method, params: dict[str, Any], accepted: Accepted) -> DeviceError:
        target = TARGETS[method.name]
        before = await target.read(probe, probe.latest)
        try:
            error = await expect_rpc_error(method.name, params, accepted)
            after = await target.read(probe, probe.fresh)
            if after != before:
                refused_but_changed()
            assert after == before, f"a rejected {method.label} {params!r} changed state: {before!r} -> {after!r}"
            return error
        finally:
            if target.restore is not None:
                await target.restore(probe)
    return check


@pytest.mark.parametrize(("method", "param"), cases("missing"))
async def test_6_missing_required_param_is_rejected(probe: Probe, method: Method, param: Param,
                                                    rejected_unchanged: Any) -> None:
    cover(method)
    params = await TARGETS[method.name].valid(probe)
    params.pop(param.name)
    await rejected_unchanged(method, params, accepted_codes(method, param, "missing", JSON_FORMAT))


@pytest.mark.parametrize(("method", "param", "json_type"), cases("type"))
async def test_6_param_of_wrong_json_type_is_rejected(probe: Probe, method: Method, param: Param, json_type: str,
                                                      rejected_unchanged: Any) -> None:
    cover(method)
    params = await TARGETS[method.name].valid(probe)
    params[param.name] = value_of_type(json_type, params[param.name])
    accepted = accepted_codes(method, param, "type", KEY_FORMAT)
    if json_type == NULL:
        accepted[JSON_FORMAT] = NULL_AS_MISSING
    await rejected_unchanged(method, params, accepted)


def _edge(param: Param, edge: str) -> int:
    return {"min": param.minimum, "max": param.maximum}[edge]


@pytest.mark.parametrize(("method", "param", "edge"), cases("range"))
async def test_6_integer_param_range_edge_is_accepted_and_applied(probe: Probe, method: Method, param: Param,
                                                                  edge: str) -> None:
    charger = probe.charger
    cover(method)
    value = _edge(param, edge)
    result = await charger.call(method.name, {param.name: value})
    assert result is True, f"{method.label} {param.name}={value} (the {edge}imum) answered {result!r}; " \
                           f"{charger.exchanges[-1].summary()}"
    seen = await TARGETS[method.name].read(probe, probe.fresh)
    assert seen and all(v == value for v in seen.values()), f"after {param.name}={value}, read back {seen!r}"


@pytest.mark.parametrize(("method", "param", "edge"), cases("range"))
async def test_6_integer_param_just_outside_range_is_rejected(method: Method, param: Param, edge: str,
                                                              rejected_unchanged: Any) -> None:
    cover(method)
    value = _edge(param, edge) + (-1 if edge == "min" else 1)
    await rejected_unchanged(method, {param.name: value}, {RANGE: None})


# --- 6.4 App_config.Set at the frame level ----------------------------------------------------------------
APP_SET = METHODS_BY_NAME["App_config.Set"]


@pytest.mark.parametrize("key", ["no_such_key", "install current", ""])
async def test_6_4_app_config_set_unknown_key_is_code_6(key: str, rejected_unchanged: Any) -> None:
    cover(APP_SET)
    await rejected_unchanged(APP_SET, {"config_key": key, "config_value": 16}, {UNKNOWN_KEY: None})


async def test_6_4_app_config_set_config_value_forms_follow_a_listed_reading(charger: ChargerClient) -> None:
    cover(APP_SET)
    key = KEYS_BY_NAME["led_max_brightness"]
    current = (await charger.call("App_config.Get"))[key.name]
    outcomes = {}
    for form, value in (("native", _other(current, 40)), ("string", str(_other(current, 60)))):
        try:
            assert await charger.call("App_config.Set", {"config_key": key.name, "config_value": value}) is True
        except DeviceError as error:
            assert error.code == KEY_FORMAT, f"config_value {value!r} ({form}) refused with {error.code}: {error}"
            outcomes[form] = False
        else:
            seen = (await charger.call("App_config.Get"))[key.name]
            assert seen == int(value), f"config_value {value!r} answered true but {key.name} reads {seen!r}"
            outcomes[form] = True
    chosen = {(False, True): "string_only", (True, True): "both", (True, False): "native_only"}.get(
        (outcomes["native"], outcomes["string"]))
    assert chosen is not None, f"{key.name} took config_value in neither form (native int or string)"
    ambiguity(*label("config_value_type", chosen))


# --- params a method does not document (ambiguity extra_params) -------------------------------------------
EXTRA = {"hil_undocumented": 1}
EXTRA_REFUSED = {UNKNOWN_KEY: label("extra_params", "rejected"), JSON_FORMAT: label("extra_params", "rejected")}


async def test_3_undocumented_param_to_a_getter_is_ignored_or_refused(charger: ChargerClient) -> None:
    """A 'No parameters' getter given a param: answered as if it were absent, or refused with -6/-2."""
    getter = METHODS_BY_NAME["Device_id.Get"]
    cover(getter)
    expected = await charger.call(getter.name)
    try:
        result = await charger.call(getter.name, dict(EXTRA))
    except DeviceError as error:
        assert error.code in EXTRA_REFUSED, (f"{getter.label} with an undocumented param answered {error.code}, "
                                             f"expected its result or one of {sorted(EXTRA_REFUSED)}; {error}")
        ambiguity(*EXTRA_REFUSED[error.code])
        return
    assert result == expected, f"{getter.label} with an undocumented param answered {result!r}, not {expected!r}"
    ambiguity(*label("extra_params", "ignored"))


async def test_3_undocumented_param_to_a_setter_is_ignored_or_refused_whole(
        probe: Probe) -> None:
    """A setter given an undocumented param next to its own: executed as if absent, or refused with -6/-2 and
    not executed at all."""
    setter = METHODS_BY_NAME["Dynamic_current.Set"]
    cover(setter)
    target = TARGETS[setter.name]
    charger = probe.charger
    params = {**await target.valid(probe), **EXTRA}
    before = await target.read(probe, probe.latest)
    try:
        result = await charger.call(setter.name, params)
    except DeviceError as error:
        assert error.code in EXTRA_REFUSED, (f"{setter.label} with an undocumented param answered {error.code}, "
                                             f"expected true or one of {sorted(EXTRA_REFUSED)}; {error}")
        assert await target.read(probe, probe.fresh) == before, f"a refused {setter.label} {params!r} changed state"
        ambiguity(*EXTRA_REFUSED[error.code])
        return
    assert result is True, f"{setter.label} {params!r} answered {result!r}"
    seen = await target.read(probe, probe.fresh)
    assert all(v == params["dynamic_current"] for v in seen.values()), f"{setter.label} {params!r}: read {seen!r}"
    ambiguity(*label("extra_params", "ignored"))
