"""Two families of failure, kept apart so a red verdict says whose fault it is.

* :class:`DeviceError` and :class:`MalformedReply` are the charger's answers: a product verdict.
* :class:`BenchFault` (unreachable charger, timeout) is the bench's problem: no verdict on the product.

No RPC reply at all is :class:`ChargerUnreachable`, and each way of getting none has its subclass with a
one-line message naming what was awaited and what was seen (:func:`transport_fault` reads httpx's
exception): a stall or a reply later than ``timeout_s`` (:class:`ChargerNoReply`), a refused connection
(:class:`ChargerRefused`), a connection dropped before any reply (:class:`ChargerConnectionLost`), a body
cut short (:class:`ChargerReplyCutShort`), and an HTTP reply that is no RPC reply at all
(:class:`ChargerGarbledReply`: a 2xx body that is not JSON, a 5xx HTML page).  A reply that *is* JSON but
out of form (wrong id, no result) stays :class:`MalformedReply`: the charger's own answer, a verdict.
"""
from __future__ import annotations

import errno
import re
from urllib.parse import urlsplit

import httpx

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
    """No RPC reply: connection refused or reset, no answer within the timeout, or an HTTP reply that is
    no RPC reply at all (the base of every transport fault below)."""

    def __init__(self, reason: str, exchange: Exchange) -> None:
        super().__init__(f"charger unreachable: {reason}; {exchange.summary()}")
        self.reason = reason
        self.exchange = exchange


class ChargerTransportFault(ChargerUnreachable):
    """One way of getting no RPC reply; the message is the reason itself, then the exchange."""

    def __init__(self, reason: str, exchange: Exchange) -> None:
        BenchFault.__init__(self, f"{reason}; {exchange.summary()}")
        self.reason = reason
        self.exchange = exchange


class ChargerNoReply(ChargerTransportFault):
    """No reply within ``timeout_s``: a stall (TCP accepted, nothing answered) or a reply slower than that."""


class ChargerRefused(ChargerTransportFault):
    """Connection refused: nothing listens at the charger's address (its server down, or rebooting)."""


class ChargerConnectionLost(ChargerTransportFault):
    """The connection closed or was reset before any reply (a reboot, a dropped link)."""


class ChargerReplyCutShort(ChargerTransportFault):
    """The reply's body ended before its Content-Length (a dropped link mid-reply)."""


class ChargerGarbledReply(ChargerTransportFault):
    """An HTTP reply that is no RPC reply at all: a 2xx body that is not JSON, a 5xx HTML error page
    (what a proxy or gateway between the bench and the charger serves, not the charger's firmware)."""


_CUT_SHORT = re.compile(r"received (\d+) bytes, expected (\d+)")


def transport_fault(exc: httpx.HTTPError, label: str, url: str,
                    timeout_s: float) -> tuple[type[ChargerUnreachable], str]:
    """The fault class and its one-line reason for an httpx exception while waiting for ``label``'s reply."""
    where = urlsplit(url).netloc or url
    if isinstance(exc, httpx.ConnectTimeout):
        return ChargerNoReply, f"no TCP connection to {where} within {timeout_s:g} s for {label}"
    if isinstance(exc, httpx.TimeoutException):
        return ChargerNoReply, f"no reply to {label} within {timeout_s:g} s (TCP connected)"
    if isinstance(exc, httpx.ConnectError):
        if _refused(exc):
            return ChargerRefused, (f"connection to {where} refused for {label}: nothing listens "
                                    "(server down or rebooting)")
        return ChargerUnreachable, f"cannot connect to {where} for {label}: {_root(exc)}"
    cut = _CUT_SHORT.search(str(exc))
    if isinstance(exc, httpx.RemoteProtocolError) and cut:
        return ChargerReplyCutShort, (f"reply to {label} cut short: {cut.group(1)} of {cut.group(2)} bytes, "
                                      "then the connection closed")
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
        return ChargerConnectionLost, (f"connection to {where} closed before any reply to {label} "
                                       f"({type(exc).__name__}: {str(exc) or _root(exc)})")
    return ChargerUnreachable, f"{type(exc).__name__} waiting for {label}: {str(exc) or _root(exc)}"


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _refused(exc: BaseException) -> bool:
    return any(isinstance(e, ConnectionRefusedError) or getattr(e, "errno", None) == errno.ECONNREFUSED
               for e in _chain(exc))


def _root(exc: BaseException) -> str:
    root = _chain(exc)[-1]
    return f"{type(root).__name__}: {root}"


class ChargerAuthenticationRequired(BenchFault):
    """HTTP 401: the bench profile's credentials are missing or wrong (a bench set-up fault)."""

    def __init__(self, exchange: Exchange) -> None:
        super().__init__(f"the charger requires HTTP authentication (401); set the profile's credentials; "
                         f"{exchange.summary()}")
        self.exchange = exchange
