"""Chapter 5: the charger configuration keys, read through Charger_config.Get (6.21).

Every key of ``reference.spec.CHARGER_KEYS`` must be present, of its chapter 5 JSON type and within its
accepted range or pattern; the two dedicated getters (6.8 Board_revision.Get, 6.11 Serial_number.Get)
must agree with it.  The defaults are not checked: calibration values differ per unit by design.
"""
from __future__ import annotations

import math
import re
from typing import Any

import pytest

from instruments.charger_rpc import ChargerClient, DeviceError
from reports.allure_support import ambiguity, cover
from suites.api.support import label
from reference.spec import CHARGER_KEYS, KEYS_BY_NAME, METHODS_BY_NAME, ConfigKey, JsonType

pytestmark = [pytest.mark.api, pytest.mark.config]


def _serial_as_int(value: Any) -> int:
    """Chapter 5 types serial_number as an integer; 6.11 as a 6-digit string (serial_number_type_mismatch)."""
    if isinstance(value, str):
        assert value.isdigit(), f"serial number {value!r} is not digits"
        return int(value)
    assert JsonType.INTEGER.accepts(value), f"serial number {value!r} is neither an integer nor a digit string"
    return value


@pytest.mark.parametrize("key", CHARGER_KEYS, ids=lambda k: k.name)
async def test_5_charger_key_present_typed_and_in_range(charger: ChargerClient, key: ConfigKey) -> None:
    cover(key)
    config = await charger.call("Charger_config.Get")
    assert key.name in config, f"Charger_config.Get lacks {key.name} (6.21 answers every chapter 5 key)"
    value = config[key.name]
    if key.name == "serial_number" and isinstance(value, str):
        ambiguity(*label("serial_number_type_mismatch", "string_key"))
        value = _serial_as_int(value)
    elif key.name == "serial_number":
        ambiguity(*label("serial_number_type_mismatch", "padded_string"))
    assert key.type.accepts(value), f"{key.name}={value!r} ({type(value).__name__}) is not a JSON {key.type.value}"
    if key.type is JsonType.DOUBLE:
        assert math.isfinite(value), f"{key.name}={value!r} is not a finite double"
    if key.minimum is not None:
        assert key.minimum <= value, f"{key.name}={value!r} below its chapter 5 minimum {key.minimum}"
    if key.maximum is not None:
        assert value <= key.maximum, f"{key.name}={value!r} above its chapter 5 maximum {key.maximum}"
    if key.pattern is not None:
        assert re.fullmatch(key.pattern, value), f"{key.name}={value!r} does not match {key.pattern!r}"


async def test_5_charger_config_has_only_chapter_5_keys(charger: ChargerClient) -> None:
    """6.21 answers the chapter 5 keys: nothing missing, and no application key leaks in."""
    cover(METHODS_BY_NAME["Charger_config.Get"])
    config = await charger.call("Charger_config.Get")
    missing = [k.name for k in CHARGER_KEYS if k.name not in config]
    assert not missing, f"Charger_config.Get lacks {missing}"
    leaked = [name for name in config if name in KEYS_BY_NAME and KEYS_BY_NAME[name] not in CHARGER_KEYS]
    assert not leaked, f"Charger_config.Get reports chapter 4 keys {leaked}"


async def test_6_8_board_revision_get_agrees_with_charger_config(charger: ChargerClient) -> None:
    cover(METHODS_BY_NAME["Board_revision.Get"])
    revision = (await charger.call("Board_revision.Get"))["board_revision"]
    assert isinstance(revision, str) and re.fullmatch(KEYS_BY_NAME["board_revision"].pattern, revision), (
        f"Board_revision.Get answered {revision!r}, not one letter A-Z")
    assert revision == (await charger.call("Charger_config.Get"))["board_revision"]


async def test_6_11_serial_number_get_agrees_with_charger_config(charger: ChargerClient) -> None:
    """6.11 gives the serial as the string 'xxxxxx' (x = 0..9); numerically it is chapter 5's serial_number."""
    cover(METHODS_BY_NAME["Serial_number.Get"])
    try:
        reply = await charger.call("Serial_number.Get")
    except DeviceError as error:
        ambiguity(*label("deprecated_method_served", "removed"))
        pytest.skip(f"Serial_number.Get (deprecated) is no longer served: code {error.code}")
    ambiguity(*label("deprecated_method_served", "served"))
    serial = reply["serial_number"]
    assert isinstance(serial, str), f"Serial_number.Get answered {serial!r} ({type(serial).__name__}); 6.11 says string"
    config_serial = _serial_as_int((await charger.call("Charger_config.Get"))["serial_number"])
    assert _serial_as_int(serial) == config_serial, (
        f"Serial_number.Get {serial!r} and Charger_config.Get serial_number {config_serial} differ")
    if re.fullmatch(r"[0-9]{6}", serial):
        ambiguity(*label("serial_number_type_mismatch", "padded_string"))
    else:
        assert serial == str(config_serial), f"Serial_number.Get {serial!r}: neither 6 digits nor unpadded"
        ambiguity(*label("serial_number_type_mismatch", "unpadded"))
