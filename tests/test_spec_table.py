"""Unit tests of the spec-as-data table (no charger needed).

The table is the one reading of the RPC list every suite is parametrized from, so it is checked two
ways: for internal consistency (counts, unique names, defaults inside ranges, ambiguity references),
and line by line against the spec text itself when ``../shared/spec`` is present.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from reference.spec import (
    ABOUT,
    AMBIGUITIES,
    AMBIGUITIES_BY_ID,
    APP_KEYS,
    CHARGER_KEYS,
    ERROR_CODES,
    GENERAL_FAIL,
    JSON_FORMAT,
    KEY_FORMAT,
    KEYS_BY_NAME,
    LENGTH,
    METHODS,
    METHODS_BY_NAME,
    PROHIBITED,
    RANGE,
    SCHEDULE_INTERVAL_FIELDS,
    UNKNOWN_KEY,
    ConfigKey,
    JsonType,
    KeyGroup,
    ambiguities_for,
    method,
)

SPEC_FILE = Path(__file__).resolve().parents[1].parent / "shared/spec/000_8f425004d40a163b.txt"

# Counted in the spec text (v2.0): chapter 4 has 22 key rows, chapter 5 has 9, chapter 6 has 35 methods.
APP_KEY_COUNT = 22
CHARGER_KEY_COUNT = 9
METHOD_COUNT = 35

_SPEC_TYPES = {
    "boolean": JsonType.BOOL,
    "bool": JsonType.BOOL,
    "integer": JsonType.INTEGER,
    "double": JsonType.DOUBLE,
    "string": JsonType.STRING,
}


# --- spec text parsing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpecKey:
    name: str
    type: str
    default: str
    accepted: str


@dataclass(frozen=True)
class SpecMethod:
    section: str
    heading: str
    name: str
    request: tuple[tuple[str, str], ...]  # ("key", "type or [ or [..]") in order of appearance
    response: tuple[tuple[str, str], ...]
    answers_true: bool


_KEY_ROW = re.compile(r"^([a-z][a-z0-9_]*) \| (\w+) \| (.*?) \| (.*?) \| .* \|$")
_METHOD_ROW = re.compile(r"^([A-Z][A-Za-z_]*\.[A-Za-z]+) \| .* \|$")
_HEADING = re.compile(r"^6\.(\d+) (.*)$")
_JSON_KEY = re.compile(r'^"([^"]+)":\s*(.*?),?$')


def _spec_lines() -> list[str]:
    if not SPEC_FILE.is_file():
        pytest.skip(f"spec text not found at {SPEC_FILE} (shared checkout absent); table-vs-spec checks skipped")
    return SPEC_FILE.read_text(encoding="utf-8").splitlines()


def _chapter(lines: list[str], start: str, end: str) -> list[str]:
    first = next(i for i, line in enumerate(lines) if line.startswith(start))
    last = next(i for i, line in enumerate(lines) if line.startswith(end) and i > first)
    return lines[first + 1 : last]


def _json_keys(block: list[str]) -> tuple[tuple[str, str], ...]:
    # The spec glues the closing brace to the following prose ('}tag – ...'), so only the lines
    # between a "json" marker and a line starting with "}" are JSON.
    keys: list[tuple[str, str]] = []
    depth = 0
    for line in block:
        if line == "json":
            depth = 0
            continue
        if line.startswith("{"):
            depth += 1
        elif line.startswith("}"):
            depth -= 1
        elif depth > 0 and (m := _JSON_KEY.match(line)):
            keys.append((m.group(1), m.group(2)))
    return tuple(keys)


@pytest.fixture(scope="module")
def spec_keys() -> dict[str, list[SpecKey]]:
    lines = _spec_lines()
    out: dict[str, list[SpecKey]] = {}
    for label, start, end in (("4", "4. ", "5. "), ("5", "5. ", "6. Commands")):
        out[label] = [SpecKey(*m.groups()) for line in _chapter(lines, start, end) if (m := _KEY_ROW.match(line))]
    return out


@pytest.fixture(scope="module")
def spec_methods() -> list[SpecMethod]:
    lines = _spec_lines()
    body = lines[next(i for i, line in enumerate(lines) if line.startswith("6. Commands")) + 1 :]
    starts = [i for i, line in enumerate(body) if _HEADING.match(line)]
    found: list[SpecMethod] = []
    for a, b in zip(starts, [*starts[1:], len(body)]):
        section = body[a : b]
        number, heading = _HEADING.match(section[0]).groups()
        names = [m.group(1) for line in section if (m := _METHOD_ROW.match(line))]
        assert len(names) == 1, f"6.{number}: expected one method row, got {names}"
        split = next(i for i, line in enumerate(section) if line.startswith("Response params format"))
        found.append(
            SpecMethod(
                section=f"6.{number}",
                heading=heading.removesuffix("."),
                name=names[0],
                request=_json_keys(section[:split]),
                response=_json_keys(section[split:]),
                answers_true=any(line.startswith("trueOn error") for line in section[split:]),
            )
        )
    return found


def _spec_type(raw: str) -> JsonType:
    if raw.startswith("["):
        return JsonType.ARRAY
    return _SPEC_TYPES[raw.strip('"')]


def _spec_default(raw: str) -> object:
    if raw == "NULL":
        return None
    if raw in ("true", "false"):
        return raw == "true"
    if re.fullmatch(r"-?\d+", raw):
        return int(raw)
    if re.fullmatch(r"-?\d+\.\d+", raw):
        return float(raw)
    return raw


_RANGE = re.compile(r"^([-+]?\d+(?:\.\d+)?)\s*-\s*([-+]?\d+(?:\.\d+)?|INT_MAX)$")


# --- the table on its own ---------------------------------------------------------------------------


def test_35_methods_with_sections_in_order() -> None:
    assert len(METHODS) == METHOD_COUNT
    assert [m.section for m in METHODS] == [f"6.{n}" for n in range(1, METHOD_COUNT + 1)]
    assert len({m.name for m in METHODS}) == METHOD_COUNT
    assert list(METHODS_BY_NAME) == [m.name for m in METHODS]


def test_key_counts_groups_and_unique_names() -> None:
    assert len(APP_KEYS) == APP_KEY_COUNT
    assert len(CHARGER_KEYS) == CHARGER_KEY_COUNT
    assert {(k.group, k.section) for k in APP_KEYS} == {(KeyGroup.APP, "4")}
    assert {(k.group, k.section) for k in CHARGER_KEYS} == {(KeyGroup.CHARGER, "5")}
    assert len(KEYS_BY_NAME) == APP_KEY_COUNT + CHARGER_KEY_COUNT


def _default_out_of_range_is_recorded(key: ConfigKey) -> bool:
    return any("default" in a.summary for a in ambiguities_for(key.name))


@pytest.mark.parametrize("key", [*APP_KEYS, *CHARGER_KEYS], ids=lambda k: k.label)
def test_default_lies_within_documented_rules(key: ConfigKey) -> None:
    if key.default is None:
        return  # NULL: nothing to check (see ambiguity null_string_defaults)
    assert key.type.accepts(key.default)
    if key.minimum is not None and not key.minimum <= key.default <= key.maximum:
        assert _default_out_of_range_is_recorded(key), f"{key.name} default {key.default} outside range"
    if key.pattern is not None:
        assert re.fullmatch(key.pattern, key.default)
    if key.min_length is not None:
        assert key.min_length <= len(key.default) <= key.max_length


def test_only_connected_phase_default_is_out_of_range() -> None:
    out = [k.name for k in KEYS_BY_NAME.values()
           if k.minimum is not None and not k.minimum <= k.default <= k.maximum]
    assert out == ["connected_phase"]


@pytest.mark.parametrize("key", [k for k in KEYS_BY_NAME.values() if k.pattern], ids=lambda k: k.label)
def test_format_examples_agree_with_pattern(key: ConfigKey) -> None:
    assert key.valid_examples, "a pattern needs concrete valid examples for the suites to send"
    for good in key.valid_examples:
        assert re.fullmatch(key.pattern, good), good
    for bad in key.invalid_examples:
        assert not re.fullmatch(key.pattern, bad), bad


def test_free_strings_include_empty_and_non_ascii() -> None:
    for name in ("charger_alias", "owner_id", "em_id", "timezone"):
        key = KEYS_BY_NAME[name]
        assert "" in key.valid_examples
        assert any(not s.isascii() for s in key.valid_examples)
        assert key.invalid_examples == ()


def test_error_codes() -> None:
    assert sorted(ERROR_CODES) == [-7, -6, -5, -4, -3, -2, -1, 0]
    assert (GENERAL_FAIL, JSON_FORMAT, LENGTH, RANGE, KEY_FORMAT, UNKNOWN_KEY, PROHIBITED) == (
        -1, -2, -3, -4, -5, -6, -7,
    )
    assert all(code == e.code for code, e in ERROR_CODES.items())


def test_secret_params_are_exactly_pin_and_password() -> None:
    secret = {p.name for m in METHODS for p in m.params if p.secret}
    assert secret == {"pin", "password"}


def test_method_lookup_is_case_insensitive() -> None:
    assert method("charger_info.get") is METHODS_BY_NAME["Charger_info.Get"]
    assert method("PIN.CHECK").section == "6.35"
    with pytest.raises(KeyError):
        method("Charger_info.Set")


def test_flags_transcribed_from_spec() -> None:
    assert {m.name for m in METHODS if m.destructive} == {"Device.Reset", "Factory.Reset", "Ota.Verify"}
    assert {m.name for m in METHODS if m.deprecated} == {"Serial_number.Get"}
    assert {m.name: m.allowed_states for m in METHODS if m.allowed_states} == {
        "Session_energy.Reset": ("A", "B", "E", "F"),
    }
    assert METHODS_BY_NAME["Charge.Resume"].allowed_states is None


def test_result_field_names_unique_per_method() -> None:
    for m in METHODS:
        if m.is_getter:
            names = [f.name for f in m.result]
            assert len(names) == len(set(names)), m.label


def test_schedule_interval_fields() -> None:
    ranges = {p.name: (p.minimum, p.maximum) for p in SCHEDULE_INTERVAL_FIELDS}
    assert ranges == {
        "start_d": (1, 7), "start_h": (0, 23), "start_m": (0, 59),
        "end_d": (1, 7), "end_h": (0, 23), "end_m": (0, 59),
        "current": (0, 32), "lb_mode": (1, 3),
    }


# --- ambiguity references ---------------------------------------------------------------------------

_REFERENCE = re.compile(r"see ambiguit(?:y|ies) ([a-z0-9_]+(?:, [a-z0-9_]+)*)")


def _all_docs() -> list[str]:
    docs = [m.doc for m in METHODS]
    docs += [p.doc for m in METHODS for p in m.params]
    docs += [f.doc for m in METHODS if m.is_getter for f in m.result]
    docs += [k.doc for k in KEYS_BY_NAME.values()]
    docs += [p.doc for p in SCHEDULE_INTERVAL_FIELDS]
    return docs


def test_ambiguity_ids_unique_and_snake_case() -> None:
    assert len(AMBIGUITIES_BY_ID) == len(AMBIGUITIES)
    for a in AMBIGUITIES:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", a.id), a.id
        assert a.summary and a.readings, a.id


def test_every_referenced_ambiguity_exists() -> None:
    referenced = {i for doc in _all_docs() for m in _REFERENCE.finditer(doc) for i in m.group(1).split(", ")}
    assert referenced, "docs should point at the ambiguities they concern"
    assert referenced <= set(AMBIGUITIES_BY_ID), referenced - set(AMBIGUITIES_BY_ID)
    assert set(ABOUT) <= set(AMBIGUITIES_BY_ID), set(ABOUT) - set(AMBIGUITIES_BY_ID)


def test_ambiguity_subjects_name_table_entries() -> None:
    entries = set(METHODS_BY_NAME) | set(KEYS_BY_NAME)
    entries |= {f"{m.name}/{p.name}" for m in METHODS for p in m.params}
    entries |= {f"{m.name}/{f.name}" for m in METHODS if m.is_getter for f in m.result}
    for amb_id, subjects in ABOUT.items():
        assert set(subjects) <= entries, (amb_id, set(subjects) - entries)


def test_required_ambiguities_recorded() -> None:
    required = {
        "dynamic_current_trailing_space", "charge_resume_description_copied", "serial_number_type_mismatch",
        "config_value_type", "connected_phase_default_out_of_range", "device_info_description",
        "ocpp_current_description", "schedule_end_described_as_activated", "led_template_color_names",
        "framing_error_codes", "jsonrpc_version_echo", "set_charger_key_code", "int_max_overflow_code",
        "pin_invalid_code", "ap_password_length_code", "unknown_method_code", "null_string_set_back",
        "schedule_validation_codes", "pwm_heading_typo", "led_dimming_delay_int_max",
        "single_phase_arrays", "total_charged_energy_type_unit", "websocket_channel", "per_method_url_styles",
        "missing_param_code", "extra_params", "null_param_code", "null_string_defaults",
    }
    assert required <= set(AMBIGUITIES_BY_ID), required - set(AMBIGUITIES_BY_ID)


def test_reading_names_are_slugs_parallel_to_the_readings() -> None:
    """Each open ambiguity names its readings (the virtual charger's switch slugs): unique snake_case slugs,
    one per reading; a single-reading one names none (tests/test_readings.py holds them to the switches)."""
    for amb in AMBIGUITIES:
        if amb.reading_names:
            assert len(amb.reading_names) == len(amb.readings) > 1, amb.id
            assert len(set(amb.reading_names)) == len(amb.reading_names), amb.id
            assert all(re.fullmatch(r"[a-z][a-z0-9_]*", n) for n in amb.reading_names), amb.id
            assert all(amb.reading(n) == t for n, t in zip(amb.reading_names, amb.readings)), amb.id


# --- the table against the spec text ----------------------------------------------------------------


def test_keys_match_spec_rows(spec_keys: dict[str, list[SpecKey]]) -> None:
    for label, table in (("4", APP_KEYS), ("5", CHARGER_KEYS)):
        rows = spec_keys[label]
        assert [r.name for r in rows] == [k.name for k in table], f"chapter {label}"
        for row, key in zip(rows, table):
            assert _SPEC_TYPES[row.type] is key.type, key.label
            assert _spec_default(row.default) == key.default, key.label
            if m := _RANGE.match(row.accepted):
                low, high = m.groups()
                assert key.minimum == float(low), key.label
                assert key.maximum == (2_147_483_647 if high == "INT_MAX" else float(high)), key.label


def test_methods_match_spec_tables(spec_methods: list[SpecMethod]) -> None:
    assert len(spec_methods) == METHOD_COUNT
    assert [(s.section, s.name) for s in spec_methods] == [(m.section, m.name) for m in METHODS]


def test_titles_are_the_spec_headings(spec_methods: list[SpecMethod]) -> None:
    for spec, m in zip(spec_methods, METHODS):
        assert m.title == spec.heading, m.label


def test_setters_answer_true_and_getters_list_spec_fields(spec_methods: list[SpecMethod]) -> None:
    for spec, m in zip(spec_methods, METHODS):
        if spec.answers_true:
            assert m.result is JsonType.TRUE, m.label
            continue
        assert m.is_getter, m.label
        if m.name in ("App_config.Get", "Charger_config.Get"):
            continue  # placeholder keys; fields come from chapters 4/5, checked above
        fields = {f.name: f for f in m.result}
        expected = _top_level(spec.response, fields)
        assert list(fields) == [name for name, _ in expected], m.label
        for name, raw in expected:
            assert fields[name].type is _spec_type(raw), f"{m.label} {name}"


def test_params_match_spec_requests(spec_methods: list[SpecMethod]) -> None:
    for spec, m in zip(spec_methods, METHODS):
        params = {p.name: p for p in m.params}
        expected = _top_level(spec.request, params)
        assert list(params) == [name for name, _ in expected], m.label
        for name, raw in expected:
            assert params[name].type is _spec_type(raw), f"{m.label} {name}"


def _top_level(keys: tuple[tuple[str, str], ...], table: dict) -> list[tuple[str, str]]:
    """Drop the interval keys nested inside a charging_schedule array (checked against SCHEDULE_INTERVAL_FIELDS)."""
    if "charging_schedule" not in table:
        return list(keys)
    nested = [(n, t) for n, t in keys if n != "charging_schedule"]
    assert [(p.name, p.type) for p in SCHEDULE_INTERVAL_FIELDS] == [(n, _spec_type(t)) for n, t in nested]
    return [(n, t) for n, t in keys if n == "charging_schedule"]
