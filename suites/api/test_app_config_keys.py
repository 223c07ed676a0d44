"""Chapter 4: every application key through App_config.Set (6.4) and App_config.Get (6.3).

Parametrized from ``reference.spec.APP_KEYS``: ranges, JSON types, format examples, and the ambiguities
the table names.  A value the charger accepts must read back exactly, with its chapter 4 JSON type.
A value it rejects is checked twice: the exact chapter 3 code, and that nothing changed (every key
of App_config.Get and the live limits of System_currents.Get read back as before).

Before a probe the key is first put at a known valid value (``_base``) away from the bounds, from 0
and from its default, so a half-applied or silently converted value cannot hide behind the value
the key happened to hold.  The cases of one rejecting test share that precondition (held across them,
suites.api.held), and each rejection's "before" is the previous case's "after" when nothing was exchanged
in between (suites.api.latest): about three exchanges per rejected value (the call and the two reads
after it) instead of seven, which on a charger on Wi-Fi is most of this file's run time.
Defaults are checked after Factory.Reset, in test_resets.py.
"""
from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from fixtures.snapshot import ChargerSnapshot, ConfigGuard, Domain
from instruments.charger_rpc import ChargerClient, DeviceError
from reports.allure_support import ambiguity, cover
from suites.api.held import Precondition, app_key_part, holding
from suites.api.latest import LatestReadings
from suites.api.support import ConfigValueForm, label, spelled
from reference.spec import (
    AMBIGUITIES_BY_ID,
    APP_KEYS,
    CHARGER_KEYS,
    INT_MAX,
    KEY_FORMAT,
    LENGTH,
    METHODS_BY_NAME,
    RANGE,
    UNKNOWN_KEY,
    ConfigKey,
    JsonType,
)

pytestmark = [pytest.mark.api, pytest.mark.config]

GET, SET = "App_config.Get", "App_config.Set"
APP_SET = METHODS_BY_NAME[SET]

BOOL_KEYS = tuple(k for k in APP_KEYS if k.type is JsonType.BOOL)
INT_KEYS = tuple(k for k in APP_KEYS if k.type is JsonType.INTEGER)
DOUBLE_KEYS = tuple(k for k in APP_KEYS if k.type is JsonType.DOUBLE)
STRING_KEYS = tuple(k for k in APP_KEYS if k.type is JsonType.STRING)
FORMAT_KEYS = tuple(k for k in STRING_KEYS if k.invalid_examples)  # a format rule: template, URL
FREE_STRING_KEYS = tuple(k for k in STRING_KEYS if not k.invalid_examples and k.pattern is None)
NON_STRING_KEYS = BOOL_KEYS + INT_KEYS + DOUBLE_KEYS

# Chapter 4 gives latitude/longitude no range ("Double value"): any finite double is valid.  These are
# exactly representable and not integral, so a truncating or float32 store reads back different; each
# lies inside the geographic range too (a defensible reading of latitude_longitude_range).
FREE_DOUBLES = (45.5, -33.8688, 89.25)
# Outside the geographic range (ambiguity latitude_longitude_range).
GEOGRAPHIC_LIMIT = {"latitude": 90.0, "longitude": 180.0}

# Which ambiguity rules the code for an invalid example of a format key.
INVALID_FORMAT_AMBIGUITY = {"led_template": "led_template_invalid_code",
                            "ocpp_server_link": "ocpp_server_link_url_rule"}

# The live limits a rejected value must not reach (6.20), read next to App_config.Get.
LIVE_LIMITS = ("install_current", "user_current", "dynamic_current", "user_power_current", "charging_current")

UNKNOWN_KEYS = ("no_such_key", "install_currents", "load_balancing_mode")


# --- values derived from the table ---------------------------------------------------------------

def codes_allowed_by(ambiguity_id: str) -> frozenset[int]:
    """The chapter 3 codes an ambiguity's readings name (e.g. '-5 key format', '-1 general fail')."""
    text = " ".join(AMBIGUITIES_BY_ID[ambiguity_id].readings)
    return frozenset(int(m) for m in re.findall(r"(?<![\w-])(-[1-7])(?!\d)", text))


def reading_for_code(ambiguity_id: str, code: int) -> str:
    """The first reading of an ambiguity that names ``code``."""
    return next(r for r in AMBIGUITIES_BY_ID[ambiguity_id].readings
                if re.search(rf"(?<![\w-]){code}(?!\d)", r))


