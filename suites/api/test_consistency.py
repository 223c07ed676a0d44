"""One value, many methods: what one method sets, every method that reports it reads identically.

The spec reports several quantities in more than one place (chapter 4 keys echoed by 6.5, 6.20 and
6.29; the firmware version in 6.5, 6.6 and 6.29; the serial number in 6.11, 6.14, 6.21 and 6.29).
The tables below say, declaratively, which method sets a quantity and which (method, field) pairs
report it; every field name is checked against ``reference.spec.METHODS`` at import, so the table cannot
drift from the spec.  A rejected set must leave every reader as it was, and the charging current
reported by 6.20 never exceeds any of the limits reported next to it.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from fixtures.snapshot import ConfigGuard
from instruments.charger_rpc import ChargerClient, DeviceError
from reports.allure_support import ambiguity, cover
from suites.api.held import Precondition, app_key_part, holding
from suites.api.latest import LatestReadings
from suites.api.support import ConfigValueForm, label
from reference.spec import KEYS_BY_NAME, METHODS_BY_NAME, RANGE, ConfigKey, JsonType

pytestmark = [pytest.mark.api, pytest.mark.consistency]
Get = Callable[[str], Awaitable[Any]]


@dataclass(frozen=True)
class Reader:
    """A field of a getter's result that reports the quantity."""

    method: str
    field: str

    def __post_init__(self) -> None:
        fields = {f.name for f in METHODS_BY_NAME[self.method].result}
        assert self.field in fields, f"{self.method} has no field {self.field!r} in the spec table"

    def __str__(self) -> str:
        return f"{self.method}/{self.field.strip()}"


@dataclass(frozen=True)
class Setter:
    """A method that sets the quantity: App_config.Set (config_key/config_value) or a one-param setter."""

    method: str

    def params(self, quantity: str, value: Any, form: ConfigValueForm | None = None) -> dict[str, Any]:
        """The request params; App_config.Set's value in the config_value ``form`` this charger takes."""
        if self.method == "App_config.Set":
            return {"config_key": quantity, "config_value": form(value) if form else value}
        (param,) = METHODS_BY_NAME[self.method].params
        return {param.name: value}

    def __str__(self) -> str:
        return self.method


APP_CONFIG_SET = Setter("App_config.Set")
INSTALL_CURRENT_SET = Setter("Install_current.Set")
DYNAMIC_CURRENT_SET = Setter("Dynamic_current.Set")


@dataclass(frozen=True)
class Quantity:
    name: str
    setters: tuple[Setter, ...]
    readers: tuple[Reader, ...]


# What sets each quantity and where it is reported.
SETTABLE: tuple[Quantity, ...] = (
    Quantity("install_current", (INSTALL_CURRENT_SET, APP_CONFIG_SET), (
        Reader("App_config.Get", "install_current"),
        Reader("Charger_info.Get", "install_current"),
        Reader("System_currents.Get", "install_current"),
    )),
    Quantity("user_current", (APP_CONFIG_SET,), (
        Reader("App_config.Get", "user_current"),
        Reader("System_currents.Get", "user_current"),
    )),
    Quantity("dynamic_current", (DYNAMIC_CURRENT_SET,), (
        Reader("Dynamic_current.Get", "dynamic_current "),  # spelled as in 6.19
        Reader("Charger_info.Get", "dynamic_current"),
        Reader("System_currents.Get", "dynamic_current"),
    )),
    Quantity("headless", (APP_CONFIG_SET,), (
        Reader("App_config.Get", "headless"),
        Reader("Charger_info.Get", "headless"),
    )),
    Quantity("led_max_brightness", (APP_CONFIG_SET,), (
        Reader("App_config.Get", "led_max_brightness"),
        Reader("Charger_info.Get", "led_max_brightness"),
    )),
    Quantity("charger_alias", (APP_CONFIG_SET,), (
        Reader("App_config.Get", "charger_alias"),
        Reader("Device_info.Get", "charger_alias"),
    )),
    Quantity("connected_phase", (APP_CONFIG_SET,), (
        Reader("App_config.Get", "connected_phase"),
        Reader("Device_info.Get", "connected_phase"),
    )),
)

# Quantities the charger reports in several places but no method sets.
REPORTED: dict[str, tuple[Reader, ...]] = {
    "fw_version": (
        Reader("Sw_version.Get", "fw_version"),
        Reader("Charger_info.Get", "fw_version"),
        Reader("Device_info.Get", "fw_version"),
    ),
    "device_id": (Reader("Device_id.Get", "device_id"), Reader("Device_info.Get", "device_id")),
    "board_revision": (Reader("Board_revision.Get", "board_revision"), Reader("Charger_config.Get", "board_revision")),
}
SERIAL_READERS = (Reader("Charger_config.Get", "serial_number"), Reader("Serial_number.Get", "serial_number"))
UNKNOWN_METHOD_CODES = (404, -32601, -1, -6)  # the readings of ambiguity unknown_method_code
DEVICE_TYPE = "1p7k"  # the product of this RPC list; field facts §1: device_id is '<type>_<serial>'

