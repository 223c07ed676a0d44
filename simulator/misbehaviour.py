"""A virtual charger that misbehaves on cue: the transport faults a real bench meets, scheduled.

A real charger on Wi-Fi stalls, answers late, drops a reply half-way, is fronted by a proxy that
answers garbage or an HTML error page, refuses connections, or reboots by itself.  The suites must
classify each within its timeout (a bench fault, or for the reboot a product finding) and never hang,
and the project proves it by starting the virtual charger with a schedule of such faults
(``python -m simulator --misbehave KIND[=VALUE]@AFTER[:FOR]``, repeatable; ``pytest --misbehave`` passes
it through).  This module holds the schedule (:class:`Misbehaviour`) and what each fault does to one
HTTP request; the server (``simulator/http_server.py``) asks the schedule in a middleware and runs the
two that are not about one request (``refused``, ``reboot``) in its lifecycle code.

Cue grammar (``AFTER`` and ``FOR``: ``N`` requests, or ``Ns`` device seconds since the bench started)::

    stall@40          every request after the 40th is accepted and never answered (for ever)
    slow=5@40:3       requests 41-43 are answered 5 wall seconds late (as --latency; default 10 s)
    truncated@10s:2s  replies announce their whole Content-Length, send part of it and close (for 2 s)
    garbage@40:1      request 41 gets HTTP 200 with bytes that are not JSON
    http_5xx@40:1     request 41 gets HTTP 503 with an HTML body (a proxy's error page)
    refused@40:5s     after the 40th reply the listener closes (connection refused) for 5 device s
    reboot@40         after the 40th reply the charger reboots, as Device.Reset does, unasked

Requests are every HTTP request the charger's server receives (frames, per-method URLs, WebSocket
upgrades), counted from the start; a request a cue misbehaves on is counted too.
"""
from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from aiohttp import web


class Kind(str, Enum):
    STALL = "stall"          # TCP accepted, request read, no reply (until the client gives up)
    SLOW = "slow"            # the reply comes VALUE wall seconds late
    TRUNCATED = "truncated"  # the reply's body is cut short: Content-Length larger than what is sent, then close
    GARBAGE = "garbage"      # HTTP 200 whose body is not JSON
    HTTP_5XX = "http_5xx"    # HTTP 503 with an HTML body, not an RPC reply
    REFUSED = "refused"      # the listener closes: connection refused (open connections are dropped)
    REBOOT = "reboot"        # an unexpected reboot, as Device.Reset does without being asked


REQUEST_KINDS = frozenset({Kind.STALL, Kind.SLOW, Kind.TRUNCATED, Kind.GARBAGE, Kind.HTTP_5XX})
"""Faults of one request: the middleware applies them to each request inside the cue's window."""
EVENT_KINDS = frozenset({Kind.REFUSED, Kind.REBOOT})
"""Faults of the charger, not of a request: the server's lifecycle runs them once, when due."""

SLOW_DEFAULT_S = 10.0   # wall s: beyond every profile's timeout_s (virtual 3 s, example lab 5 s)
TRUNCATED_FRACTION = 0.25  # the share of a reply's body a truncated reply sends
STALL_POLL_WALL_S = 0.05  # how often a stalled request looks whether its client gave up
GARBAGE_BODY = b"\x8f\x00\xffLK\x1b[2J\xc3(not json: a corrupted reply)\xfe\xfe"
HTML_503 = ("<html><head><title>503 Service Unavailable</title></head>"
            "<body><h1>503 Service Unavailable</h1><p>upstream charger not available</p></body></html>")

_MARK = re.compile(r"^(?P<number>\d+(?:\.\d+)?)(?P<seconds>s?)$")
_CUE = re.compile(r"^(?P<kind>[a-z_0-9]+)(?:=(?P<value>[^@]+))?@(?P<after>[^:]+)(?::(?P<lasting>.+))?$")


class CueError(ValueError):
    """A ``--misbehave`` text that does not follow the grammar (a usage error of the simulator)."""