def _base(key: ConfigKey) -> Any:
    """A valid value away from the bounds, 0 and the default: the key is put there before a probe."""
    if key.type is JsonType.BOOL:
        return not key.default
    if key.type is JsonType.STRING:
        return next(v for v in key.valid_examples if v and v != key.default)
    if key.minimum is None:
        return FREE_DOUBLES[0]
    value = (int(key.minimum) + int(key.maximum)) // 2
    return value + 1 if value in (0, key.default) else value


def _valid_values(key: ConfigKey) -> tuple[Any, ...]:
    if key.type is JsonType.BOOL:
        return (True, False)
    if key.type is JsonType.STRING:
        return key.valid_examples
    if key.minimum is None:
        return FREE_DOUBLES
    return (int(key.minimum), int(key.maximum), _base(key))


_spelled = spelled  # a value spelled as an 'OCPP style' string (6.4: config_value is a string)


def _wrong_type_values(key: ConfigKey) -> tuple[tuple[str, Any], ...]:
    """Values of a JSON type the key does not have (spec §3 -5: 'integer value to a boolean key')."""
    if key.type is JsonType.BOOL:
        return (("int-0", 0), ("int-1", 1), ("number-1.5", 1.5), ("string-yes", "yes"), ("string-on", "on"),
                ("object", {}), ("array", []))
    if key.type is JsonType.INTEGER:
        # In range, but floor/round/truncation all land off the base value, so a conversion shows.
        return (("fraction", _base(key) - 0.75), ("bool-true", True), ("string-abc", "abc"),
                ("object", {}), ("array", []))
    if key.type is JsonType.DOUBLE:
        return (("bool-true", True), ("string-abc", "abc"), ("object", {}), ("array", []))
    return (("integer", 5), ("number", 1.5), ("bool-true", True), ("object", {"v": "x"}), ("array", ["x"]))


def _params(cases: Any) -> list[Any]:
    return [pytest.param(*values, id=case_id) for case_id, values in cases]


# --- charger helpers -----------------------------------------------------------------------------
def null_form(key: ConfigKey, app: dict[str, Any]) -> str | None:
    """The reading of null_string_defaults an unset string key shows in App_config.Get, or None."""
    if key.type is not JsonType.STRING:
        return None
    if key.name not in app:
        return "omitted"
    return {None: "json_null", "": "empty_string"}.get(app[key.name])


def matches(key: ConfigKey, got: Any, want: Any) -> bool:
    """Exact value with the key's chapter 4 JSON type (a bool is not an integer, 45 is not 45.5)."""
    if key.type is JsonType.BOOL:
        return got is want
    return key.type.accepts(got) and got == want


def _diff(before: dict[str, Any], after: dict[str, Any]) -> str:
    return ", ".join(f"{k}: {before.get(k)!r} -> {after.get(k)!r}" for k in sorted(set(before) | set(after))
                     if before.get(k) != after.get(k) or (k in before) != (k in after))


def starts_at_base(test: Any) -> Any:
    """Mark a test whose key is put at ``_base(key)`` first: consecutive cases of it share that
    precondition, held across them (suites.api.held) instead of set and put back around each case."""
    test.starts_at_base = True
    return test


def _base_precondition(item: pytest.Item, form: ConfigValueForm) -> Precondition | None:
    callspec = getattr(item, "callspec", None)
    key = callspec.params.get("key") if callspec is not None else None
    if not getattr(getattr(item, "function", None), "starts_at_base", False) or key not in APP_KEYS:
        return None
    base = _base(key)
    return Precondition(
        name=f"{key.name}={base!r}",
        holds=lambda known: key.name in known.app_config and matches(key, known.app_config[key.name], base),
        put=lambda client: client.call(SET, {"config_key": key.name, "config_value": form(base)}),
        part=app_key_part(key.name))


@pytest.fixture(autouse=True)
async def key_at_base(request: pytest.FixtureRequest, charger_guard: ConfigGuard, charger_session: ChargerClient,
                      config_value_form: ConfigValueForm) -> AsyncIterator[bool]:
    """Whether the key under test is at its base value as the test starts (only for ``starts_at_base``)."""
    async with holding(request, charger_guard, charger_session,
                       lambda item: _base_precondition(item, config_value_form)) as in_place:
        yield in_place


