"""The charger RPC client used by every suite.

``call()`` returns the result or raises :class:`DeviceError` (the charger said no) /
:class:`MalformedReply` (the charger answered out of form) / :class:`ChargerUnreachable` (bench
fault: no RPC reply, its subclass and one-line message saying how: errors.py).  ``send_raw()`` puts
arbitrary bytes on the wire for the framing suite.  Every request first waits for its slot in the
charger's :class:`~instruments.charger_rpc.rate.RateLimit` (shared by every client made to it).
Every exchange is recorded, masked, and handed to the registered listeners (the report attaches it to
the running Allure step), so a failing test shows exactly what crossed the wire.
"""
from __future__ import annotations

import itertools
import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from instruments.charger_rpc.errors import (
    ChargerAuthenticationRequired,
    ChargerGarbledReply,
    DeviceError,
    MalformedReply,
    transport_fault,
)
from instruments.charger_rpc.exchange import CallRecord, Exchange, notify_call_observers, notify_observers
from instruments.charger_rpc.masking import mask, mask_httpx_log, mask_text, mask_url
from instruments.charger_rpc.secret import reveal
from instruments.charger_rpc.rate import RateLimit
from instruments.charger_rpc.requested import methods_in_request
from instruments.charger_rpc.styles import RequestStyle, WireRequest, build, interpret, not_an_rpc_reply

ExchangeListener = Callable[[Exchange], None]
mask_httpx_log()  # httpx's own request log line shows the URL: masked like every exchange
HISTORY = 500  # recent exchanges kept for failure context; listeners see every one


@dataclass(frozen=True)
class RawReply:
    """An HTTP reply to a hand-made request; ``json`` is None when the body did not parse."""

    status: int
    json: Any
    text: str
    exchange: Exchange


class ChargerClient:
    """Async client for one charger; one instance per bench, shared by the tests of a session."""

    def __init__(
        self,
        base_url: str,
        *,
        style: RequestStyle = RequestStyle.FRAME,
        auth: httpx.Auth | None = None,
        timeout_s: float = 3.0,
        src: str = "lektrico-hil",
        secrets: tuple[str, ...] = (),
        transport: httpx.AsyncBaseTransport | None = None,
        rate_limit: RateLimit | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # Every request (call and send_raw) waits for its slot: one limiter per charger, shared by every
        # client the suite makes to it (instruments/charger_rpc/rate.py).
        self.rate_limit = rate_limit if rate_limit is not None else RateLimit(None)
        self.auth = auth
        self.style = style
        self.src = src
        self.timeout_s = timeout_s
        self._secrets = secrets
        self._ids = itertools.count(int(time.time()) % 100_000 * 10)
        self._http = httpx.AsyncClient(base_url=self.base_url, auth=auth, timeout=timeout_s, transport=transport)
        self.exchanges: deque[Exchange] = deque(maxlen=HISTORY)
        self.listeners: list[ExchangeListener] = []
        self.exchange_count = 0  # every request this client made (the history keeps only the last ones)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> ChargerClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    # --- RPC ----------------------------------------------------------------------------------
    async def call(self, method: str, params: dict[str, Any] | None = None, *,
                   style: RequestStyle | None = None) -> Any:
        """Call ``method``; return its result or raise a :class:`DeviceError`."""
        style = style or self.style
        call_id = next(self._ids)
        # No local of call() holds the wire form (a URL_GET query carries a PIN in clear): a traceback
        # through here, locals shown (pytest -l), shows params, whose credentials are Secrets (masked).
        raw = await self._send_wire(method, style, build(style, method, params, call_id, self.src))
        try:
            result = self._result_of(style, raw, call_id)
        except (DeviceError, MalformedReply) as error:
            notify_call_observers(CallRecord(method, mask(params), None, error, raw.exchange))
            raise
        notify_call_observers(CallRecord(method, mask(params), result, None, raw.exchange))
        return result

    async def _send_wire(self, method: str, style: RequestStyle, wire: WireRequest) -> RawReply:
        return await self._send(method, style.value, wire.http_method, wire.path, wire.body, (method,))

    def _result_of(self, style: RequestStyle, raw: RawReply, call_id: int) -> Any:
        if raw.status == 401:
            raise ChargerAuthenticationRequired(raw.exchange)
        outcome = interpret(style, raw.status, raw.json if raw.json is not None else raw.text, call_id, self.src)
        if outcome.malformed:
            raise MalformedReply(outcome.malformed, raw.exchange)
        if outcome.is_error:
            raise DeviceError(outcome.code, outcome.message, raw.exchange)
        return outcome.result

    async def send_raw(self, body: bytes | str | Any, *, path: str = "/rpc", http_method: str = "POST",
                       label: str = "raw") -> RawReply:
        """Send a hand-made request (bytes/str as-is, anything else as JSON) and return the reply."""
        return await self._send(label, "raw", http_method, path, body, methods_in_request(path, body))

    # --- transport ----------------------------------------------------------------------------
    async def _send(self, label: str, style: str, http_method: str, path: str, body: Any,
                    rpc_methods: tuple[str, ...] | None) -> RawReply:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        await self.rate_limit.acquire()
        started = time.monotonic()
        try:
            response = await self._http.request(http_method, path, content=_wire_bytes(body), headers=headers)
        except httpx.HTTPError as exc:
            fault, reason = transport_fault(exc, label, self.base_url, self.timeout_s)
            exchange = self._record(label, style, http_method, path, body, None, None, started, rpc_methods,
                                    error=f"{type(exc).__name__}: {exc}")
            raise fault(reason, exchange) from exc
        text = response.text
        try:
            decoded = json.loads(text) if text.strip() else None
        except ValueError:
            decoded = None
        garbled = None if decoded is not None else not_an_rpc_reply(  # JSON is never garbled: the style judges it
            response.status_code, response.headers.get("content-type", ""), response.content, to_a_call=style != "raw")
        exchange = self._record(label, style, http_method, path, body, response.status_code,
                                decoded if decoded is not None else text, started, rpc_methods)
        if garbled:
            raise ChargerGarbledReply(f"reply to {label}: {garbled}", exchange)
        return RawReply(response.status_code, decoded, text, exchange)

    def _record(self, label: str, style: str, http_method: str, path: str, body: Any, status: int | None,
                reply: Any, started: float, rpc_methods: tuple[str, ...] | None,
                error: str | None = None) -> Exchange:
        def clean(value: Any) -> Any:
            if isinstance(value, bytes):
                value = value.decode(errors="replace")
            if isinstance(value, str):
                try:
                    return mask(json.loads(value))
                except ValueError:
                    return mask_text(value, self._secrets)
            return mask(value)

        exchange = Exchange(
            method=label, http_method=http_method, url=mask_url(self.base_url + path),
            request_body=clean(body), status=status, reply_body=clean(reply),
            duration_s=round(time.monotonic() - started, 6), style=style, error=error, rpc_methods=rpc_methods,
        )
        self.exchanges.append(exchange)
        self.exchange_count += 1
        for listener in self.listeners:
            listener(exchange)
        notify_observers(exchange)
        return exchange


def _wire_bytes(body: bytes | str | Any) -> bytes | None:
    """The request body as sent: the one place a :class:`Secret` is revealed, built inside the send
    call so no frame's locals keep the encoded credentials."""
    if body is None:
        return None
    if isinstance(body, (bytes, str)):
        return reveal(body).encode() if isinstance(body, str) else body
    return json.dumps(reveal(body)).encode()
