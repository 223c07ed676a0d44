"""Chapter 3 of the RPC list: the vendor's error codes.

The spec promises JSON-RPC 2.0 framing but lists only these vendor codes; which one a charger picks for
a given bad request is often open (see ``ambiguities.py``), so suites compare against these names
rather than bare numbers and accept every code an ambiguity allows.
"""
from __future__ import annotations

from .schema import ErrorCode

# Named constants, so a suite reads ``RANGE`` instead of ``-4`` (spec §3).
OK = 0
GENERAL_FAIL = -1
JSON_FORMAT = -2
LENGTH = -3
RANGE = -4
KEY_FORMAT = -5
UNKNOWN_KEY = -6
PROHIBITED = -7

ERROR_CODES: dict[int, ErrorCode] = {
    e.code: e
    for e in (
        ErrorCode(OK, "OK", "Success; nothing went wrong."),
        ErrorCode(GENERAL_FAIL, "GENERAL_FAIL", "Failure with no further detail given."),
        ErrorCode(
            JSON_FORMAT,
            "JSON_FORMAT",
            "The request JSON is malformed; typically some required key is missing.",
        ),
        ErrorCode(
            LENGTH,
            "LENGTH",
            "A string value has the wrong length (meant for string keys of fixed length).",
        ),
        ErrorCode(RANGE, "RANGE", "A value lies outside its accepted range (meant for integer keys)."),
        ErrorCode(
            KEY_FORMAT,
            "KEY_FORMAT",
            "A value has the wrong format or type, e.g. an integer given for a boolean key.",
        ),
        ErrorCode(UNKNOWN_KEY, "UNKNOWN_KEY", "The named key does not exist."),
        ErrorCode(PROHIBITED, "PROHIBITED", "The action is not allowed."),
    )
}