@dataclass(frozen=True)
class AppConfig:
    """App_config as the tests here drive it.

    Values under test go in the config_value form this charger takes (ambiguity config_value_type,
    learned once per run), except where a test judges the JSON type itself (``raw=True``).  A rejection's
    "before" is the charger's latest answer when nothing was exchanged since (suites.api.latest), its
    "after" always a fresh read: the evidence.
    """

    charger: ChargerClient
    form: ConfigValueForm
    readings: LatestReadings
    known: ChargerSnapshot   # the configuration at the start of the test, as the guard knows it
    changed: Callable[[], None]
    at_base: bool            # the key under test is already at its base value

    async def set(self, key: str, value: Any, *, raw: bool = False) -> Any:
        return await self.charger.call(SET, {"config_key": key, "config_value": value if raw else self.form(value)})

    async def put(self, key: ConfigKey, value: Any) -> None:
        """Set a valid value the test relies on (not the value under test)."""
        try:
            result = await self.set(key.name, value)
        except DeviceError as error:
            pytest.fail(f"App_config.Set {key.name}={value!r} is valid by chapter 4, yet answered {error.code} "
                        f"({error.message!r})")
        assert result is True, f"App_config.Set {key.name}={value!r} (valid) answered {result!r}, expected true"

    async def put_base(self, key: ConfigKey) -> None:
        """The key at ``_base(key)`` (normally there already: held across the test's cases)."""
        if not self.at_base:
            await self.put(key, _base(key))

    async def observed(self, *, fresh: bool) -> tuple[dict[str, Any], dict[str, Any]]:
        """Everything a rejected App_config.Set must leave alone: every key, and the live limits."""
        get = self.charger.call if fresh else lambda method: self.readings.get(self.charger, method)
        app = await get(GET)
        currents = await get("System_currents.Get")
        return dict(app), {name: currents.get(name) for name in LIVE_LIMITS}

    async def expect_rejected(self, key: str, value: Any, codes: frozenset[int] | int, *, raw: bool = False) -> int:
        """App_config.Set key=value must fail with one of ``codes`` and change nothing; return the code."""
        codes = frozenset({codes}) if isinstance(codes, int) else codes
        before = await self.observed(fresh=False)
        with pytest.raises(DeviceError) as error:
            result = await self.set(key, value, raw=raw)
            pytest.fail(f"App_config.Set {key}={value!r} answered {result!r}; expected an error {sorted(codes)}")
        assert error.value.code in codes, (f"App_config.Set {key}={value!r}: code {error.value.code} "
                                           f"({error.value.message!r}), expected {sorted(codes)}")
        after = await self.observed(fresh=True)
        if after != before:
            self.changed()
        assert after[0] == before[0], f"rejected App_config.Set {key}={value!r} changed App_config: " + _diff(before[0], after[0])
        assert after[1] == before[1], f"rejected App_config.Set {key}={value!r} changed live limits: " + _diff(before[1], after[1])
        return error.value.code

    async def reads_back(self, key: ConfigKey, want: Any) -> None:
        app = await self.charger.call(GET)
        if want == "" and null_form(key, app) is not None:
            # "" is NULL to a C-string store: it reads back in the charger's NULL form (null_string_defaults).
            ambiguity(*label("null_string_defaults", null_form(key, app)))
            return
        assert key.name in app, f"App_config.Get lacks {key.name} (6.3 answers every chapter 4 key)"
        got = app[key.name]
        # A value reported as a string for a non-string key is a defect: chapter 4's types are normative
        # (ambiguity app_config_get_value_types, its string reading dropped).
        assert matches(key, got, want), (
            f"{key.name} reads back {got!r} ({type(got).__name__}), expected {want!r} ({key.type.value})")

    async def make_differ(self, key: ConfigKey, target: Any) -> None:
        """Make sure the key does not already hold ``target``, so setting it is an observable change."""
        current = self.known.app_config.get(key.name)
        if Domain.APP_CONFIG not in self.known.domains:
            current = (await self.charger.call(GET)).get(key.name)
        if current == target and type(current) is type(target):
            await self.put(key, next(v for v in (_base(key), *_valid_values(key)) if v != target))


@pytest.fixture
def app(charger: ChargerClient, config_value_form: ConfigValueForm, latest_readings: LatestReadings,
        known_config: ChargerSnapshot, refused_but_changed: Callable[[], None], key_at_base: bool) -> AppConfig:
    return AppConfig(charger, config_value_form, latest_readings, known_config, refused_but_changed, key_at_base)


# --- numeric ranges ------------------------------------------------------------------------------

def _bound_cases() -> list[Any]:
    cases = []
    for key in INT_KEYS:
        for value in (int(key.minimum), int(key.maximum)):
            cases.append((f"{key.name}={value}", (key, value)))
    return _params(cases)


