"""The timing ledger's entry: a delayed firmware reaction, caused at one device time, applied at another.

The bench writes the ledger out (``ledger.json``) so a real-time run's wall times can be compared with
the delays the firmware took.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Reaction:
    """A delayed firmware reaction (for the timing ledger): what, caused at, applied at."""

    what: str
    caused_at: float
    applied_at: float