# System_currents.Get: the charging current and the limits it is the minimum of.
CHARGING_CURRENT = "charging_current"
CURRENT_LIMITS = tuple(f.name for f in METHODS_BY_NAME["System_currents.Get"].result if f.name != CHARGING_CURRENT)


def _range(quantity: str) -> tuple[int, int] | None:
    """The accepted range of a quantity: its chapter 4 key, else its setter's documented param."""
    key: ConfigKey | None = KEYS_BY_NAME.get(quantity)
    if key is not None:
        return None if key.minimum is None else (int(key.minimum), int(key.maximum))
    param = METHODS_BY_NAME["Dynamic_current.Set"].params[0]
    return param.minimum, param.maximum


def _two_values(quantity: str) -> tuple[Any, Any]:
    """Two different valid values, set in turn so each set is an observable change."""
    key = KEYS_BY_NAME.get(quantity)
    if key is not None and key.type is JsonType.BOOL:
        return (not key.default, key.default)
    if key is not None and key.type is JsonType.STRING:
        first, second = [v for v in key.valid_examples if v][:2]
        return first, second
    low, high = _range(quantity)
    candidates = [low + 1, high - 1, high, low]
    first = candidates[0]
    return first, next(v for v in candidates if v != first)


async def read(charger: ChargerClient, reader: Reader) -> Any:
    reply = await charger.call(reader.method)
    if reader.field in reply:
        if reader.field != reader.field.strip():
            ambiguity(*label("dynamic_current_trailing_space", "with_space"))
        return reply[reader.field]
    if reader.field.strip() in reply:
        ambiguity(*label("dynamic_current_trailing_space", "typo"))
        return reply[reader.field.strip()]
    raise AssertionError(f"{reader.method} lacks {reader.field.strip()!r}: {sorted(reply)}")


def same(a: Any, b: Any) -> bool:
    """Equal value and JSON type (True is not 1)."""
    return a == b and isinstance(a, bool) == isinstance(b, bool)


def _set_cases() -> list[Any]:
    return [pytest.param(q, s, id=f"{q.name}-via-{s}") for q in SETTABLE for s in q.setters]


@pytest.mark.parametrize(("quantity", "setter"), _set_cases())
async def test_6_value_set_is_seen_identically_by_every_reader(charger: ChargerClient, quantity: Quantity,
                                                               setter: Setter, config_value_form: ConfigValueForm) -> None:
    cover(METHODS_BY_NAME[setter.method])
    for value in _two_values(quantity.name):
        assert await charger.call(setter.method, setter.params(quantity.name, value, config_value_form)) is True, (
            f"{setter} {quantity.name}={value!r} (valid) not accepted")
        seen = {str(r): await read(charger, r) for r in quantity.readers}
        wrong = {where: got for where, got in seen.items() if not same(got, value)}
        assert not wrong, f"after {setter} {quantity.name}={value!r}, readers disagree: {wrong} (all: {seen})"


@pytest.mark.parametrize("name", sorted(REPORTED))
async def test_6_value_reported_identically_everywhere(charger: ChargerClient, name: str) -> None:
    readers = REPORTED[name]
    cover(METHODS_BY_NAME[readers[0].method])
    seen = {str(r): await read(charger, r) for r in readers}
    first = next(iter(seen.values()))
    assert isinstance(first, str) and first, f"{name} is not a non-empty string: {seen}"
    assert all(same(v, first) for v in seen.values()), f"{name} differs between methods: {seen}"


async def test_6_14_device_id_is_type_and_serial_number(charger: ChargerClient) -> None:
    """device_id (6.14, 6.29) is '1p7k_' + the serial number of 6.21 and 6.11 (field facts §1)."""
    cover(METHODS_BY_NAME["Device_id.Get"])
    serials = {}
    for reader in SERIAL_READERS:
        try:
            serials[str(reader)] = await read(charger, reader)
        except DeviceError as error:  # 6.11 is deprecated: a charger may no longer serve it
            assert METHODS_BY_NAME[reader.method].deprecated and error.code in UNKNOWN_METHOD_CODES, (
                f"{reader.method} answered {error.code}; {error}")
            ambiguity(*label("deprecated_method_served", "removed"))
    numbers = {int(v) for v in serials.values()}
    assert len(numbers) == 1, f"the serial number differs between methods: {serials}"
    (serial,) = numbers
    unpadded, padded = f"{DEVICE_TYPE}_{serial}", f"{DEVICE_TYPE}_{serial:06d}"
    for reader in REPORTED["device_id"]:
        device_id = await read(charger, reader)
        assert device_id in (unpadded, padded), f"{reader} = {device_id!r}, expected {padded!r} (serials {serials})"
    ambiguity(*label("device_id_format", "padded" if device_id == padded and padded != unpadded else "serial_digits"))