@dataclass(frozen=True)
class Mark:
    """A point or a length: a number of requests, or device seconds."""

    requests: int | None = None
    seconds: float | None = None

    def __str__(self) -> str:
        return f"{self.requests}" if self.requests is not None else f"{self.seconds:g}s"


def parse_mark(text: str, what: str) -> Mark:
    match = _MARK.match(text.strip())
    if match is None:
        raise CueError(f"{what} {text!r} is neither a number of requests (40) nor device seconds (12.5s)")
    if match["seconds"]:
        return Mark(seconds=float(match["number"]))
    if "." in match["number"]:
        raise CueError(f"{what} {text!r}: a number of requests is whole (or add s for device seconds)")
    return Mark(requests=int(match["number"]))


@dataclass(frozen=True)
class Cue:
    """One scheduled fault: what, from when, for how long (None: for ever), and slow's delay."""

    kind: Kind
    after: Mark
    lasting: Mark | None = None
    delay_s: float = SLOW_DEFAULT_S  # slow: wall seconds each reply is late

    def __str__(self) -> str:
        value = f"={self.delay_s:g}" if self.kind is Kind.SLOW else ""
        return f"{self.kind.value}{value}@{self.after}" + (f":{self.lasting}" if self.lasting else "")


def parse_cue(text: str) -> Cue:
    """``KIND[=VALUE]@AFTER[:FOR]`` (the module docstring); a CueError says what is wrong."""
    match = _CUE.match(text.strip())
    if match is None:
        raise CueError(f"--misbehave {text!r}: expected KIND[=VALUE]@AFTER[:FOR], e.g. stall@40 or refused@10s:5s")
    try:
        kind = Kind(match["kind"])
    except ValueError:
        raise CueError(f"--misbehave {text!r}: unknown kind {match['kind']!r}; known: "
                       f"{', '.join(k.value for k in Kind)}") from None
    after = parse_mark(match["after"], "AFTER")
    lasting = parse_mark(match["lasting"], "FOR") if match["lasting"] else None
    delay_s = SLOW_DEFAULT_S
    if match["value"] is not None:
        if kind is not Kind.SLOW:
            raise CueError(f"--misbehave {text!r}: only slow takes a value (its delay in wall seconds)")
        try:
            delay_s = float(match["value"])
        except ValueError:
            raise CueError(f"--misbehave {text!r}: slow's delay must be wall seconds, not {match['value']!r}") from None
        if not delay_s >= 0:
            raise CueError(f"--misbehave {text!r}: slow's delay must be ≥ 0 s")
    if kind is Kind.REFUSED and lasting is not None and lasting.seconds is None:
        raise CueError(f"--misbehave {text!r}: refused lasts device seconds (FOR as 5s): a closed listener "
                       "counts no requests")
    if kind is Kind.REBOOT and lasting is not None:
        raise CueError(f"--misbehave {text!r}: a reboot takes no FOR (it lasts the firmware's reboot time)")
    return Cue(kind, after, lasting, delay_s)


@dataclass
class _Window:
    """Where one cue stands: when its window opened (device s) and how many requests it has taken."""

    cue: Cue
    opened_at: float | None = None
    served: int = 0
    fired: bool = False  # an event cue: run once


