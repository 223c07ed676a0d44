"""Timing that real instruments can measure: every timing verdict is a measurement with an uncertainty.

Two sources, nothing else (field-facts §7 "Host-side timing in practice"):

* **Polling.**  Each read of the fastest viewpoint that sees the event is stamped with the host's
  clock before and after (:class:`Instant`); the event happened after the previous read began and
  before the read that showed it ended.  The uncertainty is that bracket: the poll interval plus
  the round trip, as measured on this bench at this moment, not assumed.  A CP board that reports
  statistics once a second gives the window of its frame instead of the query's.
* **A declared timer.**  Where the profile declares that an instrument has one (``timers =
  ["contactor"]``), its reading is used, bracketed only by when it was armed.

Host time is the bench clock: ``time.monotonic()`` in device seconds (x ``time_scale`` on a virtual
bench that runs faster than real time; 1 on a real one).  No instrument's own clock is read.

The verdict (:meth:`rig.measurement.Measurement.check`): pass when value + uncertainty is within the
limit, fail when value - uncertainty is beyond it, otherwise inconclusive, with the resolution the
bench would need.
"""
from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from fixtures.clock import BenchClock
from fixtures.profile import Limit
from instruments.errors import BenchFault
from instruments.roles import CpSample
from rig.measurement import Measurement

T = TypeVar("T")
Bound = Literal["max", "min"]


@dataclass(frozen=True)
class Instant:
    """An instant known to lie within [earliest, latest] (bench-clock device seconds)."""

    earliest: float
    latest: float

    def since(self, other: Instant) -> Span:
        """The time from ``other`` to this instant."""
        return Span(self.earliest - other.latest, self.latest - other.earliest)

    def delay_since(self, cause: Instant) -> Span:
        """:meth:`since` for an effect of ``cause``: an effect cannot precede its cause (low ≥ 0)."""
        span = self.since(cause)
        return Span(max(0.0, span.low), max(0.0, span.high), span.how)


@dataclass(frozen=True)
class Span:
    """A duration known to lie within [low, high] s: reported as its middle ± half its width."""

    low: float
    high: float
    how: str = ""

    @property
    def value(self) -> float:
        return (self.low + self.high) / 2.0

    @property
    def uncertainty(self) -> float:
        return (self.high - self.low) / 2.0

    def described(self, how: str) -> Span:
        return Span(self.low, self.high, how)

    def __str__(self) -> str:
        return f"{self.value * 1000:.1f} ± {self.uncertainty * 1000:.1f} ms ({self.how or 'polled'})"


@dataclass(frozen=True)
class Edge:
    """The first reading for which a condition held, when the change happened, and how finely it was seen."""

    value: Any
    at: Instant
    polls: int
    round_trip_s: float        # the slowest read while polling (device s)
    gap_s: float               # the widest interval between two reads (device s)


def judge(name: str, span: Span, limit: Limit, bound: Bound = "max", note: str = "") -> Measurement:
    """Record the timing ``span`` against ``limit`` as a measurement with its uncertainty, and decide it
    (AssertionError: certainly beyond; Inconclusive: the bench cannot tell)."""
    __tracebackhide__ = True
    origin = f"{limit.name}: {limit.origin}" + (f"; {note}" if note else "")
    measurement = Measurement(name, unit=limit.unit, origin=origin,
                              high=limit.value if bound == "max" else None,
                              low=limit.value if bound == "min" else None)
    measurement.check(span.value, span.uncertainty, span.how)
    return measurement


