"""The virtual charger's RPC transport: Mongoose-OS / Shelly-Gen2 style HTTP on a real socket.

Request styles (field-facts §1): ``POST /rpc`` with a whole frame (JSON-RPC 2.0 or the Shelly
``src``/``dst`` frame), ``POST /rpc/<Method>`` with the params as body, ``GET /rpc/<Method>?k=v``,
and a WebSocket on ``/rpc`` for frames and notifications.  ``Device.Reset`` really takes the charger
off the network: the listener closes and open connections are dropped until it powers on again.  So
does a mains loss (the firmware's ``on_power_loss``): the server is silent until the supply is back and
the charger has booted ``reboot_s`` later.
Where the RPC list leaves framing open (codes, ``jsonrpc`` echo, null params or id, batches, whether the
WebSocket and the URL styles exist at all) the charger's readings decide.  ``latency_s`` delays every
answer, as a charger on Wi-Fi does.
"""
from __future__ import annotations

import asyncio
import functools
import json
from typing import Any

from aiohttp import WSMsgType, web

from simulator.firmware.charger import VirtualCharger
from simulator.firmware.json_parser import (
    CRASH_DEPTH,
    FRAME_BUFFER_BYTES,
    MAX_JSON_DEPTH,
    complete_prefix,
    first_kept,
    nesting_depth,
)
from simulator.http_auth import HttpAuth
from simulator.misbehaviour import Cue, Kind, Misbehaviour, misbehave, run_after
from simulator.firmware.rpc_errors import (
    DESCRIPTIONS,
    INVALID_PARAMS,
    INVALID_REQUEST,
    JSON_FORMAT,
    PARSE_ERROR,
    RpcError,
    UnknownMethod,
)

_NO_RESULT = object()  # a reply built for an error carries no result
ID_BUFFER = 32  # bytes a build with defect long_string_id_truncated keeps of a string id (NUL included)
SUPPLY_POLL_WALL_S = 0.002  # while unpowered, how often the supply is looked at (the bench's tick pauses)
# Defect stops_answering_under_concurrency: the firmware serves a request in SERVE_WALL_S, holding its slot;
# more than DEADLOCK_IN_FLIGHT requests in flight at once deadlock it.  A hung request looks every
# HUNG_POLL_WALL_S whether its client gave up.
DEADLOCK_IN_FLIGHT = 2
SERVE_WALL_S = 0.02
HUNG_POLL_WALL_S = 0.02


class _InFlight:
    """Requests being served, and whether they deadlocked the firmware (stops_answering_under_concurrency)."""

    def __init__(self) -> None:
        self.count = 0
        self.deadlocked = False


