"""The charger's latest answers to its configuration getters, reused while nothing else was exchanged.

A rejected-input test compares the charger before and after the rejected call.  The "after" is the
evidence and is always read.  The "before" costs an exchange too, unless the charger's latest answer to
the same getter still is its state: when every exchange since that answer (by any client, the WebSocket
included: the process-wide observers see them all) was an answered, parameterless call of a getter of the
RPC list, nothing can have changed it (a getter has no side effect in chapter 6).  Consecutive
rejected-input tests then chain: one test's "after" is the next one's "before".  On a charger on Wi-Fi
each exchange saved is tens to hundreds of milliseconds.
"""
from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from instruments.charger_rpc import ChargerClient, RequestStyle
from instruments.charger_rpc.exchange import CALL_OBSERVERS, OBSERVERS, CallRecord, Exchange
from reference.spec import METHODS

# Getters of configuration and limits: what they answer changes only when a request changes it (unlike
# Charger_info.Get's session state or the meter readings, which change by themselves).
CONFIGURATION_GETTERS = frozenset({"App_config.Get", "System_currents.Get", "Dynamic_current.Get",
                                   "Charging_schedule.Get", "Charger_config.Get"})
# Every getter of the RPC list: reading one changes nothing (its answer may change by itself, though).
READ_ONLY = frozenset(m.name for m in METHODS if m.name.endswith(".Get") and not m.params)
assert CONFIGURATION_GETTERS <= READ_ONLY, CONFIGURATION_GETTERS - READ_ONLY
_CALL_STYLES = frozenset(style.value for style in RequestStyle)


class LatestReadings:
    """The latest answer of each configuration getter, forgotten at any exchange but a getter's."""

    def __init__(self) -> None:
        self._answers: dict[str, Any] = {}

    def observe(self, exchange: Exchange) -> None:
        if exchange.style not in _CALL_STYLES or exchange.status is None or exchange.method not in READ_ONLY:
            self._answers.clear()  # anything but a read may have changed anything

    def observe_call(self, record: CallRecord) -> None:
        if record.method not in READ_ONLY:
            return  # already forgotten in observe()
        if record.error is not None or record.params is not None:
            self._answers.clear()  # a getter given params, or one that failed: not a plain read
        elif record.method in CONFIGURATION_GETTERS:
            self._answers[record.method] = copy.deepcopy(record.result)

    async def get(self, charger: ChargerClient, method: str) -> Any:
        """The charger's answer to ``method`` as of now: the latest one if nothing else was exchanged
        since, else read now.  For a "before"; an "after" (the evidence) is a ``charger.call``."""
        if method in self._answers:
            return copy.deepcopy(self._answers[method])
        return await charger.call(method)


def registered() -> Iterator[LatestReadings]:
    """A :class:`LatestReadings` that sees every exchange while the generator is open."""
    readings = LatestReadings()
    OBSERVERS.append(readings.observe)
    CALL_OBSERVERS.append(readings.observe_call)
    try:
        yield readings
    finally:
        OBSERVERS.remove(readings.observe)
        CALL_OBSERVERS.remove(readings.observe_call)
