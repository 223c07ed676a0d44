"""The vendor's RPC list (shared/spec/000_8f425004d40a163b.txt, v2.0) as data.

Suites import from here only, so there is one reading of the spec for the whole project.
"""
from __future__ import annotations

from .ambiguities import ABOUT, AMBIGUITIES, AMBIGUITIES_BY_ID, ambiguities_for
from .errors import (
    ERROR_CODES,
    GENERAL_FAIL,
    JSON_FORMAT,
    KEY_FORMAT,
    LENGTH,
    OK,
    PROHIBITED,
    RANGE,
    UNKNOWN_KEY,
)
from .keys import APP_KEYS, CHARGER_KEYS, KEYS_BY_NAME
from .methods import METHODS, METHODS_BY_NAME, SCHEDULE_INTERVAL_FIELDS, method
from .schema import (
    INT_MAX,
    Ambiguity,
    ConfigKey,
    ErrorCode,
    Field,
    JsonType,
    KeyGroup,
    Method,
    Param,
)

__all__ = [
    "ABOUT",
    "AMBIGUITIES",
    "AMBIGUITIES_BY_ID",
    "APP_KEYS",
    "CHARGER_KEYS",
    "ERROR_CODES",
    "GENERAL_FAIL",
    "INT_MAX",
    "JSON_FORMAT",
    "KEYS_BY_NAME",
    "KEY_FORMAT",
    "LENGTH",
    "METHODS",
    "METHODS_BY_NAME",
    "OK",
    "PROHIBITED",
    "RANGE",
    "SCHEDULE_INTERVAL_FIELDS",
    "UNKNOWN_KEY",
    "Ambiguity",
    "ConfigKey",
    "ErrorCode",
    "Field",
    "JsonType",
    "KeyGroup",
    "Method",
    "Param",
    "ambiguities_for",
    "method",
]
