"""The firmware's configuration keys: type, factory default and acceptance rule of each.

Values arrive from ``App_config.Set`` either as JSON-native values or as strings ("OCPP style");
:func:`coerce` turns both into the key's type or raises the documented error code.  Where the spec
leaves a rule open (which forms of config_value, which INT_MAX, which URLs, how long a string, how a
string goes back to NULL) the charger's :class:`ActiveReadings` decide.  A string key that is NULL
(chapter 4's default) is stored as ``None``.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from simulator.firmware.rpc_errors import GENERAL_FAIL, KEY_FORMAT, VALUE_LENGTH, VALUE_RANGE, RpcError
from simulator.readings import ActiveReadings

INT32_MAX = 2**31 - 1
UINT32_MAX = 2**32 - 1
MAX_FREE_STRING = 256  # characters an 'Any string' record holds (reading "rejected_3" refuses more)
_GEOGRAPHIC = {"latitude": 90.0, "longitude": 180.0}


@dataclass(frozen=True)
class Setting:
    kind: type                    # bool, int, float or str
    default: Any
    low: float | None = None
    high: float | None = None
    check: Callable[[str, ActiveReadings], None] | None = None  # extra rule for strings; raises RpcError
    group: str = "app"


def _led_template(value: str, readings: ActiveReadings) -> None:
    reading = readings["led_template_invalid_code"]
    codes = {"format_5_range_4": (KEY_FORMAT, VALUE_RANGE, KEY_FORMAT), "format_5": (KEY_FORMAT,) * 3,
             "length_3": (VALUE_LENGTH, VALUE_RANGE, KEY_FORMAT), "general_fail": (GENERAL_FAIL,) * 3}[reading]
    count_code, range_code, format_code = codes
    parts = [p.strip() for p in value.split(",")]
    if len(parts) != 12:
        raise RpcError(count_code, "led_template needs 12 comma-separated values")
    for part in parts:
        if not re.fullmatch(r"\d{1,3}", part):
            raise RpcError(format_code, "led_template values must be integers")
        if int(part) > 255:
            raise RpcError(range_code, "led_template values must be 0..255")


def _url(value: str, readings: ActiveReadings) -> None:
    reading = readings["ocpp_server_link_url_rule"]
    schemes = ("ws", "wss") if reading == "ws_only" else ("ws", "wss", "http", "https")
    parsed = urlparse(value)
    if parsed.scheme not in schemes or not parsed.netloc:
        raise RpcError(GENERAL_FAIL if reading == "general_fail" else KEY_FORMAT,
                       f"ocpp_server_link must be a {'/'.join(schemes)} URL")


APP_SETTINGS: dict[str, Setting] = {
    "headless": Setting(bool, True),
    "install_current": Setting(int, 6, 6, 32),
    "led_max_brightness": Setting(int, 10, 10, 100),
    "led_dimming_delay": Setting(int, 0, 0, INT32_MAX),
    "charger_locked": Setting(bool, False),
    "auto_update": Setting(bool, True),
    "led_template_enabled": Setting(bool, False),
    "led_template": Setting(str, None, check=_led_template),
    "charger_alias": Setting(str, None),
    "latitude": Setting(float, 0.0),
    "longitude": Setting(float, 0.0),
    "ocpp_server_link": Setting(str, None, check=_url),
    "connected_phase": Setting(int, 0, 1, 3),  # factory default 0 = "not set" (readings: app_defaults)
    "owner_id": Setting(str, None),
    "user_current": Setting(int, 32, 6, 32),
    "gmt_offset": Setting(int, 0, -12, 12),
    "precise_pwm_mode": Setting(bool, False),
    "energy_management_enabled": Setting(bool, False),
    "charging_schedule_enabled": Setting(bool, False),
    "em_id": Setting(str, None),
    "timezone": Setting(str, None),
    "user_power": Setting(int, 7360, 1380, 7360),
}

CHARGER_SETTINGS: dict[str, Setting] = {
    "overtemp_threshold": Setting(int, 70, 55, INT32_MAX, group="charger"),
    "critical_temp_threshold": Setting(int, 80, 65, INT32_MAX, group="charger"),
    "voltage_gain": Setting(float, 1.0, 0.8, 1.2, group="charger"),
    "current_gain": Setting(float, 1.0, 0.8, 1.2, group="charger"),
    "calibration_temperature": Setting(float, 25.0, 10.0, 40.0, group="charger"),
    "rcd_enabled": Setting(bool, True, group="charger"),
    "serial_number": Setting(int, 500006, 0, 999999, group="charger"),
    "board_revision": Setting(str, "E", group="charger"),
    "temp_offset": Setting(float, 0.0, group="charger"),
}


def app_defaults(readings: ActiveReadings) -> dict[str, Any]:
    """The factory values of the chapter 4 keys on this firmware build."""
    defaults = {name: s.default for name, s in APP_SETTINGS.items()}
    if readings.is_("connected_phase_default_out_of_range", "fresh_reports_1"):
        defaults["connected_phase"] = 1
    return defaults


def bounds(key: str, setting: Setting, readings: ActiveReadings) -> tuple[float | None, float | None]:
    """The accepted range of a numeric key as this build reads chapter 4."""
    low, high = setting.low, setting.high
    if key == "connected_phase" and readings.is_("connected_phase_default_out_of_range", "zero_accepted"):
        low = 0
    if key == "led_dimming_delay" and readings.is_("led_dimming_delay_int_max", "uint32"):
        high = UINT32_MAX
    if key in _GEOGRAPHIC and readings.is_("latitude_longitude_range", "geographic"):
        low, high = -_GEOGRAPHIC[key], _GEOGRAPHIC[key]
    return low, high


def coerce(setting: Setting, value: Any, *, high: float | None = None, low: float | None = None,
           readings: ActiveReadings | None = None, key: str = "", from_app_config: bool = True) -> Any:
    """The value as the key's type, or :class:`RpcError` with -5 (type), -4 (range) or -3 (length).

    A string key may come back ``None`` (NULL again).  ``low``/``high`` override the key's bounds (how a
    defect narrows or widens a range).
    """
    readings = readings or ActiveReadings()
    key_low, key_high = bounds(key, setting, readings)
    low = key_low if low is None else low
    high = key_high if high is None else high
    form = readings["config_value_type"] if from_app_config else "both"  # a typed param is no config_value
    if value is None:
        if setting.kind is str and readings.is_("null_string_set_back", "null_clears"):
            return None
        raise RpcError(KEY_FORMAT, "null is not a value", kind="null_param")
    if setting.kind is str:
        return _as_string(setting, value, readings)
    if form == "string_only" and not isinstance(value, str):
        raise RpcError(KEY_FORMAT, "config_value must be a string (OCPP style)")
    if form == "native_only" and isinstance(value, str):
        raise RpcError(KEY_FORMAT, f"config_value must be a JSON {setting.kind.__name__}")
    if setting.kind is bool:
        result: Any = _as_bool(value)
    elif setting.kind is int:
        result = _as_int(value)
        if result > max(INT32_MAX, high or 0):  # past the device's int (ambiguity int_max_overflow_code)
            code = {"range_4": VALUE_RANGE, "format_5": KEY_FORMAT, "general_fail": GENERAL_FAIL}[
                readings["int_max_overflow_code"]]
            raise RpcError(code, "value does not fit the device's integer")
    else:
        result = _as_float(value)
    if low is not None and result < low or high is not None and result > high:
        raise RpcError(VALUE_RANGE, f"value out of range [{low}, {high}]")
    return result


def _as_string(setting: Setting, value: Any, readings: ActiveReadings) -> str | None:
    if not isinstance(value, str):
        raise RpcError(KEY_FORMAT, "a string is expected")
    if value == "":
        set_back = readings["null_string_set_back"]
        if set_back == "empty_clears":
            return None
        if set_back == "refused" and setting.check is not None:
            raise RpcError(KEY_FORMAT, "an empty value is no template or URL")
        return ""
    if setting.check is not None:
        setting.check(value, readings)
    elif len(value) > MAX_FREE_STRING:
        reading = readings["free_string_length"]
        if reading == "truncated":
            return value[:MAX_FREE_STRING]
        if reading == "rejected_3":
            raise RpcError(VALUE_LENGTH, "string too long")
    return value


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise RpcError(KEY_FORMAT, "a boolean is expected")


def _as_int(value: Any) -> int:
    if isinstance(value, bool):
        raise RpcError(KEY_FORMAT, "an integer is expected")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value.strip()):
        return int(value)
    raise RpcError(KEY_FORMAT, "an integer is expected")


def _as_float(value: Any) -> float:
    if isinstance(value, bool):
        raise RpcError(KEY_FORMAT, "a number is expected")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise RpcError(KEY_FORMAT, "a number is expected")
