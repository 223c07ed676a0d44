"""The request styles the Mongoose-OS / Shelly-Gen2 RPC family accepts (field-facts §1).

Each style knows how to put a call on the wire and how to read the answer back into either a result
or an error object.  The bench profile picks the default style; the framing suite exercises all.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from typing import Any
from urllib.parse import quote


class RequestStyle(str, Enum):
    JSONRPC = "jsonrpc"    # POST /rpc {"jsonrpc":"2.0","id","method","params"}
    FRAME = "frame"        # POST /rpc {"id","src","method","params"} -> {"id","src","dst",...}
    URL_POST = "url_post"  # POST /rpc/<Method> with the params object as body
    URL_GET = "url_get"    # GET /rpc/<Method>?key=<json value>


@dataclass(frozen=True)
class WireRequest:
    http_method: str
    path: str
    body: Any  # JSON-serialisable, or None for GET


@dataclass(frozen=True)
class Outcome:
    """What a reply means: an error (``code``, ``message``), a ``result``, or ``malformed``."""

    is_error: bool
    result: Any = None
    code: Any = None
    message: str = ""
    malformed: str | None = None  # why the reply does not fit the style


def build(style: RequestStyle, method: str, params: dict[str, Any] | None, call_id: int, src: str) -> WireRequest:
    if style is RequestStyle.JSONRPC:
        body: dict[str, Any] = {"jsonrpc": "2.0", "id": call_id, "method": method}
        if params is not None:
            body["params"] = params
        return WireRequest("POST", "/rpc", body)
    if style is RequestStyle.FRAME:
        body = {"id": call_id, "src": src, "method": method}
        if params is not None:
            body["params"] = params
        return WireRequest("POST", "/rpc", body)
    if style is RequestStyle.URL_POST:
        return WireRequest("POST", f"/rpc/{method}", params if params is not None else {})
    query = "&".join(f"{quote(k)}={quote(json.dumps(v, separators=(',', ':')))}" for k, v in (params or {}).items())
    return WireRequest("GET", f"/rpc/{method}" + (f"?{query}" if query else ""), None)


def not_an_rpc_reply(status: int, content_type: str, body: bytes, *, to_a_call: bool) -> str | None:
    """Why an HTTP reply is no RPC reply at all (a bench fault), or None when the style's reading judges it.

    Two shapes are never the charger's firmware answering (field-facts §1: it answers JSON, its own
    errors as JSON error objects): a 5xx whose body is an HTML page (a proxy's or gateway's error page
    between the bench and the charger), and, for a call, a 2xx body that is not JSON at all (bytes mangled
    on the way).  Everything else, JSON out of form included, and an empty body or a plain-text error, is
    the charger's own answer and stays the style's verdict (``interpret``: malformed or not).  Raw requests
    (``to_a_call`` False) are judged by the suite that sent them, except for the HTML error page.
    """
    mime = content_type.split(";")[0].strip() or "no content type"
    if 500 <= status < 600 and _is_html(mime, body) and not _is_json(body):
        return f"HTTP {status} {mime}, not an RPC reply"
    if to_a_call and 200 <= status < 300 and body.strip() and not _is_json(body):
        return f"HTTP {status} {mime} body is not JSON ({len(body)} bytes: {body[:32]!r})"
    return None


def _is_json(body: bytes) -> bool:
    try:
        json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return False
    return True


def _is_html(mime: str, body: bytes) -> bool:
    return mime == "text/html" or body.lstrip()[:1] == b"<"


def interpret(style: RequestStyle, status: int, reply: Any, call_id: int, src: str) -> Outcome:
    """Read a decoded reply; a reply that does not fit the style is ``malformed``, never guessed at."""
    if style in (RequestStyle.JSONRPC, RequestStyle.FRAME):
        return _interpret_frame(style, status, reply, call_id, src)
    return _interpret_bare(status, reply)


def _interpret_frame(style: RequestStyle, status: int, reply: Any, call_id: int, src: str) -> Outcome:
    if status != 200:
        return Outcome(False, malformed=f"HTTP {status} for a {style.value} request (frames travel in HTTP 200)")
    if not isinstance(reply, dict):
        return Outcome(False, malformed="reply is not a JSON object")
    if reply.get("id") != call_id or type(reply.get("id")) is not type(call_id):
        return Outcome(False, malformed=f"reply id {reply.get('id')!r} does not echo request id {call_id!r}")
    if style is RequestStyle.FRAME and reply.get("dst") != src:
        return Outcome(False, malformed=f"reply dst {reply.get('dst')!r} is not the caller's src {src!r}")
    has_result, has_error = "result" in reply, "error" in reply
    if has_result == has_error:
        return Outcome(False, malformed="reply must carry exactly one of 'result' and 'error'")
    if has_result:
        return Outcome(False, result=reply["result"])
    return _error_object(reply["error"])


def _interpret_bare(status: int, reply: Any) -> Outcome:
    if status == 200:
        return Outcome(False, result=reply)
    if status in (400, 404, 500) and isinstance(reply, dict) and "code" in reply:
        return _error_object(reply)
    return Outcome(False, malformed=f"HTTP {status} without an error object")


def _error_object(error: Any) -> Outcome:
    if not isinstance(error, dict) or not isinstance(error.get("code"), int) or isinstance(error.get("code"), bool):
        return Outcome(False, malformed=f"error object {error!r} lacks an integer 'code'")
    return Outcome(True, code=error["code"], message=str(error.get("message", "")))
