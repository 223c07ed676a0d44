"""The charger RPC client used by every suite.

``call()`` returns the result or raises :class:`DeviceError` (the charger said no) /
:class:`MalformedReply` (the charger answered out of form) / :class:`ChargerUnreachable` (bench
fault).  ``send_raw()`` puts arbitrary bytes on the wire for the framing suite.  Every exchange is
recorded, masked, and handed to the registered listeners (the report attaches it to the running
Allure step), so a failing test shows exactly what crossed the wire.
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
    ChargerUnreachable,
    DeviceError,
    MalformedReply,
)
from instruments.charger_rpc.exchange import CallRecord, Exchange, notify_call_observers, notify_observers
from instruments.charger_rpc.masking import mask, mask_text, mask_url
from instruments.charger_rpc.requested import methods_in_request
from instruments.charger_rpc.styles import RequestStyle, build, interpret

ExchangeListener = Callable[[Exchange], None]
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
    ) -> None:
        self.base_url = base_url.rstrip("/")
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
        wire = build(style, method, params, call_id, self.src)
        raw = await self._send(method, style.value, wire.http_method, wire.path, wire.body, (method,))
        try:
            result = self._result_of(style, raw, call_id)
        except (DeviceError, MalformedReply) as error:
            notify_call_observers(CallRecord(method, params, None, error, raw.exchange))
            raise
        notify_call_observers(CallRecord(method, params, result, None, raw.exchange))
        return result

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
        if body is None:
            content: bytes | None = None
        elif isinstance(body, (bytes, str)):
            content = body.encode() if isinstance(body, str) else body
        else:
            content = json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if content is not None else {}
        started = time.monotonic()
        try:
            response = await self._http.request(http_method, path, content=content, headers=headers)
        except httpx.HTTPError as exc:
            exchange = self._record(label, style, http_method, path, body, None, None, started, rpc_methods,
                                    error=f"{type(exc).__name__}: {exc}")
            raise ChargerUnreachable(type(exc).__name__, exchange) from exc
        text = response.text
        try:
            decoded = json.loads(text) if text.strip() else None
        except ValueError:
            decoded = None
        exchange = self._record(label, style, http_method, path, body, response.status_code,
                                decoded if decoded is not None else text, started, rpc_methods)
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