def _rejected_install_cases() -> list[Any]:
    param = METHODS_BY_NAME["Install_current.Set"].params[0]
    return [pytest.param(setter, value, id=f"{setter}-{value}")
            for setter in (INSTALL_CURRENT_SET, APP_CONFIG_SET) for value in (param.minimum - 1, param.maximum + 1)]


async def _everything_reporting_install_current(charger: ChargerClient, get: Get) -> dict[str, Any]:
    """``get``: how App_config and System_currents are read (the latest answer for a "before")."""
    info = await charger.call("Charger_info.Get")  # live state: always read
    return {
        "App_config.Get": await get("App_config.Get"),
        "System_currents.Get": await get("System_currents.Get"),
        "Charger_info.Get": {f: info.get(f) for f in ("install_current", "pwm_current", "current_limit_reason")},
    }


INSTALL_BASE = _two_values("install_current")[1]  # a valid value off both bounds: a half-applied reject shows


def _install_base_precondition(item: pytest.Item) -> Precondition | None:
    """install_current at INSTALL_BASE, held across the rejected-install-current cases (suites.api.held)."""
    if getattr(item, "originalname", None) != "test_6_15_rejected_install_current_changes_no_reader":
        return None
    return Precondition(
        name=f"install_current={INSTALL_BASE}",
        holds=lambda known: same(known.app_config.get("install_current"), INSTALL_BASE),
        put=lambda client: client.call(INSTALL_CURRENT_SET.method,
                                       INSTALL_CURRENT_SET.params("install_current", INSTALL_BASE)),
        part=app_key_part("install_current"))


@pytest.fixture(autouse=True)
async def install_at_base(request: pytest.FixtureRequest, charger_guard: ConfigGuard,
                          charger_session: ChargerClient) -> AsyncIterator[bool]:
    """Whether install_current is at INSTALL_BASE as a rejected-install-current case starts."""
    async with holding(request, charger_guard, charger_session, _install_base_precondition) as in_place:
        yield in_place


@pytest.mark.parametrize(("setter", "value"), _rejected_install_cases())
async def test_6_15_rejected_install_current_changes_no_reader(
        charger: ChargerClient, setter: Setter, value: int, config_value_form: ConfigValueForm,
        install_at_base: bool, latest_readings: LatestReadings, refused_but_changed: Callable[[], None]) -> None:
    """An out-of-range install current: -4, and every reader (the live limits too) stays as it was."""
    cover(METHODS_BY_NAME["Install_current.Set"])
    if not install_at_base:
        assert await charger.call(INSTALL_CURRENT_SET.method,
                                  INSTALL_CURRENT_SET.params("install_current", INSTALL_BASE)) is True
    before = await _everything_reporting_install_current(charger, lambda m: latest_readings.get(charger, m))
    with pytest.raises(DeviceError) as error:
        result = await charger.call(setter.method, setter.params("install_current", value, config_value_form))
        pytest.fail(f"{setter} install_current={value} answered {result!r}; the range is 6-32")
    assert error.value.code == RANGE, f"{setter} install_current={value}: code {error.value.code}, expected -4"
    after = await _everything_reporting_install_current(charger, charger.call)
    changed = {method: {k: (before[method].get(k), after[method].get(k)) for k in after[method]
                        if before[method].get(k) != after[method].get(k)} for method in after}
    if any(changed.values()):
        refused_but_changed()
    assert not any(changed.values()), f"rejected {setter} install_current={value} changed {changed}"


# Configurations in which each settable limit in turn is the smallest one (values from the spec ranges).
LIMIT_CASES: dict[str, tuple[tuple[Setter, str, int], ...]] = {
    "install_current": ((INSTALL_CURRENT_SET, "install_current", 8),),
    "user_current": ((APP_CONFIG_SET, "user_current", 8),),
    "dynamic_current": ((DYNAMIC_CURRENT_SET, "dynamic_current", 8),),
    "dynamic_current_zero": ((DYNAMIC_CURRENT_SET, "dynamic_current", 0),),
    "user_power": ((APP_CONFIG_SET, "user_power", int(KEYS_BY_NAME["user_power"].minimum)),),
    "all_at_maximum": ((INSTALL_CURRENT_SET, "install_current", 32), (APP_CONFIG_SET, "user_current", 32),
                       (DYNAMIC_CURRENT_SET, "dynamic_current", 32)),
}


@pytest.mark.parametrize("case", sorted(LIMIT_CASES))
async def test_6_20_charging_current_never_exceeds_a_reported_limit(charger: ChargerClient, case: str,
                                                                    config_value_form: ConfigValueForm) -> None:
    cover(METHODS_BY_NAME["System_currents.Get"])
    for setter, quantity, value in LIMIT_CASES[case]:
        assert await charger.call(setter.method, setter.params(quantity, value, config_value_form)) is True
    currents = await charger.call("System_currents.Get")
    charging = currents[CHARGING_CURRENT]
    above = {name: currents[name] for name in CURRENT_LIMITS if charging > currents[name]}
    assert not above, f"charging_current {charging} exceeds {above} (System_currents.Get: {currents})"
