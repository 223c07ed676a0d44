"""The trip picture renders from plain samples (no bench): a PNG with or without an analyzer."""
from __future__ import annotations

import pytest

from reports.trip_plot import TripMark, TripSample, trip_plot

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def synthetic_trip(with_analyzer: bool = True) -> list[TripSample]:
    """A 30 mA AC trip at ~120 ms: mains polled every 5 ms, the analyzer every 100 ms."""
    samples = [TripSample(-0.004, 0.0, True)]
    samples += [TripSample(t / 1000, 30.0, t < 120) for t in range(0, 300, 5)]
    if with_analyzer:
        samples += [TripSample(t / 1000, 30.0 if t >= 0 else 0.0, None, 16.0 if t < 200 else 0.0)
                    for t in range(-50, 400, 100)]
    return samples


@pytest.mark.parametrize("with_analyzer", [True, False], ids=["analyzer", "no_analyzer"])
def test_renders_a_png_with_the_limit_and_the_trip_band(with_analyzer: bool) -> None:
    mark = TripMark(0.3, "rcd_ac_1x_trip_s", 0.115, 0.125, "polled mains sense")
    png = trip_plot(synthetic_trip(with_analyzer), mark, title="AC 30 mA")
    assert png.startswith(PNG_MAGIC) and len(png) > 10_000


def test_renders_without_a_measured_trip() -> None:
    """A trip not (yet) measured: only the limit is marked."""
    assert trip_plot(synthetic_trip(), TripMark(0.04, "rcd_ac_5x_trip_s")).startswith(PNG_MAGIC)


def test_refuses_an_empty_trip() -> None:
    with pytest.raises(ValueError, match="at least one sample"):
        trip_plot([], TripMark(0.3, "rcd_ac_1x_trip_s"))