def _outside_cases() -> list[Any]:
    cases = []
    for key in INT_KEYS:
        above = [int(key.maximum) + 1]
        if key.maximum == INT_MAX:
            above.append(2 ** 32)  # past an unsigned 32-bit store too (ambiguity led_dimming_delay_int_max)
        for value in (int(key.minimum) - 1, *above):
            cases.append((f"{key.name}={value}", (key, value)))
    return _params(cases)


@pytest.mark.parametrize(("key", "value"), _bound_cases())
async def test_4_integer_key_accepts_range_bound(app: AppConfig, key: ConfigKey, value: int) -> None:
    """Both ends of the accepted range are accepted and read back as that JSON integer."""
    cover(key)  # INT_MAX is the 32-bit signed maximum (schema.INT_MAX): a smaller limit is a defect
    await app.make_differ(key, value)
    assert await app.set(key.name, value) is True
    await app.reads_back(key, value)


@pytest.mark.parametrize(("key", "value"), _outside_cases())
@starts_at_base
async def test_4_integer_key_rejects_out_of_range(app: AppConfig, key: ConfigKey, value: int) -> None:
    """One past either bound: -4 (range error) and nothing changes."""
    cover(key)
    await app.put_base(key)
    if key.default is not None and not key.minimum <= key.default <= key.maximum and value == key.default:
        # connected_phase: the documented default 0 lies outside 1-3.
        try:
            result = await app.set(key.name, value)
        except DeviceError as error:
            assert error.code == RANGE, f"{key.name}={value}: code {error.code}, expected -4 or acceptance"
            ambiguity(*label("connected_phase_default_out_of_range", "zero_rejected"))
            await app.reads_back(key, _base(key))
            return
        assert result is True
        ambiguity(*label("connected_phase_default_out_of_range", "zero_accepted"))
        await app.reads_back(key, value)
        return
    if value > INT_MAX:
        # Past the device's int: range or format error (int_max_overflow_code), unless the charger
        # keeps an unsigned 32-bit value (led_dimming_delay_int_max) and then it must read back exactly.
        try:
            result = await app.set(key.name, value)
        except DeviceError as error:
            allowed = codes_allowed_by("int_max_overflow_code")
            assert error.code in allowed, f"{key.name}={value}: code {error.code}, expected one of {sorted(allowed)}"
            ambiguity("int_max_overflow_code", reading_for_code("int_max_overflow_code", error.code))
            await app.reads_back(key, _base(key))
            return
        assert result is True and value < 2 ** 32, f"{key.name}={value} answered {result!r}; beyond any 32-bit store"
        ambiguity(*label("led_dimming_delay_int_max", "uint32"))
        await app.reads_back(key, value)
        return
    await app.expect_rejected(key.name, value, RANGE)


# --- booleans and doubles ------------------------------------------------------------------------

@pytest.mark.parametrize("value", [True, False], ids=["true", "false"])
@pytest.mark.parametrize("key", BOOL_KEYS, ids=lambda k: k.name)
async def test_4_bool_key_accepts_true_and_false(app: AppConfig, key: ConfigKey, value: bool) -> None:
    cover(key)
    await app.make_differ(key, value)
    assert await app.set(key.name, value) is True
    await app.reads_back(key, value)


@pytest.mark.parametrize("value", FREE_DOUBLES)
@pytest.mark.parametrize("key", DOUBLE_KEYS, ids=lambda k: k.name)
async def test_4_double_key_reads_back_exactly(app: AppConfig, key: ConfigKey, value: float) -> None:
    """'Double value': a fractional double is stored as a double, not truncated nor narrowed."""
    cover(key)
    await app.make_differ(key, value)
    assert await app.set(key.name, value) is True
    await app.reads_back(key, value)


@pytest.mark.parametrize("key", DOUBLE_KEYS, ids=lambda k: k.name)
async def test_4_double_key_beyond_geographic_range(app: AppConfig, key: ConfigKey) -> None:
    """No range is documented; geography bounds the value (ambiguity latitude_longitude_range)."""
    cover(key)
    value = GEOGRAPHIC_LIMIT[key.name] + 0.5
    await app.put_base(key)
    try:
        result = await app.set(key.name, value)
    except DeviceError as error:
        assert error.code == RANGE, f"{key.name}={value}: code {error.code}, expected acceptance or -4"
        ambiguity(*label("latitude_longitude_range", "geographic"))
        await app.reads_back(key, _base(key))
        return
    assert result is True
    ambiguity(*label("latitude_longitude_range", "unbounded"))
    await app.reads_back(key, value)


