"""A record of one HTTP exchange with the charger, masked and ready to attach to a report.

A red verdict must show exactly what was sent and what came back, so every call the client makes
is kept as an :class:`Exchange`: request, reply, HTTP status and duration.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Exchange:
    method: str                 # RPC method name, or the raw path for hand-made requests
    http_method: str
    url: str
    request_body: Any           # decoded JSON (masked) or text
    status: int | None          # None when no HTTP reply came (connection failure, timeout)
    reply_body: Any             # decoded JSON (masked) or text; None if no reply
    duration_s: float
    style: str
    error: str | None = None    # transport problem, if any
    # The RPC methods the request named, as the charger would read them; None: cannot be known.
    rpc_methods: tuple[str, ...] | None = field(default=(), compare=False)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False, default=str)

    def summary(self) -> str:
        """One line for failure messages: what was asked and what came back."""
        reply = self.error if self.status is None else f"HTTP {self.status} {json.dumps(self.reply_body, default=str)}"
        return f"{self.http_method} {self.url} {json.dumps(self.request_body, default=str)} -> {reply}"


ExchangeObserver = Callable[[Exchange], None]
OBSERVERS: list[ExchangeObserver] = []
"""Process-wide observers of every exchange of every client and WebSocket (counting, the snapshot's
journal of what a test may have changed); a client's own ``listeners`` see only its exchanges."""


def notify_observers(exchange: Exchange) -> None:
    for observer in tuple(OBSERVERS):
        observer(exchange)


@dataclass(frozen=True)
class CallRecord:
    """A ``ChargerClient.call()`` as its caller saw it: the result, or the error the charger answered
    (``DeviceError``) or the reply that did not fit (``MalformedReply``)."""

    method: str
    params: dict[str, Any] | None
    result: Any
    error: Exception | None
    exchange: Exchange


CallObserver = Callable[[CallRecord], None]
CALL_OBSERVERS: list[CallObserver] = []
"""Process-wide observers of every completed ``call()`` (after its exchange went to ``OBSERVERS``)."""


def notify_call_observers(record: CallRecord) -> None:
    for observer in tuple(CALL_OBSERVERS):
        observer(record)
