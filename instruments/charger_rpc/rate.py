"""A request-rate limit for the charger client, so the suite never floods a real charger.

An ESP32-class charger serves a few tens of HTTP requests a second at best; a polling loop on a fast
host, or several clients at once (the suite, load pollers), would exceed that and turn the charger's
overload into false verdicts.  :class:`RateLimit` spaces request starts at least ``1 / max_per_s``
apart, so no window of one second ever holds more than ``max_per_s`` of them (no bursts: the spacing
is the whole rule).  One limiter per charger is shared by every client the suite makes to it.

It keeps no asyncio primitive (a reservation is a read and a write with no ``await`` between them, so
concurrent tasks of one loop never race), so one limiter serves clients on any event loop.
"""
from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable


class RateLimit:
    """``await acquire()`` before each request; ``max_per_s`` None means unlimited."""

    def __init__(self, max_per_s: float | None = None, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        if max_per_s is not None and not (math.isfinite(max_per_s) and max_per_s > 0):
            raise ValueError(f"max_per_s must be a positive number of requests per second or None, not {max_per_s}")
        self.max_per_s = max_per_s
        self._clock = clock
        self._sleep = sleep
        self._next = -math.inf  # the earliest time (clock) the next request may start
        self.waited_s = 0.0     # how long requests were held back in total (a run's cost of the limit)
        self.acquired = 0

    @property
    def interval_s(self) -> float:
        """The minimum spacing of request starts (0: unlimited)."""
        return 0.0 if self.max_per_s is None else 1.0 / self.max_per_s

    async def acquire(self) -> None:
        """Wait until the next request may start, and take its slot."""
        self.acquired += 1
        if self.max_per_s is None:
            return
        now = self._clock()
        slot = max(now, self._next)
        self._next = slot + self.interval_s  # reserved before waiting: later callers queue behind it
        delay = slot - now
        if delay > 0:
            self.waited_s += delay
            await self._sleep(delay)

    def __repr__(self) -> str:
        limit = "unlimited" if self.max_per_s is None else f"{self.max_per_s:g}/s"
        return f"RateLimit({limit})"