@pytest.mark.parametrize("key", DOUBLE_KEYS, ids=lambda k: k.name)
async def test_4_double_key_integral_json_number(app: AppConfig, key: ConfigKey) -> None:
    """JSON has one number type: an integral number (45) for a double key is that double, 45.0 (rejecting
    it is no defensible reading: see the dropped readings of ambiguity latitude_longitude_range)."""
    cover(key)
    await app.put_base(key)
    assert await app.set(key.name, 45) is True, f"{key.name}=45 (a JSON number) not accepted"
    await app.reads_back(key, 45.0)


# --- JSON types of config_value (6.4) ------------------------------------------------------------

def _wrong_type_cases() -> list[Any]:
    return _params((f"{key.name}-{label}", (key, value))
                   for key in APP_KEYS for label, value in _wrong_type_values(key))


@pytest.mark.parametrize(("key", "value"), _wrong_type_cases())
@starts_at_base
async def test_4_key_rejects_wrong_json_type(app: AppConfig, key: ConfigKey, value: Any) -> None:
    """A value of another JSON type: -5 (key format) and nothing changes."""
    cover(key)
    await app.put_base(key)
    await app.expect_rejected(key.name, value, KEY_FORMAT, raw=True)


def _native_value(key: ConfigKey) -> Any:
    """A valid value of the key's own JSON type, other than the base it is put at first."""
    return next(v for v in reversed(_valid_values(key)) if v != _base(key))


@pytest.mark.parametrize("key", APP_KEYS, ids=lambda k: k.name)
async def test_6_4_native_json_value_accepted(app: AppConfig, key: ConfigKey) -> None:
    """config_value in the key's native JSON type (as real clients send it) is accepted and applied."""
    cover(APP_SET)
    value = _native_value(key)
    await app.put_base(key)
    try:
        result = await app.set(key.name, value, raw=True)
    except DeviceError as error:  # 6.4 types config_value "string": a string-only charger refuses natives
        assert key.type is not JsonType.STRING and error.code == KEY_FORMAT, (
            f"{key.name}={value!r} (native JSON) answered {error.code} ({error.message!r}); expected acceptance, "
            f"or -5 from a charger that takes config_value only as a string")
        ambiguity(*label("config_value_type", "string_only"))
        await app.reads_back(key, _base(key))
        return
    assert result is True, f"{key.name}={value!r} (native JSON) answered {result!r}"
    await app.reads_back(key, value)


@pytest.mark.parametrize("key", NON_STRING_KEYS, ids=lambda k: k.name)
async def test_6_4_value_spelled_as_string(app: AppConfig, key: ConfigKey) -> None:
    """config_value as an 'OCPP style' string ('19', 'true'): converted exactly, or -5 with nothing changed."""
    cover(APP_SET)
    value = _native_value(key)
    await app.put_base(key)
    try:
        result = await app.set(key.name, _spelled(value), raw=True)
    except DeviceError as error:
        assert error.code == KEY_FORMAT, f"{key.name}={_spelled(value)!r}: code {error.code}, expected -5 or acceptance"
        ambiguity(*label("config_value_type", "native_only"))
        await app.reads_back(key, _base(key))
        return
    assert result is True
    ambiguity(*label("config_value_type", "both" if app.form.native else "string_only"))
    await app.reads_back(key, value)


# --- key names -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", UNKNOWN_KEYS)
async def test_4_unknown_key_rejected(app: AppConfig, name: str) -> None:
    """A key chapter 4 does not list: -6 (unknown key), App_config unchanged and no such key appears."""
    cover(APP_SET)
    await app.expect_rejected(name, 10, UNKNOWN_KEY)
    assert name not in await app.readings.get(app.charger, GET)  # the rejection's fresh "after"


def _other_charger_value(key: ConfigKey, current: Any) -> Any:
    if key.type is JsonType.BOOL:
        return not current
    if key.type is JsonType.STRING:
        return next(v for v in key.valid_examples if v != current)
    if key.minimum is None:
        return current + 1.5
    return key.minimum if current != key.minimum else key.maximum


