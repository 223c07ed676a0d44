"""How a value is spelled on the wire where the RPC list types it as a string.

6.4 types ``config_value`` as a string ("OCPP style") while field clients send native JSON values;
a charger may take either, or only one (ambiguity ``config_value_type``).  Whoever must get a value
onto the charger (a bench precondition, a restore) tries the native value and this spelling.
"""
from __future__ import annotations

from typing import Any


def ocpp_spelling(value: Any) -> Any:
    """The 'OCPP style' string of a value ('true', '16', '45.5'); strings and null stay as they are."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if value is None or isinstance(value, str) else str(value)
