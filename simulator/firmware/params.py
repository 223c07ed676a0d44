"""Reading request parameters the way the firmware does: -2 missing, -5 wrong type."""
from __future__ import annotations

from typing import Any

from simulator.firmware.rpc_errors import JSON_FORMAT, KEY_FORMAT, VALUE_RANGE, RpcError


def required(params: dict[str, Any], name: str) -> Any:
    if name not in params:
        raise RpcError(JSON_FORMAT, f"missing key '{name}'")
    return params[name]


def integer(params: dict[str, Any], name: str, low: int, high: int) -> int:
    value = required(params, name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise RpcError(KEY_FORMAT, f"'{name}' must be an integer")
    if not low <= value <= high:
        raise RpcError(VALUE_RANGE, f"'{name}' must be in [{low}, {high}]")
    return value


def string(params: dict[str, Any], name: str) -> str:
    value = required(params, name)
    if not isinstance(value, str):
        raise RpcError(KEY_FORMAT, f"'{name}' must be a string")
    return value
