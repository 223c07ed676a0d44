"""RPC error codes of the 1P7K (spec chapter 3) and the exception the handlers raise."""
from __future__ import annotations

GENERAL_FAIL = -1
JSON_FORMAT = -2
VALUE_LENGTH = -3
VALUE_RANGE = -4
KEY_FORMAT = -5
UNKNOWN_KEY = -6
PROHIBITED = -7
NO_HANDLER = 404  # Mongoose-OS answer for an unknown method


class RpcError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