@dataclass
class Misbehaviour:
    """The run's cues against the requests seen and the device clock (``now``: device seconds)."""

    cues: tuple[Cue, ...]
    now: Callable[[], float]
    requests: int = 0
    _windows: list[_Window] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._windows = [_Window(cue) for cue in self.cues]

    def __bool__(self) -> bool:
        return bool(self.cues)

    def on_request(self) -> tuple[int, Cue | None]:
        """A request arrived: its number, and the request fault to apply to it (the first cue whose
        window holds it), if any."""
        self.requests += 1
        index, now = self.requests, self.now()
        for window in self._windows:
            cue = window.cue
            if cue.kind not in REQUEST_KINDS or not self._begun(cue, index, now):
                continue
            if window.opened_at is None:
                window.opened_at = cue.after.seconds if cue.after.seconds is not None else now
            if self._within(window, now):
                window.served += 1
                return index, cue
        return index, None

    def events_after(self, index: int) -> list[Cue]:
        """Event cues due once request ``index`` has been answered (AFTER counted in requests)."""
        due = []
        for window in self._windows:
            cue = window.cue
            if cue.kind in EVENT_KINDS and not window.fired and cue.after.requests is not None \
                    and index >= cue.after.requests:
                window.fired = True
                due.append(cue)
        return due

    def timed_events(self) -> list[Cue]:
        """Event cues due at a device time (AFTER in seconds): the server waits for each."""
        return [w.cue for w in self._windows if w.cue.kind in EVENT_KINDS and w.cue.after.seconds is not None]

    @staticmethod
    def _begun(cue: Cue, index: int, now: float) -> bool:
        if cue.after.requests is not None:
            return index > cue.after.requests
        return now >= (cue.after.seconds or 0.0)

    @staticmethod
    def _within(window: _Window, now: float) -> bool:
        lasting = window.cue.lasting
        if lasting is None:
            return True
        if lasting.requests is not None:
            return window.served < lasting.requests
        return now < (window.opened_at or 0.0) + (lasting.seconds or 0.0)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def misbehave(cue: Cue, request: web.Request, handler: Handler) -> web.StreamResponse:
    """Apply a request fault to one request (the charger still handles it where a reply is built)."""
    if cue.kind is Kind.STALL:
        return await _stall(request)
    if cue.kind is Kind.SLOW:
        await request.read()  # the request is in; only the answer is late
        await asyncio.sleep(cue.delay_s)
        if request.transport is None or request.transport.is_closing():
            raise asyncio.CancelledError  # the client gave up meanwhile: nobody to answer
        return await handler(request)
    if cue.kind is Kind.GARBAGE:
        await request.read()
        return web.Response(status=200, body=GARBAGE_BODY, content_type="application/json")
    if cue.kind is Kind.HTTP_5XX:
        await request.read()
        return web.Response(status=503, text=HTML_503, content_type="text/html")
    return await _truncated(request, await handler(request))


async def _stall(request: web.Request) -> web.StreamResponse:
    """Read the request, never answer; end once the client has given up (its connection closed)."""
    await request.read()
    transport = request.transport
    while transport is not None and not transport.is_closing():
        await asyncio.sleep(STALL_POLL_WALL_S)
    raise asyncio.CancelledError  # no reply: aiohttp drops the request with its connection


async def _truncated(request: web.Request, full: web.StreamResponse) -> web.StreamResponse:
    """Announce the whole reply, send a part of its body, close the connection."""
    body = full.body if isinstance(full, web.Response) and isinstance(full.body, bytes) else b""
    sent = body[: max(1, int(len(body) * TRUNCATED_FRACTION))] if body else b""
    head = [f"HTTP/1.1 {full.status} {full.reason}", f"Content-Type: {full.content_type}",
            f"Content-Length: {max(len(body), len(sent) + 1)}", "Connection: close", "", ""]
    transport = request.transport
    if transport is not None:
        transport.write("\r\n".join(head).encode("latin-1") + sent)
        transport.close()
    raise asyncio.CancelledError  # the reply has gone out by hand; aiohttp writes nothing more


def describe(cues: tuple[Cue, ...]) -> list[str]:
    """The cues as given, for the ready line."""
    return [str(cue) for cue in cues]


def cue_argument(text: str) -> Cue:
    """argparse ``type=`` for ``--misbehave``."""
    import argparse  # noqa: PLC0415 - only the command line needs it

    try:
        return parse_cue(text)
    except CueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def run_after(delay_wall_s: float, job: Callable[[], Awaitable[Any]]) -> Callable[[], Awaitable[None]]:
    """A job for the server's task set: wait, then run ``job``."""
    async def later() -> None:
        await asyncio.sleep(max(0.0, delay_wall_s))
        await job()
    return later