class Timing:
    """Stamps, edges and their spans on one bench clock."""

    def __init__(self, clock: BenchClock) -> None:
        self.clock = clock

    def now(self) -> float:
        return self.clock.now()

    def host(self, monotonic_s: float) -> float:
        """A host ``time.monotonic()`` reading (an instrument's frame arrival) in bench-clock device s."""
        return self.clock.device_at(monotonic_s)

    def stamp(self, action: Callable[[], T]) -> tuple[Instant, T]:
        """Run a bench action and bracket when it happened."""
        before = self.now()
        result = action()
        return Instant(before, self.now()), result

    async def astamp(self, action: Callable[[], Awaitable[T] | T]) -> tuple[Instant, T]:
        """:meth:`stamp` for an action that may be a coroutine function (an RPC call)."""
        before = self.now()
        result = action()
        if inspect.isawaitable(result):
            result = await result
        return Instant(before, self.now()), result  # type: ignore[return-value]

    def window(self, sample: CpSample) -> Instant:
        """When a CP sample's line condition held (its own window, in bench-clock time)."""
        return Instant(self.host(sample.window[0]), self.host(sample.window[1]))

    async def edge(self, probe: Callable[[], T | Awaitable[T]], predicate: Callable[[T], bool], *,
                   since: Instant, within_s: float, what: str,
                   window: Callable[[T], Instant | None] | None = None) -> Edge:
        """Poll ``probe`` (an instrument query or a coroutine function such as an RPC) as fast as the
        link allows until ``predicate`` holds.

        The change happened after the previous reading began (after ``since`` if the first reading
        already shows it) and before the reading that shows it ended.  With ``window``, a reading
        that carries its own window (a CP board's once-a-second statistics) is placed by it instead.
        """
        reads: list[Instant] = []

        async def read() -> tuple[Instant, T]:
            before = self.now()
            value = probe()
            if inspect.isawaitable(value):
                value = await value
            at = Instant(before, self.now())
            own = window(value) if window is not None else None  # type: ignore[arg-type]
            reads.append(own or at)
            return reads[-1], value  # type: ignore[return-value]

        _, value = await self.clock.wait_for(read, lambda sample: predicate(sample[1]), within_s=within_s,
                                             what=what, poll_s=0.0)
        earliest = reads[-2].earliest if len(reads) > 1 else since.earliest
        trips = [r.latest - r.earliest for r in reads] or [0.0]
        gaps = [b.latest - a.earliest for a, b in zip(reads, reads[1:])] or [trips[0]]
        return Edge(value, Instant(earliest, reads[-1].latest), len(reads), max(trips), max(gaps))

    @staticmethod
    def polled(edge: Edge, cause: Instant, viewpoint: str) -> Span:
        """The delay from ``cause`` to ``edge`` as polling resolves it, saying how."""
        span = edge.at.delay_since(cause)
        return span.described(f"polled {viewpoint}: {edge.polls} reads, gap ≤ {edge.gap_s * 1000:.1f} ms, "
                              f"round trip ≤ {edge.round_trip_s * 1000:.1f} ms")


@dataclass(frozen=True)
class ContactorTiming:
    """When the contactor moved after a stimulus: by polling mains sense, and by a declared timer if any.

    ``timer_s`` is the ``contactor`` timer's reading (from the CP state command that armed it,
    ``armed``, to the move), or None when the bench declares no such timer.
    """

    what: str
    stimulus: Instant
    edge: Edge
    armed: Instant
    timer_s: float | None
    stimulus_armed: bool
    line: tuple[tuple[Instant, Any], ...] = ()   # with ``watch_line``: the CP line at each poll

    @property
    def moved(self) -> Instant:
        return self.edge.at

    def polled(self, since: Instant | None = None) -> Span:
        return Timing.polled(self.edge, since or self.stimulus, "mains sense")

    def timed(self, since: Instant | None = None) -> Span | None:
        """The timer's span from ``since`` (default: the stimulus); None without a timer."""
        if self.timer_s is None:
            return None
        how = "contactor timer"
        if since is None and self.stimulus_armed:
            return Span(self.timer_s, self.timer_s, how + " (armed by the stimulus itself)")
        moved = Instant(self.armed.earliest + self.timer_s, self.armed.latest + self.timer_s)
        return moved.delay_since(since or self.stimulus).described(how + " (armed just before the stimulus)")

    def best(self, since: Instant | None = None) -> Span:
        """The finest span the bench has: the timer's when declared, else polling's."""
        timed = self.timed(since)
        polled = self.polled(since)
        if timed is None or timed.uncertainty > polled.uncertainty:
            return polled
        return timed

    def check_consistent(self) -> None:
        """A declared timer must agree with polling (2 ms for rounding): otherwise the bench is wrong."""
        if self.timer_s is None:
            return
        moved = self.moved
        if not (moved.earliest - 0.002 <= self.armed.latest + self.timer_s
                and self.armed.earliest + self.timer_s <= moved.latest + 0.002):
            raise BenchFault(f"{self.what}: the contactor timer ({self.timer_s} s from {self.armed}) disagrees "
                             f"with polling ({moved}): bench fault")

    def check(self, limit: Limit, bound: Bound = "max", *, since: Instant | None = None,
              name: str | None = None) -> Measurement:
        """Judge the delay against ``limit`` with the finest span the bench has (the other in the note)."""
        __tracebackhide__ = True
        self.check_consistent()
        polled, timed = self.polled(since), self.timed(since)
        best = polled if timed is None or timed.uncertainty > polled.uncertainty else timed
        other = polled if best is timed else timed
        return judge(name or self.what, best, limit, bound, note="" if other is None else f"also {other}")
