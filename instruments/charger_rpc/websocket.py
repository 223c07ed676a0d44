"""The charger's WebSocket RPC channel (``/rpc``, field-facts §1): frames both ways, notifications in.

Requests carry an ``id`` and get a reply frame with it; frames without an ``id`` are notifications
(the charger's heartbeat, status changes).  Every frame sent or received is recorded, masked, as an
:class:`Exchange` for the report, like the HTTP client's.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from typing import Any

import aiohttp

from instruments.charger_rpc.errors import ChargerUnreachable, MalformedReply
from instruments.charger_rpc.exchange import Exchange, notify_observers
from instruments.charger_rpc.masking import mask, mask_url


class ChargerWebSocket:
    def __init__(self, base_url: str, *, src: str = "lektrico-hil", timeout_s: float = 3.0,
                 listeners: list[Callable[[Exchange], None]] | None = None) -> None:
        self.url = base_url.rstrip("/").replace("http://", "ws://", 1).replace("https://", "wss://", 1) + "/rpc"
        self.src = src
        self.timeout_s = timeout_s
        self.listeners = listeners or []
        self.notifications: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None

    async def __aenter__(self) -> ChargerWebSocket:
        self._session = aiohttp.ClientSession()
        try:
            self._ws = await self._session.ws_connect(self.url, timeout=aiohttp.ClientWSTimeout(ws_close=self.timeout_s))
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            await self._session.close()
            raise ChargerUnreachable(f"WebSocket {type(exc).__name__}", self._record("connect", None, None, 0.0,
                                                                                      error=str(exc))) from exc
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._session is not None:
            await self._session.close()

    async def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send a request frame and return its reply frame; notifications met meanwhile are kept."""
        frame: dict[str, Any] = {"id": next(self._ids), "src": self.src, "method": method}
        if params is not None:
            frame["params"] = params
        started = time.monotonic()
        await self._socket().send_json(frame)
        deadline = started + self.timeout_s
        while True:
            reply = await self.receive(max(0.0, deadline - time.monotonic()))
            if reply is None:
                exchange = self._record(method, frame, None, started, error="no reply frame")
                raise ChargerUnreachable(f"no reply to {method} within {self.timeout_s} s", exchange)
            if "id" in reply and reply.get("id") == frame["id"]:
                self._record(method, frame, reply, started)
                return reply
            if "id" not in reply:
                self.notifications.append(reply)

    async def receive(self, within_s: float) -> dict[str, Any] | None:
        """The next frame within ``within_s`` wall seconds, or None."""
        try:
            message = await self._socket().receive(timeout=within_s)
        except asyncio.TimeoutError:
            return None
        if message.type is not aiohttp.WSMsgType.TEXT:
            return None
        try:
            frame = json.loads(message.data)
        except ValueError:
            raise MalformedReply("WebSocket frame is not JSON",
                                 self._record("receive", None, message.data, time.monotonic())) from None
        if not isinstance(frame, dict):
            raise MalformedReply("WebSocket frame is not a JSON object",
                                 self._record("receive", None, frame, time.monotonic()))
        return frame

    def _socket(self) -> aiohttp.ClientWebSocketResponse:
        if self._ws is None:
            raise RuntimeError("use `async with ChargerWebSocket(...)`")
        return self._ws

    def _record(self, method: str, sent: Any, received: Any, started: float, error: str | None = None) -> Exchange:
        exchange = Exchange(method=method, http_method="WS", url=mask_url(self.url), request_body=mask(sent),
                            status=None if received is None else 101, reply_body=mask(received),
                            duration_s=round(time.monotonic() - started, 6) if started else 0.0,
                            style="websocket", error=error,
                            rpc_methods=(method,) if isinstance(sent, dict) else ())
        for listener in self.listeners:
            listener(exchange)
        notify_observers(exchange)
        return exchange
