"""Timing a residual-current trip the way a lab can: from the residual-current change to the loss of
mains at the EV side.

Two sources, as for the contactor (:mod:`rig.timing`, field-facts §7 "Host-side timing"):

* **Polling.**  The residual current is applied through the bench's residual-current role, bracketed
  on the bench clock (:meth:`rig.Rig.astamp`); mains presence at the EV side is then read as fast as
  the link allows until it is lost (:meth:`rig.timing.Timing.edge`).  The trip lies between the
  stimulus and that bracket: a :class:`Span` whose uncertainty is the poll gap plus the round trips
  measured on this bench at this moment.
* **The ``trip`` timer** (an RCD tester's own timer, declared ``timers = ["trip"]`` on the
  residual-current resource): armed by the residual-current change itself, stopped by the loss of
  mains.  Its reading must agree with the polled bracket, or the bench is wrong (:class:`BenchFault`).

The verdict is the rig's (:meth:`rig.Rig.judge`): a 40 ms limit polled with ±30 ms is inconclusive
with the resolution the bench would need, never a guessed pass.

While polling, every mains read is kept as a :class:`reports.trip_plot.TripSample`, and the power
analyzer, when one is bound, is read beside it at its own update rate in a worker thread, so the
mains poll is never slowed by it; after the trip a short tail (a few analyzer updates) shows the
current falling to zero.  :meth:`TripTiming.attach` puts the picture in the report.
"""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from fixtures.clock import WaitTimeout
from fixtures.profile import Limit
from instruments.errors import BenchFault
from instruments.power_analyzer.scpi import InvalidReading
from reports.plots import attach_plot
from reports.trip_plot import TripMark, TripSample, trip_plot
from rig.measurement import Measurement
from rig.rig import Rig
from rig.thresholds import ANALYZER_UPDATE_S
from rig.timing import Edge, Instant, Span, Timing

TIMER_ROUNDING_S = 0.002
"""How far a timer's reading may sit outside the polled bracket (its rounding) before the bench is wrong."""
TAIL_UPDATES = 3
"""Analyzer updates recorded after the trip, so the picture shows the mains current gone."""
TAIL_WAIT_WALL_S = 2.0
"""The least wall time the tail is given (an instrument's pace, not a verdict)."""


class NoTrip(AssertionError):
    """The charger kept mains at the EV side with a residual current that must trip it (a verdict)."""


@dataclass(frozen=True)
class TripTiming:
    """When mains at the EV was lost after a residual current was applied: polled, and by the ``trip``
    timer when the profile declares one (``timer_s``, from the residual-current change itself)."""

    what: str
    residual: str                  # "DC 6 mA", for messages and the picture
    stimulus: Instant
    edge: Edge
    timer_declared: bool
    timer_s: float | None
    samples: tuple[TripSample, ...]

    @property
    def tripped(self) -> Instant:
        return self.edge.at

    def polled(self) -> Span:
        return Timing.polled(self.edge, self.stimulus, "mains sense at the EV")

    def timed(self) -> Span | None:
        """The timer's span: it is armed by the residual-current change itself, so it is the delay."""
        if self.timer_s is None:
            return None
        return Span(self.timer_s, self.timer_s, "trip timer (armed by the residual-current change itself)")

    def best(self) -> Span:
        """The finest span the bench has: the timer's when declared, else polling's."""
        return self._ranked()[0]

    def _ranked(self) -> tuple[Span, Span | None]:
        """(the finest span, the other one or None)."""
        timed, polled = self.timed(), self.polled()
        if timed is None:
            return polled, None
        return (polled, timed) if timed.uncertainty > polled.uncertainty else (timed, polled)

    def check_consistent(self) -> None:
        """A declared timer must have seen the trip polling saw, at a time inside the polled bracket."""
        if not self.timer_declared:
            return
        if self.timer_s is None:
            raise BenchFault(f"{self.what}: polling saw mains lost at the EV ({self.tripped}) but the trip timer "
                             "reads none: bench fault")
        moved = self.tripped
        if not (moved.earliest - TIMER_ROUNDING_S <= self.stimulus.latest + self.timer_s
                and self.stimulus.earliest + self.timer_s <= moved.latest + TIMER_ROUNDING_S):
            raise BenchFault(f"{self.what}: the trip timer ({self.timer_s * 1000:.1f} ms from {self.stimulus}) "
                             f"disagrees with polling ({moved}): bench fault")

    def judge(self, rig: Rig, limit: Limit, name: str | None = None) -> Measurement | None:
        """The trip time against ``limit`` with the finest span the bench has (the other in the note):
        a fail raises, an unresolved result is noted by the rig (the test ends inconclusive)."""
        __tracebackhide__ = True
        self.check_consistent()
        best, other = self._ranked()
        return rig.judge(name or self.what, best, limit,
                         note=f"{self.residual}" + ("" if other is None else f"; also {other}"))

    def png(self, limit: Limit) -> bytes:
        best = self.best()
        mark = TripMark(limit.value, limit.name, best.low, best.high, f"{self.residual}: {best}")
        return trip_plot(self.samples, mark, title=f"{self.what}: {self.residual}")

    def attach(self, limit: Limit) -> None:
        """Attach the picture of this trip to the running test."""
        attach_plot(f"trip {self.what}", lambda: self.png(limit))


