"""A twin's TCP socket: newline-terminated lines in, one reply line per answered line out.

What the SCPI-style twins share (AC load, calibrator, power analyzer): a subclass implements
:meth:`LineServer.handle` (one received line → its reply, or None for a setting or a rejected line,
which leaves the client waiting as a real instrument does), and this base serves it on an asyncio
server.  Lines are ASCII; undecodable bytes become U+FFFD (so a garbled line is a parse error, not a
crash), and replies go out with ``\\n``, the termination the drivers set for raw sockets.

:class:`ScpiLineServer` is the same server whose ``handle`` runs a SCPI command tree
(simulator/twins/scpi_parser.py) one line at a time under a lock.

:class:`StreamServer` is what is left when the protocol is not "one reply per line" (the EV
simulator twin's own line rules, the J1772 board's raw bytes and unprompted frames): the listener,
the set of open clients' writers (for a twin that broadcasts), and closing them all on :meth:`stop`.
"""
from __future__ import annotations

import asyncio
import contextlib
import threading

from simulator.twins.scpi_parser import Call, CommandTree, ErrorQueue, expect_params


class StreamServer:
    """An asyncio TCP server that tracks its clients: :meth:`_converse` is one client's session.

    ``_writers`` holds every open client's writer while its session runs (a twin may write to all
    of them); :meth:`stop` closes the listener and all of them.  A session that ends because the
    client went away (ConnectionError, IncompleteReadError) ends quietly, and its writer is always
    closed and awaited.  Subclasses call ``super().__init__()`` and may extend :meth:`start`/:meth:`stop`
    (e.g. with a background sampler) around the base's.
    """

    def __init__(self) -> None:
        self._server: asyncio.AbstractServer | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen on ``host:port`` (0 = any free port); return the bound port."""
        self._server = await asyncio.start_server(self._serve, host, port)
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Close the server and every open client connection; a no-op if not started."""
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            await self._server.wait_closed()
            self._server = None

    async def _converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One client's session, until it hangs up."""
        raise NotImplementedError

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            await self._converse(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away; nothing to report to anyone
        finally:
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()


class LineServer(StreamServer):
    """Base of a line-protocol twin: :meth:`handle` is the instrument, :meth:`start` puts it on a socket."""

    def handle(self, line: str) -> str | None:
        """One received line → the reply line (without terminator), or None for no reply."""
        raise NotImplementedError

    async def _converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            reply = self.handle(line.decode("ascii", errors="replace"))
            if reply is not None:
                writer.write(reply.encode("ascii", errors="replace") + b"\n")
                await writer.drain()


class ScpiLineServer(LineServer):
    """A line server whose instrument is a SCPI command table.

    Subclasses set ``tree`` (their command table) and ``errors`` (their error queue) in
    ``__init__``.  ``_lock`` serialises lines against each other and against any other thread that
    reads the twin's state (a test, a sampler); :meth:`_before_command` runs under it before each line.
    """

    tree: CommandTree
    errors: ErrorQueue

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.RLock()

    def handle(self, line: str) -> str | None:
        """One received line → the reply line (without terminator), or None (settings, errors)."""
        line = line.strip()
        if not line:
            return None
        with self._lock:
            self._before_command()
            return self.tree.dispatch(line, self.errors)

    def _before_command(self) -> None:
        """Hook run under the lock before each non-empty line; nothing by default."""

    def _clear(self, call: Call) -> None:
        """``*CLS`` (IEEE 488.2, no parameter): empty the error queue."""
        expect_params(call, 0)
        self.errors.clear()


__all__ = ["LineServer", "ScpiLineServer", "StreamServer"]