@pytest.mark.parametrize("key", CHARGER_KEYS, ids=lambda k: k.name)
async def test_5_charger_key_through_app_config_set(app: AppConfig, key: ConfigKey) -> None:
    """A chapter 5 key has no documented setter: App_config.Set answers -6 or -7 and changes nothing
    (ambiguity set_charger_key_code); if it is accepted, it must at least take effect exactly."""
    cover(key)
    charger = app.charger
    before = await app.readings.get(charger, "Charger_config.Get")
    current = before[key.name]
    if key.name == "serial_number" and isinstance(current, str) and current.isdigit():
        current = int(current)  # a string on the wire (ambiguity serial_number_type_mismatch)
    value = _other_charger_value(key, current)
    app_before = await app.observed(fresh=False)
    try:
        result = await app.set(key.name, value)
    except DeviceError as error:
        allowed = codes_allowed_by("set_charger_key_code")
        assert error.code in allowed, f"App_config.Set {key.name}: code {error.code}, expected one of {sorted(allowed)}"
        ambiguity("set_charger_key_code", reading_for_code("set_charger_key_code", error.code))
        charger_after, app_after = await charger.call("Charger_config.Get"), await app.observed(fresh=True)
        if charger_after != before or app_after != app_before:
            app.changed()
        assert charger_after == before, "rejected chapter 5 key changed Charger_config"
        assert app_after == app_before, "rejected chapter 5 key changed App_config or live limits"
        return
    ambiguity(*label("set_charger_key_code", "writable"))
    try:
        assert result is True
        got = (await charger.call("Charger_config.Get"))[key.name]
        if key.name == "serial_number" and isinstance(got, str) and got.isdigit():
            got = int(got)
        assert got == value, f"App_config.Set {key.name}={value!r} accepted but Charger_config.Get reads {got!r}"
    finally:
        await app.set(key.name, current)
    assert await charger.call("Charger_config.Get") == before, "chapter 5 key could not be put back"


# --- string formats ------------------------------------------------------------------------------

def _example_cases(attribute: str, keys: tuple[ConfigKey, ...]) -> list[Any]:
    return _params((f"{key.name}={value!r}", (key, value)) for key in keys for value in getattr(key, attribute))


@pytest.mark.parametrize(("key", "value"), _example_cases("valid_examples", FORMAT_KEYS))
async def test_4_format_key_accepts_valid_example(app: AppConfig, key: ConfigKey, value: str) -> None:
    cover(key)
    await app.make_differ(key, value)
    assert await app.set(key.name, value) is True, f"{key.name}={value!r} is valid by the spec"
    await app.reads_back(key, value)


@pytest.mark.parametrize(("key", "value"), _example_cases("invalid_examples", FORMAT_KEYS))
@starts_at_base
async def test_4_format_key_rejects_invalid_example(app: AppConfig, key: ConfigKey, value: str) -> None:
    """A malformed template or URL is rejected (code per the key's ambiguity) and nothing changes."""
    cover(key)
    ambiguity_id = INVALID_FORMAT_AMBIGUITY[key.name]
    await app.put_base(key)
    code = await app.expect_rejected(key.name, value, codes_allowed_by(ambiguity_id))
    ambiguity(ambiguity_id, reading_for_code(ambiguity_id, code))


@pytest.mark.parametrize(("key", "value"), _example_cases("valid_examples", FREE_STRING_KEYS))
async def test_4_free_string_key_reads_back_exactly(app: AppConfig, key: ConfigKey, value: str) -> None:
    """'Any string', the empty string and non-ASCII text included, is stored verbatim."""
    cover(key)
    await app.make_differ(key, value)
    assert await app.set(key.name, value) is True, f"{key.name}={value!r} is 'any string'"
    await app.reads_back(key, value)


@pytest.mark.parametrize("key", FREE_STRING_KEYS, ids=lambda k: k.name)
async def test_4_free_string_key_long_value(app: AppConfig, key: ConfigKey) -> None:
    """No maximum length is documented (ambiguity free_string_length): a long string is stored verbatim,
    rejected with -3 and nothing changed, or truncated to a prefix; never garbled."""
    cover(key)
    value = "Ș" + "0123456789abcdef" * 16  # 257 characters, 258 bytes in UTF-8
    await app.put_base(key)
    try:
        result = await app.set(key.name, value)
    except DeviceError as error:
        assert error.code == LENGTH, f"{key.name}: {len(value)} characters answered {error.code}, expected -3 or acceptance"
        ambiguity(*label("free_string_length", "rejected_3"))
        await app.reads_back(key, _base(key))
        return
    assert result is True
    got = (await app.charger.call(GET))[key.name]
    if got == value:
        ambiguity(*label("free_string_length", "verbatim"))
        return
    ambiguity(*label("free_string_length", "truncated"))
    assert isinstance(got, str) and got and value.startswith(got), f"{key.name} stored {got!r}: not a prefix"
