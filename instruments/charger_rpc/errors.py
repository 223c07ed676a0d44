"""Two families of failure, kept apart so a red verdict says whose fault it is.

* :class:`DeviceError` and :class:`MalformedReply` are the charger's answers: a product verdict.
* :class:`BenchFault` (unreachable charger, timeout) is the bench's problem: no verdict on the product.
"""
from __future__ import annotations

from instruments.charger_rpc.exchange import Exchange
from instruments.errors import BenchFault


class DeviceError(Exception):
    """The charger answered with an RPC error object."""

    def __init__(self, code: int, message: str, exchange: Exchange) -> None:
        super().__init__(f"charger error {code} ({message!r}) for {exchange.summary()}")
        self.code = code
        self.message = message
        self.exchange = exchange


class MalformedReply(AssertionError):
    """The charger answered, but not with a well-formed reply for the request style used.

    An AssertionError because it is a conformance verdict wherever it surfaces (a test, or a
    fixture's snapshot), never a bench fault."""

    def __init__(self, reason: str, exchange: Exchange) -> None:
        super().__init__(f"malformed reply: {reason}; {exchange.summary()}")
        self.reason = reason
        self.exchange = exchange


class ChargerUnreachable(BenchFault):
    """No HTTP reply: connection refused or reset, or no answer within the timeout."""

    def __init__(self, reason: str, exchange: Exchange) -> None:
        super().__init__(f"charger unreachable: {reason}; {exchange.summary()}")
        self.reason = reason
        self.exchange = exchange


class ChargerAuthenticationRequired(BenchFault):
    """HTTP 401: the bench profile's credentials are missing or wrong (a bench set-up fault)."""

    def __init__(self, exchange: Exchange) -> None:
        super().__init__(f"the charger requires HTTP authentication (401); set the profile's credentials; "
                         f"{exchange.summary()}")
        self.exchange = exchange