class _AnalyzerSampler:
    """Reads the analyzer's current once per update period in a worker thread, beside the mains poll.

    Each read is placed at the middle of its own bracket.  The worker is always awaited to the end
    of its read before the analyzer is used again (a VISA session is not shared between threads)."""

    def __init__(self, rig: Rig, t0: float, samples: list[TripSample]) -> None:
        self.rig, self.t0, self.samples = rig, t0, samples
        self.residual_ma = 0.0
        self.reads = 0
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.rig.analyzer is not None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        analyzer, clock = self.rig.analyzer, self.rig.clock
        assert analyzer is not None
        while not self._stop.is_set():
            before = clock.now()
            try:
                amps: float | None = await asyncio.to_thread(analyzer.read_item, "I")
            except InvalidReading:
                amps = None
            middle = (before + clock.now()) / 2.0
            self.samples.append(TripSample(middle - self.t0, self.residual_ma, None, amps))
            self.reads += 1
            # Paced by the analyzer's own update period (it has nothing newer sooner), ended at once by stop().
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=clock.wall(ANALYZER_UPDATE_S))

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task


def residual_label(dc_ma: float = 0.0, ac_ma: float = 0.0) -> str:
    parts = [f"{kind} {ma:g} mA" for kind, ma in (("DC", dc_ma), ("AC", ac_ma)) if ma]
    return " + ".join(parts) or "no residual current"


async def time_trip(rig: Rig, *, dc_ma: float = 0.0, ac_ma: float = 0.0, within_s: float, what: str,
                    before_ma: float = 0.0) -> TripTiming:
    """Apply a residual current while mains is present at the EV and time the loss of mains.

    ``within_s`` is how long to wait for the trip: longer than the limit, so a late trip is measured
    with its margin rather than timed out.  No trip within it is :class:`NoTrip` (a verdict on the
    charger).  ``before_ma`` is the residual current set before (for the picture)."""
    samples: list[TripSample] = []
    clock = rig.clock
    t0 = clock.now()
    sampler = _AnalyzerSampler(rig, t0, samples)
    sampler.residual_ma = before_ma
    label = residual_label(dc_ma, ac_ma)
    set_ma = dc_ma + ac_ma
    residual_now = before_ma

    def mains() -> bool:
        """One mains-presence read, kept for the picture."""
        before = clock.now()
        present = rig.ev.mains_present()
        samples.append(TripSample((before + clock.now()) / 2.0 - t0, residual_now, present))
        return present

    sampler.start()
    try:
        if not mains():
            raise AssertionError(f"{what}: mains already lost at the EV before {label} was applied: "
                                 "the charger stopped supplying the EV by itself")
        applied, _ = await rig.astamp(lambda: rig.ev.set_residual(dc_ma=dc_ma, ac_ma=ac_ma))
        residual_now = sampler.residual_ma = set_ma
        try:
            edge = await rig.edge(mains, lambda present: not present, since=applied, within_s=within_s,
                                  what=f"mains lost at the EV ({what}: {label})")
        except WaitTimeout:
            raise NoTrip(f"{what}: the charger did not trip: mains still present at the EV {within_s:g} device s "
                         f"after {label} was applied") from None
        declared = rig.ev.has("timer.trip")
        delay_ms = rig.ev.trip_time_ms() if declared else None
        await _tail(rig, sampler, mains)
    finally:
        await sampler.stop()
    shifted = tuple(TripSample(s.time_s - (applied.earliest - t0), s.residual_ma, s.mains_present, s.analyzer_a)
                    for s in sorted(samples, key=lambda s: s.time_s))
    return TripTiming(what, label, applied, edge, declared, None if delay_ms is None else delay_ms / 1000.0, shifted)


async def _tail(rig: Rig, sampler: _AnalyzerSampler, mains: Callable[[], bool]) -> None:
    """Keep sampling after the trip until the analyzer has updated ``TAIL_UPDATES`` times (for the
    picture only: an analyzer slower than that is no verdict, the picture just ends sooner)."""
    if rig.analyzer is None:
        return
    wanted = sampler.reads + TAIL_UPDATES
    clock = rig.clock

    async def poll() -> int:
        mains()
        return sampler.reads

    budget = max((TAIL_UPDATES + 2) * ANALYZER_UPDATE_S, clock.time_scale * TAIL_WAIT_WALL_S)
    with contextlib.suppress(WaitTimeout):
        await clock.wait_for(poll, lambda reads: reads >= wanted, within_s=budget,
                             what=f"{TAIL_UPDATES} analyzer updates after the trip (for the trip picture)")

