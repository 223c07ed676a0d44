"""Serve a twin on loopback from its own event loop on a background thread.

The instrument drivers block (pyserial, pyvisa), so a test that talks to a twin through them needs
the twin's asyncio server running elsewhere: this is that elsewhere, shared by the twin tests.
"""
from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class Servable(Protocol):
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int: ...

    async def stop(self) -> None: ...


@contextmanager
def twin_on_loopback(twin: Servable, timeout_s: float = 5.0) -> Iterator[tuple[int, asyncio.AbstractEventLoop]]:
    """Yield (port, loop) with ``twin`` serving on 127.0.0.1; stop it and its loop afterwards."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name=f"{type(twin).__name__}-loop", daemon=True)
    thread.start()
    try:
        port = asyncio.run_coroutine_threadsafe(twin.start(), loop).result(timeout=timeout_s)
        try:
            yield port, loop
        finally:
            asyncio.run_coroutine_threadsafe(twin.stop(), loop).result(timeout=timeout_s)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=timeout_s)
        loop.close()