class ChargerHttpServer:
    def __init__(self, charger: VirtualCharger, host: str = "127.0.0.1", port: int = 0,
                 auth: HttpAuth | None = None, latency_s: float = 0.0,
                 misbehaviour: Misbehaviour | None = None) -> None:
        self.charger = charger
        self.latency_s = latency_s
        self._in_flight = _InFlight()
        # Transport faults on cue (simulator/misbehaviour.py): per request in a middleware, and the
        # listener closed (refused) or an unasked reboot in the lifecycle below.
        self.misbehaviour = misbehaviour or Misbehaviour((), charger.clock.now)
        self.refusing = False  # the listener is closed on cue (refused) while the firmware runs on
        self.auth = auth
        self.host = host
        self.port = port
        self.rebooting = False
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._sockets: set[web.WebSocketResponse] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        charger.on_reboot = self._schedule_reboot
        charger.on_power_loss = self._power_lost
        charger.notifications.append(self._push_notification)

    # --- lifecycle ------------------------------------------------------------------------------
    async def start(self) -> int:
        self._loop = asyncio.get_running_loop()
        app = web.Application(middlewares=[self._concurrency_middleware, self._misbehaviour_middleware,
                                           self._latency_middleware,
                                           self._offline_middleware],
                              client_max_size=64 * 1024)
        app.router.add_post("/rpc", self._post_frame)
        app.router.add_get("/rpc", self._websocket)
        app.router.add_route("*", "/rpc/{method}", self._per_method)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await self._listen()
        clock = self.charger.clock
        for cue in self.misbehaviour.timed_events():  # refused / reboot at a device time
            self._spawn(run_after(clock.to_wall((cue.after.seconds or 0.0) - clock.now()),
                                  functools.partial(self._misbehaviour_event, cue)))
        return self.port

    async def _listen(self) -> None:
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await self._site.start()
        server = self._site._server  # the bound port, when 0 was asked for
        if self.port == 0 and server is not None and server.sockets:
            self.port = server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        for task in list(self._tasks):  # a pending reboot or power-on dies with the server
            task.cancel()
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- reboot ---------------------------------------------------------------------------------
    def _schedule_reboot(self) -> None:
        self._spawn(self._reboot)

    def _spawn(self, job: Any) -> None:
        task = asyncio.get_running_loop().create_task(job())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _offline(self, *, rebooting: bool = True) -> None:
        """Off the network: the listener closed, open connections dropped (``rebooting`` False: the
        firmware runs on, only its listener is gone: the ``refused`` misbehaviour)."""
        if rebooting:
            self.rebooting = True
        else:
            self.refusing = True
        if self._site is not None:
            await self._site.stop()
            self._site = None
        for ws in list(self._sockets):
            await ws.close()

    async def _reboot(self) -> None:
        await asyncio.sleep(0.01)  # let the reply to Device.Reset leave first
        await self._offline()
        await asyncio.sleep(self.charger.clock.to_wall(self.charger.timing.reboot_s))
        if not self.charger.powered:
            return  # the supply went meanwhile: the power task boots it once mains is back
        self.charger.power_on()
        await self._listen()
        self.rebooting = False

    # --- the supply -----------------------------------------------------------------------------
    def _power_lost(self) -> None:
        """The firmware lost its supply (called from its tick, on whichever thread advanced the model)."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._spawn, self._unpowered)

    async def _unpowered(self) -> None:
        """Silent while mains is off; boot ``reboot_s`` after it is back (and stayed back)."""
        await self._offline()
        charger = self.charger
        model, clock = charger.model, charger.clock
        while True:
            while not model.mains.on:
                model.advance()  # the only thing that runs: the supply is watched, nothing answers
                await asyncio.sleep(SUPPLY_POLL_WALL_S)
            back = model.mains_changed_at
            remaining = back + charger.timing.reboot_s - clock.now()
            if remaining > 0:
                await asyncio.sleep(clock.to_wall(remaining))
            if model.mains.on and model.mains_changed_at == back:
                break
        charger.power_on()
        await self._listen()
        self.rebooting = False

    # --- misbehaviour on cue (simulator/misbehaviour.py) --------------------------------------
    @web.middleware
    async def _misbehaviour_middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Count the request; misbehave on it if a cue's window holds it; run the events due after it."""
        index, cue = self.misbehaviour.on_request()
        try:
            if cue is not None:
                return await misbehave(cue, request, handler)
            return await handler(request)
        finally:
            for event in self.misbehaviour.events_after(index):
                self._spawn(run_after(0.01, functools.partial(self._misbehaviour_event, event)))

    async def _misbehaviour_event(self, cue: Cue) -> None:
        """A fault of the charger, not of a request: the listener closed (for a while), or an unasked reboot."""
        if cue.kind is Kind.REBOOT:
            self.charger.request_reboot(wait_for_session=False)  # what Device.Reset does, unasked
            return
        await self._offline(rebooting=False)
        if cue.lasting is None:
            return  # refused for ever
        await asyncio.sleep(self.charger.clock.to_wall(cue.lasting.seconds or 0.0))
        if self._site is None and not self.rebooting:
            await self._listen()
        self.refusing = False

    @web.middleware
    async def _latency_middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Answer ``latency_s`` wall seconds late, like a charger on Wi-Fi (the simulator may sleep)."""
        if self.latency_s > 0:
            await asyncio.sleep(self.latency_s)
        return await handler(request)

    @web.middleware
    async def _concurrency_middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Defect ``stops_answering_under_concurrency``: each request holds one of the firmware's slots for
        ``SERVE_WALL_S``; a request arriving while ``DEADLOCK_IN_FLIGHT`` are held deadlocks the firmware.
        From then on no request is answered: each hangs (TCP open, no reply) until its client gives up,
        for as long as the virtual charger runs.  A sequential client never sees it."""
        if "stops_answering_under_concurrency" not in self.charger.defects:
            return await handler(request)
        slots = self._in_flight
        slots.count += 1
        try:
            if slots.count > DEADLOCK_IN_FLIGHT:
                slots.deadlocked = True
            if not slots.deadlocked:
                await asyncio.sleep(SERVE_WALL_S)
            while slots.deadlocked:
                transport = request.transport
                if transport is None or transport.is_closing():
                    raise web.HTTPServiceUnavailable()  # the client is gone: nothing reaches anyone
                await asyncio.sleep(HUNG_POLL_WALL_S)
            return await handler(request)
        finally:
            slots.count -= 1

    @web.middleware
    async def _offline_middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if self.rebooting or self.refusing:  # a keep-alive connection from before: the peer sees a reset
            if request.transport is not None:
                request.transport.close()
            raise web.HTTPServiceUnavailable()
        if self.auth is not None and not self.auth.allows(request):
            raise self.auth.challenge()
        return await handler(request)

    # --- POST /rpc and WebSocket frames ---------------------------------------------------------
    async def _post_frame(self, request: web.Request) -> web.Response:
        body = await request.read()
        defects = self.charger.defects
        if "oversized_body_truncated" in defects and len(body) > FRAME_BUFFER_BYTES:
            # the frame buffer holds 16 KiB: the rest is dropped and the cut frame "repaired" and run
            text = complete_prefix(body[:FRAME_BUFFER_BYTES].decode("utf-8", errors="ignore"))
        else:
            try:  # bytes that are not UTF-8 are a malformed frame too, never a crash of the server
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                if "non_utf8_string_stored" not in defects:
                    return web.json_response(self._frame_reply({}, error=self._framing_error("parse",
                                                                                          "malformed JSON")))
                text = body.decode("utf-8", errors="replace")  # no UTF-8 check: U+FFFD goes into flash
        reply = self.handle_frame_text(text)
        if reply is None:
            return web.Response(status=200)
        return web.json_response(reply)

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        if self.charger.readings.is_("websocket_channel", "absent"):
            raise web.HTTPNotFound()  # this build has no WebSocket channel: GET /rpc is no route
        if not ws.can_prepare(request).ok:
            return web.json_response({"code": JSON_FORMAT, "message": "use POST for /rpc"}, status=400)
        await ws.prepare(request)
        self._sockets.add(ws)
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    reply = self.handle_frame_text(message.data)
                    if reply is not None:
                        await ws.send_json(reply)
        finally:
            self._sockets.discard(ws)
        return ws

    def _push_notification(self, frame: dict[str, Any]) -> None:
        for ws in list(self._sockets):
            task = asyncio.get_running_loop().create_task(ws.send_json(frame))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def handle_frame_text(self, text: str) -> dict[str, Any] | list[dict[str, Any]] | None:
        """One frame in, one frame out (None: a notification, which gets no reply)."""
        try:
            frame = self._parse_frame(text)
        except ValueError:
            return self._frame_reply({}, error=self._framing_error("parse", "malformed JSON"))
        if isinstance(frame, list) and frame and self.charger.readings.is_("batch_request", "served"):
            replies = [self.handle_frame(item) if isinstance(item, dict) else
                       self._frame_reply({}, error=self._framing_error("request", "a frame must be a JSON object"))
                       for item in frame]  # JSON-RPC 2.0 §6: one reply per request, none for notifications
            return [r for r in replies if r is not None] or None
        if not isinstance(frame, dict):
            return self._frame_reply({}, error=self._framing_error("request", "a frame must be a JSON object"))
        return self.handle_frame(frame)

    def _parse_frame(self, text: str) -> Any:
        """The frame as the firmware's parser reads it: nested at most MAX_JSON_DEPTH deep (a ValueError,
        answered as a malformed frame, beyond)."""
        defects = self.charger.defects
        brackets = text.count("[") + text.count("{")  # fewer cannot nest past the limit: no scan needed
        depth = nesting_depth(text) if brackets > MAX_JSON_DEPTH else 0
        if depth > MAX_JSON_DEPTH:
            if "deep_nesting_crash" not in defects:
                raise ValueError(f"nested {depth} deep, past the parser's {MAX_JSON_DEPTH} levels")
            if depth > CRASH_DEPTH:  # no depth check: the recursive parser overflows the handler's stack
                raise RecursionError(f"JSON parser stack overflow at depth {CRASH_DEPTH}")
        hook = first_kept if "duplicate_key_parser_differential" in defects else None
        return json.loads(text, object_pairs_hook=hook)

    def handle_frame(self, frame: dict[str, Any]) -> dict[str, Any] | None:
        defects = self.charger.defects
        no_id = "id" not in frame or (frame["id"] is None and self.charger.readings.is_("null_id_frame",
                                                                                           "notification"))
        if no_id and "notification_answered" not in defects:
            try:
                self._dispatch(frame)
            except RpcError:
                pass
            return None
        try:
            return self._frame_reply(frame, result=self._dispatch(frame))
        except RpcError as error:
            return self._frame_reply(frame, error=error)

    def _framing_error(self, situation: str, message: str) -> RpcError:
        """A malformed frame's error in this build's codes (ambiguity framing_error_codes)."""
        if self.charger.readings.is_("framing_error_codes", "jsonrpc"):
            return RpcError({"parse": PARSE_ERROR, "request": INVALID_REQUEST, "params": INVALID_PARAMS}[situation],
                            message)
        return RpcError(JSON_FORMAT, message)

    def _dispatch(self, frame: dict[str, Any]) -> Any:
        readings = self.charger.readings
        method = frame.get("method")
        if "method" not in frame:
            raise self._framing_error("request", "missing 'method'")
        if not isinstance(method, str) or not method:
            if readings.is_("method_name_invalid", "unknown_method"):
                raise self.charger.unknown_method(method)
            raise self._framing_error("request", "'method' must be a non-empty string")
        params = frame.get("params", {})
        if params is None and readings.is_("null_params_frame", "as_omitted"):
            params = {}
        if not isinstance(params, dict):
            raise self._framing_error("params", "'params' must be an object")
        try:
            return self.charger.call(method, params)
        except UnknownMethod:
            if "unknown_method_true" in self.charger.defects:
                return True
            raise

    def _message(self, error: RpcError) -> str:
        """The error's message: free text, or chapter 3's description (ambiguity error_message_text)."""
        if self.charger.readings.is_("error_message_text", "chapter3_text"):
            return DESCRIPTIONS.get(error.code, error.message)
        return error.message

    def _frame_reply(self, frame: dict[str, Any], *, result: Any = _NO_RESULT,
                     error: RpcError | None = None) -> dict[str, Any]:
        defects = self.charger.defects
        call_id = frame.get("id")
        if "id_not_echoed" in defects:
            call_id = 0
        elif "string_id_coerced" in defects and isinstance(call_id, str):
            call_id = int(call_id) if call_id.isdigit() else len(call_id)
        elif "long_string_id_truncated" in defects and isinstance(call_id, str) and len(call_id) > ID_BUFFER - 1:
            call_id = call_id[:ID_BUFFER - 1]  # a string id is kept in char id[32]: the rest is lost
        reply: dict[str, Any] = {}
        if frame.get("jsonrpc") == "2.0" and self.charger.readings.is_("jsonrpc_version_echo", "echoed"):
            reply["jsonrpc"] = "2.0"
        reply["id"] = call_id
        reply["src"] = self.charger.device_id
        if "src" in frame and "dst_not_set" not in defects:
            reply["dst"] = frame["src"]
        if error is not None:
            reply["error"] = {"code": error.code, "message": self._message(error)}
        else:
            reply["result"] = result
        return reply

    # --- /rpc/<Method> ----------------------------------------------------------------------------
    async def _per_method(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        styles = self.charger.readings["per_method_url_styles"]
        if styles == "none" or (styles == "post_only" and request.method != "POST"):
            raise web.HTTPNotFound()  # this build serves whole frames only: /rpc/<Method> is no route
        try:
            if request.method == "GET":
                params = {k: _query_value(v) for k, v in request.query.items()}
            elif request.method == "POST":
                body = await request.text()
                params = json.loads(body) if body.strip() else {}
            else:
                raise self._framing_error("request", f"HTTP {request.method} not supported")
            if not isinstance(params, dict):
                raise self._framing_error("params", "params must be a JSON object")
            result = self._dispatch({"method": method, "params": params})
        except ValueError:
            return self._bare_error(self._framing_error("parse", "malformed JSON"))
        except RpcError as error:
            return self._bare_error(error)
        return web.json_response(result)

    def _bare_error(self, error: RpcError) -> web.Response:
        status = 404 if isinstance(error, UnknownMethod) else 500
        if "url_errors_http_200" in self.charger.defects:
            status = 200
        return web.json_response({"code": error.code, "message": self._message(error)}, status=status)


def _query_value(raw: str) -> Any:
    """Query values are JSON (strings quoted); a bare word is taken as a string."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw
