"""rig/trip.py without a bench: a trip polled from mains presence, the trip timer checked against the
polled bracket, the verdict pass / fail / inconclusive, and the samples the picture is drawn from."""
from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field

import pytest

from fixtures.clock import BenchClock
from fixtures.profile import Limit
from instruments.errors import BenchFault
from rig.rig import Rig
from rig.timing import Edge, Instant, Timing
from rig.trip import NoTrip, TripTiming, residual_label, time_trip

AC_5X = Limit("rcd_ac_5x_trip_s", 0.04, "s", "IEC 61008-1 type A, field-facts §5")
AC_1X = Limit("rcd_ac_1x_trip_s", 0.3, "s", "IEC 61008-1 type A, field-facts §5")
DC_60 = Limit("rcd_dc_60ma_trip_s", 0.3, "s", "IEC 62955 (ref), field-facts §5", marginal=0.24,
              marginal_origin="product example")


def timing(stimulus: Instant, moved: Instant, timer_s: float | None, declared: bool = True) -> TripTiming:
    return TripTiming("rcd_trip_ac_5x", "AC 150 mA", stimulus, Edge(False, moved, 4, 0.002, 0.004), declared,
                      timer_s, ())


@dataclass
class FakeRig:
    """What time_trip and TripTiming.judge use of a rig: a clock, stamps, edges, the EV side, judge."""

    ev: FakeEv
    analyzer: FakeAnalyzer | None = None
    clock: BenchClock = field(default_factory=lambda: BenchClock(time_scale=1.0, poll_s=0.001))
    inconclusive: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.timing = Timing(self.clock)

    async def astamp(self, action):  # type: ignore[no-untyped-def]
        return await self.timing.astamp(action)

    async def edge(self, probe, predicate, *, since, within_s, what):  # type: ignore[no-untyped-def]
        return await self.timing.edge(probe, predicate, since=since, within_s=within_s, what=what)

    judge = Rig.judge


@dataclass
class FakeEv:
    """Mains at the EV is lost ``trip_after_reads`` reads after a residual current is set."""

    trip_after_reads: int | None = 3
    mains_before: bool = True
    timer: bool = False
    residual: tuple[float, float] = (0.0, 0.0)
    reads_since_set: int | None = None

    def has(self, capability: str) -> bool:
        return capability == "timer.trip" and self.timer

    def set_residual(self, dc_ma: float = 0.0, ac_ma: float = 0.0) -> None:
        self.residual, self.reads_since_set = (dc_ma, ac_ma), 0

    def mains_present(self) -> bool:
        if self.reads_since_set is None:
            return self.mains_before
        self.reads_since_set += 1
        return self.trip_after_reads is None or self.reads_since_set < self.trip_after_reads

    def trip_time_ms(self) -> float | None:
        return 0.5


class FakeAnalyzer:
    """16 A until told the trip happened; records which threads read it (never two at once)."""

    def __init__(self, ev: FakeEv) -> None:
        self.ev = ev
        self.threads: set[str] = set()
        self.busy = threading.Lock()

    def read_item(self, item: str) -> float:
        assert item == "I"
        assert self.busy.acquire(blocking=False), "the analyzer was read from two threads at once"
        try:
            self.threads.add(threading.current_thread().name)
            ev = self.ev
            tripped = (ev.reads_since_set is not None and ev.trip_after_reads is not None
                       and ev.reads_since_set >= ev.trip_after_reads)
            return 0.0 if tripped else 16.0
        finally:
            self.busy.release()


# --- the spans and the timer ------------------------------------------------------------------------------
def test_the_timer_is_the_finer_span_and_polling_the_note() -> None:
    trip = timing(Instant(1.000, 1.002), Instant(1.020, 1.030), timer_s=0.025)
    assert trip.timed() is not None and trip.timed().uncertainty == 0.0
    assert trip.best() == trip.timed()
    polled = trip.polled()
    assert polled.low == pytest.approx(0.018) and polled.high == pytest.approx(0.030)
    trip.check_consistent()


def test_without_a_timer_the_polled_bracket_is_the_span() -> None:
    trip = timing(Instant(1.000, 1.002), Instant(1.020, 1.030), timer_s=None, declared=False)
    assert trip.timed() is None and trip.best() == trip.polled()
    trip.check_consistent()


@pytest.mark.parametrize("timer_s", [0.010, 0.040], ids=["before_the_bracket", "after_the_bracket"])
def test_a_timer_outside_the_polled_bracket_is_a_bench_fault(timer_s: float) -> None:
    with pytest.raises(BenchFault, match="disagrees with polling"):
        timing(Instant(1.000, 1.002), Instant(1.020, 1.030), timer_s).check_consistent()


def test_a_declared_timer_that_saw_no_trip_is_a_bench_fault() -> None:
    with pytest.raises(BenchFault, match="reads none"):
        timing(Instant(1.000, 1.002), Instant(1.020, 1.030), None, declared=True).check_consistent()


# --- the verdict ------------------------------------------------------------------------------------------
def test_a_40ms_limit_polled_coarsely_is_inconclusive_with_the_resolution_needed() -> None:
    rig = FakeRig(FakeEv())
    trip = timing(Instant(1.000, 1.002), Instant(1.010, 1.060), timer_s=None, declared=False)  # 8-60 ms
    assert trip.judge(rig, AC_5X) is None  # type: ignore[arg-type]
    assert len(rig.inconclusive) == 1
    assert "needs better than" in rig.inconclusive[0] and "rcd_ac_5x_trip_s" in rig.inconclusive[0]


def test_a_trip_certainly_beyond_its_limit_fails_naming_the_residual_current() -> None:
    trip = timing(Instant(1.000, 1.002), Instant(1.044, 1.046), timer_s=0.045)
    with pytest.raises(AssertionError, match=r"outside .*AC 150 mA"):
        trip.judge(FakeRig(FakeEv()), AC_5X)  # type: ignore[arg-type]


def test_a_trip_within_its_limit_passes_and_beyond_the_product_reference_is_marginal() -> None:
    trip = timing(Instant(1.000, 1.002), Instant(1.279, 1.281), timer_s=0.28)
    with pytest.warns(UserWarning, match="marginal|product reference"):
        measured = trip.judge(FakeRig(FakeEv()), DC_60)  # type: ignore[arg-type]
    assert measured is not None and measured.verdict == "PASS"


def test_residual_label() -> None:
    assert residual_label(6.0, 0.0) == "DC 6 mA" and residual_label(0.0, 30.0) == "AC 30 mA"
    assert residual_label(0.0, 0.0) == "no residual current"


# --- polling a trip ---------------------------------------------------------------------------------------
def test_a_trip_is_polled_from_mains_presence_and_sampled_for_the_picture() -> None:
    ev = FakeEv(trip_after_reads=5)
    rig = FakeRig(ev)

    async def run() -> TripTiming:
        return await time_trip(rig, ac_ma=30.0, within_s=1.0, what="rcd_trip_ac_1x")  # type: ignore[arg-type]

    trip = asyncio.run(run())
    assert ev.residual == (0.0, 30.0)
    assert trip.edge.polls == 5 and trip.edge.value is False and trip.residual == "AC 30 mA"
    assert trip.timer_s is None and not trip.timer_declared
    mains = [s for s in trip.samples if s.mains_present is not None]
    assert mains[0].residual_ma == 0.0 and mains[0].mains_present is True and mains[0].time_s <= 0.0
    assert all(s.residual_ma == 30.0 for s in mains[1:]) and mains[-1].mains_present is False
    assert trip.polled().low >= 0.0 and trip.polled().high >= trip.polled().low


def test_the_analyzer_is_read_beside_the_mains_poll_in_one_worker_at_a_time() -> None:
    ev = FakeEv(trip_after_reads=40)
    analyzer = FakeAnalyzer(ev)
    rig = FakeRig(ev, analyzer)

    async def run() -> TripTiming:
        return await time_trip(rig, dc_ma=60.0, within_s=2.0, what="rcd_trip_dc_60ma")  # type: ignore[arg-type]

    trip = asyncio.run(run())
    currents = [s for s in trip.samples if s.analyzer_a is not None]
    assert len(currents) >= 3, "the tail records analyzer updates after the trip"
    assert currents[0].analyzer_a == 16.0 and currents[-1].analyzer_a == 0.0
    assert threading.main_thread().name not in analyzer.threads, "the analyzer was read on the mains-poll thread"


def test_a_declared_timer_is_read_after_the_trip() -> None:
    rig = FakeRig(FakeEv(trip_after_reads=2, timer=True))

    async def run() -> TripTiming:
        return await time_trip(rig, ac_ma=150.0, within_s=1.0, what="rcd_trip_ac_5x")  # type: ignore[arg-type]

    trip = asyncio.run(run())
    assert trip.timer_declared and trip.timer_s == pytest.approx(0.0005)


def test_no_trip_within_the_wait_is_a_verdict_on_the_charger() -> None:
    rig = FakeRig(FakeEv(trip_after_reads=None))

    async def run() -> None:
        await time_trip(rig, dc_ma=6.0, within_s=0.05, what="rcd_trip_dc_6ma")  # type: ignore[arg-type]

    with pytest.raises(NoTrip, match="did not trip: mains still present at the EV 0.05 device s after DC 6 mA"):
        asyncio.run(run())


def test_mains_already_lost_before_the_stimulus_is_not_timed() -> None:
    rig = FakeRig(FakeEv(mains_before=False))

    async def run() -> None:
        await time_trip(rig, dc_ma=6.0, within_s=0.05, what="rcd_trip_dc_6ma")  # type: ignore[arg-type]

    with pytest.raises(AssertionError, match="already lost"):
        asyncio.run(run())
