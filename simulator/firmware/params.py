"""Reading request parameters the way the firmware does: -2 missing, -5 wrong type.

Errors whose code the spec leaves open carry a ``kind`` (``missing_param``, ``null_param``), and the
dispatcher turns them into the code of the reading the charger takes.
"""
from __future__ import annotations

from typing import Any

from simulator.firmware.rpc_errors import JSON_FORMAT, KEY_FORMAT, VALUE_RANGE, RpcError


def required(params: dict[str, Any], name: str) -> Any:
    if name not in params:
        raise RpcError(JSON_FORMAT, f"missing key '{name}'", kind="missing_param")
    return params[name]


def wrong_type(name: str, value: Any, expected: str) -> RpcError:
    """-5 for a value of the wrong JSON type; a null is its own situation (ambiguity null_param_code)."""
    return RpcError(KEY_FORMAT, f"'{name}' must be {expected}", kind="null_param" if value is None else "")


def integer(params: dict[str, Any], name: str, low: int, high: int) -> int:
    value = required(params, name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise wrong_type(name, value, "an integer")
    if not low <= value <= high:
        raise RpcError(VALUE_RANGE, f"'{name}' must be in [{low}, {high}]")
    return value


def string(params: dict[str, Any], name: str) -> str:
    value = required(params, name)
    if not isinstance(value, str):
        raise wrong_type(name, value, "a string")
    return value
