"""The firmware's configuration keys: type, factory default and acceptance rule of each.

Values arrive from ``App_config.Set`` either as JSON-native values or as strings ("OCPP style");
:func:`coerce` turns both into the key's type or raises the documented error code.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from simulator.firmware.rpc_errors import KEY_FORMAT, VALUE_LENGTH, VALUE_RANGE, RpcError

INT32_MAX = 2**31 - 1
MAX_FREE_STRING = 64


@dataclass(frozen=True)
class Setting:
    kind: type                    # bool, int, float or str
    default: Any
    low: float | None = None
    high: float | None = None
    check: Callable[[str], None] | None = None  # extra rule for strings; raises RpcError
    group: str = "app"


def _led_template(value: str) -> None:
    parts = [p.strip() for p in value.split(",")]
    if len(parts) != 12:
        raise RpcError(KEY_FORMAT, "led_template needs 12 comma-separated values")
    for part in parts:
        if not re.fullmatch(r"\d{1,3}", part):
            raise RpcError(KEY_FORMAT, "led_template values must be integers")
        if int(part) > 255:
            raise RpcError(VALUE_RANGE, "led_template values must be 0..255")


def _url(value: str) -> None:
    parsed = urlparse(value)
    if value and (parsed.scheme not in ("ws", "wss", "http", "https") or not parsed.netloc):
        raise RpcError(KEY_FORMAT, "ocpp_server_link must be a ws(s):// or http(s):// URL")


APP_SETTINGS: dict[str, Setting] = {
    "headless": Setting(bool, True),
    "install_current": Setting(int, 6, 6, 32),
    "led_max_brightness": Setting(int, 10, 10, 100),
    "led_dimming_delay": Setting(int, 0, 0, INT32_MAX),
    "charger_locked": Setting(bool, False),
    "auto_update": Setting(bool, True),
    "led_template_enabled": Setting(bool, False),
    "led_template": Setting(str, "", check=_led_template),
    "charger_alias": Setting(str, ""),
    "latitude": Setting(float, 0.0),
    "longitude": Setting(float, 0.0),
    "ocpp_server_link": Setting(str, "", check=_url),
    "connected_phase": Setting(int, 0, 1, 3),  # factory default 0 = "not set", as documented
    "owner_id": Setting(str, ""),
    "user_current": Setting(int, 32, 6, 32),
    "gmt_offset": Setting(int, 0, -12, 12),
    "precise_pwm_mode": Setting(bool, False),
    "energy_management_enabled": Setting(bool, False),
    "charging_schedule_enabled": Setting(bool, False),
    "em_id": Setting(str, ""),
    "timezone": Setting(str, ""),
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


def coerce(setting: Setting, value: Any, *, high: float | None = None, low: float | None = None) -> Any:
    """The value as the key's type, or :class:`RpcError` with -5 (type), -4 (range) or -3 (length).

    ``low``/``high`` override the key's bounds (how a defect narrows or widens a range).
    """
    low = setting.low if low is None else low
    high = setting.high if high is None else high
    if setting.kind is bool:
        result: Any = _as_bool(value)
    elif setting.kind is int:
        result = _as_int(value)
    elif setting.kind is float:
        result = _as_float(value)
    else:
        if not isinstance(value, str):
            raise RpcError(KEY_FORMAT, "a string is expected")
        if len(value) > MAX_FREE_STRING * 4:
            raise RpcError(VALUE_LENGTH, "string too long")
        if setting.check is not None and value != "":
            setting.check(value)
        return value
    if low is not None and result < low or high is not None and result > high:
        raise RpcError(VALUE_RANGE, f"value out of range [{low}, {high}]")
    return result


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
