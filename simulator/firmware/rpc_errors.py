"""RPC error codes of the 1P7K (spec chapter 3) and the exceptions the handlers raise."""
from __future__ import annotations

GENERAL_FAIL = -1
JSON_FORMAT = -2
VALUE_LENGTH = -3
VALUE_RANGE = -4
KEY_FORMAT = -5
UNKNOWN_KEY = -6
PROHIBITED = -7
NO_HANDLER = 404  # Mongoose-OS answer for an unknown method

# JSON-RPC 2.0 §5.1 codes, for a firmware that frames errors the JSON-RPC way (reading "jsonrpc").
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602

# Chapter 3's descriptions, the message a firmware taking reading "chapter3_text" sends.
DESCRIPTIONS = {
    GENERAL_FAIL: "General fail. No details.",
    JSON_FORMAT: "JSON request format error.",
    VALUE_LENGTH: "Key value length error.",
    VALUE_RANGE: "Key value range error.",
    KEY_FORMAT: "Error key format.",
    UNKNOWN_KEY: "Unknown key error.",
    PROHIBITED: "Prohibited action error.",
}


class RpcError(Exception):
    """An error answer.  ``kind`` names the situation when its code is a reading of an ambiguity
    (``missing_param``, ``null_param``, ``schedule``), so the dispatcher can apply the reading once."""

    def __init__(self, code: int, message: str, *, kind: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.kind = kind


class UnknownMethod(RpcError):
    """No handler for the method (its code is a reading of ambiguity unknown_method_code)."""
