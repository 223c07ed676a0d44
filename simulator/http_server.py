"""The virtual charger's RPC transport: Mongoose-OS / Shelly-Gen2 style HTTP on a real socket.

Request styles (field-facts §1): ``POST /rpc`` with a whole frame (JSON-RPC 2.0 or the Shelly
``src``/``dst`` frame), ``POST /rpc/<Method>`` with the params as body, ``GET /rpc/<Method>?k=v``,
and a WebSocket on ``/rpc`` for frames and notifications.  ``Device.Reset`` really takes the charger
off the network: the listener closes and open connections are dropped until it powers on again.
"""
from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import WSMsgType, web

from simulator.firmware.charger import VirtualCharger
from simulator.http_auth import HttpAuth
from simulator.firmware.rpc_errors import JSON_FORMAT, NO_HANDLER, RpcError

_NO_RESULT = object()  # a reply built for an error carries no result


class ChargerHttpServer:
    def __init__(self, charger: VirtualCharger, host: str = "127.0.0.1", port: int = 0,
                 auth: HttpAuth | None = None) -> None:
        self.charger = charger
        self.auth = auth
        self.host = host
        self.port = port
        self.rebooting = False
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._sockets: set[web.WebSocketResponse] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        charger.on_reboot = self._schedule_reboot
        charger.notifications.append(self._push_notification)

    # --- lifecycle ------------------------------------------------------------------------------
    async def start(self) -> int:
        app = web.Application(middlewares=[self._offline_middleware], client_max_size=64 * 1024)
        app.router.add_post("/rpc", self._post_frame)
        app.router.add_get("/rpc", self._websocket)
        app.router.add_route("*", "/rpc/{method}", self._per_method)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await self._listen()
        return self.port

    async def _listen(self) -> None:
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await self._site.start()
        server = self._site._server  # the bound port, when 0 was asked for
        if self.port == 0 and server is not None and server.sockets:
            self.port = server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- reboot ---------------------------------------------------------------------------------
    def _schedule_reboot(self) -> None:
        task = asyncio.get_running_loop().create_task(self._reboot())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _reboot(self) -> None:
        await asyncio.sleep(0.01)  # let the reply to Device.Reset leave first
        self.rebooting = True
        if self._site is not None:
            await self._site.stop()
        for ws in list(self._sockets):
            await ws.close()
        await asyncio.sleep(self.charger.clock.to_wall(self.charger.timing.reboot_s))
        self.charger.power_on()
        await self._listen()
        self.rebooting = False

    @web.middleware
    async def _offline_middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if self.rebooting:  # a keep-alive connection from before the reboot: the peer sees a reset
            if request.transport is not None:
                request.transport.close()
            raise web.HTTPServiceUnavailable()
        if self.auth is not None and not self.auth.allows(request):
            raise self.auth.challenge()
        return await handler(request)

    # --- POST /rpc and WebSocket frames ---------------------------------------------------------
    async def _post_frame(self, request: web.Request) -> web.Response:
        try:  # bytes that are not UTF-8 are a malformed frame too, never a crash of the server
            text = (await request.read()).decode("utf-8")
        except UnicodeDecodeError:
            return web.json_response(self._frame_reply({}, error=RpcError(JSON_FORMAT, "malformed JSON")))
        reply = self.handle_frame_text(text)
        if reply is None:
            return web.Response(status=200)
        return web.json_response(reply)

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
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

    def handle_frame_text(self, text: str) -> dict[str, Any] | None:
        """One frame in, one frame out (None: a notification, which gets no reply)."""
        defects = self.charger.defects
        try:
            frame = json.loads(text)
        except ValueError:
            return self._frame_reply({}, error=RpcError(JSON_FORMAT, "malformed JSON"))
        if not isinstance(frame, dict):
            return self._frame_reply({}, error=RpcError(JSON_FORMAT, "a frame must be a JSON object"))
        if "id" not in frame and "notification_answered" not in defects:
            try:
                self._dispatch(frame)
            except RpcError:
                pass
            return None
        try:
            return self._frame_reply(frame, result=self._dispatch(frame))
        except RpcError as error:
            return self._frame_reply(frame, error=error)

    def _dispatch(self, frame: dict[str, Any]) -> Any:
        method = frame.get("method")
        if not isinstance(method, str) or not method:
            raise RpcError(JSON_FORMAT, "missing 'method'")
        params = frame.get("params", {})
        if params is None:
            params = {}
        if not isinstance(params, dict):
            raise RpcError(JSON_FORMAT, "'params' must be an object")
        try:
            return self.charger.call(method, params)
        except RpcError as error:
            if error.code == NO_HANDLER and "unknown_method_true" in self.charger.defects:
                return True
            raise

    def _frame_reply(self, frame: dict[str, Any], *, result: Any = _NO_RESULT,
                     error: RpcError | None = None) -> dict[str, Any]:
        defects = self.charger.defects
        call_id = frame.get("id")
        if "id_not_echoed" in defects:
            call_id = 0
        elif "string_id_coerced" in defects and isinstance(call_id, str):
            call_id = int(call_id) if call_id.isdigit() else len(call_id)
        reply: dict[str, Any] = {}
        if frame.get("jsonrpc") == "2.0":
            reply["jsonrpc"] = "2.0"
        reply["id"] = call_id
        reply["src"] = self.charger.device_id
        if "src" in frame and "dst_not_set" not in defects:
            reply["dst"] = frame["src"]
        if error is not None:
            reply["error"] = {"code": error.code, "message": error.message}
        else:
            reply["result"] = result
        return reply

    # --- /rpc/<Method> ----------------------------------------------------------------------------
    async def _per_method(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            if request.method == "GET":
                params = {k: _query_value(v) for k, v in request.query.items()}
            elif request.method == "POST":
                body = await request.text()
                params = json.loads(body) if body.strip() else {}
            else:
                raise RpcError(JSON_FORMAT, f"HTTP {request.method} not supported")
            if not isinstance(params, dict):
                raise RpcError(JSON_FORMAT, "params must be a JSON object")
            result = self._dispatch({"method": method, "params": params})
        except ValueError:
            return self._bare_error(RpcError(JSON_FORMAT, "malformed JSON"))
        except RpcError as error:
            return self._bare_error(error)
        return web.json_response(result)

    def _bare_error(self, error: RpcError) -> web.Response:
        status = 404 if error.code == NO_HANDLER else 500
        if "url_errors_http_200" in self.charger.defects:
            status = 200
        return web.json_response({"code": error.code, "message": error.message}, status=status)


def _query_value(raw: str) -> Any:
    """Query values are JSON (strings quoted); a bare word is taken as a string."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw
